"""The dashboards against a month of records built by hand (tests.pdca.test_actuals): the
funnel shows 附表一's numbers, the group admin's roll-up a line per store, and the lost-sale
reasons, follow-up completion, time in the showroom and plan against actual are counted here
by hand; who sees what; the pages in full and as fragments; the exports."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook

from tests.negotiation.conftest import catalogue, make_contract  # noqa: F401
from tests.pdca.test_actuals import OCTOBER, month, shanghai  # noqa: F401
from webapp.auth.models import Role
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.negotiation.models import LostSale
from webapp.pdca import dashboard as boards
from webapp.pdca.charts import Series, _nice_top, columns, hbars
from webapp.pdca.models import SalesTarget, StorePlan
from webapp.reception.models import Visit

HX = {"HX-Request": "true", "HX-Target": "dashboard-body"}


def rows(board: boards.Dashboard) -> dict[str, list]:
    return {str(row[0]): row[1:] for row in board.table.rows}


@pytest.fixture
def records(month):  # noqa: F811
    """October 2026 of store A and B, built by hand (tests.pdca.test_actuals)."""
    return month


@pytest.fixture
def group_admin(world, make_user):
    return make_user(Role.ADMIN, store=world.store_a, username="gadmin", group_admin=True)


def test_the_funnel_shows_the_months_counts_of_the_one_query_layer(world, records):
    manager = world.users["sales_manager"]
    store = boards.funnel(boards.scope(manager, OCTOBER, None, None))
    # Store A's October: 7 visits, 15 cards, 4 drives, 4 orders, 2 deliveries (test_actuals).
    assert [row[1] for row in store.table.rows] == [7, 15, 4, 4, 2]
    assert [row[2] for row in store.table.rows] == ["100%", "214%", "57%", "57%", "29%"]
    assert [row[3] for row in store.table.rows] == ["—", "214%", "27%", "100%", "50%"]
    assert [r.length for r in store.chart.rows] == [46.7, 100.0, 26.7, 26.7, 13.3]
    one = boards.funnel(boards.scope(manager, OCTOBER, None, records["sales"].id))
    assert [row[1] for row in one.table.rows] == [5, 12, 3, 3, 2]
    assert [value for _name, value in one.figures] == ["60%", "60%", "1"]


def test_a_salesperson_sees_their_own_figures_or_the_stores_never_a_colleagues(world, records):
    sales = world.users["salesperson"]
    mine = boards.funnel(boards.scope(sales, OCTOBER, None, sales.id))
    assert [row[1] for row in mine.table.rows] == [5, 12, 3, 3, 2]
    store = boards.funnel(boards.scope(sales, OCTOBER, None, None))
    assert [row[1] for row in store.table.rows] == [7, 15, 4, 4, 2]
    with pytest.raises(NotFound):
        boards.scope(sales, OCTOBER, None, world.users["colleague"].id)
    with pytest.raises(NotFound):
        boards.scope(sales, OCTOBER, world.store_b.id, None)
    with pytest.raises(PermissionDenied):
        boards.scope(world.users["greeter"], OCTOBER, None, None)


def test_a_group_admin_gets_the_groups_roll_up_a_line_per_store(world, records, group_admin):
    scope = boards.scope(group_admin, OCTOBER, None, None)
    assert scope.rollup and set(scope.store_ids) == {world.store_a.id, world.store_b.id}
    board = boards.funnel(scope)
    got = rows(board)
    assert got["A店"][:5] == [7, 15, 4, 4, 2]
    assert got["B店"][:5] == [3, 2, 0, 0, 0]
    assert got["集团合计"][:5] == [10, 17, 4, 4, 2]
    # One store of the group, and a salesperson of it.
    other = boards.scope(group_admin, OCTOBER, world.store_b.id, records["other"].id)
    assert [row[1] for row in boards.funnel(other).table.rows] == [3, 2, 0, 0, 0]
    # A person is picked within a store, not across the group.
    with pytest.raises(NotFound):
        boards.scope(group_admin, OCTOBER, None, records["other"].id)
    # A store manager reaches their own store only.
    with pytest.raises(NotFound):
        boards.scope(world.users["sales_manager"], OCTOBER, world.store_b.id, None)


def test_lost_sale_reasons_count_each_reason_of_a_sale(world, records):
    sales = world.users["salesperson"]
    card = world.own_card
    for reasons in (["price", "timing"], ["price"], ["other", "other"]):
        db.session.add(
            LostSale(
                store_id=sales.store_id,
                card_id=card.id,
                competitor_brand="本田",
                reasons=reasons,
                stage_reached="quotation",
                salesperson_id=sales.id,
                recorded_by_id=sales.id,
                recorded_at=shanghai(20),
            )
        )
    db.session.commit()
    board = boards.lost_reasons(boards.scope(world.users["sales_manager"], OCTOBER, None, None))
    # The fixture's October lost sale (price) and these three: 4 lost sales.
    assert board.figures[0][1] == "4"
    # A reason named twice in one sale counts once; ties by code (other, timing).
    assert [(r[1], r[2]) for r in board.table.rows] == [(3, "75%"), (1, "25%"), (1, "25%")]
    assert [r.label for r in board.chart.rows] == [r[0] for r in board.table.rows]
    colleague = boards.lost_reasons(
        boards.scope(world.users["sales_manager"], OCTOBER, None, world.users["colleague"].id)
    )
    assert colleague.table.rows == [] and colleague.chart.empty


def test_follow_up_completion_splits_on_time_late_and_not_done(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]

    def task(owner, card, due_day: int, done_after: timedelta | None, n: int) -> None:
        due = shanghai(due_day)
        db.session.add(
            FollowUpTask(
                store_id=owner.store_id,
                card_id=card.id,
                owner_id=owner.id,
                kind="call",
                due_at=due,
                source=f"test:{n}",
                done_at=None if done_after is None else due + done_after,
            )
        )

    # sales: 2 on time (at the due time, 23 h later), 1 late (25 h), 1 open; one due in
    # November does not count. colleague: 1 open.
    task(sales, world.own_card, 3, timedelta(0), 1)
    task(sales, world.own_card, 4, timedelta(hours=23), 2)
    task(sales, world.own_card, 5, timedelta(hours=25), 3)
    task(sales, world.own_card, 6, None, 4)
    db.session.add(
        FollowUpTask(
            store_id=sales.store_id,
            card_id=world.own_card.id,
            owner_id=sales.id,
            kind="call",
            due_at=shanghai(9, month=11),
            source="test:5",
        )
    )
    task(colleague, world.colleague_card, 7, None, 6)
    db.session.commit()
    board = boards.followup_completion(
        boards.scope(world.users["sales_manager"], OCTOBER, None, None)
    )
    assert [r.shown for r in board.chart.rows] == ["2 · 40%", "1 · 20%", "2 · 40%"]
    assert [value for _name, value in board.figures] == ["60%", "40%", "5"]
    by_person = {row[0]: row[1:] for row in board.table.rows}
    assert by_person[sales.display_name] == [4, 3, 1, "75%"]
    assert by_person[colleague.display_name] == [1, 0, 0, "0%"]


def test_time_in_the_showroom_buckets_the_walk_ins_that_left(world):
    sales = world.users["salesperson"]
    for n, minutes in enumerate((5, 14, 15, 29, 45, 60, 120)):
        start = shanghai(10 + n)
        db.session.add(
            Visit(
                store_id=sales.store_id,
                day=date(2026, 10, 10 + n),
                kind="walk_in",
                time_in=start,
                time_out=start + timedelta(minutes=minutes),
                owner_id=sales.id,
            )
        )
    # Still in the showroom, and a phone call: not counted.
    db.session.add(
        Visit(
            store_id=sales.store_id, day=date(2026, 10, 20), time_in=shanghai(20), owner_id=sales.id
        )
    )
    db.session.add(
        Visit(
            store_id=sales.store_id,
            day=date(2026, 10, 21),
            kind="phone_in",
            time_in=shanghai(21),
            time_out=shanghai(21) + timedelta(minutes=300),
            owner_id=sales.id,
        )
    )
    db.session.commit()
    board = boards.showroom_time(boards.scope(sales, OCTOBER, None, sales.id))
    assert [row[1] for row in board.table.rows] == [2, 2, 1, 1, 1]
    assert board.figures[0][1] == "7"
    # (5 + 14 + 15 + 29 + 45 + 60 + 120) / 7 = 41.1 minutes.
    assert board.figures[1][1].startswith("41 ")


def test_plan_against_actual_reads_the_store_plan_or_the_summed_targets(world, records):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    store_id = sales.store_id
    september = date(2026, 9, 1)
    for owner, orders, when in (
        (sales, 4, OCTOBER),
        (colleague, 2, OCTOBER),
        (sales, 3, september),
    ):
        db.session.add(SalesTarget(store_id=store_id, owner_id=owner.id, month=when, orders=orders))
    db.session.add(StorePlan(store_id=store_id, month=OCTOBER, orders=8))
    db.session.commit()
    manager = world.users["sales_manager"]
    board = boards.plan_trend(boards.scope(manager, OCTOBER, None, None), "orders")
    got = rows(board)
    assert list(got) == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    # October: the store's plan (8), not the targets' sum (6); September: the targets' sum,
    # against the order signed at 23:59 on 30 September.
    assert got["2026-10"] == [8, 4, "50%"]
    assert got["2026-09"] == [3, 1, "33%"]
    assert got["2026-08"] == ["—", 0, "—"]
    mine = rows(boards.plan_trend(boards.scope(sales, OCTOBER, None, sales.id), "orders"))
    assert mine["2026-10"] == [4, 3, "75%"]
    with pytest.raises(NotFound):
        boards.plan_trend(boards.scope(manager, OCTOBER, None, None), "revenue")


def test_the_charts_geometry_scales_to_the_largest_value():
    assert [_nice_top(v) for v in (0, 4, 5, 37, 41, 100, 101)] == [4, 4, 8, 40, 80, 100, 200]
    bars = hbars("t", [("a", 10, "10"), ("b", 5, "5"), ("c", 0, "0")])
    assert [r.length for r in bars.rows] == [100.0, 50.0, 0.0] and not bars.empty
    assert hbars("t", [("a", 0, "0")]).empty
    chart = columns("t", ["9月", "10月"], [Series("x", "X", [10, 20]), Series("y", "Y", [0, 40])])
    # 3 columns drawn (a 0 draws none), 5 gridlines, the tallest reaching the axis's top.
    assert len(chart.rects) == 3 and len(chart.lines) == 5
    assert max(r.height for r in chart.rects) == 200.0


# --- the pages ---------------------------------------------------------------------------


def test_each_dashboard_page_renders_in_full_and_its_filters_as_a_fragment(client, world, records):
    client.login("manager")
    for chart in boards.CHARTS:
        page = client.get(f"/pdca/dashboard/{chart}?month=2026-10")
        assert page.status_code == 200, chart
        html = page.get_data(as_text=True)
        assert "<html" in html and 'id="dashboard-body"' in html and "<svg" in html
        fragment = client.get(f"/pdca/dashboard/{chart}?month=2026-10", headers=HX)
        body = fragment.get_data(as_text=True)
        assert fragment.status_code == 200 and "<html" not in body
        assert body.lstrip().startswith('<div id="dashboard-body">')
    assert client.get("/pdca/dashboard").status_code == 200


def test_a_salesperson_starts_on_their_own_figures(client, world, records):
    sales = world.users["salesperson"]
    client.login("sales")
    html = client.get("/pdca/dashboard/funnel?month=2026-10").get_data(as_text=True)
    assert f'<option value="{sales.id}" selected>' in html
    assert (
        client.get(f"/pdca/dashboard/funnel?owner={world.users['colleague'].id}").status_code == 404
    )


@pytest.mark.parametrize(
    "path",
    [
        "/pdca/dashboard/nothing",
        "/pdca/dashboard/plan?measure=revenue",
        "/pdca/dashboard/funnel?month=2026-13",
        "/pdca/dashboard/funnel?owner=abc",
        "/pdca/dashboard/funnel?store=abc",
        "/pdca/dashboard/nothing.csv",
    ],
)
def test_a_bad_address_is_a_404_not_a_crash(client, world, path):
    client.login("manager")
    assert client.get(path).status_code == 404


def test_the_exports_hold_the_tables_rows(client, world, records):
    client.login("manager")
    got = client.get("/pdca/dashboard/funnel.csv?month=2026-10")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert "dashboard-funnel-2026-10.csv" in got.headers["Content-Disposition"]
    table = list(csv.reader(io.StringIO(got.get_data(as_text=True).lstrip("\ufeff"))))
    assert [row[1] for row in table[1:]] == ["7", "15", "4", "4", "2"]
    book = client.get("/pdca/dashboard/funnel.xlsx?month=2026-10")
    sheet = load_workbook(io.BytesIO(book.data)).active
    assert sheet.title == "销售漏斗 2026-10"  # the chart's title in Chinese, and the month
    assert [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)] == [7, 15, 4, 4, 2]


def test_a_group_admins_page_offers_the_groups_stores(client, world, records, group_admin):
    client.login("gadmin")
    html = client.get("/pdca/dashboard/funnel?month=2026-10").get_data(as_text=True)
    assert "B店" in html and 'name="store"' in html and "集团合计" in html


def test_several_months_in_one_statement_count_as_each_month_alone(world, records):
    """The edges of the months (23:59 on 30 September, 00:00 on 1 November in Shanghai) fall
    in the same month whether counted alone or with the others."""
    ids = [world.store_a.id, world.store_b.id]
    september = date(2026, 9, 1)
    together = boards.stores_months_actuals(ids, september, 3)
    alone = [
        boards.stores_month_actuals(ids, one) for one in (september, OCTOBER, date(2026, 11, 1))
    ]
    assert together == alone
    assert all(together) and sum(line.orders for line in together[0].values()) == 1


def test_one_measure_over_several_months_counts_as_all_of_them(world, records):
    ids = [world.store_a.id]
    september = date(2026, 9, 1)
    together = boards.stores_months_actuals(ids, september, 3)
    for measure in ("visits", "a_cards", "test_drives", "orders", "deliveries", "lost"):
        alone = boards.stores_months_actuals(ids, september, 3, measure)
        for month_all, month_one in zip(together, alone, strict=True):
            counted = {k: getattr(v, measure) for k, v in month_all.items()}
            assert {k: n for k, n in counted.items() if n} == {
                k: getattr(v, measure) for k, v in month_one.items()
            }
        assert any(alone)


def test_a_stores_totals_without_the_people_are_the_sum_of_its_people(world, records):
    ids = [world.store_a.id, world.store_b.id]
    by_person = boards.stores_month_actuals(ids, OCTOBER)
    by_store = boards.stores_month_actuals(ids, OCTOBER, by_owner=False)
    assert set(by_store) == {(world.store_a.id, None), (world.store_b.id, None)}
    for store_id in ids:
        summed = boards.total([v for (s, _o), v in by_person.items() if s == store_id])
        assert by_store[(store_id, None)] == summed
