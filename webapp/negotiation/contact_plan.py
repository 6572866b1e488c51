"""The contact plan of a customer who waits for the car (step ⑥ after signing): a call, the
driver's guide sent, a small gift the day before each holiday until delivery, and the
reminders to ask for the balance; and the planned contacts due on the salesperson's day.

The contract's own moves (signing, allocation, payment, delay, delivery, cancellation) plan and
close these in their transaction, in `negotiation.contracts`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa

from webapp.access import scoped_statement
from webapp.auth.models import User
from webapp.customers.lists import CARD_ROLES
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.negotiation.contract_models import (
    ContactKind,
    Contract,
    ContractContact,
    ContractState,
)
from webapp.negotiation.pricing import ZERO
from webapp.sql import in_codes
from webapp.timeutil import now

# States in which the customer waits for the car (signed, not yet delivered).
WAITING_STATES = tuple(
    s.value
    for s in (
        ContractState.SIGNED,
        ContractState.DEPOSIT_PAID,
        ContractState.ALLOCATED,
        ContractState.BALANCE_PAID,
    )
)

# Holidays on which a waiting customer gets a small gift (month, day, code); the lunar
# holidays by year, as the State Council announces them.
HOLIDAYS: dict[int, tuple[tuple[int, int, str], ...]] = {
    2026: ((1, 1, "new_year"), (2, 17, "spring"), (5, 1, "labour"), (6, 19, "dragon_boat"),
           (9, 25, "mid_autumn"), (10, 1, "national")),
    2027: ((1, 1, "new_year"), (2, 6, "spring"), (5, 1, "labour"), (6, 9, "dragon_boat"),
           (9, 15, "mid_autumn"), (10, 1, "national")),
}  # fmt: skip
CALL_AFTER_DAYS = 3
GUIDE_AFTER_DAYS = 7
GIFT_DAYS_BEFORE = 1  # the gift goes out the day before the holiday


def holidays_between(start: date, end: date) -> list[tuple[date, str]]:
    """The gift holidays from `start` (inclusive) to `end` (inclusive)."""
    days = []
    for year in range(start.year, end.year + 1):
        for month, day, code in HOLIDAYS.get(year, ()):
            when = date(year, month, day)
            if start <= when <= end:
                days.append((when, code))
    return days


def add_contact(contract: Contract, kind: ContactKind, due: date, label: str = "") -> None:
    """Plan one contact of the contract's salesperson (in the caller's transaction)."""
    db.session.add(
        ContractContact(
            store_id=contract.store_id,
            contract=contract,
            owner_id=contract.owner_id,
            kind=kind.value,
            due_on=due,
            label=label,
        )
    )


def plan_contacts(contract: Contract, today: date) -> None:
    """The plan of a customer who waits for the car: a call, the driver's guide sent, a small
    gift on each holiday before the delivery date."""
    add_contact(contract, ContactKind.CALL, today + timedelta(days=CALL_AFTER_DAYS))
    add_contact(contract, ContactKind.DRIVER_GUIDE, today + timedelta(days=GUIDE_AFTER_DAYS))
    plan_holiday_gifts(contract, today)


def plan_holiday_gifts(contract: Contract, today: date) -> None:
    """Holiday gifts for the holidays from today to the delivery date. A gift is planned the
    day before its holiday; open gifts of holidays after the delivery date are dropped (a
    delay moves them), and a holiday that has a gift already (open or sent) gets no other."""
    end = contract.delivery_date or today
    gifts = list(
        db.session.scalars(
            sa.select(ContractContact).where(
                ContractContact.contract_id == contract.id,
                ContractContact.kind == ContactKind.HOLIDAY_GIFT.value,
            )
        )
    ) if contract.id is not None else []  # fmt: skip
    planned: set[date] = set()
    for contact in gifts:
        holiday = contact.due_on + timedelta(days=GIFT_DAYS_BEFORE)
        if contact.done_at is None and holiday > end:
            db.session.delete(contact)
        else:
            planned.add(holiday)
    for day, code in holidays_between(today, end):
        if day not in planned:
            add_contact(
                contract, ContactKind.HOLIDAY_GIFT, day - timedelta(days=GIFT_DAYS_BEFORE), code
            )


def close_contacts(contract: Contract, *kinds: ContactKind) -> None:
    """Mark the contract's open contacts of these kinds done (paid, delivered, cancelled)."""
    db.session.execute(
        sa.update(ContractContact)
        .where(
            ContractContact.contract_id == contract.id,
            ContractContact.done_at.is_(None),
            ContractContact.kind.in_([k.value for k in kinds]),
        )
        .values(done_at=now(), note="")
    )


@dataclass(frozen=True)
class DueContact:
    """A contact of the salesperson's day: what to do, for whom, about which contract."""

    id: int
    kind: str
    label: str
    due_on: date
    contract_id: int
    contract_number: str
    card_id: int
    customer: str
    outstanding: Decimal


def _due_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    return scope(
        sa.select(
            ContractContact.id,
            ContractContact.kind,
            ContractContact.label,
            ContractContact.due_on,
            Contract.id.label("contract_id"),
            Contract.number.label("contract_number"),
            CustomerCard.id.label("card_id"),
            CustomerCard.name.label("customer"),
            (Contract.total - Contract.loan_principal - Contract.paid_total).label("outstanding"),
        )
        .join(Contract, Contract.id == ContractContact.contract_id)
        .join(CustomerCard, CustomerCard.id == Contract.card_id)
        .where(
            ContractContact.owner_id == sa.bindparam("me"),
            ContractContact.done_at.is_(None),
            ContractContact.due_on <= sa.bindparam("day"),
            in_codes(Contract.state, WAITING_STATES),
        )
        .order_by(ContractContact.due_on, ContractContact.id)
        .limit(50)
    )


def due_contacts(actor: User, day: date) -> list[DueContact]:
    """The actor's planned contacts due by `day`, of contracts still waiting for the car (a
    statement built once per process: "my day" shows it on every load)."""
    if not actor.has_role(*CARD_ROLES):
        return []
    stmt, params = scoped_statement(ContractContact, actor, _due_statement)
    rows = db.session.connection().execute(stmt, {**params, "me": actor.id, "day": day})
    return [
        DueContact(**{**row._mapping, "outstanding": max(row.outstanding, ZERO)}) for row in rows
    ]
