"""Access policy of the pages after signing: finance's queue and payments, the car allocated,
the delay, the planned contacts of the salesperson's day, and the export for the maker's dealer
system (TACT). Finance sees the store's contracts and alone records payments; the owner or the
manager (and admin) allocate and delay; the greeter sees no contract. Other store: 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from tests.conftest import World
from tests.policies import fresh_cards
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractContact, Memo, MemoVersion
from webapp.timeutil import local_today

OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
ROLES = [
    "anonymous", "greeter", "salesperson", "sales_manager", "service_advisor", "finance",
    "car_keeper", "admin",
]  # fmt: skip
RELATIONS = ("own", "colleague", "other_store")
RECORD_KINDS = ("fin_contract", "fin_contact")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _table(store_wide: tuple[str, ...], owner_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Role first (403: roles without contracts), then scope (404)."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in store_wide:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


# Reading a contract's payments: finance, manager, admin store-wide, the owner their own.
READ = _table(("finance", "sales_manager", "admin"), owner_only=("salesperson",))
# Recording a payment: the scope first (get_contract), then finance alone; a POST with an
# empty form from finance is a 422 (counted as reached, "ok" in the matrix's sense? if the
# matrix wants 422 spelled out, use its word for it).
PAY = {
    **{r: {"own": DENIED, "colleague": DENIED, "other_store": DENIED} for r in ROLES},
    "anonymous": dict.fromkeys(RELATIONS, LOGIN),
    "finance": {"own": OK, "colleague": OK, "other_store": HIDDEN},
}
# Allocation and delay: the owner or the manager/admin; finance reaches the contract and is
# refused (403); the greeter and others 403.
SALES = {
    **_table(("sales_manager", "admin"), owner_only=("salesperson",)),
    "finance": {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN},
}
# A planned contact: the owner, or the manager/admin of the store.
CONTACT = _table(("sales_manager", "admin"), owner_only=("salesperson",))


def _contract(world: World, card: Any, catalogue: dict) -> Contract:
    memo = Memo(store_id=card.store_id, card_id=card.id, owner_id=card.owner_id, latest_number=1)
    db.session.add(memo)
    db.session.flush()
    version = MemoVersion(
        memo_id=memo.id, store_id=card.store_id, number=1, sfx_id=catalogue["sfx"].id,
        colour_id=catalogue["colour"].id, inputs={}, list_price=Decimal(100000),
        discount=Decimal(0), total=Decimal(100000), created_by_id=card.owner_id,
    )  # fmt: skip
    db.session.add(version)
    db.session.flush()
    contract = Contract(
        number=f"P-{card.id}", store_id=card.store_id, card_id=card.id, owner_id=card.owner_id,
        memo_version_id=version.id, model_id=catalogue["model"].id, sfx_id=catalogue["sfx"].id,
        colour_id=catalogue["colour"].id, state="signed", contract_date=local_today(),
        delivery_date=local_today() + timedelta(days=20), total=Decimal(100000),
        deposit_due=Decimal(5000), balance_due=Decimal(95000),
    )  # fmt: skip
    db.session.add(contract)
    db.session.flush()
    return contract


def _build(world: World) -> dict[str, dict[str, Any]]:
    model = VehicleModel(code="FINPOL", name_zh="卡罗拉", name_en="Corolla")
    model.sfx.append(Sfx(code="FIN-P", grade="先锋版", engine="1.5L", msrp=Decimal(100000)))
    model.colours.append(Colour(name_zh="白", name_en="White"))
    db.session.add(model)
    db.session.flush()
    catalogue = {"model": model, "sfx": model.sfx[0], "colour": model.colours[0]}
    cards = fresh_cards(world, "财务")
    built: dict[str, dict[str, Any]] = {}
    for relation, card in cards.items():
        contract = _contract(world, card, catalogue)
        contact = ContractContact(
            store_id=card.store_id, contract_id=contract.id, owner_id=card.owner_id,
            kind="call", due_on=local_today(),
        )  # fmt: skip
        db.session.add(contact)
        db.session.flush()
        built[relation] = {"fin_contract": contract, "fin_contact": contact}
    db.session.commit()
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    if "finance" not in world.extra:
        world.extra["finance"] = _build(world)
    return world.extra["finance"][relation]


def empty(world: World, card: Any) -> dict[str, str]:
    return {}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "negotiation.payments": [
        ("GET", "/negotiation/payments", only("finance", "sales_manager", "admin"), None)
    ],
    "negotiation.contract_payments": [
        ("GET", "/negotiation/contracts/{fin_contract}/payments", READ, None)
    ],
    "negotiation.record_payment": [
        ("POST", "/negotiation/contracts/{fin_contract}/payments", PAY, empty)
    ],
    "negotiation.allocate_vehicle": [
        ("GET", "/negotiation/contracts/{fin_contract}/allocate", SALES, None),
        ("POST", "/negotiation/contracts/{fin_contract}/allocate", SALES, empty),
    ],
    "negotiation.delay_delivery": [
        ("GET", "/negotiation/contracts/{fin_contract}/delay", SALES, None),
        ("POST", "/negotiation/contracts/{fin_contract}/delay", SALES, empty),
    ],
    "negotiation.contact_done": [
        (
            "POST",
            "/negotiation/contacts/{fin_contact}/done",
            CONTACT,
            lambda w, c: {"note": "x" * 301},
        )
    ],
    "negotiation.tact_export": [
        ("GET", "/negotiation/contracts/tact", only("sales_manager", "admin"), None)
    ],
    "negotiation.tact_csv": [
        ("GET", "/negotiation/contracts/tact.csv", only("sales_manager", "admin"), None)
    ],
}
