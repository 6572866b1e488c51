"""Rules of reception (step ②): the day's roster, the rotation, arrivals, calls and closing.

Every use case takes the acting user, checks role and scope through webapp.access, validates
everything before it writes, and commits once. `add_arrival` is the one code path of an
arrival: the online form commits it (`register_arrival`), the outbox's merge runs it inside
the sync batch's transaction (webapp/reception/offline.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import VehicleModel
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard, Grade, Stage
from webapp.customers.validators import is_valid_mobile, normalise_mobile
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import MAX_ID, parse_date, text_errors, text_problem
from webapp.reception import rotation
from webapp.reception.models import (
    Assignment,
    DutyRoster,
    RosterEntry,
    RotationSkip,
    Visit,
    VisitKind,
    VisitResult,
)
from webapp.sql import in_codes, row_maker, rows_as
from webapp.timeutil import SHANGHAI, local_today, now

ROSTER_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
ARRIVAL_ROLES = (Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
REGISTER_ROLES = (Role.GREETER, Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
CLOSE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
EXPORT_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
MAX_PEOPLE = 20
MAX_REASON = 200
MAX_NOTES = 2000
REGISTER_LIMIT = 500
# The customer's fields of the arrival, call and closing forms (each shows its own error).
CUSTOMER_FIELDS = ("name", "title", "mobile", "source", "model_id")


def _name_needed() -> str:
    return _("Enter the customer's name (the surname is enough) to open an A card.")


# --- roster ---------------------------------------------------------------------------------


def store_salespeople(store_id: int) -> list[User]:
    """Active salespeople of the store, by name."""
    stmt = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active, UserRole.role == Role.SALESPERSON.value)
        .order_by(User.display_name, User.id)
    )
    return list(db.session.scalars(stmt).unique())


def roster_for(store_id: int, day: date) -> DutyRoster | None:
    """The day's roster with its entries and their users, in one statement."""
    return (
        db.session.scalars(
            sa.select(DutyRoster)
            .options(joinedload(DutyRoster.entries))
            .where(DutyRoster.store_id == store_id, DutyRoster.day == day)
        )
        .unique()
        .first()
    )


def set_roster(actor: User, data: dict[str, Any]) -> DutyRoster:
    """排班表 for today: `position-<user id>` (1, 2, … or blank = not on the roster) and
    `absent-<user id>` per salesperson of the store.

    Raises PermissionDenied (not a manager), ValidationError when a position is not a number,
    two share a place, or nobody is on duty (nothing is saved then).
    """
    require_role(actor, *ROSTER_ROLES)
    errors: dict[str, str] = {}
    rows: list[tuple[User, int, bool]] = []
    taken: dict[int, int] = {}
    for person in store_salespeople(actor.store_id):
        key = f"position-{person.id}"
        raw = str(data.get(key) or "")
        if (problem := text_problem(raw)) is not None:
            errors[key] = problem
            continue
        raw = raw.strip()
        absent = bool(data.get(f"absent-{person.id}"))
        if not raw:
            continue
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 99:
            errors[key] = _("Enter a place in the order: 1, 2, 3 …")
            continue
        place = int(raw)
        if place in taken:
            errors[key] = _("Two people cannot share place %(n)d.", n=place)
            continue
        taken[place] = person.id
        rows.append((person, place, absent))
    if not errors and not any(not absent for _p, _n, absent in rows):
        errors["roster"] = _(
            "Nobody is on duty: give at least one salesperson a place and leave them present."
        )
    if errors:
        raise ValidationError(errors)
    today = local_today()
    roster = roster_for(actor.store_id, today)
    if roster is None:
        roster = DutyRoster(store_id=actor.store_id, day=today)
        db.session.add(roster)
    roster.set_by_id = actor.id
    roster.set_at = now()
    roster.entries.clear()
    db.session.flush()  # the old lines go first: (roster, user) is unique
    roster.entries = [
        RosterEntry(user_id=p.id, position=n, absent=a) for p, n, a in sorted(rows, key=_place)
    ]
    db.session.commit()
    return roster


