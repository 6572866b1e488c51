"""Access policy of 附表三 月度Hot管理表 and 卡片箱检查: a salesperson reaches their own table,
cards and ticks (and the store's totals), the sales manager and the admin their store's; other
staff are refused (403). A person or card out of reach is 404."""

from __future__ import annotations

from typing import Any

from tests.conftest import World

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
RECORD_KINDS = ("hot_owner",)
MANAGERS = ("sales_manager", "admin")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _reach() -> dict[str, Any]:
    """Role first (403), then reach: a salesperson their own, the managers their store's."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role == "salesperson":
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in MANAGERS:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


REACH = _reach()


def records(world: World, relation: str) -> dict[str, Any]:
    """The salesperson whose Hot table a count opens, in `relation` to the acting user."""
    users = world.users
    owner = {"own": "salesperson", "colleague": "colleague", "other_store": "other_salesperson"}
    return {"hot_owner": users[owner[relation]]}


POLICY = {
    "pdca.hot": [("GET", "/pdca/hot", only("salesperson", *MANAGERS), None)],
    "pdca.hot_cards": [("GET", "/pdca/hot/cards?owner={hot_owner}&list=overdue", REACH, None)],
    "pdca.hot_xlsx": [("GET", "/pdca/hot.xlsx", only("salesperson", *MANAGERS), None)],
    "pdca.audit": [("GET", "/pdca/audit", only("salesperson", *MANAGERS), None)],
    "pdca.audit_progress": [("GET", "/pdca/audit/progress", only("salesperson", *MANAGERS), None)],
    "pdca.audit_findings": [("GET", "/pdca/audit/findings", only("salesperson", *MANAGERS), None)],
    # An over-long finding: 422 for those who reach the card, nothing written.
    "pdca.audit_tick": [
        ("POST", "/pdca/audit/cards/{card}/tick", REACH, lambda w, c: {"finding": "字" * 201})
    ],
}
