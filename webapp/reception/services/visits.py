"""Visits and calls of step ②: closing a visit (time out, stay, result, grade and next step
complete the register row and the A card together) and logging a phone call in or out,
closed at once with its outcome.

Every use case takes the acting user, checks role and scope through webapp.access,
validates everything before it writes, and commits once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _

from webapp.access import get_scoped, require_role
from webapp.auth.models import Role, User
from webapp.customers import card as card_writes
from webapp.customers import services as cards
from webapp.customers.models import Grade
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import text_errors
from webapp.labels import label
from webapp.reception.models import Assignment, Visit, VisitKind, VisitResult
from webapp.reception.services.arrivals import ARRIVAL_ROLES, MAX_REASON
from webapp.reception.services.customer import (
    customer_fields,
    find_by_phone,
    int_field,
    name_needed,
    new_card,
)
from webapp.reception.services.register import REGISTER_ROLES
from webapp.reception.services.roster import ROSTER_ROLES, salesperson_on_duty
from webapp.timeutil import SHANGHAI, local_today, now

CLOSE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
MAX_NOTES = 2000


def get_visit(actor: User, visit_id: int) -> Visit:
    """One row of the register in the actor's scope. Raises NotFound / PermissionDenied."""
    visit = get_scoped(Visit, visit_id, actor)
    require_role(actor, *REGISTER_ROLES)
    return visit