def _place(row: tuple[User, int, bool]) -> int:
    return row[1]


@dataclass(frozen=True)
class DutyLine:
    """One salesperson on today's roster, as the greeter and the manager see them."""

    user_id: int
    name: str
    position: int
    absent: bool
    turns: int
    busy: bool
    busy_since: datetime | None


@dataclass(frozen=True)
class Proposal:
    """What the rotation proposes now: `next` (None with `message`) and the whole order."""

    next: DutyLine | None
    message: str
    lines: list[DutyLine]
    has_roster: bool
    duty: list[rotation.OnDuty]


_ROSTER_LINES = (
    sa.select(
        DutyRoster.id.label("roster_id"),
        RosterEntry.user_id,
        RosterEntry.position,
        RosterEntry.absent,
        User.display_name,
        User.active,
    )
    .outerjoin(RosterEntry, RosterEntry.roster_id == DutyRoster.id)
    .outerjoin(User, User.id == RosterEntry.user_id)
    .where(DutyRoster.store_id == sa.bindparam("store_id"), DutyRoster.day == sa.bindparam("day"))
    .order_by(RosterEntry.position)
)
_COUNTED = in_codes(Visit.assignment, (Assignment.ROTATION.value, Assignment.OVERRIDE.value))
_OPEN_WALK_IN = (Visit.kind == VisitKind.WALK_IN.value) & Visit.time_out.is_(None)
# One pass over the day's visits: turns taken (rotation or override) and who is busy.
_TURNS = (
    sa.select(
        Visit.owner_id,
        sa.func.count().filter(_COUNTED).label("n"),
        sa.func.max(Visit.time_in).filter(_COUNTED).label("last"),
        sa.func.min(Visit.time_in).filter(_OPEN_WALK_IN).label("busy_since"),
    )
    .where(Visit.store_id == sa.bindparam("store_id"), Visit.day == sa.bindparam("day"))
    .group_by(Visit.owner_id)
)


def _roster_lines(store_id: int, day: date) -> list[Any] | None:
    """The day's roster entries as plain rows (user id, place, absent, name, active) in
    order, [] for a roster without entries, None without a roster: one narrow statement
    (loading the ORM roster with its users and their roles cost ~1 ms on every board)."""
    rows = db.session.connection().execute(_ROSTER_LINES, {"store_id": store_id, "day": day}).all()
    if not rows:
        return None
    return [row for row in rows if row.user_id is not None]


