"""Fixtures of the follow-up tests: C cards delivered on a given day, straight into the
tables (a completed delivery of a delivered contract), and store-local clocks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from tests.delivery.jobs_fixtures import catalogue, local, make_contract
from webapp.customers.models import CustomerCard
from webapp.delivery.models import Delivery
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState

__all__ = ["catalogue", "local", "make_contract"]


@pytest.fixture
def delivered(make_contract) -> Callable[..., Delivery]:
    """delivered(card, day, home_eta=None, agreed_call_on=None): the card's car handed over
    at 10:00 store-local on `day`; the card is an owner's (C card) bought that day."""

    def factory(
        card: CustomerCard,
        day: date,
        home_eta: datetime | None = None,
        agreed_call_on: date | None = None,
        **fields: Any,
    ) -> Delivery:
        moment = local(day, 10)
        contract = make_contract(card, ContractState.DELIVERED)
        delivery = Delivery(
            store_id=card.store_id,
            contract_id=contract.id,
            card_id=card.id,
            owner_id=card.owner_id,
            scheduled_at=moment,
            state="completed",
            arrived_at=moment,
            completed_at=moment,
            home_eta=home_eta,
            agreed_call_on=agreed_call_on,
            **fields,
        )
        db.session.add(delivery)
        card.stage = "owner"
        card.purchased_on = day
        db.session.commit()
        return delivery

    return factory
