"""Fixtures of step ⑥: the stock's catalogue and cars, and contracts built straight into the
tables at any state (the memo version behind them holds a simple cash quote)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.stock.conftest import Catalogue, catalogue, make_vehicle, vin  # noqa: F401
from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.negotiation.contract_models import (
    Contract,
    ContractEvent,
    ContractState,
    Memo,
    MemoVersion,
)
from webapp.timeutil import local_today, now

# The order of the happy path; a contract "at" a state has passed the ones before it.
PATH = (
    ContractState.DRAFT,
    ContractState.SUBMITTED,
    ContractState.APPROVED,
    ContractState.SIGNED,
    ContractState.DEPOSIT_PAID,
    ContractState.ALLOCATED,
    ContractState.BALANCE_PAID,
    ContractState.DELIVERED,
)

CASH_INPUTS: dict[str, Any] = {
    "list_price": "109800.00",
    "discount": "4000.00",
    "purchase_date": None,  # filled with today
    "new_energy": False,
    "accessories": [],
    "compulsory_insurance": "950.00",
    "commercial_insurance": "3600.00",
    "one_stop_service": True,
    "trade_in_value": "0",
    "deposit": "5000.00",
    "loan": None,
    "fees": {"plate_fee": "500.00", "inspection_fee": "300.00", "service_fee": "1000.00"},
}


def make_version(card: CustomerCard, cat: Catalogue, *, confirmed: bool = True) -> MemoVersion:
    """A confirmed memo version of the card's owner for a Corolla in white."""
    memo = db.session.query(Memo).filter_by(card_id=card.id).one_or_none()
    if memo is None:
        memo = Memo(store_id=card.store_id, card_id=card.id, owner_id=card.owner_id)
        db.session.add(memo)
        db.session.flush()
    memo.latest_number += 1
    inputs = dict(
        CASH_INPUTS,
        purchase_date=local_today().isoformat(),
        sfx_id=cat.corolla_sfx.id,
        colour_id=cat.white.id,
        vehicle={
            "model_zh": cat.corolla.name_zh,
            "model_en": cat.corolla.name_en,
            "sfx_code": cat.corolla_sfx.code,
            "grade": cat.corolla_sfx.grade,
            "engine": cat.corolla_sfx.engine,
            "colour_zh": cat.white.name_zh,
            "colour_en": cat.white.name_en,
        },
    )
    version = MemoVersion(
        memo_id=memo.id,
        store_id=card.store_id,
        number=memo.latest_number,
        sfx_id=cat.corolla_sfx.id,
        colour_id=cat.white.id,
        inputs=inputs,
        list_price=Decimal("109800"),
        discount=Decimal("4000"),
        total=Decimal("120000"),
        delivery_date=local_today() + timedelta(days=20),
        delivery_accepted=True,
        created_by_id=card.owner_id,
        confirmed_at=now() if confirmed else None,
    )
    db.session.add(version)
    db.session.commit()
    return version


@pytest.fixture
def make_contract(catalogue):  # noqa: F811
    """make_contract(card, state=…, vehicle=None): a contract of the card's owner at `state`,
    with a log line per state passed. Money: total 120,000, deposit 5,000, cash."""

    def factory(
        card: CustomerCard, state: ContractState = ContractState.DRAFT, **fields: Any
    ) -> Contract:
        version = make_version(card, catalogue)
        owner = db.session.get(User, card.owner_id)
        values: dict[str, Any] = {
            "number": f"T-{version.id:06d}",
            "store_id": card.store_id,
            "card_id": card.id,
            "owner_id": card.owner_id,
            "memo_version_id": version.id,
            "model_id": catalogue.corolla.id,
            "sfx_id": catalogue.corolla_sfx.id,
            "colour_id": catalogue.white.id,
            "state": state.value,
            "contract_date": local_today(),
            "delivery_date": local_today() + timedelta(days=20),
            "total": Decimal("120000.00"),
            "deposit_due": Decimal("5000.00"),
            "balance_due": Decimal("115000.00"),
        }
        values.update(fields)
        contract = Contract(**values)
        db.session.add(contract)
        db.session.flush()
        previous = ""
        states = PATH[: PATH.index(state) + 1] if state in PATH else (ContractState.DRAFT, state)
        for step in states:
            db.session.add(
                ContractEvent(
                    store_id=card.store_id,
                    contract_id=contract.id,
                    from_state=previous,
                    to_state=step.value,
                    actor_id=owner.id,
                )
            )
            previous = step.value
        db.session.commit()
        return contract

    return factory
