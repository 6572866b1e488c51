"""Helpers of the reception tests: a roster and arrivals in a few lines."""

from __future__ import annotations

from typing import Any

from webapp.auth.models import User
from webapp.reception import services
from webapp.reception.models import Visit


def roster(manager: User, people: list[User], absent: tuple[User, ...] = ()) -> None:
    data: dict[str, Any] = {}
    away = {p.id for p in absent}  # User.__eq__ compares session ids, not rows
    for n, person in enumerate(people, start=1):
        data[f"position-{person.id}"] = str(n)
        if person.id in away:
            data[f"absent-{person.id}"] = "1"
    services.roster.set_roster(manager, data)


def arrive(greeter: User, **fields: Any) -> Visit:
    data = {"people": "2", "title": "mr", "source": "walk_in", **fields}
    return services.arrivals.register_arrival(greeter, data)


def close(actor: User, visit: Visit, **fields: Any) -> Visit:
    data = {"grade": "B", "result": "follow_up", **fields}
    return services.visits.close_visit(actor, visit.id, data)
