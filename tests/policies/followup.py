"""Access policy of the follow-up pages (step ⑧): a task is worked by its owner (a
salesperson, or a service advisor once the card is handed to service) and by the store's
managers; the service department's list and the first maintenance are the service advisor's
and the managers'. Role first (403), then scope (404)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import World
from tests.policies import fresh_cards
from webapp.extensions import db
from webapp.followup.engine import due_moment
from webapp.followup.models import FollowUpTask
from webapp.timeutil import local_today

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
RECORD_KINDS = ("task", "owner_card")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _table(
    store: tuple[str, ...], owner_only: tuple[str, ...] = (), nothing: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`store` roles reach the store's records, `owner_only` their own, `nothing` roles may
    use the route but own none of these records (404); the other staff 403."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in store:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        elif role in nothing:
            table[role] = dict.fromkeys(RELATIONS, HIDDEN)
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


MANAGERS = ("sales_manager", "admin")
TASK = _table(MANAGERS, owner_only=("salesperson",), nothing=("service_advisor",))
# The thank-you letter (附表十六) is the salesperson's and the managers'.
LETTER = _table(MANAGERS, owner_only=("salesperson",))
HANDOVER = _table((*MANAGERS, "service_advisor"))


def _build(world: World) -> dict[str, dict[str, Any]]:
    built: dict[str, dict[str, Any]] = {kind: {} for kind in RECORD_KINDS}
    for relation, card in fresh_cards(world, "跟踪").items():
        card.stage = "owner"
        card.purchased_on = local_today() - timedelta(days=30)
        db.session.flush()
        task = FollowUpTask(
            store_id=card.store_id,
            card_id=card.id,
            owner_id=card.owner_id,
            kind="thank_you",
            due_at=due_moment(local_today()),
            source=f"policy:{card.id}",
        )
        db.session.add(task)
        built["task"][relation] = task
        built["owner_card"][relation] = card
    db.session.commit()
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    if "followup" not in world.extra:
        world.extra["followup"] = _build(world)
    return {kind: rows[relation] for kind, rows in world.extra["followup"].items()}


# Empty bodies: every POST is refused with its errors (422, "ok" here) and changes nothing.
POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "followup.mine": [
        ("GET", "/followup/", only("salesperson", "service_advisor", *MANAGERS), None)
    ],
    "followup.overdue": [("GET", "/followup/overdue", only("salesperson", *MANAGERS), None)],
    "followup.service": [("GET", "/followup/service", only("service_advisor", *MANAGERS), None)],
    "followup.task": [("GET", "/followup/tasks/{task}?form=complete", TASK, None)],
    "followup.complete": [("POST", "/followup/tasks/{task}/complete", TASK, None)],
    "followup.reschedule": [("POST", "/followup/tasks/{task}/reschedule", TASK, None)],
    "followup.escalate": [("POST", "/followup/tasks/{task}/escalate", TASK, None)],
    # 附表四 月度CR活动计划: a salesperson their own plan, the manager and admin the store's.
    "followup.cr_plan": [("GET", "/followup/cr-plan", only("salesperson", *MANAGERS), None)],
    "followup.cr_plan_save": [
        (
            "POST",
            "/followup/cr-plan",
            only("salesperson", *MANAGERS),
            lambda w, c: {
                "month": "2000-01",
                "owner_id": str(w.users["salesperson"].id),
                "contacts_planned": "x",
            },
        )
    ],
    "followup.cr_plan_xlsx": [
        ("GET", "/followup/cr-plan.xlsx", only("salesperson", *MANAGERS), None)
    ],
    "followup.rules": [("GET", "/followup/rules", only(*MANAGERS), None)],
    "followup.save_rules": [
        ("POST", "/followup/rules", only(*MANAGERS), lambda w, c: {"rows-0-code": ""})
    ],
    "followup.save_settings": [
        (
            "POST",
            "/followup/rules/settings",
            only(*MANAGERS),
            lambda w, c: {"escalate_after_days": "x"},
        )
    ],
    "followup.letters": [("GET", "/followup/letters", only("salesperson", *MANAGERS), None)],
    "followup.letters_xlsx": [
        ("GET", "/followup/letters.xlsx", only("salesperson", *MANAGERS), None)
    ],
    "followup.letter": [("GET", "/followup/tasks/{task}/letter", LETTER, None)],
    "followup.first_maintenance": [
        ("POST", "/followup/cards/{owner_card}/first-maintenance", HANDOVER, None)
    ],
}
