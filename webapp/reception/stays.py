"""Time in the showroom: how long a month's walk-ins stayed, from time in to time out, counted
in buckets (STAY_BUCKETS) with the minutes summed, by store and salesperson. Walk-ins still
in the showroom are left out.

This month is counted from the register: one aggregate statement over the month's walk-ins,
read from ix_visit_store_day_kind alone. A month that has ended is kept per store
(StayMonthClose) the first time it is read with none of its walk-ins still open: a closed
visit never changes and a new one is today's, so the kept figures stay true, and a group's
roll-up of a past month reads a hundred rows instead of aggregating every stay of the month.
A store with a walk-in of the month still open is counted afresh until it is closed.

These are store-level aggregates: the caller passes the stores the acting user reaches and
keeps to the people they may see (webapp.pdca.dashboard).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import cache

import sqlalchemy as sa

from webapp.extensions import db
from webapp.reception.models import StayMonthClose, Visit, VisitKind
from webapp.timeutil import Minutes, add_months, local_today
from webapp.transactions import keep_once

# The buckets, in minutes: [low, high); the last one has no end.
STAY_BUCKETS = ((0, 15), (15, 30), (30, 60), (60, 90), (90, None))
OPEN = -1  # the bucket of a walk-in still in the showroom

# (store id, owner id or None) → bucket → (visits, minutes)
Stays = dict[tuple[int, int | None], dict[int, tuple[int, float]]]


@cache
def _statement(by_owner: bool) -> sa.Select:
    """The month's walk-ins of the stores `store_ids` (expanding) by store, person (or not)
    and bucket, with the open ones in bucket OPEN; parameters first and end (the Shanghai
    calendar days, end excluded). Built once per process."""
    minutes = Minutes(Visit.time_in, Visit.time_out)
    whens = [(Visit.time_out.is_(None), OPEN)] + [
        (minutes < high, index) for index, (_low, high) in enumerate(STAY_BUCKETS) if high
    ]
    bucket = sa.case(*whens, else_=len(STAY_BUCKETS) - 1).label("bucket")
    owner = Visit.owner_id if by_owner else sa.null()
    groups = [Visit.store_id, bucket] + ([Visit.owner_id] if by_owner else [])
    return (
        sa.select(
            Visit.store_id,
            owner.label("owner_id"),
            bucket,
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(minutes), 0.0),
        )
        .where(
            Visit.store_id.in_(sa.bindparam("store_ids", expanding=True)),
            Visit.day >= sa.bindparam("first"),
            Visit.day < sa.bindparam("end"),
            Visit.kind == VisitKind.WALK_IN.value,
        )
        .group_by(*groups)
    )


def _counted(store_ids: Sequence[int], month: date, by_owner: bool) -> tuple[Stays, set[int]]:
    """The month's stays counted from the register, and the stores with a walk-in open."""
    params = {"store_ids": list(store_ids), "first": month, "end": add_months(month, 1)}
    found: Stays = {}
    still_open: set[int] = set()
    for store_id, owner_id, bucket, n, spent in db.session.connection().execute(
        _statement(by_owner), params
    ):
        if bucket == OPEN:
            still_open.add(store_id)
            continue
        found.setdefault((store_id, owner_id), {})[int(bucket)] = (int(n), float(spent))
    return found, still_open


def _kept(store_ids: Sequence[int], month: date) -> dict[int, dict[str, list[list[float]]]]:
    """The stays kept of a closed month, by store."""
    stmt = sa.select(StayMonthClose.store_id, StayMonthClose.counts).where(
        StayMonthClose.store_id.in_(list(store_ids)), StayMonthClose.month == month
    )
    return {store_id: counts for store_id, counts in db.session.execute(stmt)}


def _keep(found: Stays, store_ids: Sequence[int], month: date) -> None:
    """Keep the closed month of `store_ids` (keep_once: a concurrent first reading that kept
    one of them first wins, and this one keeps none)."""
    counts: dict[int, dict[str, list[list[float]]]] = {store_id: {} for store_id in store_ids}
    for (store_id, owner_id), buckets in found.items():
        if store_id in counts:
            counts[store_id][str(owner_id)] = [
                list(buckets.get(index, (0, 0.0))) for index in range(len(STAY_BUCKETS))
            ]
    keep_once(
        StayMonthClose(store_id=store_id, month=month, counts=kept)
        for store_id, kept in counts.items()
    )


def month_stays(store_ids: Sequence[int], month: date, by_owner: bool = True) -> Stays:
    """The stays of `month` in the stores `store_ids`: by (store id, person id), or by (store
    id, None) without `by_owner`; a closed month as kept, or counted and kept now."""
    month = month.replace(day=1)
    if not store_ids:
        return {}
    if month >= local_today().replace(day=1):
        return _counted(store_ids, month, by_owner)[0]
    kept = _kept(store_ids, month)
    missing = [store_id for store_id in store_ids if store_id not in kept]
    found: Stays = {}
    if missing:
        found, still_open = _counted(missing, month, by_owner=True)
        closed = [store_id for store_id in missing if store_id not in still_open]
        if closed:
            _keep(found, closed, month)
    for store_id, counts in kept.items():
        for owner_id, buckets in counts.items():
            found[(store_id, int(owner_id))] = {
                index: (int(n), float(spent)) for index, (n, spent) in enumerate(buckets) if n
            }
    if by_owner:
        return found
    stores: Stays = {}
    for (store_id, _owner_id), buckets in found.items():
        add(stores.setdefault((store_id, None), {}), buckets)
    return stores


def add(into: dict[int, tuple[int, float]], buckets: dict[int, tuple[int, float]]) -> None:
    """Add one line's buckets (visits, minutes) into another's."""
    for index, (n, spent) in buckets.items():
        was_n, was_spent = into.get(index, (0, 0.0))
        into[index] = (was_n + n, was_spent + spent)
