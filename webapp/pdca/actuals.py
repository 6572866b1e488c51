"""What happened in a month, counted from the records of every step: the one query layer
for the actuals. 附表一, the month review and every export read their figures here, so the
same number is the same everywhere.

- visits (来店组数): the register's walk-ins (one row per group), by the salesperson who
  served them, on the Shanghai calendar days of the month;
- new A cards: the cards opened in the month, by owner;
- test drives: the bookings done whose drive started in the month, by the salesperson
  selling it;
- orders: the contracts signed in the month and not cancelled since, by owner;
- deliveries: the handovers completed in the month, by owner;
- lost sales: the lost-sale records (附表十三) of the month, by salesperson.

A month is the showroom's (Asia/Shanghai) calendar month. `month_actuals` counts the acting
user's own store by person: a salesperson's screens show their own line and the store's
total, never a colleague's line (webapp.pdca.plan decides what is shown).
`stores_month_actuals` counts several stores by store and person, for the dashboards and a
group admin's roll-up (webapp.pdca.dashboard passes the stores the user reaches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
from webapp.monthly import percent
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.negotiation.models import LostSale
from webapp.reception.models import Visit, VisitKind
from webapp.testdrive.models import BookingStatus, TestDriveBooking
from webapp.timeutil import add_months, local_month_bounds


@dataclass(frozen=True, slots=True)
class Actuals:
    """One person's (or the store's) counts of a month."""

    visits: int = 0
    a_cards: int = 0
    test_drives: int = 0
    orders: int = 0
    deliveries: int = 0
    lost: int = 0

    def __add__(self, other: Actuals) -> Actuals:
        return Actuals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


@dataclass(frozen=True, slots=True)
class Rates:
    """The rates the month review reads, in percent (None when the base is 0)."""

    a_card_rate: int | None  # 留档率: new A cards per visit
    test_drive_rate: int | None  # 试乘试驾率: test drives per visit
    closing_rate: int | None  # 成交率: orders per visit
    delivery_rate: int | None  # 交车率: deliveries per order

    @classmethod
    def of(cls, counts: Actuals) -> Rates:
        return cls(
            a_card_rate=percent(counts.a_cards, counts.visits),
            test_drive_rate=percent(counts.test_drives, counts.visits),
            closing_rate=percent(counts.orders, counts.visits),
            delivery_rate=percent(counts.deliveries, counts.orders),
        )


MEASURE_ORDER = ("visits", "a_cards", "test_drives", "orders", "deliveries", "lost")


def _part(
    measure: str,
    owner: Any,
    model: Any,
    moment: Any,
    *where: Any,
    months: int = 0,
    by_owner: bool = True,
) -> sa.Select:
    """One measure's counts by person in the store and the month's bounds (parameters).

    With `months` (1 or more): by month, store and person over `months` months in the
    stores of the expanding parameter store_ids; the month is its index (0 the first), told
    from the edges edge1… (UTC) or day_edge1… (calendar days) where each next month starts;
    without `by_owner`, by month and store only (the person reads None)."""
    is_day = isinstance(moment.type, sa.Date)
    if is_day:
        bounds = (moment >= sa.bindparam("first_day"), moment <= sa.bindparam("last_day"))
    else:
        bounds = (moment >= sa.bindparam("start"), moment < sa.bindparam("end"))
    columns = [owner.label("owner_id"), sa.literal(measure).label("measure"), sa.func.count()]
    if not months:
        return (
            sa.select(*columns)
            .where(model.store_id == sa.bindparam("store_id"), *bounds, *where)
            .group_by(owner)
        )
    edge = "day_edge" if is_day else "edge"
    group: tuple[Any, ...] = (model.store_id, owner) if by_owner else (model.store_id,)
    if not by_owner:
        columns[0] = sa.null().label("owner_id")
    if months == 1:
        index: Any = sa.literal(0)
    else:
        whens = [(moment < sa.bindparam(f"{edge}{n}"), n - 1) for n in range(1, months)]
        index = sa.case(*whens, else_=months - 1)
        group = (index, *group)
    store = model.store_id.in_(sa.bindparam("store_ids", expanding=True))
    return (
        sa.select(index.label("month_index"), model.store_id.label("store_id"), *columns)
        .where(store, *bounds, *where)
        .group_by(*group)
    )


def _union(
    months: int, only: str | None = None, by_owner: bool = True
) -> sa.CompoundSelect | sa.Select:
    """The six counts, one SELECT each, as one UNION ALL (one round trip), or the one
    measure `only`; see _part."""
    parts = (
        _part(
            "visits",
            Visit.owner_id,
            Visit,
            Visit.day,
            Visit.kind == VisitKind.WALK_IN.value,
            months=months,
            by_owner=by_owner,
        ),
        _part(
            "a_cards",
            CustomerCard.owner_id,
            CustomerCard,
            CustomerCard.created_at,
            months=months,
            by_owner=by_owner,
        ),
        _part(
            "test_drives",
            TestDriveBooking.owner_id,
            TestDriveBooking,
            TestDriveBooking.starts_at,
            TestDriveBooking.status == BookingStatus.DONE.value,
            months=months,
            by_owner=by_owner,
        ),
        _part(
            "orders",
            Contract.owner_id,
            Contract,
            Contract.signed_at,
            Contract.state != ContractState.CANCELLED.value,
            months=months,
            by_owner=by_owner,
        ),
        _part(
            "deliveries",
            Delivery.owner_id,
            Delivery,
            Delivery.completed_at,
            Delivery.state == DeliveryState.COMPLETED.value,
            months=months,
            by_owner=by_owner,
        ),
        _part(
            "lost",
            LostSale.salesperson_id,
            LostSale,
            LostSale.recorded_at,
            months=months,
            by_owner=by_owner,
        ),
    )
    if only is not None:
        return dict(zip(MEASURE_ORDER, parts, strict=True))[only]
    return sa.union_all(*parts)


@cache
def _counts_statement() -> sa.CompoundSelect:
    """The six counts by person and measure, built once per process: building it cost more
    than running it. Parameters: store_id, start and end (UTC), first_day and last_day (the
    Shanghai calendar days)."""
    return _union(0)


@cache
def _store_counts_statement(
    months: int, only: str | None = None, by_owner: bool = True
) -> sa.CompoundSelect | sa.Select:
    """The six counts (or the measure `only`) by month, store, person and measure over
    `months` months in the stores `store_ids` (expanding), for the dashboards and the group's
    roll-up: one scan of the months, not one per month. The bounds as _counts_statement's,
    with the edges."""
    return _union(months, only, by_owner)


def _month_params(month: date) -> dict[str, Any]:
    start, end = local_month_bounds(month)
    return {
        "start": start,
        "end": end,
        "first_day": month,
        "last_day": add_months(month, 1) - timedelta(days=1),
    }


def month_actuals(actor: User, month: date) -> dict[int, Actuals]:
    """The counts of `month` in the actor's own store, by person (user id). The caller
    decides which lines a person may see; the totals (`total`) are the store's."""
    params = _month_params(month.replace(day=1)) | {"store_id": actor.store_id}
    found: dict[int, dict[str, int]] = {}
    for owner_id, measure, n in db.session.connection().execute(_counts_statement(), params):
        if owner_id is not None:
            found.setdefault(owner_id, {})[measure] = int(n)
    return {owner_id: Actuals(**counts) for owner_id, counts in found.items()}


