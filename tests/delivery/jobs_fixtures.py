"""Fixtures of the scheduled jobs' tests: deliveries built straight into the tables (on a
contract from tests/negotiation's make_contract), preparation ticks and store-local clocks.

Import the fixtures into a test module: `from tests.delivery.jobs_fixtures import …`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest

from tests.negotiation.conftest import catalogue, make_contract  # noqa: F401
from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import ChecklistKind, Delivery, DeliveryEntry
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState
from webapp.timeutil import SHANGHAI


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A store-local (Asia/Shanghai) wall-clock time as aware UTC."""
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


@pytest.fixture
def make_delivery(make_contract) -> Callable[..., Delivery]:  # noqa: F811
    """make_delivery(card, at, service_advisor=None, state="planned"): a delivery of a new
    balance-paid contract of the card, scheduled at `at` (aware)."""

    def factory(
        card: CustomerCard,
        at: datetime,
        service_advisor: User | None = None,
        **fields: Any,
    ) -> Delivery:
        contract = make_contract(card, ContractState.BALANCE_PAID)
        delivery = Delivery(
            store_id=card.store_id,
            contract_id=contract.id,
            card_id=card.id,
            owner_id=card.owner_id,
            service_advisor_id=service_advisor.id if service_advisor else None,
            scheduled_at=at,
            **fields,
        )
        db.session.add(delivery)
        db.session.commit()
        return delivery

    return factory


def tick(delivery: Delivery, key: str, by: User, done: bool = True) -> DeliveryEntry:
    """Record a tick (or untick) of a preparation item against the current list."""
    checklist = current_checklists()[ChecklistKind.PREPARATION.value]
    entry = DeliveryEntry(
        store_id=delivery.store_id,
        delivery_id=delivery.id,
        kind=ChecklistKind.PREPARATION.value,
        checklist_id=checklist.id,
        item_key=key,
        done=done,
        entry_uuid=str(uuid.uuid4()),
        recorded_by_id=by.id,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def before_keys() -> list[str]:
    """The required "before the day" items of the current preparation list."""
    items = current_checklists()[ChecklistKind.PREPARATION.value].items
    return [i["key"] for i in items if i["part"] == "before" and i.get("required", True)]
