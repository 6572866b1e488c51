"""Access policy of the delivery-day pages (step ⑦): the board for the salesperson, the sales
manager (admin), the service advisor and the greeter (no prices on it); the delivery page for
the same roles but the greeter, the salesperson for their own deliveries only; scheduling
and the handover for the contract's salesperson or the manager; the arrival for the greeter,
the salesperson and the manager; the checklists' editor for the admin. Role first (403), then
scope (404)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import World
from tests.policies import fresh_cards
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.delivery.models import Delivery
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractState, Memo, MemoVersion
from webapp.timeutil import local_today, now

OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
ROLES = [
    "anonymous",
    "greeter",
    "salesperson",
    "sales_manager",
    "service_advisor",
    "finance",
    "car_keeper",
    "admin",
]
RELATIONS = ("own", "colleague", "other_store")
RECORD_KINDS = ("delivery", "delivery_contract")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _table(
    store: tuple[str, ...], owner_only: tuple[str, ...] = (), read_only: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`store` roles reach the store's records, `owner_only` their own; `read_only` roles see
    the record (another store's is 404) but may not act on it (403)."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in store:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        elif role in read_only:
            table[role] = {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


MANAGERS = ("sales_manager", "admin")
PAGE = _table((*MANAGERS, "service_advisor"), owner_only=("salesperson",))
ARRIVE = _table((*MANAGERS, "greeter"), owner_only=("salesperson",))
HANDOVER = _table(MANAGERS, owner_only=("salesperson",))
PLAN = _table(MANAGERS, owner_only=("salesperson",), read_only=("finance",))


def _build(world: World) -> dict[str, dict[str, Any]]:
    model = VehicleModel(code="DLVPOL", name_zh="政策交车车", name_en="Policy delivery car")
    model.sfx.append(Sfx(code="DLV-1", grade="标准版", engine="1.5L", msrp=Decimal("100000")))
    model.colours.append(Colour(name_zh="白色", name_en="White"))
    db.session.add(model)
    db.session.flush()
    built: dict[str, dict[str, Any]] = {kind: {} for kind in RECORD_KINDS}
    for n, (relation, card) in enumerate(fresh_cards(world, "交车").items(), start=1):
        card.stage = "ordered"
        memo = Memo(store_id=card.store_id, card_id=card.id, owner_id=card.owner_id)
        db.session.add(memo)
        db.session.flush()
        version = MemoVersion(
            memo_id=memo.id,
            store_id=card.store_id,
            number=1,
            sfx_id=model.sfx[0].id,
            colour_id=model.colours[0].id,
            inputs={},
            list_price=Decimal("100000"),
            discount=Decimal("0"),
            total=Decimal("100000"),
            created_by_id=card.owner_id,
        )
        db.session.add(version)
        db.session.flush()
        contract = Contract(
            number=f"DLV-{n}",
            store_id=card.store_id,
            card_id=card.id,
            owner_id=card.owner_id,
            memo_version_id=version.id,
            model_id=model.id,
            sfx_id=model.sfx[0].id,
            colour_id=model.colours[0].id,
            state=ContractState.BALANCE_PAID.value,
            contract_date=local_today(),
            delivery_date=local_today() + timedelta(days=1),
            total=Decimal("100000"),
            deposit_due=Decimal("5000"),
            balance_due=Decimal("95000"),
        )
        db.session.add(contract)
        db.session.flush()
        delivery = Delivery(
            store_id=card.store_id,
            contract_id=contract.id,
            card_id=card.id,
            owner_id=card.owner_id,
            scheduled_at=now() + timedelta(hours=2),
        )
        db.session.add(delivery)
        built["delivery"][relation] = delivery
        built["delivery_contract"][relation] = contract
    db.session.commit()
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    """The delivery (planned, its contract's balance paid) and its contract in `relation`."""
    if "delivery_day" not in world.extra:
        world.extra["delivery_day"] = _build(world)
    return {kind: world.extra["delivery_day"][kind][relation] for kind in RECORD_KINDS}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "delivery.board": [
        (
            "GET",
            "/delivery/board",
            only("salesperson", *MANAGERS, "service_advisor", "greeter"),
            None,
        )
    ],
    # One day of the board, opened from its folded line: today's (tomorrow's is the same rule).
    "delivery.board_day": [
        (
            "GET",
            "/delivery/board/{today}",
            only("salesperson", *MANAGERS, "service_advisor", "greeter"),
            None,
        )
    ],
    "delivery.delivery": [("GET", "/delivery/{delivery}", PAGE, None)],
    # An item not on the list: 422 for those who may tick, nothing written.
    "delivery.tick": [("POST", "/delivery/{delivery}/tick", PAGE, lambda w, c: {"item": "x"})],
    "delivery.arrived": [("POST", "/delivery/{delivery}/arrived", ARRIVE, lambda w, c: {})],
    # No estimate home: 422 for those who may hand over, nothing written.
    "delivery.complete": [("POST", "/delivery/{delivery}/complete", HANDOVER, lambda w, c: {})],
    "delivery.schedule": [
        ("GET", "/delivery/contracts/{delivery_contract}/schedule", PLAN, None),
        ("POST", "/delivery/contracts/{delivery_contract}/schedule", PLAN, lambda w, c: {}),
    ],
    "delivery.for_contract": [("GET", "/delivery/contracts/{delivery_contract}", PLAN, None)],
    # The three checklists as versioned item lists: admins only. An empty list is refused
    # (422 for the admin), nothing saved.
    "delivery.admin_lists": [("GET", "/delivery/checklists", only("admin"), None)],
    "delivery.admin_list_edit": [
        ("GET", "/delivery/checklists/process/edit", only("admin"), None),
        ("POST", "/delivery/checklists/process/edit", only("admin"), lambda w, c: {"items": ""}),
    ],
}