def _duty_lines(store_id: int, day: date) -> tuple[list[DutyLine], list[rotation.OnDuty], bool]:
    entries = _roster_lines(store_id, day)
    if entries is None:
        return [], [], False
    turns: dict[int, tuple[int, datetime | None]] = {}
    busy: dict[int, datetime] = {}
    for row in db.session.connection().execute(_TURNS, {"store_id": store_id, "day": day}):
        if row.n:
            turns[row.owner_id] = (row.n, row.last)
        if row.busy_since is not None:
            busy[row.owner_id] = row.busy_since
    lines, duty = [], []
    for entry in entries:
        n, last = turns.get(entry.user_id, (0, None))
        if last is not None and last.tzinfo is None:  # max() bypasses the column type
            last = last.replace(tzinfo=UTC)
        line = DutyLine(
            user_id=entry.user_id,
            name=entry.display_name,
            position=entry.position,
            absent=entry.absent,
            turns=n,
            busy=entry.user_id in busy,
            busy_since=_aware(busy.get(entry.user_id)),
        )
        lines.append(line)
        if not entry.absent and entry.active:
            duty.append(
                rotation.OnDuty(
                    user_id=entry.user_id,
                    position=entry.position,
                    turns=n,
                    last_turn_at=last,
                    busy=line.busy,
                )
            )
    return lines, duty, True


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def proposal(actor: User) -> Proposal:
    """Who is next up now, with the order of everyone on duty (ranked).

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    return _proposal(actor.store_id, local_today())


def _proposal(store_id: int, day: date) -> Proposal:
    lines, duty, has_roster = _duty_lines(store_id, day)
    by_id = {line.user_id: line for line in lines}
    ranked = [by_id[p.user_id] for p in rotation.ranking(duty)]
    ranked += [line for line in lines if line.user_id not in {p.user_id for p in duty}]
    chosen = rotation.next_up(duty)
    if not has_roster:
        message = _("No roster for today yet. The sales manager sets it at the morning meeting.")
    elif not duty:
        message = _("Nobody is on duty today. Ask the sales manager to update the roster.")
    elif chosen is None:
        message = _("Everyone on duty is with a customer. Choose a salesperson and give a reason.")
    else:
        message = ""
    return Proposal(
        next=by_id[chosen.user_id] if chosen else None,
        message=message,
        lines=ranked,
        has_roster=has_roster,
        duty=duty,
    )


# --- arrivals -------------------------------------------------------------------------------


def find_by_phone(actor: User, raw: str) -> CustomerCard | None:
    """The store's card with this mobile (repeat customer), or None."""
    mobile = normalise_mobile(raw)
    if not is_valid_mobile(mobile):
        return None
    return db.session.scalar(
        sa.select(CustomerCard).where(
            CustomerCard.store_id == actor.store_id, CustomerCard.mobile == mobile
        )
    )


def _int_field(data: dict[str, Any], key: str) -> int | None:
    """A whole number from a form: None when blank, -1 when unreadable or larger than any
    id (so it fails every range and id check without reaching the database)."""
    value = data.get(key)
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool):
        return -1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if abs(number) <= MAX_ID else -1


def _customer_fields(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if len(name) > 50:
        errors["name"] = _("At most %(n)d characters.", n=50)
    out["name"] = name
    title = data.get("title") or ""
    if title not in cards.TITLES:
        errors["title"] = _("Choose how to address the customer.")
    out["title"] = title
    mobile = normalise_mobile(str(data.get("mobile") or ""))
    if mobile and not is_valid_mobile(mobile):
        errors["mobile"] = _("A mainland mobile number has 11 digits and starts with 1.")
    out["mobile"] = mobile
    source = data.get("source") or ""
    if source not in cards.SOURCES:
        errors["source"] = _("Choose where the customer came from.")
    out["source"] = source
    model_id = _int_field(data, "model_id")
    if model_id is not None:
        found = db.session.scalar(
            sa.select(VehicleModel.id).where(VehicleModel.id == model_id, VehicleModel.active)
        )
        if found is None:
            errors["model_id"] = _("Choose a model from the catalogue.")
            model_id = None
    out["model_id"] = model_id
    errors.update(text_errors(data, CUSTOMER_FIELDS))
    return out


def _salesperson_on_duty(store_id: int, user_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.id == user_id,
                User.store_id == store_id,
                User.active,
                UserRole.role == Role.SALESPERSON.value,
            )
        )
        is not None
    )


def register_arrival(actor: User, data: dict[str, Any]) -> Visit:
    """The online form's arrival (see add_arrival), committed."""
    visit = add_arrival(actor, data)
    db.session.commit()
    return visit


