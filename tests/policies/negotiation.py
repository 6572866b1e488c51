"""Access policy of the lost-sale record (附表十三) and the manager's weekly review: the card's
salesperson, the sales manager and the admin record a loss (a salesperson only on their own
cards); only the manager and the admin read the review and comment. Other roles: 403;
another store's card or record: 404."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import World
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.negotiation import memos
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

RECORD_KINDS = ("lost", "memo")


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
MEMO = CARD_LOSS
DECIDE = _role_then_scope(*REVIEW)


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


def _build_memos(world: World) -> dict[str, Any]:
    model = VehicleModel(code="MEMOPOL", name_zh="政策商谈车", name_en="Policy memo car")
    model.sfx.append(Sfx(code="MP-1", grade="标准版", engine="1.5L", msrp=Decimal("100000")))
    model.colours.append(Colour(name_zh="白色", name_en="White"))
    db.session.add(model)
    db.session.commit()
    form = {"sfx_id": str(model.sfx[0].id), "discount": "0", "payment": "cash"}
    cards = {
        "own": world.own_card,
        "colleague": world.colleague_card,
        "other_store": world.other_store_card,
    }
    return {
        relation: memos.save_version(card.owner, card.id, form).memo
        for relation, card in cards.items()
    }


def records(world: World, relation: str) -> dict[str, Any]:
    """The lost sale and the memo standing in `relation` to the acting user (built once)."""
    if "negotiation" not in world.extra:
        world.extra["negotiation"] = _build(world)
    if "memo" not in world.extra:
        world.extra["memo"] = _build_memos(world)
    return {"lost": world.extra["negotiation"][relation], "memo": world.extra["memo"][relation]}


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
    "negotiation.memo_form": [
        ("GET", "/negotiation/cards/{card}/memo", MEMO, None),
        ("POST", "/negotiation/cards/{card}/memo", MEMO, lambda w, c: {"sfx_id": ""}),
    ],
    "negotiation.memo_preview": [
        ("POST", "/negotiation/cards/{card}/memo/preview", MEMO, lambda w, c: {}),
    ],
    "negotiation.memo": [("GET", "/negotiation/memos/{memo}", MEMO, None)],
    "negotiation.memo_version": [("GET", "/negotiation/memos/{memo}/v/1", MEMO, None)],
    "negotiation.memo_confirm": [
        (
            "POST",
            "/negotiation/memos/{memo}/v/1/confirm",
            MEMO,
            lambda w, c: {"questions": "\x00"},
        ),
    ],
    "negotiation.memo_decide": [
        ("POST", "/negotiation/memos/{memo}/v/1/decide", DECIDE, lambda w, c: {}),
    ],
    "negotiation.memo_print": [("GET", "/negotiation/memos/{memo}/v/1/print", MEMO, None)],
    "negotiation.memo_pdf": [("GET", "/negotiation/memos/{memo}/v/1/pdf", MEMO, None)],
    "negotiation.sales_terms": [
        ("GET", "/negotiation/terms", only("admin"), None),
        ("POST", "/negotiation/terms", only("admin"), lambda w, c: {"plate_fee": "-1"}),
    ],
}
