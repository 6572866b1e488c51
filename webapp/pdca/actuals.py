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

A month is the showroom's (Asia/Shanghai) calendar month. The counts are the store's, by
person: a salesperson's screens show their own line and the store's total, never a
colleague's line (webapp.pdca.plan decides what is shown).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

import sqlalchemy as sa

from webapp.access import store_clause
from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
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


def share(part: int, whole: int) -> int | None:
    """part / whole as a whole percentage rounded half up; None when the whole is 0."""
    if whole <= 0:
        return None
    return (part * 200 + whole) // (whole * 2)


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
            a_card_rate=share(counts.a_cards, counts.visits),
            test_drive_rate=share(counts.test_drives, counts.visits),
            closing_rate=share(counts.orders, counts.visits),
            delivery_rate=share(counts.deliveries, counts.orders),
        )


MEASURE_ORDER = ("visits", "a_cards", "test_drives", "orders", "deliveries", "lost")


def _counts_statement(actor: User, month: date) -> sa.CompoundSelect:
    """One UNION ALL of the six counts by person and measure, each scoped to the actor's
    store (one round trip)."""
    start, end = local_month_bounds(month)
    first, last = month, add_months(month, 1) - timedelta(days=1)

    def part(measure: str, owner: sa.ColumnElement, model: type, *where: sa.ColumnElement):
        return (
            sa.select(
                owner.label("owner_id"),
                sa.literal(measure).label("measure"),
                sa.func.count().label("n"),
            )
            .where(store_clause(model, actor), *where)
            .group_by(owner)
        )

    return sa.union_all(
        part(
            "visits",
            Visit.owner_id,
            Visit,
            Visit.day >= first,
            Visit.day <= last,
            Visit.kind == VisitKind.WALK_IN.value,
        ),
        part(
            "a_cards",
            CustomerCard.owner_id,
            CustomerCard,
            CustomerCard.created_at >= start,
            CustomerCard.created_at < end,
        ),
        part(
            "test_drives",
            TestDriveBooking.owner_id,
            TestDriveBooking,
            TestDriveBooking.status == BookingStatus.DONE.value,
            TestDriveBooking.starts_at >= start,
            TestDriveBooking.starts_at < end,
        ),
        part(
            "orders",
            Contract.owner_id,
            Contract,
            Contract.signed_at >= start,
            Contract.signed_at < end,
            Contract.state != ContractState.CANCELLED.value,
        ),
        part(
            "deliveries",
            Delivery.owner_id,
            Delivery,
            Delivery.state == DeliveryState.COMPLETED.value,
            Delivery.completed_at >= start,
            Delivery.completed_at < end,
        ),
        part(
            "lost",
            LostSale.salesperson_id,
            LostSale,
            LostSale.recorded_at >= start,
            LostSale.recorded_at < end,
        ),
    )


def month_actuals(actor: User, month: date) -> dict[int, Actuals]:
    """The counts of `month` in the actor's store, by person (user id). The caller decides
    which lines a person may see; the totals (`total`) are the store's."""
    found: dict[int, dict[str, int]] = {}
    for owner_id, measure, n in db.session.execute(_counts_statement(actor, month.replace(day=1))):
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
