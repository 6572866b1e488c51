"""Access policy of the lost-sale record (附表十三) and the manager's weekly review: the card's
salesperson, the sales manager and the admin record a loss (a salesperson only on their own
cards); only the manager and the admin read the review and comment. Other roles: 403;
another store's card or record: 404."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from webapp.extensions import db
from webapp.negotiation.models import LostSale

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
REVIEW = ("sales_manager", "admin")

RECORD_KINDS = ("lost",)


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _role_then_scope(*roles: str, owner_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """Role first (403), then the store (404); `owner_only` roles reach their own records."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in roles:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


CARD_LOSS = _role_then_scope("sales_manager", "admin", owner_only=("salesperson",))


def _build(world: World) -> dict[str, LostSale]:
    cards = {
        "own": world.own_card,
        "colleague": world.colleague_card,
        "other_store": world.other_store_card,
    }
    built = {}
    for relation, card in cards.items():
        record = LostSale(
            store_id=card.store_id,
            card_id=card.id,
            competitor_brand="本田",
            reasons=["price"],
            stage_reached="quotation",
            salesperson_id=card.owner_id,
            recorded_by_id=card.owner_id,
        )
        db.session.add(record)
        built[relation] = record
    db.session.commit()
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    """The lost sale standing in `relation` to the acting user (built once)."""
    if "negotiation" not in world.extra:
        world.extra["negotiation"] = _build(world)
    return {"lost": world.extra["negotiation"][relation]}


def bad_loss(world: World, card: Any) -> dict[str, str]:
    return {"competitor_brand": ""}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "negotiation.lost_sale": [
        ("GET", "/negotiation/cards/{card}/lost", CARD_LOSS, None),
        ("POST", "/negotiation/cards/{card}/lost", CARD_LOSS, bad_loss),
    ],
    "negotiation.review": [("GET", "/negotiation/lost", only(*REVIEW), None)],
    "negotiation.comment": [
        ("POST", "/negotiation/lost/{lost}/comment", _role_then_scope(*REVIEW), lambda w, c: {})
    ],
}
