"""Access policy of 附表二 活动预订表 and the meetings (夕会, 早会): a salesperson writes and
reads their own schedule and reads the morning meeting; the sales manager and the admin
review every salesperson's schedule of the store, comment, mark cases for discussion and
set the evening hour and the day's plan. Role first (403), then scope (404)."""

from __future__ import annotations

from datetime import time
from types import SimpleNamespace
from typing import Any

from tests.conftest import World
from webapp.extensions import db
from webapp.pdca.schedule_models import ActivitySchedule, MeetingCase, ScheduleLine
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
RECORD_KINDS = ("schedule_line", "meeting_case")
MANAGERS = ("sales_manager", "admin")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def _table(store: tuple[str, ...], owner_only: tuple[str, ...] = ()) -> dict[str, Any]:
    """`store` roles reach the store's records, `owner_only` their own; other staff 403."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in owner_only:
            table[role] = {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN}
        elif role in store:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


# A line is written by its salesperson alone; the manager marks it for discussion.
OWN_LINE = _table((), owner_only=("salesperson",))
STORE_LINE = _table(MANAGERS)


def _build(world: World) -> dict[str, dict[str, Any]]:
    """Per relation: a line of today on the salesperson's schedule (today: removing it is
    refused, so every case leaves it in place) and a card marked for today's meeting."""
    built: dict[str, dict[str, Any]] = {kind: {} for kind in RECORD_KINDS}
    today = local_today()
    for relation, owner, card in (
        ("own", world.users["salesperson"], world.own_card),
        ("colleague", world.users["colleague"], world.colleague_card),
        ("other_store", world.users["other_salesperson"], world.other_store_card),
    ):
        schedule = ActivitySchedule(store_id=owner.store_id, owner_id=owner.id, day=today)
        db.session.add(schedule)
        db.session.flush()
        line = ScheduleLine(
            store_id=owner.store_id,
            owner_id=owner.id,
            schedule_id=schedule.id,
            at=time(23, 59),
            card_id=card.id,
            purpose="call",
        )
        case = MeetingCase(store_id=owner.store_id, owner_id=owner.id, day=today, card_id=card.id)
        db.session.add_all([line, case])
        built["schedule_line"][relation] = line
        built["meeting_case"][relation] = case
    db.session.commit()
    # Ids only: a manager's case takes the card off the list (the row is gone afterwards).
    return {
        kind: {relation: SimpleNamespace(id=row.id) for relation, row in rows.items()}
        for kind, rows in built.items()
    }


def records(world: World, relation: str) -> dict[str, Any]:
    if "pdca_schedule" not in world.extra:
        world.extra["pdca_schedule"] = _build(world)
    return {kind: rows[relation] for kind, rows in world.extra["pdca_schedule"].items()}


# Every POST body breaks a rule: refused with its errors (422, "ok" here), nothing changed;
# only taking a card off the meeting's list has nothing to refuse.
POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    # The manager is sent on to the evening review (303).
    "pdca.schedule": [("GET", "/pdca/schedule", only("salesperson", *MANAGERS), None)],
    "pdca.add_line": [
        ("POST", "/pdca/schedule/lines", only("salesperson"), lambda w, c: {"at": "25:00"})
    ],
    "pdca.take_suggestion": [
        ("POST", "/pdca/schedule/suggestions", only("salesperson"), lambda w, c: {"day": "x"})
    ],
    "pdca.remove_line": [("POST", "/pdca/schedule/lines/{schedule_line}/delete", OWN_LINE, None)],
    "pdca.record_result": [("POST", "/pdca/schedule/lines/{schedule_line}/result", OWN_LINE, None)],
    "pdca.schedule_xlsx": [("GET", "/pdca/schedule.xlsx", only("salesperson", *MANAGERS), None)],
    "pdca.evening": [("GET", "/pdca/evening", only(*MANAGERS), None)],
    "pdca.save_comment": [
        ("POST", "/pdca/evening/comment", only(*MANAGERS), lambda w, c: {"comment": "x"})
    ],
    "pdca.mark_line": [
        (
            "POST",
            "/pdca/evening/lines/{schedule_line}/discuss",
            STORE_LINE,
            lambda w, c: {"discuss": "1"},  # the line has no result: not a failed case
        )
    ],
    "pdca.mark_card": [
        ("POST", "/pdca/evening/cases", only(*MANAGERS), lambda w, c: {"card_id": "0"})
    ],
    "pdca.unmark_card": [("POST", "/pdca/evening/cases/{meeting_case}/delete", STORE_LINE, None)],
    "pdca.save_evening_hour": [
        ("POST", "/pdca/evening/hour", only(*MANAGERS), lambda w, c: {"evening_at": "9"})
    ],
    "pdca.morning": [("GET", "/pdca/morning", only("salesperson", *MANAGERS), None)],
    "pdca.save_day_plan": [
        ("POST", "/pdca/morning/plan", only(*MANAGERS), lambda w, c: {"plan": "\x00"})
    ],
}
