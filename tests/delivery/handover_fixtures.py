"""Fixtures of the two signed delivery forms' tests (附表十四, 附表十五): deliveries built
straight into the tables on a contract from tests/negotiation's make_contract, the blob store
in a temporary folder, outbox entries and a signature image.

Import the fixtures into a test module: `from tests.delivery.handover_fixtures import …`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.negotiation.conftest import catalogue, make_contract  # noqa: F401
from tests.sync import support as s
from webapp.customers.models import CustomerCard
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import Delivery, DeliveryChecklist
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState
from webapp.timeutil import now


@pytest.fixture
def handover_blobs(app, tmp_path):
    """The blob store in a temporary folder with the tests' key."""
    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    app.config["BLOB_KEY"] = s.TEST_BLOB_KEY
    return tmp_path / "blobs"


@pytest.fixture
def new_delivery(make_contract) -> Callable[..., Delivery]:  # noqa: F811
    """new_delivery(card, at=None, **fields): a delivery of a new balance-paid contract of the
    card, scheduled at `at` (default: in an hour)."""

    def factory(card: CustomerCard, at: datetime | None = None, **fields: Any) -> Delivery:
        contract = make_contract(card, ContractState.BALANCE_PAID)
        delivery = Delivery(
            store_id=card.store_id,
            contract_id=contract.id,
            card_id=card.id,
            owner_id=card.owner_id,
            scheduled_at=at or now() + timedelta(hours=1),
            companions="夫妻二人",
            **fields,
        )
        db.session.add(delivery)
        db.session.commit()
        return delivery

    return factory


@pytest.fixture
def forms(app) -> dict[str, DeliveryChecklist]:
    """The current version of each delivery checklist, by kind."""
    return current_checklists()


@pytest.fixture
def own_delivery(world, new_delivery) -> Delivery:
    return new_delivery(world.own_card)


@pytest.fixture
def other_store_delivery(world, new_delivery) -> Delivery:
    return new_delivery(world.other_store_card)


def tick(
    delivery: Delivery,
    checklist: DeliveryChecklist,
    key: str,
    seq: int,
    done: bool = True,
    **extra: Any,
) -> dict[str, Any]:
    """A `delivery.tick` outbox entry."""
    payload = {
        "delivery_id": delivery.id,
        "kind": extra.pop("kind", checklist.kind),
        "checklist_id": checklist.id,
        "item_key": key,
        "done": done,
    }
    return s.entry("delivery.tick", payload, seq, **extra)


def signature(
    delivery: Delivery, checklist: DeliveryChecklist, sha: str, seq: int, **extra: Any
) -> dict[str, Any]:
    """A `delivery.signature` outbox entry."""
    payload = {
        "delivery_id": delivery.id,
        "form": extra.pop("form", checklist.kind),
        "checklist_id": checklist.id,
        "signature_sha256": sha,
    }
    return s.entry("delivery.signature", payload, seq, **extra)


def required_keys(checklist: DeliveryChecklist) -> list[str]:
    return [i["key"] for i in checklist.items if i.get("required")]


def fresh_id() -> str:
    return str(uuid.uuid4())
