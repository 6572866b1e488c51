"""Access policy of the sync area: the tablet's JSON endpoints and the quarantine pages."""

from __future__ import annotations

from typing import Any

from tests.sync.support import matrix_records

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
PACKET = ("salesperson", "sales_manager", "admin")
# The service advisor works the delivery forms 附表十四/十五 at the car (webapp.delivery.offline).
DELIVERY = ("service_advisor",)


def api(*allowed: str) -> dict[str, str]:
    """JSON endpoints: 401 (never a redirect) without a session, 403 for other roles."""
    return {r: "401" if r == "anonymous" else ("ok" if r in allowed else "403") for r in ROLES}


def pages(*allowed: str) -> dict[str, str]:
    return {r: "login" if r == "anonymous" else ("ok" if r in allowed else "403") for r in ROLES}


# A quarantined entry: scope first (404: a colleague's for a salesperson, another store's),
# then role (403: the greeter sees the store but may not work the packet).
QUARANTINE = {
    "anonymous": dict.fromkeys(RELATIONS, "login"),
    "greeter": {"own": "403", "colleague": "403", "other_store": "404"},
    "salesperson": {"own": "ok", "colleague": "404", "other_store": "404"},
    "sales_manager": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "admin": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "service_advisor": dict.fromkeys(RELATIONS, "404"),
    "finance": dict.fromkeys(RELATIONS, "404"),
    "car_keeper": dict.fromkeys(RELATIONS, "404"),
}
DISCARD = {
    **QUARANTINE,
    "salesperson": {"own": "403", "colleague": "404", "other_store": "404"},
}

RECORD_KINDS = ("quarantine",)


def records(world: Any, relation: str) -> dict[str, Any]:
    return {"quarantine": matrix_records(world)[relation]["quarantine"]}


POLICY = {
    "sync.push": [
        ("POST", "/sync/push", api(*PACKET, *DELIVERY, "greeter"), lambda w, c: {"device": "x"})
    ],
    "sync.blob": [
        ("PUT", "/sync/blobs/" + "0" * 64, api(*PACKET, *DELIVERY), lambda w, c: {"x": "1"})
    ],
    "sync.pull": [("GET", "/sync/pull", api(*PACKET, *DELIVERY), None)],
    # The greeter lists the quarantined entries of the kinds she fixes (her arrivals).
    "sync.quarantine": [("GET", "/sync/quarantine", pages(*PACKET, *DELIVERY, "greeter"), None)],
    "sync.conflicts": [("GET", "/sync/conflicts", pages(*PACKET), None)],
    "sync.quarantined_entry": [
        ("GET", "/sync/quarantine/{quarantine}", QUARANTINE, None),
        ("POST", "/sync/quarantine/{quarantine}", QUARANTINE, lambda w, c: {"value": "x"}),
    ],
    "sync.discard": [
        ("POST", "/sync/quarantine/{quarantine}/discard", DISCARD, lambda w, c: {"reason": ""}),
    ],
}
