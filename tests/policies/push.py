"""Access policy of the push area: the inbox (each user's own notices) and subscriptions."""

from __future__ import annotations

from typing import Any

from webapp.extensions import db
from webapp.push.services import notify

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


def staff(anonymous: str = "login") -> dict[str, str]:
    """Every member of staff may; anonymous is sent to log in (pages) or gets 401 (JSON)."""
    return {r: anonymous if r == "anonymous" else "ok" for r in ROLES}


# A notice belongs to one person: "own" is the salesperson's. Nobody else learns it exists,
# not even the manager or an admin of the store (404).
NOTICE = {
    role: (
        dict.fromkeys(RELATIONS, "login")
        if role == "anonymous"
        else {
            "own": "ok" if role == "salesperson" else "404",
            "colleague": "404",
            "other_store": "404",
        }
    )
    for role in ROLES
}

RECORD_KINDS = ("notice",)


def records(world: Any, relation: str) -> dict[str, Any]:
    """The salesperson's, the colleague's and the other store's salesperson's notice."""
    notices = world.extra.get("push_notices")
    if notices is None:
        users = world.users
        notices = {}
        for rel, key, store in (
            ("own", "salesperson", world.store_a),
            ("colleague", "colleague", world.store_a),
            ("other_store", "other_salesperson", world.store_b),
        ):
            (row,) = notify(
                [users[key].id], store_id=store.id, kind="arrival", ref_id=1, url="/my-day"
            )
            notices[rel] = row
        db.session.commit()
        world.extra["push_notices"] = notices
    return {"notice": notices[relation]}


POLICY = {
    "push.inbox": [("GET", "/inbox/", staff(), None)],
    "push.count": [("GET", "/inbox/count", staff("401"), None)],
    "push.read": [("POST", "/inbox/{notice}/read", NOTICE, None)],
    "push.read_all": [("POST", "/inbox/read-all", staff(), None)],
    "push.settings": [("GET", "/inbox/settings", staff(), None)],
    "push.save_subscription": [
        ("POST", "/inbox/subscriptions", staff("401"), lambda w, c: {"endpoint": "x"})
    ],
    "push.delete_subscription": [
        ("POST", "/inbox/subscriptions/delete", staff("401"), lambda w, c: {"endpoint": "x"})
    ],
}
