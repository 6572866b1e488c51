"""Access policy of reception (step ②): arrivals, roster, register, visits, calls, exports."""

from __future__ import annotations

from typing import Any

ROLES = (
    "anonymous",
    "greeter",
    "salesperson",
    "sales_manager",
    "service_advisor",
    "finance",
    "car_keeper",
    "admin",
)
RELATIONS = ("own", "colleague", "other_store")


def only(*roles: str) -> dict[str, str]:
    return {r: "login" if r == "anonymous" else ("ok" if r in roles else "403") for r in ROLES}


ARRIVAL = only("greeter", "sales_manager", "admin")
REGISTER = only("greeter", "salesperson", "sales_manager", "admin")
MANAGER = only("sales_manager", "admin")
# A visit is owned by its salesperson: scope first (404), then role (403).
VISIT = {
    "anonymous": dict.fromkeys(RELATIONS, "login"),
    "greeter": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "salesperson": {"own": "ok", "colleague": "404", "other_store": "404"},
    "sales_manager": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "admin": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "service_advisor": dict.fromkeys(RELATIONS, "404"),
    "finance": dict.fromkeys(RELATIONS, "404"),
    "car_keeper": dict.fromkeys(RELATIONS, "404"),
}
CLOSE = {**VISIT, "greeter": {"own": "403", "colleague": "403", "other_store": "404"}}
# 迎接: the visit's salesperson or the manager stepping in; greeter and admin do not greet.
GREET = {**CLOSE, "admin": {"own": "403", "colleague": "403", "other_store": "404"}}
# The A card's open visit: the card's own rules (scope first, then role).
CARD_VISIT = {
    "anonymous": dict.fromkeys(RELATIONS, "login"),
    "greeter": {"own": "403", "colleague": "403", "other_store": "404"},
    "salesperson": {"own": "ok", "colleague": "404", "other_store": "404"},
    "sales_manager": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "admin": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "service_advisor": dict.fromkeys(RELATIONS, "404"),
    "finance": dict.fromkeys(RELATIONS, "404"),
    "car_keeper": dict.fromkeys(RELATIONS, "404"),
}

RECORD_KINDS = ("visit",)


def records(world: Any, relation: str) -> dict[str, Any]:
    """One open walk-in per relation: the salesperson's, a colleague's, another store's."""
    if "reception_visits" not in world.extra:
        from webapp.extensions import db
        from webapp.reception.models import Visit
        from webapp.timeutil import local_today

        owners = {
            "own": world.users["salesperson"],
            "colleague": world.users["colleague"],
            "other_store": world.users["other_salesperson"],
        }
        built = {}
        for rel, owner in owners.items():
            visit = Visit(
                store_id=owner.store_id,
                day=local_today(),
                owner_id=owner.id,
                name="访客",
                title="mr",
                source="walk_in",
            )
            db.session.add(visit)
            built[rel] = visit
        db.session.commit()
        world.extra["reception_visits"] = built
    return {"visit": world.extra["reception_visits"][relation]}


POLICY = {
    "reception.proposal": [("GET", "/reception/proposal", ARRIVAL, None)],
    "reception.today_side": [("GET", "/reception/today", ARRIVAL, None)],
    "reception.phone_check": [
        ("POST", "/reception/phone-check", ARRIVAL, lambda w, c: {"mobile": "13900000001"})
    ],
    "reception.register_arrival": [
        ("POST", "/reception/arrivals", ARRIVAL, lambda w, c: {"people": "0"})
    ],
    "reception.roster": [
        ("GET", "/reception/roster", MANAGER, None),
        ("POST", "/reception/roster", MANAGER, lambda w, c: {}),
    ],
    "reception.register": [("GET", "/reception/register", REGISTER, None)],
    "reception.register_csv": [("GET", "/reception/register.csv", MANAGER, None)],
    "reception.register_xlsx": [("GET", "/reception/register.xlsx", MANAGER, None)],
    "reception.visit": [("GET", "/reception/visits/{visit}", VISIT, None)],
    "reception.greet": [
        ("POST", "/reception/visits/{visit}/greet", GREET, lambda w, c: {"greeted_at": "x"})
    ],
    "home.greet_arrival": [("POST", "/arrival-banner/{visit}/greet", GREET, None)],
    "reception.drinks": [("POST", "/reception/visits/{visit}/drinks", CLOSE, None)],
    "reception.visit_card": [
        ("GET", "/reception/visits/{visit}/card", CLOSE, None),
        ("POST", "/reception/visits/{visit}/card", CLOSE, lambda w, c: {"mobile": "1"}),
    ],
    "reception.card_visit": [("GET", "/reception/cards/{card}/visit", CARD_VISIT, None)],
    "reception.close_on_card": [
        ("POST", "/reception/visits/{visit}/close-on-card", CLOSE, lambda w, c: {"grade": "Z"})
    ],
    "reception.close": [
        ("POST", "/reception/visits/{visit}/close", CLOSE, lambda w, c: {"grade": "Z"})
    ],
    "reception.new_call": [
        ("GET", "/reception/calls/new", REGISTER, None),
        ("POST", "/reception/calls/new", REGISTER, lambda w, c: {"kind": "x"}),
    ],
}