def stores_months_actuals(
    store_ids: Sequence[int],
    first: date,
    months: int,
    only: str | None = None,
    by_owner: bool = True,
) -> list[dict[tuple[int, int | None], Actuals]]:
    """The counts of `months` months from `first` in the stores `store_ids`, a dict by (store
    id, person id) per month; with `only` (a measure's name), that measure alone is counted
    and the others read 0; without `by_owner`, by (store id, None): a store's totals, as a
    group's roll-up reads them (a hundred lines, not thousands). The caller passes the
    stores the acting user reaches (webapp.access decides which)."""
    first = first.replace(day=1)
    out: list[dict[tuple[int, int | None], Actuals]] = [{} for _ in range(months)]
    if not store_ids or months < 1:
        return out
    last = add_months(first, months - 1)
    params = _month_params(first) | {
        "end": _month_params(last)["end"],
        "last_day": _month_params(last)["last_day"],
        "store_ids": list(store_ids),
    }
    for n in range(1, months):
        month = add_months(first, n)
        params[f"edge{n}"] = local_month_bounds(month)[0]
        params[f"day_edge{n}"] = month
    found: list[dict[tuple[int, int | None], dict[str, int]]] = [{} for _ in range(months)]
    statement = _store_counts_statement(months, only, by_owner)
    for index, store_id, owner_id, measure, n in db.session.connection().execute(statement, params):
        found[index].setdefault((store_id, owner_id), {})[measure] = int(n)
    for index, lines in enumerate(found):
        out[index] = {key: Actuals(**counts) for key, counts in lines.items()}
    return out


def stores_month_actuals(
    store_ids: Sequence[int], month: date, by_owner: bool = True
) -> dict[tuple[int, int | None], Actuals]:
    """The counts of `month` in the stores `store_ids`, by (store id, person id), or by (store
    id, None) without `by_owner`."""
    return stores_months_actuals(store_ids, month, 1, by_owner=by_owner)[0]


def total(lines: dict[int, Actuals] | list[Actuals]) -> Actuals:
    """The sum of the lines (the store's total when given every person's)."""
    values = lines.values() if isinstance(lines, dict) else lines
    out = Actuals()
    for line in values:
        out = out + line
    return out
