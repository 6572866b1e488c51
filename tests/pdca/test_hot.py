"""附表三 月度Hot管理表 against a month built by hand: October 2026 of two salespeople of store
A (and a card of store B that never counts), with the cards' grade and stage changes on
their timelines. Every count below is worked out in the comments from those records."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from webapp.customers.models import CardEvent
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.monthly import this_month
from webapp.pdca import hot
from webapp.timeutil import SHANGHAI, add_months, local_today

OCTOBER = date(2026, 10, 1)
ZERO = dict.fromkeys(hot.GRADES, 0)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A moment of 2026 in Shanghai, as the aware UTC the app stores."""
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def october(world, make_card):
    """The cards and their timelines. At October's end (31 Oct 24:00 Shanghai):

    sales:     c1 B (C→B 5 Oct, B→A 10 Nov), c2 H (opened 3 Oct as B, B→H 20 Oct),
               c3 C (opened 10 Oct), c4 B (ordered only on 2 Nov), c8 A (H→A 12 Oct);
               c5 lost 25 Oct (A), c6 A→H 15 Oct then ordered 28 Oct (H),
               c7 opened 5 Nov (not yet there), c9 opened at 23:59 on 31 Oct as C then
               lost on 3 Nov: H1 A1 B2 C2 = 6 at the end of October.
    colleague: k1 H (overdue yesterday), k2 A (opened 8 Oct): H1 A1.
    store B:   one H card opened in October, never counted.
    """
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    other = world.users["other_salesperson"]
    today = local_today()

    def card(owner, created: datetime, grade: str, stage: str = "prospect", **fields):
        made = make_card(owner, grade=grade, stage=stage, **fields)
        made.created_at = created
        db.session.commit()
        return made

    def event(card_, kind: str, when: datetime, was: str, became: str) -> None:
        db.session.add(
            CardEvent(
                store_id=card_.store_id,
                card_id=card_.id,
                actor_id=card_.owner_id,
                kind=kind,
                occurred_at=when,
                data={"from": was, "to": became},
            )
        )

    c = {
        "c1": card(
            sales,
            at(9, 20),
            "A",
            planned_purchase_date=date(2026, 12, 20),
            next_follow_up_due=today - timedelta(days=3),
        ),
        "c2": card(sales, at(10, 3), "H", planned_purchase_date=date(2026, 11, 2)),
        "c3": card(sales, at(10, 10), "C", next_follow_up_due=today),
        "c4": card(
            sales,
            at(9, 1),
            "B",
            "ordered",
            planned_purchase_date=date(2026, 11, 30),
            next_follow_up_due=today - timedelta(days=9),
        ),
        "c5": card(sales, at(9, 1), "A", "lost"),
        "c6": card(sales, at(9, 1), "H", "ordered"),
        "c7": card(sales, at(11, 5), "H"),
        "c8": card(sales, at(8, 1), "A"),
        "c9": card(sales, at(10, 31, 23, 59), "C", "lost"),
        "k1": card(colleague, at(9, 2), "H", next_follow_up_due=today - timedelta(days=1)),
        "k2": card(colleague, at(10, 8), "A"),
        "b1": card(other, at(10, 8), "H", next_follow_up_due=today - timedelta(days=5)),
    }
    event(c["c1"], "grade_changed", at(10, 5), "C", "B")
    event(c["c1"], "grade_changed", at(11, 10), "B", "A")
    event(c["c2"], "grade_changed", at(10, 20), "B", "H")
    event(c["c4"], "stage_changed", at(11, 2), "prospect", "ordered")
    event(c["c5"], "stage_changed", at(10, 25), "prospect", "lost")
    event(c["c6"], "grade_changed", at(10, 15), "A", "H")
    event(c["c6"], "stage_changed", at(10, 28), "prospect", "ordered")
    event(c["c8"], "grade_changed", at(10, 12), "H", "A")
    event(c["c9"], "stage_changed", at(11, 3), "prospect", "lost")
    # Another store's re-grade in October: never counted.
    event(c["b1"], "grade_changed", at(10, 9), "A", "H")
    # September's events are not October's movement.
    event(c["c8"], "grade_changed", at(9, 12), "A", "H")
    db.session.commit()
    return c


def test_a_past_months_counts_are_those_at_its_end_and_its_movement_by_grade(world, october):
    sales = world.users["salesperson"]
    table = hot.month_table(sales, OCTOBER)
    assert table.reconstructed and table.as_of == date(2026, 10, 31)
    [line] = table.lines
    assert line.owner_id == sales.id
    assert line.grades == {"H": 1, "A": 1, "B": 2, "C": 2} and line.total == 6
    # Opened in October: c2 (as B), c3 (C), c9 (C). Up: c1→B, c2→H, c6→H. Down: c8→A.
    # Ordered: c6 (H at the time). Lost: c5 (A). c9's loss is November's.
    assert line.moves == {"opened": 3, "up": 3, "down": 1, "ordered": 1, "lost": 1}
    assert table.moves_by_grade == {
        "opened": {"H": 0, "A": 0, "B": 1, "C": 2},
        "up": {"H": 2, "A": 0, "B": 1, "C": 0},
        "down": {"H": 0, "A": 1, "B": 0, "C": 0},
        "ordered": {"H": 1, "A": 0, "B": 0, "C": 0},
        "lost": {"H": 0, "A": 1, "B": 0, "C": 0},
    }
    # Overdue follow-ups are today's: c1 (c4 is ordered, c3 due today).
    assert line.overdue == 1
    # The store's total: sales and colleague (k1 H, k2 A; k2 opened in October as A).
    assert table.total.grades == {"H": 2, "A": 2, "B": 2, "C": 2}
    assert table.total.moves == {"opened": 4, "up": 3, "down": 1, "ordered": 1, "lost": 1}
    assert table.total.overdue == 2


