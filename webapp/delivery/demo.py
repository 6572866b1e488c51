"""Demo data of step ⑦: the deliveries of the demo contracts waiting for their car, made
through the area's own rules: one today with the customer at the door (fully prepared), one
later today half prepared, one tomorrow fully prepared and one tomorrow not started.

Idempotent: a store that has a delivery gets nothing more.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.delivery import services as svc
from webapp.delivery.models import Delivery
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.org.models import Store
from webapp.timeutil import SHANGHAI, now

S = ContractState
# (contract state, hours from now, preparation items ticked: "all", "half" or 0, arrived)
PLAN = (
    (S.BALANCE_PAID, 1, "all", True),
    (S.ALLOCATED, 3, "half", False),
    (S.DEPOSIT_PAID, 24, "all", False),
    (S.SIGNED, 26, 0, False),
)


def _at(hours: float) -> datetime:
    """A local time `hours` ahead, on the quarter hour; under 12 hours it stays today (23:45
    at the latest, unless that has passed), so the demo has deliveries today whatever the
    hour it is loaded."""
    moment = (now() + timedelta(hours=hours)).astimezone(SHANGHAI)
    moment = moment.replace(minute=(moment.minute // 15) * 15, second=0, microsecond=0) + timedelta(
        minutes=15
    )
    last = datetime.combine(now().astimezone(SHANGHAI).date(), time(23, 45), SHANGHAI)
    if hours < 12 and last > now():
        moment = min(moment, last)
    return moment


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(sa.select(Delivery.id).where(Delivery.store_id == store.id).limit(1)):
        return "Delivery demo already present; nothing changed."
    manager, greeter = users.get("manager"), users.get("greeter")
    advisor = users.get("service")
    if manager is None or greeter is None:
        return "No delivery demo: the demo staff are missing."
    made = 0
    for state, hours, ticked, arrived in PLAN:
        contract = db.session.scalar(
            sa.select(Contract)
            .where(Contract.store_id == store.id, Contract.state == state.value)
            .order_by(Contract.id)
            .limit(1)
        )
        if contract is None:
            continue
        owner = db.session.get(User, contract.owner_id)
        local = _at(hours)
        delivery = svc.schedule(
            owner,
            contract.id,
            {"day": f"{local:%Y-%m-%d}", "time": f"{local:%H:%M}"},
            "夫妻二人",
            advisor.id if advisor is not None else None,
        )
        items = svc.preparation_state(delivery).items
        count = len(items) if ticked == "all" else len(items) // 2 if ticked == "half" else 0
        for item in items[:count]:
            svc.tick(owner, delivery.id, item.key, True)
        if arrived and local.date() == now().astimezone(SHANGHAI).date():
            svc.mark_arrived(greeter, delivery.id)  # (not in the day's last minutes: tomorrow)
        made += 1
    return f"Delivery demo: {made} deliveries scheduled."
