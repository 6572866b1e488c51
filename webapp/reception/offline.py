"""The greeter's arrivals registered offline (`reception.arrival`), registered with the sync
protocol by the app factory (see webapp.sync.registry)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.auth.models import Role, User
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.reception.services import arrivals
from webapp.sync.merge import Entry, Rejected
from webapp.sync.registry import EntryKind
from webapp.timeutil import now

# An offline arrival keeps the tablet's time in when it is plausible (not older than this).
ARRIVAL_MAX_AGE = timedelta(hours=12)


def _reception_arrival(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    """The greeter's arrival, registered offline: the same service as the online form
    (validation → Rejected, so the entry is quarantined; the entry UUID on the visit makes a
    replay impossible to double)."""
    # Re-applied from quarantine by a manager, the arrival stays the greeter's who made it.
    greeter = actor if recorder_id == actor.id else db.session.get(User, recorder_id)
    if greeter is None or greeter.store_id != actor.store_id:
        raise Rejected("permission", {"kind": _("Your role does not allow this.")})
    try:
        visit = arrivals.add_arrival(
            greeter,
            dict(entry.payload),
            entry_uuid=entry.id,
            time_in=_arrival_time(entry),
        )
    except ValidationError as error:
        raise Rejected("validation", error.errors) from None
    except (NotFound, PermissionDenied):
        raise Rejected("permission", {"kind": _("Your role does not allow this.")}) from None
    return {"visit_id": visit.id, "salesperson_id": visit.owner_id}


def _arrival_time(entry: Entry) -> datetime | None:
    """The tablet's time of the arrival when plausible (within 12 h, not in the future)."""
    moment = entry.device_time
    current = now()
    if moment is None or not current - ARRIVAL_MAX_AGE <= moment <= current + timedelta(minutes=2):
        return None
    return min(moment, current)


KINDS = (
    EntryKind(
        name="reception.arrival",
        label=_l("Arrival"),
        apply=_reception_arrival,
        roles=arrivals.ARRIVAL_ROLES,
        # The greeter sees and fixes her own arrivals, the manager and admins the store's.
        fix_roles=(Role.GREETER, Role.SALES_MANAGER, Role.ADMIN),
        field_labels={
            "people": _l("Number of people"),
            "salesperson_id": _l("Salesperson"),
            "override_reason": _l("Reason for the override"),
            "title": _l("Title (称谓)"),
            "name": _l("Name"),
            "mobile": _l("Mobile"),
            "source": _l("Source"),
            "model_id": _l("Model of interest"),
            "purpose": _l("Purpose of the visit"),
            "companions": _l("Came with"),
        },
    ),
)