def add_arrival(
    actor: User,
    data: dict[str, Any],
    *,
    entry_uuid: str | None = None,
    time_in: datetime | None = None,
) -> Visit:
    """The greeter registers a walk-in: number of people, 称谓, name, mobile (a known mobile
    makes it a repeat visit of that card), model and source.

    The salesperson is the card owner for a repeat customer on duty, else the rotation's
    proposal; `salesperson_id` other than the proposal needs `override_reason`. A new
    customer with a mobile gets an A card owned by that salesperson at once. The
    salesperson's inbox gets "客户到店" in the same transaction.

    Writes in the caller's transaction without committing (the visit is flushed). Raises
    PermissionDenied (role), ValidationError (field → message; nothing is written).
    """
    require_role(actor, *ARRIVAL_ROLES)
    errors: dict[str, str] = {}
    fields = _customer_fields(data, errors)
    people = _int_field(data, "people")
    if people is None or not 1 <= people <= MAX_PEOPLE:
        errors["people"] = _("Enter the number of people (1 to %(n)d).", n=MAX_PEOPLE)
    reason = str(data.get("override_reason") or "").strip()
    if len(reason) > MAX_REASON:
        errors["override_reason"] = _("At most %(n)d characters.", n=MAX_REASON)
    card = find_by_phone(actor, fields["mobile"]) if fields["mobile"] else None
    if card is None and fields["mobile"] and not fields["name"] and "mobile" not in errors:
        errors["name"] = _name_needed()
    day = local_today()
    prop = _proposal(actor.store_id, day)
    duty_ids = {line.user_id for line in prop.lines if not line.absent}
    wanted = _int_field(data, "salesperson_id")
    shown = _int_field(data, "proposed_id")
    assignment = Assignment.ROTATION
    owner_id: int | None = None
    if wanted is not None and (
        wanted not in duty_ids and not _salesperson_on_duty(actor.store_id, wanted)
    ):
        errors["salesperson_id"] = _("Choose a salesperson of this store.")
    elif card is not None and card.owner_id in duty_ids and wanted in (None, card.owner_id):
        owner_id, assignment = card.owner_id, Assignment.REPEAT_OWNER
    elif wanted is None:
        if prop.next is None:
            errors["salesperson_id"] = prop.message
        else:
            owner_id = prop.next.user_id
    elif wanted == (prop.next.user_id if prop.next else None) or (
        wanted == shown and wanted in duty_ids
    ):
        owner_id = wanted  # the proposal the greeter saw was taken
    else:
        owner_id, assignment = wanted, Assignment.OVERRIDE
        if not reason:
            errors["override_reason"] = _(
                "Say why the proposed salesperson is passed over (for example: the customer "
                "asked for them)."
            )
    errors.update(text_errors(data, ("people", "salesperson_id", "override_reason")))
    if errors:
        raise ValidationError(errors)
    assert owner_id is not None
    moment = time_in or now()
    if card is None and fields["mobile"]:
        card = _new_card(actor, owner_id, fields)
    visit = Visit(
        store_id=actor.store_id,
        day=moment.astimezone(SHANGHAI).date(),
        kind=VisitKind.WALK_IN.value,
        time_in=moment,
        people=people,
        repeat=card is not None and card.id is not None,
        card=card,
        owner_id=owner_id,
        name=card.name if card is not None and not fields["name"] else fields["name"],
        title=fields["title"],
        mobile=fields["mobile"],
        model_id=fields["model_id"] or (card.model_id if card is not None else None),
        source=fields["source"],
        assignment=assignment.value,
        override_reason=reason if assignment is Assignment.OVERRIDE else "",
        registered_by_id=actor.id,
        entry_uuid=entry_uuid,
    )
    db.session.add(visit)
    db.session.flush()
    if assignment is not Assignment.REPEAT_OWNER:
        _record_skips(actor.store_id, day, visit, prop, owner_id, reason)
    _notify(visit)
    return visit


def _new_card(actor: User, owner_id: int, fields: dict[str, Any]) -> CustomerCard:
    """A card opened at the door (the greeter cannot open cards through the A-card form)."""
    rules = cards.grade_rules(actor.store_id)
    card = CustomerCard(
        store_id=actor.store_id,
        owner_id=owner_id,
        name=fields["name"],
        title=fields["title"],
        mobile=fields["mobile"],
        source=fields["source"],
        model_id=fields["model_id"],
        grade=Grade.C.value,
        stage=Stage.PROSPECT.value,
        next_follow_up_due=cards.next_due(local_today(), Grade.C.value, rules),
    )
    db.session.add(card)
    cards.record_event(card, actor.id, "created", data={"grade": card.grade, "via": "reception"})
    return card


