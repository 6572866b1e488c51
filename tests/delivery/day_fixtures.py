"""Fixtures of the delivery-day tests: contracts from step ⑥'s fixtures and deliveries
scheduled on them through the service. Import them: `from tests.delivery.day_fixtures import …`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import pytest

from tests.negotiation.conftest import catalogue, make_contract  # noqa: F401
from tests.stock.conftest import make_vehicle
from webapp.auth.models import User
from webapp.delivery import services as svc
from webapp.delivery.models import Delivery
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState
from webapp.timeutil import SHANGHAI, local_today, now


def later(hours: float = 2) -> datetime:
    """A local time `hours` from now, to the minute; within 12 hours either way it stays
    today (23:59 at the latest, 00:00 at the earliest), so a delivery meant for today is today,
    and a time an hour ago is today's, whatever the hour the tests run."""
    moment = (now() + timedelta(hours=hours)).astimezone(SHANGHAI).replace(second=0, microsecond=0)
    if 0 <= hours < 12:
        moment = min(moment, datetime.combine(local_today(), time(23, 59), SHANGHAI))
    elif -12 < hours < 0:
        moment = max(moment, datetime.combine(local_today(), time(0, 0), SHANGHAI))
    return moment


def when(moment: datetime) -> dict[str, str]:
    local = moment.astimezone(SHANGHAI)
    return {"day": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}"}


@pytest.fixture
def make_delivery(world, make_card, make_contract, catalogue):  # noqa: F811
    """make_delivery(owner=salesperson, state=balance_paid, hours=2): a card of the owner, a
    contract at `state` with a car reserved for it, and its delivery scheduled `hours` ahead
    by the owner."""
    serial = iter(range(1, 10_000))

    def factory(
        owner: User | None = None,
        state: ContractState = ContractState.BALANCE_PAID,
        hours: float = 2,
        **fields: Any,
    ) -> Delivery:
        owner = owner or world.users["salesperson"]
        card = make_card(owner, stage="ordered")
        vehicle = make_vehicle(
            owner.store, catalogue, next(serial) + owner.id * 100, status="reserved"
        )
        db.session.flush()
        contract = make_contract(card, state, vehicle_id=vehicle.id, **fields)
        vehicle.contract_id = contract.id
        db.session.commit()
        return svc.schedule(owner, contract.id, when(later(hours)), "夫妻二人", None)

    return factory
