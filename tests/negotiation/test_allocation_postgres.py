"""Two contracts allocated the same car at the same moment: one gets it, the other is told
the car is taken. Row locks (SELECT … FOR UPDATE) are PostgreSQL's; SQLite locks the whole
file, so these run there only."""

from __future__ import annotations

import threading
import time

import pytest

from tests.conftest import require_postgres
from tests.negotiation.conftest import make_vehicle
from tests.negotiation.test_contracts import contract_at
from webapp.auth.models import User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.negotiation import contracts
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.stock import services as stock
from webapp.stock.models import Vehicle


def race(app, jobs: list[tuple[int, int]], car_id: int) -> dict[int, str]:
    """Each (user id, contract id) allocates the car in its own thread and session, all
    released at once; the outcome per contract."""
    barrier = threading.Barrier(len(jobs))
    outcomes: dict[int, str] = {}
    original = stock._locked

    def slow_lock(actor, vehicle_id):
        """Widen the race: hold the car's lock a moment before writing."""
        vehicle = original(actor, vehicle_id)
        time.sleep(0.3)
        return vehicle

    def attempt(user_id: int, contract_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, user_id)
                barrier.wait()
                contracts.allocate(actor, contract_id, car_id)
                outcomes[contract_id] = "allocated"
            except ValidationError as exc:
                outcomes[contract_id] = "refused" if "vehicle_id" in exc.errors else repr(exc)
            except Exception as exc:  # reported by the assertion below
                outcomes[contract_id] = repr(exc)
            finally:
                db.session.remove()

    stock._locked = slow_lock
    try:
        threads = [threading.Thread(target=attempt, args=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        stock._locked = original
    return outcomes


@pytest.mark.postgres_only
@pytest.mark.parametrize("who", ["two salespeople", "one manager"])
def test_two_contracts_allocating_one_car_at_once_get_one_allocation(
    app, world, catalogue, make_contract, who
):
    require_postgres()
    assert db.engine.dialect.name == "postgresql"
    first = contract_at(make_contract, catalogue, world.own_card, ContractState.DEPOSIT_PAID)
    second = contract_at(make_contract, catalogue, world.colleague_card, ContractState.DEPOSIT_PAID)
    car_id = make_vehicle(world.store_a, catalogue, 70).id
    if who == "one manager":
        manager = world.users["sales_manager"].id
        jobs = [(manager, first.id), (manager, second.id)]
    else:
        jobs = [(world.users["salesperson"].id, first.id), (world.users["colleague"].id, second.id)]
    ids = (first.id, second.id)
    db.session.commit()

    outcomes = race(app, jobs, car_id)

    assert sorted(outcomes.values()) == ["allocated", "refused"], outcomes
    [winner] = [cid for cid, outcome in outcomes.items() if outcome == "allocated"]
    [loser] = [cid for cid in ids if cid != winner]
    db.session.expire_all()
    car = db.session.get(Vehicle, car_id)
    assert (car.status, car.contract_id) == ("reserved", winner)
    assert db.session.get(Contract, winner).state == ContractState.ALLOCATED.value
    assert db.session.get(Contract, winner).vehicle_id == car_id
    beaten = db.session.get(Contract, loser)
    assert (beaten.state, beaten.vehicle_id) == (ContractState.DEPOSIT_PAID.value, None)
    assert [e.to_state for e in contracts.timeline(beaten)][-1] == "deposit_paid"
