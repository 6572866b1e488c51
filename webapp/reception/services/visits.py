"""Visits and calls of step ②: the salesperson's arrival banner and greeting at the door
(迎接, which measures the customer's wait), the A card opened from the visit, the drinks
offered while seated, closing a visit (time out, stay, result, grade and next step complete
the register row and the A card together; a test drive the booking or packet of that day
knows is taken from there) and logging a phone call in or out, closed at once with its
outcome.

Every use case takes the acting user, checks role and scope through webapp.access,
validates everything before it writes, and commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped_statement
from webapp.auth.models import Role, User
from webapp.customers import card as card_writes
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard, Grade
from webapp.errors import PermissionDenied, ValidationError
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
from webapp.testdrive.models import BookingStatus, TestDriveBooking, TestDriveEntry
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today, now

CLOSE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
MAX_INFLUENCER = 100  # Visit.influencer
# Who greets at the door: the visit's salesperson, or the manager who steps in for them.
GREET_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER)
MAX_NOTES = 2000
BANNER_LIMIT = 6
CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
# Packet entries that only exist once the customer is in the car.
DRIVE_ENTRY_KINDS = ("ride", "swap", "drive", "feedback")


def get_visit(actor: User, visit_id: int) -> Visit:
    """One row of the register in the actor's scope. Raises NotFound / PermissionDenied."""
    visit = get_scoped(Visit, visit_id, actor)
    require_role(actor, *REGISTER_ROLES)
    return visit


def _open_walk_in(visit: Visit, field: str) -> None:
    """Raise ValidationError on `field` unless the visit is a walk-in still in the showroom."""
    if visit.kind != VisitKind.WALK_IN.value:
        raise ValidationError({field: _("Only a customer who walked in is greeted at the door.")})
    if not visit.is_open:
        raise ValidationError(
            {
                field: _(
                    "This visit was closed at %(time)s. Nothing was changed.",
                    time=visit.out_hm,
                )
            }
        )


def _greeting_time(visit: Visit, raw: str, errors: dict[str, str]) -> datetime | None:
    """A corrected greeting time `HH:MM` on the visit's day (Shanghai), checked against the
    arrival (to the minute: the clock shows no seconds) and the present."""
    match = CLOCK.match(raw.strip())
    if match is None:
        errors["greeted_at"] = _("Enter the time as HH:MM, e.g. 10:05.")
        return None
    local = datetime.combine(visit.day, time(int(match[1]), int(match[2])), tzinfo=SHANGHAI)
    arrived = visit.time_in.astimezone(SHANGHAI).replace(second=0, microsecond=0)
    if local < arrived:
        errors["greeted_at"] = _(
            "The greeting cannot be before the arrival (%(time)s).", time=visit.in_hm
        )
        return None
    if local > now():
        errors["greeted_at"] = _("The greeting cannot be in the future.")
        return None
    return max(local, visit.time_in)


def greet(actor: User, visit_id: int, data: dict[str, Any] | None = None) -> Visit:
    """迎接: the salesperson greets the customer at the door; the greeting time and who
    greeted are recorded, which ends (and measures) the customer's wait.

    Greeting again is harmless: the first greeting is kept. `greeted_at` (`HH:MM`, the
    showroom's clock) corrects the time instead, when the tap came late; it must lie between
    the arrival and now.

    Raises NotFound (not in the actor's scope: another salesperson's visit), PermissionDenied
    (a role that does not greet, or a salesperson who is not the visit's), ValidationError
    (a call, a closed visit, a bad time: nothing changes).
    """
    visit = get_visit(actor, visit_id)
    require_role(actor, *GREET_ROLES)
    if visit.owner_id != actor.id and not actor.has_role(Role.SALES_MANAGER):
        raise PermissionDenied()
    _open_walk_in(visit, "greeted_at")
    data = data or {}
    errors = text_errors(data, ("greeted_at",))
    raw = str(data.get("greeted_at") or "").strip()
    moment = _greeting_time(visit, raw, errors) if raw and not errors else None
    if errors:
        raise ValidationError(errors)
    if moment is None and visit.greeted_at is not None:
        return visit
    visit.greeted_at = moment or now()
    if visit.greeted_by_id is None:
        visit.greeted_by_id = actor.id
    db.session.commit()
    return visit


def offer_drinks(actor: User, visit_id: int, offered: bool) -> Visit:
    """Seated, the customer was offered drinks (the standard: at least three kinds).

    Raises NotFound, PermissionDenied, ValidationError (a call, or a closed visit).
    """
    visit = get_visit(actor, visit_id)
    require_role(actor, *CLOSE_ROLES)
    _open_walk_in(visit, "drinks_offered")
    visit.drinks_offered = offered
    db.session.commit()
    return visit


def _arrivals_statement(scope: Any) -> sa.Select:
    """Today's walk-ins of one salesperson still in the showroom: the not yet greeted first
    (oldest first), then those being served."""
    return scope(
        sa.select(Visit)
        .options(sa.orm.lazyload(Visit.owner))
        .where(
            Visit.owner_id == sa.bindparam("me"),
            Visit.day == sa.bindparam("day"),
            Visit.time_out.is_(None),
            Visit.kind == VisitKind.WALK_IN.value,
        )
        .order_by(Visit.greeted_at.is_not(None), Visit.time_in, Visit.id)
        .limit(BANNER_LIMIT)
    )