def test_this_months_counts_are_the_cards_as_they_stand(world, october):
    sales = world.users["salesperson"]
    table = hot.month_table(sales, this_month())
    assert not table.reconstructed and table.as_of == local_today() and table.next_month is None
    [line] = table.lines
    # Prospects now: c1 A, c2 H, c3 C, c7 H, c8 A, and the world's own card (B, opened
    # today: this month's one movement).
    assert line.grades == {"H": 2, "A": 2, "B": 1, "C": 1}
    assert line.moves == {"opened": 1, "up": 0, "down": 0, "ordered": 0, "lost": 0}
    # November: c7 opened (H), c1 B→A up, c4 ordered (B), c9 lost (C).
    november = hot.month_table(sales, date(2026, 11, 1)).lines[0]
    assert november.moves == {"opened": 1, "up": 1, "down": 0, "ordered": 1, "lost": 1}
    # At November's end: c1 A, c2 H, c3 C, c7 H, c8 A (c4 ordered, c9 lost).
    assert november.grades == {"H": 2, "A": 2, "B": 0, "C": 1}


def test_the_manager_sees_every_salesperson_and_opens_one(world, october):
    manager = world.users["sales_manager"]
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    table = hot.month_table(manager, OCTOBER)
    by_owner = {line.owner_id: line for line in table.lines}
    assert set(by_owner) == {sales.id, colleague.id}  # store B's salesperson is not there
    assert by_owner[colleague.id].grades == {"H": 1, "A": 1, "B": 0, "C": 0}
    assert by_owner[colleague.id].moves["opened"] == 1
    assert table.moves_by_grade["opened"] == {"H": 0, "A": 1, "B": 1, "C": 2}  # the store's
    one = hot.month_table(manager, OCTOBER, colleague.id)
    assert one.single is not None and one.single.owner_id == colleague.id
    assert one.moves_by_grade["opened"] == {"H": 0, "A": 1, "B": 0, "C": 0}
    # The admin sees the store too; store B's manager none of store A.
    assert len(hot.month_table(world.users["admin"], OCTOBER).lines) == 2
    other = hot.month_table(world.users["other_manager"], OCTOBER)
    assert other.total.grades == {"H": 1, "A": 0, "B": 0, "C": 0}
    assert other.total.moves["up"] == 1


def test_the_cards_behind_a_count_as_of_the_months_end_paged(world, october, monkeypatch):
    sales = world.users["salesperson"]
    table = hot.month_table(sales, OCTOBER, cards="B")
    assert table.cards is not None
    # c1 and c4 were B at October's end; by planned purchase date (c4 30 Nov, c1 20 Dec).
    assert [r.id for r in table.cards.rows] == [october["c4"].id, october["c1"].id]
    assert [r.grade for r in table.cards.rows] == ["B", "B"]
    overdue = hot.month_table(sales, OCTOBER, cards="overdue").cards
    assert [r.id for r in overdue.rows] == [october["c1"].id] and overdue.rows[0].overdue
    monkeypatch.setattr(hot, "CARDS_PAGE", 1)
    first = hot.month_table(sales, OCTOBER, cards="C").cards
    second = hot.month_table(sales, OCTOBER, cards="C", page=2).cards
    assert first.has_more and not second.has_more
    assert {first.rows[0].id, second.rows[0].id} == {october["c3"].id, october["c9"].id}
    manager = world.users["sales_manager"]
    mine = hot.month_table(manager, OCTOBER, world.users["colleague"].id, cards="H").cards
    assert [r.id for r in mine.rows] == [october["k1"].id]


def test_reach_roles_and_months_out_of_range(world, october):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    manager = world.users["sales_manager"]
    with pytest.raises(NotFound):
        hot.month_table(sales, OCTOBER, colleague.id)
    with pytest.raises(NotFound):
        hot.month_table(manager, OCTOBER, world.users["other_salesperson"].id)
    with pytest.raises(NotFound):  # a manager's card list names one salesperson
        hot.month_table(manager, OCTOBER, cards="H")
    with pytest.raises(NotFound):
        hot.month_table(sales, OCTOBER, cards="X")
    with pytest.raises(NotFound):
        hot.month_table(sales, add_months(this_month(), 1))
    for role in ("greeter", "service_advisor", "finance", "car_keeper"):
        with pytest.raises(PermissionDenied):
            hot.month_table(world.users[role], OCTOBER)


def test_the_workbook_has_the_tables_columns_in_chinese(world, october):
    manager = world.users["sales_manager"]
    data = hot.xlsx(manager, OCTOBER)
    book = load_workbook(io.BytesIO(data))
    page, moves = book.worksheets
    rows = list(page.iter_rows(values_only=True))
    assert rows[0] == (
        "销售顾问",
        "H级",
        "A级",
        "B级",
        "C级",
        "Hot合计",
        "逾期跟进",
        "新增",
        "升级",
        "降级",
        "订单",
        "战败",
    )
    assert rows[-1] == ("合计", 2, 2, 2, 2, 8, 2, 4, 3, 1, 1, 1)
    assert len(rows) == 4  # two salespeople and the total
    grid = list(moves.iter_rows(values_only=True))
    assert grid[0] == ("本月变动", "H级", "A级", "B级", "C级", "合计")
    assert grid[1] == ("新增", 0, 1, 1, 2, 4)
    assert hot.xlsx_filename(OCTOBER) == "hot-2026-10.xlsx"
