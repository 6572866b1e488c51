"""The time in the showroom of a closed month is kept per store: the first reading after the
month ended writes each store's stays by salesperson, later readings take them as kept; a
store with a walk-in of the month still open is counted afresh until it is closed, and this
month is never kept. The dashboards read them (tests.pdca.test_dashboard)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.reception.support import close
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.pdca import dashboard as boards
from webapp.reception import stays
from webapp.reception.models import StayMonthClose, Visit
from webapp.timeutil import SHANGHAI

OCTOBER = date(2026, 10, 1)


def at(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 10, day, hour, tzinfo=SHANGHAI).astimezone(UTC)


def walk_in(owner, day: int, minutes: int | None, kind: str = "walk_in") -> Visit:
    start = at(day)
    visit = Visit(
        store_id=owner.store_id,
        day=date(2026, 10, day),
        kind=kind,
        time_in=start,
        time_out=None if minutes is None else start + timedelta(minutes=minutes),
        owner_id=owner.id,
    )
    db.session.add(visit)
    return visit


@pytest.fixture
def october(world):
    """Store A: the salesperson stayed 10, 20 and 95 minutes with three walk-ins, the colleague
    40 minutes with one (and a 300-minute call, not a walk-in); store B: one of 70 minutes."""
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    for minutes in (10, 20, 95):
        walk_in(sales, 5, minutes)
    walk_in(colleague, 6, 40)
    walk_in(colleague, 7, 300, kind="phone_in")
    walk_in(world.users["other_salesperson"], 8, 70)
    db.session.commit()
    return world


@pytest.fixture
def group_admin(world, make_user):
    return make_user(Role.ADMIN, store=world.store_a, username="gadmin", group_admin=True)


def kept() -> dict[int, dict]:
    db.session.expire_all()
    return {row.store_id: row.counts for row in db.session.scalars(sa.select(StayMonthClose))}


def shown(board: boards.Dashboard) -> list[int]:
    return [row[1] for row in board.table.rows]


def test_the_first_reading_of_a_closed_month_keeps_each_stores_stays_by_salesperson(october):
    world = october
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    found = stays.month_stays([world.store_a.id, world.store_b.id], OCTOBER)
    store_a = world.store_a.id
    assert found[(store_a, sales.id)] == {0: (1, 10.0), 1: (1, 20.0), 4: (1, 95.0)}
    assert found[(store_a, colleague.id)] == {2: (1, 40.0)}
    rows = kept()
    assert set(rows) == {store_a, world.store_b.id}
    assert rows[store_a][str(sales.id)] == [[1, 10.0], [1, 20.0], [0, 0.0], [0, 0.0], [1, 95.0]]
    assert rows[world.store_b.id] == {
        str(world.users["other_salesperson"].id): [[0, 0.0]] * 3 + [[1, 70.0], [0, 0.0]]
    }


def test_a_later_reading_takes_the_stays_as_kept(october):
    world = october
    sales = world.users["salesperson"]
    stays.month_stays([world.store_a.id], OCTOBER)
    # Altered by hand, to tell the kept figures from the register's.
    row = db.session.scalars(sa.select(StayMonthClose)).one()
    row.counts = {str(sales.id): [[9, 90.0], [0, 0.0], [0, 0.0], [0, 0.0], [0, 0.0]]}
    db.session.commit()
    board = boards.showroom_time(boards.scope(world.users["sales_manager"], OCTOBER, None, None))
    assert shown(board) == [9, 0, 0, 0, 0]
    assert board.figures[1][1].startswith("10 ")


def test_a_store_with_a_walk_in_still_open_is_counted_afresh_until_it_is_closed(october):
    world = october
    sales, store_a = world.users["salesperson"], world.store_a.id
    still_here = walk_in(sales, 30, None)
    db.session.commit()
    both = [store_a, world.store_b.id]
    stays.month_stays(both, OCTOBER)
    assert set(kept()) == {world.store_b.id}
    assert stays.month_stays(both, OCTOBER)[(store_a, sales.id)][4] == (1, 95.0)
    # Closed now, weeks later: in the last bucket; the month is kept at the next reading.
    close(sales, still_here)
    found = stays.month_stays(both, OCTOBER)
    n, spent = found[(store_a, sales.id)][4]
    assert n == 2 and spent > 95 + 30 * 24 * 60
    assert set(kept()) == set(both)


def test_this_month_is_never_kept(world):
    walk_in(world.users["salesperson"], 5, 10)
    db.session.commit()
    this_month = datetime.now(SHANGHAI).date().replace(day=1)
    stays.month_stays([world.store_a.id], this_month)
    assert kept() == {}


def test_a_month_kept_by_a_concurrent_reading_meanwhile_is_not_written_twice(october, monkeypatch):
    world = october
    sales = world.users["salesperson"]
    db.session.add(StayMonthClose(store_id=world.store_a.id, month=OCTOBER, counts={}))
    db.session.commit()
    # This reading looked before the other one kept the month: its own write loses the race,
    # and it shows the stays it counted, without an error.
    monkeypatch.setattr(stays, "_kept", lambda store_ids, month: {})
    found = stays.month_stays([world.store_a.id], OCTOBER)
    assert found[(world.store_a.id, sales.id)][0] == (1, 10.0)
    assert len(kept()) == 1


def test_the_groups_roll_up_and_one_salesperson_read_the_kept_month_alike(october, group_admin):
    world = october
    sales = world.users["salesperson"]
    for _reading in ("counted", "kept"):
        group = boards.showroom_time(boards.scope(group_admin, OCTOBER, None, None))
        assert shown(group) == [1, 1, 1, 1, 1]
        assert group.figures[0][1] == "5"
        mine = boards.showroom_time(boards.scope(sales, OCTOBER, None, sales.id))
        assert shown(mine) == [1, 1, 0, 0, 1]
        # (10 + 20 + 95) / 3 = 41.7 minutes.
        assert mine.figures[1][1].startswith("42 ")
    assert set(kept()) == {world.store_a.id, world.store_b.id}