def my_arrivals(actor: User) -> list[Visit]:
    """The actor's own customers in the showroom today (the arrival banner): waiting to be
    greeted first, then those being served. Never raises; empty for roles without visits."""
    if not actor.has_role(*GREET_ROLES):
        return []
    stmt, params = scoped_statement(Visit, actor, _arrivals_statement)
    return list(db.session.scalars(stmt, {**params, "me": actor.id, "day": local_today()}))


def banner_signature(arrivals: list[Visit], at: datetime | None = None) -> str:
    """What the banner shows, in short: the poll answers "nothing new" while it stays the
    same (the waiting minutes are part of it)."""
    at = at or now()
    return (
        "-".join(f"{v.id}{'g' if v.greeted_at else 'w'}{v.wait_minutes(at) or 0}" for v in arrivals)
        or "none"
    )


def open_visit_of_card(actor: User, card_id: int) -> Visit | None:
    """The card's visit still open today, in the actor's scope, or None (the A card page
    shows it with its closing form). Raises NotFound / PermissionDenied for the card."""
    card = cards.get_card(actor, card_id)
    stmt = (
        sa.select(Visit)
        .where(
            Visit.card_id == card.id,
            Visit.store_id == card.store_id,
            Visit.day == local_today(),
            Visit.time_out.is_(None),
        )
        .order_by(Visit.time_in.desc(), Visit.id.desc())
        .limit(1)
    )
    visit = db.session.scalar(stmt)
    if visit is None:
        return None
    return get_scoped(Visit, visit.id, actor)


@dataclass(frozen=True)
class DriveFact:
    """What the test-drive area knows of the visit's day: the card's booking, and whether
    the customer was in the car (the booking started or finished, or the packet has ride,
    drive or feedback entries)."""

    booking: TestDriveBooking
    taken: bool


def test_drive_fact(visit: Visit) -> DriveFact | None:
    """The card's test drive on the visit's day (a taken one first), or None when there is
    no card or no booking that day. Read only."""
    card_id = visit.card.id if visit.card is not None else visit.card_id
    if card_id is None:
        return None
    start, end = local_day_bounds(visit.day)
    bookings = list(
        db.session.scalars(
            sa.select(TestDriveBooking)
            .where(
                TestDriveBooking.card_id == card_id,
                TestDriveBooking.store_id == visit.store_id,
                TestDriveBooking.starts_at >= start,
                TestDriveBooking.starts_at < end,
                TestDriveBooking.status != BookingStatus.CANCELLED.value,
            )
            .order_by(TestDriveBooking.starts_at, TestDriveBooking.id)
        )
    )
    if not bookings:
        return None
    in_car = set(
        db.session.scalars(
            sa.select(TestDriveEntry.booking_id).where(
                TestDriveEntry.booking_id.in_([b.id for b in bookings]),
                TestDriveEntry.kind.in_(DRIVE_ENTRY_KINDS),
            )
        )
    )
    started = {BookingStatus.IN_PROGRESS.value, BookingStatus.DONE.value}
    for booking in bookings:
        if booking.status in started or booking.id in in_car:
            return DriveFact(booking=booking, taken=True)
    return DriveFact(booking=bookings[0], taken=False)


def card_values(visit: Visit) -> dict[str, Any]:
    """The new A card form, filled from the visit (the greeter's entries)."""
    return {
        "name": visit.name,
        "title": visit.title,
        "mobile": visit.mobile,
        "source": visit.source or "walk_in",
        "model_id": visit.model_id or "",
        "payment": "undecided",
        "grade": "",
        "owner_id": visit.owner_id,
    }


def open_card(actor: User, visit_id: int, data: dict[str, Any]) -> CustomerCard:
    """A new A card from the visit's customer, owned by the visit's salesperson, and the
    visit linked to it (so closing the visit completes that card).

    Raises NotFound, PermissionDenied, ValidationError (bad field, a mobile already on a card
    with `duplicate_id`, or the visit has a card already: nothing saved).
    """
    visit = get_visit(actor, visit_id)
    require_role(actor, *cards.CARD_ROLES)
    if visit.card_id is not None:
        raise ValidationError({"visit": _("This visit already has an A card.")})
    card = cards.create_card(actor, {**data, "owner_id": visit.owner_id})
    visit = get_visit(actor, visit_id)
    visit.card_id = card.id
    if not visit.mobile:
        visit.mobile = card.mobile
    if not visit.name:
        visit.name = card.name
    db.session.commit()
    return card


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
    influencer = str(data.get("influencer") or "").strip()
    if len(influencer) > MAX_INFLUENCER:
        errors["influencer"] = _("At most %(n)d characters.", n=MAX_INFLUENCER)
    out["influencer"] = influencer
    out["test_drive"] = str(data.get("test_drive") or "") in ("1", "on", "true", "yes", "True")
    errors.update(text_errors(data, ("grade", "result", "next_step", "influencer")))
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
    fact = test_drive_fact(visit)
    if fact is not None and fact.taken:
        outcome["test_drive"] = True
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
    if outcome["influencer"]:
        visit.influencer = outcome["influencer"]
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
    if outcome["influencer"] and not card.decision_makers:
        card.decision_makers = outcome["influencer"]
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
