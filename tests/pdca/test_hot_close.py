"""附表三 of a closed month is kept: the first reading after the month ended writes its counts
(as rebuilt from the timelines), later readings take them as kept, and this month is never
kept. The hand-built October of tests.pdca.test_hot."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.pdca.test_hot import OCTOBER, october  # noqa: F401
from webapp.extensions import db
from webapp.monthly import this_month
from webapp.pdca import hot, hot_counts
from webapp.pdca.hot_models import HotMonthClose


@pytest.fixture
def closed(october):  # noqa: F811
    """The October of test_hot, built by hand."""
    return october


def kept() -> list[HotMonthClose]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(HotMonthClose)))


def test_the_first_reading_of_a_closed_month_keeps_its_counts_and_later_ones_read_them(
    world, closed
):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    first = hot.month_table(sales, OCTOBER).lines[0]
    assert first.grades == {"H": 1, "A": 1, "B": 2, "C": 2}
    [row] = kept()
    assert row.store_id == sales.store_id and row.month == OCTOBER
    # Every salesperson of the store is kept, not only the reader's line, with the movement.
    assert row.counts["grades"][str(sales.id)] == {"H": 1, "A": 1, "B": 2, "C": 2}
    assert str(world.users["colleague"].id) in row.counts["grades"]
    moves = row.counts["moves"][str(sales.id)]
    assert sum(n for key, n in moves.items() if key.startswith("up|")) == 3
    assert first.moves == {"opened": 3, "up": 3, "down": 1, "ordered": 1, "lost": 1}
    # A later reading takes the figures as kept (here altered by hand to tell them apart).
    grades = {**row.counts["grades"], str(sales.id): {"H": 9}}
    row.counts = {"grades": grades, "moves": {str(sales.id): {"lost|B": 2}}}
    db.session.commit()
    again = hot.month_table(manager, OCTOBER).lines[0]
    assert again.grades == {"H": 9, "A": 0, "B": 0, "C": 0}
    assert again.moves == {"opened": 0, "up": 0, "down": 0, "ordered": 0, "lost": 2}
    assert len(kept()) == 1


def test_this_month_is_never_kept(world, closed):
    hot.month_table(world.users["salesperson"], this_month())
    assert kept() == []


def test_a_month_kept_by_a_concurrent_reading_meanwhile_is_not_written_twice(
    world, closed, monkeypatch
):
    sales = world.users["salesperson"]
    empty = {"grades": {}, "moves": {}}
    db.session.add(HotMonthClose(store_id=sales.store_id, month=OCTOBER, counts=empty))
    db.session.commit()
    # This reading looked before the other one kept the month: its own write loses the
    # race, and it shows the counts it rebuilt, without an error.
    monkeypatch.setattr(hot_counts, "_kept", lambda store_id, month: None)
    assert hot.month_table(sales, OCTOBER).lines[0].grades == {"H": 1, "A": 1, "B": 2, "C": 2}
    assert len(kept()) == 1
