"""Access policy of sensitive records: licence copies, signatures, consent withdrawal."""

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

# Owned by the booking's salesperson: scope first (404), then role (403 for the greeter).
SENSITIVE = {
    "anonymous": dict.fromkeys(RELATIONS, "login"),
    "greeter": {"own": "403", "colleague": "403", "other_store": "404"},
    "salesperson": {"own": "ok", "colleague": "404", "other_store": "404"},
    "sales_manager": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "admin": {"own": "ok", "colleague": "ok", "other_store": "404"},
    "service_advisor": dict.fromkeys(RELATIONS, "404"),
    "finance": dict.fromkeys(RELATIONS, "404"),
    "car_keeper": dict.fromkeys(RELATIONS, "404"),
}
# A consent row has no owner column: the store sees it, so other roles meet the role check.
CONSENT = {
    **SENSITIVE,
    "service_advisor": {"own": "403", "colleague": "403", "other_store": "404"},
    "finance": {"own": "403", "colleague": "403", "other_store": "404"},
    "car_keeper": {"own": "403", "colleague": "403", "other_store": "404"},
}
EVERYONE = {r: "login" if r == "anonymous" else "ok" for r in ROLES}

RECORD_KINDS = ("licence_check", "signed_document", "consent")


def records(world: Any, relation: str) -> dict[str, Any]:
    built = matrix_records(world)[relation]
    return {kind: built[kind] for kind in RECORD_KINDS}


# Withdrawal deletes the licence copy: it comes after the views.
POLICY = {
    "privacy.licence": [("GET", "/privacy/licence/{licence_check}", SENSITIVE, None)],
    "privacy.licence_image": [("GET", "/privacy/licence/{licence_check}/image", SENSITIVE, None)],
    "privacy.signature": [("GET", "/privacy/signature/{signed_document}", SENSITIVE, None)],
    "privacy.signature_image": [
        ("GET", "/privacy/signature/{signed_document}/image", SENSITIVE, None)
    ],
    "privacy.reauth": [
        ("GET", "/privacy/reauth", EVERYONE, None),
        ("POST", "/privacy/reauth", EVERYONE, lambda w, c: {"password": "wrong"}),
    ],
    "privacy.withdraw": [("POST", "/privacy/consent/{consent}/withdraw", CONSENT, None)],
}
