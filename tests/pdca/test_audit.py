"""卡片箱检查: the month's section of the card box, ticks by the salesperson and the manager
with their findings, the progress and the trail, and the ticks refused (another store's or a
colleague's card, an over-long finding, a future or closed month), none of which saves."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp.auth.models import Role
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.monthly import this_month
from webapp.pdca import audit
from webapp.pdca.audit_models import CardAuditTick
from webapp.timeutil import add_months


def ticks() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(CardAuditTick))


@pytest.fixture
def box(world, make_card):
    """This month's section: sales a1 (prospect, 20th), a2 (ordered, 10th), c1 (owner, bought
    on the 2nd); outside it a3 (planned next month) and a lost card; colleague k1; store B b1."""
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    month = this_month()
    return {
        "a1": make_card(sales, planned_purchase_date=month.replace(day=20), grade="H"),
        "a2": make_card(sales, planned_purchase_date=month.replace(day=10), stage="ordered"),
        "c1": make_card(sales, stage="owner", purchased_on=month.replace(day=2)),
        "a3": make_card(sales, planned_purchase_date=add_months(month, 1)),
        "lost": make_card(sales, planned_purchase_date=month.replace(day=5), stage="lost"),
        "k1": make_card(colleague, planned_purchase_date=month.replace(day=12)),
        "b1": make_card(world.users["other_salesperson"], planned_purchase_date=month),
    }


def test_the_salesperson_and_the_manager_tick_and_the_trail_keeps_every_tick(world, box):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    month = this_month()
    first = audit.tick(sales, box["a1"].id, month, {"finding": " 信息不全 "})
    assert (first.kind, first.finding, first.owner_id) == ("owner", "信息不全", sales.id)
    audit.tick(sales, box["a1"].id, month, {"finding": ""})  # fixed it: ticked again
    audit.tick(sales, box["c1"].id, month, {})
    audit.tick(manager, box["a1"].id, month, {"finding": "等级不符"})
    audit.tick(manager, box["k1"].id, month, {"finding": "跟进逾期"})
    assert ticks() == 5

    sheet = audit.month_audit(sales, month)
    [line] = sheet.lines
    assert (line.total, line.owner_checked, line.manager_checked, line.findings) == (3, 2, 1, 2)
    total = sheet.total
    assert (total.total, total.owner_checked, total.manager_checked, total.findings) == (4, 2, 2, 3)
    # A cards first by planned purchase date, then the C card; never the colleague's.
    assert [c.id for c in sheet.cards] == [box["a2"].id, box["a1"].id, box["c1"].id]
    a1 = sheet.cards[1]
    assert [t.finding for t in a1.trail] == ["信息不全", "", "等级不符"]
    assert a1.owner_tick.finding == "" and a1.manager_tick.finding == "等级不符"
    assert a1.section == "A" and sheet.cards[2].section == "C"
    # The salesperson reads the findings on their own cards, the manager's too.
    assert sheet.findings == 2
    assert {f.finding for f in audit.month_findings(sales, month)} == {"信息不全", "等级不符"}
    assert a1.superseded and not sheet.cards[2].superseded
    assert sheet.tick_kind == "owner" and sheet.closed is None

    store = audit.month_audit(manager, month)
    assert store.findings == 3
    assert {f.finding for f in audit.month_findings(manager, month)} == {
        "信息不全",
        "等级不符",
        "跟进逾期",
    }
    # Newest first; one salesperson's alone with `owner_id`.
    assert audit.month_findings(manager, month)[0].finding == "跟进逾期"
    assert [f.finding for f in audit.month_findings(manager, month, sales.id)] == [
        "等级不符",
        "信息不全",
    ]
    assert len(store.cards) == 4 and store.tick_kind == "manager"
    one = audit.month_audit(manager, month, world.users["colleague"].id)
    assert [c.id for c in one.cards] == [box["k1"].id]


@pytest.mark.parametrize("who", ["salesperson", "sales_manager", "admin"])
def test_another_stores_card_is_not_found_and_nothing_saved(world, box, who):
    with pytest.raises(NotFound):
        audit.tick(world.users[who], box["b1"].id, this_month(), {"finding": "x"})
    assert ticks() == 0


def test_a_salesperson_cannot_tick_a_colleagues_card(world, box):
    with pytest.raises(NotFound):
        audit.tick(world.users["salesperson"], box["k1"].id, this_month(), {})
    with pytest.raises(NotFound):
        audit.tick(world.users["salesperson"], 2**31 - 1, this_month(), {})
    assert ticks() == 0


def test_a_group_admin_ticks_only_their_own_stores_cards(world, box, make_user):
    group_admin = make_user(Role.ADMIN, store=world.store_a, group_admin=True)
    with pytest.raises(NotFound):
        audit.tick(group_admin, box["b1"].id, this_month(), {})
    audit.tick(group_admin, box["k1"].id, this_month(), {})
    assert ticks() == 1
    assert len(audit.month_audit(group_admin, this_month()).cards) == 4


@pytest.mark.parametrize(
    ("finding", "month_shift", "card", "field"),
    [
        ("字" * 201, 0, "a1", "finding"),
        ("\x00", 0, "a1", "finding"),
        ("", 1, "a1", "month"),  # a future month
        ("", -2, "a1", "month"),  # closed to the salesperson
        ("", 0, "a3", "month"),  # next month's card
        ("", 0, "lost", "month"),  # a lost card is in no section
    ],
)
def test_bad_ticks_are_refused_by_field_and_nothing_saved(
    world, box, finding, month_shift, card, field
):
    sales = world.users["salesperson"]
    month = add_months(this_month(), month_shift)
    with pytest.raises(ValidationError) as refused:
        audit.tick(sales, box[card].id, month, {"finding": finding})
    assert set(refused.value.errors) == {field}
    assert ticks() == 0


def test_a_finding_of_200_characters_is_kept_whole(world, box):
    row = audit.tick(
        world.users["salesperson"], box["a1"].id, this_month(), {"finding": "字" * 200}
    )
    assert len(row.finding) == 200


def test_last_months_audit_and_the_closed_and_future_months(world, make_card):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    last = add_months(this_month(), -1)
    card = make_card(sales, planned_purchase_date=last + timedelta(days=3))
    audit.tick(sales, card.id, last, {})  # the audit of last month may still be finished
    older = add_months(this_month(), -2)
    old_card = make_card(sales, planned_purchase_date=older)
    assert audit.month_audit(sales, older).closed is not None  # read-only to the salesperson
    audit.tick(manager, old_card.id, older, {"finding": "补查"})  # the manager may
    assert ticks() == 2
    with pytest.raises(NotFound):
        audit.month_audit(sales, add_months(this_month(), 1))
    with pytest.raises(PermissionDenied):
        audit.month_audit(world.users["greeter"], this_month())
    with pytest.raises(PermissionDenied):
        audit.tick(world.users["finance"], card.id, last, {})


def test_the_cards_come_a_page_at_a_time_a_cards_then_c_cards_by_date(
    world, make_card, monkeypatch
):
    """Each section stops at the page's depth; the pages still run A cards by planned
    purchase date, then C cards by purchase date, each card once; a day's cards by stage,
    grade and id (the card box index's order)."""
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    colleague = world.users["colleague"]
    month = this_month()
    # (day, stage, grade): the two cards of the 3rd are ordered by stage, then grade, not id.
    a_specs = [
        (9, "prospect", "B"),
        (3, "prospect", "C"),
        (3, "ordered", "H"),
        (27, "prospect", "B"),
    ]
    a_cards = [
        make_card(
            sales if n % 2 else colleague,
            planned_purchase_date=month.replace(day=day),
            stage=stage,
            grade=grade,
        )
        for n, (day, stage, grade) in enumerate([*a_specs, (3, "prospect", "A")])
    ]
    c_cards = [
        make_card(colleague if n % 2 else sales, stage="owner", purchased_on=month.replace(day=d))
        for n, d in enumerate([20, 1, 20])
    ]

    def key(card, day):
        return (day, card.stage, card.grade, card.id)

    expected = [c.id for c in sorted(a_cards, key=lambda c: key(c, c.planned_purchase_date))]
    expected += [c.id for c in sorted(c_cards, key=lambda c: key(c, c.purchased_on))]
    assert expected[:3] == [a_cards[2].id, a_cards[4].id, a_cards[1].id]
    monkeypatch.setattr(audit, "CARDS_PAGE", 3)

    shown, page = [], 1
    while True:
        sheet = audit.month_audit(manager, month, page=page)
        shown += [c.id for c in sheet.cards]
        assert len(sheet.cards) == (3 if sheet.has_more else len(expected) - 3 * (page - 1))
        if not sheet.has_more:
            break
        page += 1
    assert shown == expected and page == 3

    ids_of_sales = {x.id for x in (*a_cards, *c_cards) if x.owner_id == sales.id}
    mine = [c for c in expected if c in ids_of_sales]
    second = audit.month_audit(sales, month, page=2)
    assert [c.id for c in second.cards] == mine[3:] and not second.has_more