def _outcome(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    grade = data.get("grade") or ""
    if grade not in {g.value for g in Grade}:
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    out["grade"] = grade
    result = data.get("result") or ""
    if result not in {r.value for r in VisitResult}:
        errors["result"] = _("Choose how the visit ended.")
    out["result"] = result
    next_step = str(data.get("next_step") or "").strip()
    if len(next_step) > MAX_REASON:
        errors["next_step"] = _("At most %(n)d characters.", n=MAX_REASON)
    out["next_step"] = next_step
    out["test_drive"] = str(data.get("test_drive") or "") in ("1", "on", "true", "yes", "True")
    errors.update(text_errors(data, ("grade", "result", "next_step")))
    return out


def close_visit(actor: User, visit_id: int, data: dict[str, Any]) -> Visit:
    """The customer leaves: time out, stay length, result, grade and next step complete the
    register row AND the A card (a `visit` contact with the grade, which sets the next
    follow-up) in one commit. A visit without a card gets one now when a mobile is given.

    Raises NotFound, PermissionDenied, ValidationError (bad field, or already closed:
    nothing changes).
    """
    visit = get_visit(actor, visit_id)
    require_role(actor, *CLOSE_ROLES)
    if not visit.is_open:
        raise ValidationError(
            {
                "visit": _(
                    "This visit was already closed at %(time)s. Nothing was changed.",
                    time=visit.time_out.astimezone(SHANGHAI).strftime("%H:%M"),  # type: ignore[union-attr]
                )
            }
        )
    errors: dict[str, str] = {}
    outcome = _outcome(data, errors)
    fields: dict[str, Any] | None = None
    if visit.card_id is None and (data.get("mobile") or "").strip():
        fields = customer_fields({**_visit_defaults(visit), **_present(data)}, errors)
        existing = find_by_phone(actor, fields["mobile"]) if not errors.get("mobile") else None
        if existing is not None:
            fields = None
            visit.card = existing
            visit.repeat = True
        elif not fields["name"]:
            errors["name"] = name_needed()
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    if fields is not None:
        visit.card = new_card(actor, visit.owner_id, fields)
        visit.mobile, visit.name = fields["mobile"], fields["name"]
    _apply_outcome(actor, visit, outcome, now())
    db.session.commit()
    return visit


def _present(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v not in (None, "")}


def _visit_defaults(visit: Visit) -> dict[str, Any]:
    return {
        "name": visit.name,
        "title": visit.title,
        "source": visit.source or "walk_in",
        "model_id": visit.model_id,
    }


def _apply_outcome(actor: User, visit: Visit, outcome: dict[str, Any], moment: datetime) -> None:
    """Fill the register row and, when linked, the A card (grade, last contact, next due)."""
    visit.time_out = moment
    visit.grade = outcome["grade"]
    visit.result = outcome["result"]
    visit.next_step = outcome["next_step"]
    visit.test_drive = outcome["test_drive"]
    visit.closed_by_id = actor.id
    card = visit.card
    if card is None:
        return
    kind = "visit" if visit.kind == VisitKind.WALK_IN.value else visit.kind
    note = _("%(minutes)d min · %(result)s", minutes=visit.stay_minutes(), result=_result(visit))
    if visit.next_step:
        note += " · " + visit.next_step
    rules = cards.grade_rules(card.store_id)
    card_writes.change_grade(card, outcome["grade"], actor.id, rules)
    card_writes.contact_made(card, moment, rules)
    if visit.model_id and card.model_id is None:
        card.model_id = visit.model_id
    card_writes.record_event(
        card,
        actor.id,
        kind,
        note=note,
        data={"visit_id": visit.id, "result": visit.result, "test_drive": visit.test_drive},
    )


def _result(visit: Visit) -> str:
    return label("result", visit.result) if visit.result else ""


def log_call(actor: User, data: dict[str, Any]) -> Visit:
    """A phone call in or out, in the same register, closed at once with its outcome.

    `kind` phone_in / phone_out, `minutes` (length of the call), the customer fields as for an
    arrival, `prep_notes` (5W2H, for outgoing calls), grade, result, next step. A salesperson
    logs their own calls; greeter, manager and admin choose the salesperson.

    Raises PermissionDenied, ValidationError (nothing saved).
    """
    require_role(actor, *REGISTER_ROLES)
    errors: dict[str, str] = {}
    kind = data.get("kind") or ""
    if kind not in (VisitKind.PHONE_IN.value, VisitKind.PHONE_OUT.value):
        errors["kind"] = _("Choose an incoming or outgoing call.")
    fields = customer_fields({"source": "phone_in", **_present(data)}, errors)
    if not fields["mobile"] and "mobile" not in errors:
        errors["mobile"] = _("Enter a mobile number.")
    outcome = _outcome(data, errors)
    minutes = int_field(data, "minutes")
    if minutes is None:
        minutes = 0
    if not 0 <= minutes <= 240:
        errors["minutes"] = _("Enter the length of the call in minutes (0 to 240).")
    notes = str(data.get("prep_notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["prep_notes"] = _("At most %(n)d characters.", n=MAX_NOTES)
    if actor.has_role(Role.GREETER, Role.SALES_MANAGER, Role.ADMIN):
        owner_id = int_field(data, "salesperson_id") or (
            actor.id if actor.has_role(Role.SALESPERSON) else None
        )
        if owner_id is None or not salesperson_on_duty(actor.store_id, owner_id):
            errors["salesperson_id"] = _("Choose a salesperson of this store.")
    else:
        owner_id = actor.id
    card = find_by_phone(actor, fields["mobile"]) if fields["mobile"] else None
    foreign = card is not None and owner_id is not None and card.owner_id != owner_id
    if foreign and actor.has_role(Role.SALESPERSON) and not actor.has_role(*ROSTER_ROLES):
        errors["mobile"] = _(
            "This mobile number is already on a card in this store (salesperson: %(name)s).",
            name=card.owner.display_name,
        )
    if card is None and fields["mobile"] and not fields["name"] and "mobile" not in errors:
        errors["name"] = name_needed()
    shown = ("kind", "minutes", "prep_notes")
    if actor.has_role(*ARRIVAL_ROLES):  # they choose the salesperson on the form
        shown += ("salesperson_id",)
    errors.update(text_errors(data, shown))
    if errors:
        raise ValidationError(errors)
    assert owner_id is not None
    moment = now()
    repeat = card is not None
    if card is None:
        card = new_card(actor, owner_id, fields)
    visit = Visit(
        store_id=actor.store_id,
        day=local_today(),
        kind=kind,
        time_in=moment - timedelta(minutes=minutes),
        people=1,
        repeat=repeat,
        card=card,
        owner_id=owner_id,
        name=fields["name"] or card.name,
        title=fields["title"],
        mobile=fields["mobile"],
        model_id=fields["model_id"],
        source=fields["source"],
        assignment=Assignment.DIRECT.value,
        prep_notes=notes,
        registered_by_id=actor.id,
    )
    db.session.add(visit)
    db.session.flush()
    _apply_outcome(actor, visit, outcome, moment)
    db.session.commit()
    return visit