def _record_skips(
    store_id: int, day: date, visit: Visit, prop: Proposal, chosen: int, reason: str
) -> None:
    for person in rotation.passed_over(prop.duty, chosen):
        db.session.add(
            RotationSkip(
                store_id=store_id,
                day=day,
                visit_id=visit.id,
                user_id=person.user_id,
                reason="busy" if person.busy else "override",
                note="" if person.busy else reason,
            )
        )


def visit_url(visit_id: int) -> str:
    if has_request_context():
        return url_for("reception.visit", visit_id=visit_id)
    return f"/reception/visits/{visit_id}"


def _notify(visit: Visit) -> None:
    """客户到店 to the salesperson: the inbox row in this transaction (push is a hint)."""
    from webapp.push.services import notify

    notify(
        [visit.owner_id],
        store_id=visit.store_id,
        kind="arrival",
        ref_id=visit.id,
        url=visit_url(visit.id),
    )


# --- calls, closing, the register -----------------------------------------------------------


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
        fields = _customer_fields({**_visit_defaults(visit), **_present(data)}, errors)
        existing = find_by_phone(actor, fields["mobile"]) if not errors.get("mobile") else None
        if existing is not None:
            fields = None
            visit.card = existing
            visit.repeat = True
        elif not fields["name"]:
            errors["name"] = _name_needed()
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    if fields is not None:
        visit.card = _new_card(actor, visit.owner_id, fields)
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
    cards.change_grade(card, outcome["grade"], actor.id, rules)
    cards.contact_made(card, moment, rules)
    if visit.model_id and card.model_id is None:
        card.model_id = visit.model_id
    cards.record_event(
        card,
        actor.id,
        kind,
        note=note,
        data={"visit_id": visit.id, "result": visit.result, "test_drive": visit.test_drive},
    )


def _result(visit: Visit) -> str:
    from webapp.reception.labels import reception_labels

    return reception_labels()["result"].get(visit.result or "", visit.result or "")


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
    fields = _customer_fields({"source": "phone_in", **_present(data)}, errors)
    if not fields["mobile"] and "mobile" not in errors:
        errors["mobile"] = _("Enter a mobile number.")
    outcome = _outcome(data, errors)
    minutes = _int_field(data, "minutes")
    if minutes is None:
        minutes = 0
    if not 0 <= minutes <= 240:
        errors["minutes"] = _("Enter the length of the call in minutes (0 to 240).")
    notes = str(data.get("prep_notes") or "").strip()
    if len(notes) > MAX_NOTES:
        errors["prep_notes"] = _("At most %(n)d characters.", n=MAX_NOTES)
    if actor.has_role(Role.GREETER, Role.SALES_MANAGER, Role.ADMIN):
        owner_id = _int_field(data, "salesperson_id") or (
            actor.id if actor.has_role(Role.SALESPERSON) else None
        )
        if owner_id is None or not _salesperson_on_duty(actor.store_id, owner_id):
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
        errors["name"] = _name_needed()
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
        card = _new_card(actor, owner_id, fields)
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


@dataclass(frozen=True)
class RegisterFilter:
    """The register's filters: day, salesperson, source, result (blank = any)."""

    day: date
    owner_id: int | None = None
    source: str = ""
    result: str = ""


def parse_filter(args: dict[str, Any]) -> RegisterFilter:
    """Filters from a query string; anything unreadable is ignored (today, any)."""
    day = parse_date(args.get("day")) or local_today()
    owner = _int_field(args, "owner_id")
    source = args.get("source") or ""
    result = args.get("result") or ""
    return RegisterFilter(
        day=day,
        owner_id=owner if owner and owner > 0 else None,
        source=source if source in cards.SOURCES else "",
        result=result if result in {r.value for r in VisitResult} or result == "open" else "",
    )


