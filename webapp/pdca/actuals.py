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

A month is the showroom's (Asia/Shanghai) calendar month. The counts are those of the
acting user's own store (a group admin's too: the group's roll-up is not here), by person: a
salesperson's screens show their own line and the store's total, never a colleague's line
(webapp.pdca.plan decides what is shown).
"""

from __future__ import annotations

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


def _part(measure: str, owner: Any, model: Any, moment: Any, *where: Any) -> sa.Select:
    """One measure's counts by person in the store and the month's bounds (parameters)."""
    if isinstance(moment.type, sa.Date):
        bounds = (moment >= sa.bindparam("first_day"), moment <= sa.bindparam("last_day"))
    else:
        bounds = (moment >= sa.bindparam("start"), moment < sa.bindparam("end"))
    return (
        sa.select(owner.label("owner_id"), sa.literal(measure).label("measure"), sa.func.count())
        .where(model.store_id == sa.bindparam("store_id"), *bounds, *where)
        .group_by(owner)
    )


@cache
def _counts_statement() -> sa.CompoundSelect:
    """One UNION ALL of the six counts by person and measure (one round trip), built once per
    process: building it cost more than running it. Parameters: store_id, start and end
    (UTC), first_day and last_day (the Shanghai calendar days)."""
    return sa.union_all(
        _part("visits", Visit.owner_id, Visit, Visit.day, Visit.kind == VisitKind.WALK_IN.value),
        _part("a_cards", CustomerCard.owner_id, CustomerCard, CustomerCard.created_at),
        _part(
            "test_drives",
            TestDriveBooking.owner_id,
            TestDriveBooking,
            TestDriveBooking.starts_at,
            TestDriveBooking.status == BookingStatus.DONE.value,
        ),
        _part(
            "orders",
            Contract.owner_id,
            Contract,
            Contract.signed_at,
            Contract.state != ContractState.CANCELLED.value,
        ),
        _part(
            "deliveries",
            Delivery.owner_id,
            Delivery,
            Delivery.completed_at,
            Delivery.state == DeliveryState.COMPLETED.value,
        ),
        _part("lost", LostSale.salesperson_id, LostSale, LostSale.recorded_at),
    )


def month_actuals(actor: User, month: date) -> dict[int, Actuals]:
    """The counts of `month` in the actor's own store, by person (user id). The caller
    decides which lines a person may see; the totals (`total`) are the store's."""
    month = month.replace(day=1)
    start, end = local_month_bounds(month)
    params = {
        "store_id": actor.store_id,
        "start": start,
        "end": end,
        "first_day": month,
        "last_day": add_months(month, 1) - timedelta(days=1),
    }
    found: dict[int, dict[str, int]] = {}
    for owner_id, measure, n in db.session.connection().execute(_counts_statement(), params):
        if owner_id is not None:
            found.setdefault(owner_id, {})[measure] = int(n)
    return {owner_id: Actuals(**counts) for owner_id, counts in found.items()}


def total(lines: dict[int, Actuals] | list[Actuals]) -> Actuals:
    """The sum of the lines (the store's total when given every person's)."""
    values = lines.values() if isinstance(lines, dict) else lines
    out = Actuals()
    for line in values:
        out = out + line
    return out