def register_rows(actor: User, flt: RegisterFilter, limit: int = REGISTER_LIMIT) -> list[Visit]:
    """附表五 rows of a day in the actor's scope, by time in.

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    stmt = sa.select(Visit).where(Visit.day == flt.day)
    if flt.owner_id:
        stmt = stmt.where(Visit.owner_id == flt.owner_id)
    if flt.source:
        stmt = stmt.where(Visit.source == flt.source)
    if flt.result == "open":
        stmt = stmt.where(Visit.time_out.is_(None))
    elif flt.result:
        stmt = stmt.where(Visit.result == flt.result)
    stmt = scoped(stmt, Visit, actor).order_by(Visit.time_in, Visit.id).limit(limit)
    return list(db.session.scalars(stmt))


def skips_today(actor: User) -> list[RotationSkip]:
    """Today's recorded skips, newest first (manager and greeter)."""
    require_role(actor, Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
    stmt = scoped(
        sa.select(RotationSkip).where(RotationSkip.day == local_today()), RotationSkip, actor
    ).order_by(RotationSkip.id.desc())
    return list(db.session.scalars(stmt.limit(50)))


def roster_form(actor: User) -> list[tuple[User, RosterEntry | None]]:
    """Every salesperson of the store with today's roster entry (None = not on the roster)."""
    require_role(actor, *ROSTER_ROLES)
    roster = roster_for(actor.store_id, local_today())
    by_user = {e.user_id: e for e in roster.entries} if roster else {}
    return [(p, by_user.get(p.id)) for p in store_salespeople(actor.store_id)]


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """One row of 附表五 as plain values, for lists of a few hundred rows."""

    id: int
    kind: str
    time_in: datetime
    time_out: datetime | None
    people: int
    repeat: bool
    card_id: int | None
    owner_id: int
    owner_name: str
    name: str
    title: str
    model_zh: str | None
    model_en: str | None
    source: str
    test_drive: bool
    grade: str | None
    result: str | None

    @property
    def is_open(self) -> bool:
        return self.time_out is None

    @property
    def in_hm(self) -> str:
        return self.time_in.astimezone(SHANGHAI).strftime("%H:%M")

    @property
    def out_hm(self) -> str:
        return self.time_out.astimezone(SHANGHAI).strftime("%H:%M") if self.time_out else ""

    def stay_minutes(self, at: datetime | None = None) -> int:
        end = self.time_out or at or now()
        return max(0, int((end - self.time_in).total_seconds() // 60))


def _register_select(*extra: Any) -> sa.Select:
    """The columns of a RegisterLine (then `extra`), visits joined to owner and model."""
    return (
        sa.select(
            Visit.id,
            Visit.kind,
            Visit.time_in,
            Visit.time_out,
            Visit.people,
            Visit.repeat,
            Visit.card_id,
            Visit.owner_id,
            User.display_name.label("owner_name"),
            Visit.name,
            Visit.title,
            VehicleModel.name_zh.label("model_zh"),
            VehicleModel.name_en.label("model_en"),
            Visit.source,
            Visit.test_drive,
            Visit.grade,
            Visit.result,
            *extra,
        )
        .join(User, User.id == Visit.owner_id)
        .outerjoin(VehicleModel, VehicleModel.id == Visit.model_id)
    )


@dataclass(frozen=True, slots=True)
class BoardRegister:
    """Today's register as "store today" shows it: the latest lines, the walk-ins still in
    the showroom, the visits with no A card, and how many lines the day holds."""

    latest: list[RegisterLine]  # newest first
    open_walk_ins: list[RegisterLine]  # oldest first
    no_card: list[RegisterLine]  # oldest first
    total: int


def _board_register_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The day's register lines the board shows, with their rank (newest first) and the
    day's count: the latest `:latest`, the open walk-ins and the visits with no card."""
    newest = sa.func.row_number().over(order_by=(Visit.time_in.desc(), Visit.id.desc()))
    day = scope(
        sa.select(
            Visit.id,
            Visit.time_out,
            Visit.kind,
            Visit.card_id,
            newest.label("rank"),
            sa.func.count().over().label("total"),
        ).where(Visit.day == sa.bindparam("day"))
    ).subquery()
    shown = (
        sa.select(day.c.id, day.c.rank, day.c.total)
        .where(
            sa.or_(
                day.c.rank <= sa.bindparam("latest"),
                sa.and_(day.c.time_out.is_(None), day.c.kind == VisitKind.WALK_IN.value),
                day.c.card_id.is_(None),
            )
        )
        .subquery()
    )
    # Only the lines shown are joined to their owner and model: joined first, PostgreSQL
    # hashed the whole user table for a day's hundred lines.
    return (
        _register_select(shown.c.rank.label("rank"), shown.c.total.label("day_total"))
        .join(shown, shown.c.id == Visit.id)
        .order_by(shown.c.rank.desc())
    )


def board_register(actor: User, day: date, latest: int) -> BoardRegister:
    """The parts of a day's register the manager's board shows, in one query.

    The database numbers the day's lines (newest first) and counts them, and returns only
    the lines shown: the latest `latest`, the open walk-ins and the visits with no card. A
    busy store's day holds a hundred lines or more; reading them all to keep a score of
    them was most of the board's time. Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    stmt, params = scoped_statement(Visit, actor, _board_register_statement)
    rows = db.session.connection().execute(stmt, {**params, "day": day, "latest": latest})
    as_line = row_maker(RegisterLine, rows.keys())
    newest: list[RegisterLine] = []
    open_walk_ins: list[RegisterLine] = []
    no_card: list[RegisterLine] = []
    total = 0
    for row in rows:  # oldest first
        line, total = as_line(row), row.day_total
        if row.rank <= latest:
            newest.append(line)
        if line.is_open and line.kind == VisitKind.WALK_IN.value:
            open_walk_ins.append(line)
        if line.card_id is None:
            no_card.append(line)
    return BoardRegister(newest[::-1], open_walk_ins, no_card, total)


def _register_statement(
    scope: Callable[[sa.Select], sa.Select], by_owner: bool, by_source: bool, result: str
) -> sa.Select:
    """The register lines of `:day`, filtered by the filters in use (`result`: "", "open" or
    "result"), by time in; at most `:limit`."""
    stmt = _register_select().where(Visit.day == sa.bindparam("day"))
    if by_owner:
        stmt = stmt.where(Visit.owner_id == sa.bindparam("owner_id"))
    if by_source:
        stmt = stmt.where(Visit.source == sa.bindparam("source"))
    if result == "open":
        stmt = stmt.where(Visit.time_out.is_(None))
    elif result:
        stmt = stmt.where(Visit.result == sa.bindparam("result"))
    return scope(stmt).order_by(Visit.time_in, Visit.id).limit(sa.bindparam("limit"))


def register_lines(
    actor: User, flt: RegisterFilter, limit: int = REGISTER_LIMIT
) -> list[RegisterLine]:
    """Like register_rows, as plain rows in one query (no ORM objects): for the lists.

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    result = "open" if flt.result == "open" else "result" if flt.result else ""
    # Built once per combination of filters (see access.scoped_statement).
    stmt, params = scoped_statement(
        Visit, actor, _register_statement, bool(flt.owner_id), bool(flt.source), result
    )
    params = {
        **params,
        "day": flt.day,
        "owner_id": flt.owner_id,
        "source": flt.source,
        "result": flt.result,
        "limit": limit,
    }
    return rows_as(RegisterLine, db.session.connection().execute(stmt, params))
