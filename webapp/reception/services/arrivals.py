"""Arrivals of step ②: the greeter registers a walk-in and the rotation proposes the next
salesperson (fewest turns, longest wait, roster order; busy people skipped), or the card's
own salesperson for a repeat customer; an override needs a reason and the skips are kept;
the salesperson's inbox gets "客户到店" at once. When everyone on duty is with a customer there
is no proposal: the greeter chooses, and is offered first those likely to be free first.

`add_arrival` is the one code path of an arrival: the online form commits it
(`register_arrival`), the outbox's merge runs it inside the sync batch's transaction
(webapp/reception/offline.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import text_errors
from webapp.push.services import notify
from webapp.reception import rotation
from webapp.reception.labels import PURPOSES
from webapp.reception.models import (
    Assignment,
    DutyRoster,
    RosterEntry,
    RotationSkip,
    Visit,
    VisitKind,
)
from webapp.reception.services.customer import (
    customer_fields,
    find_by_phone,
    int_field,
    name_needed,
    new_card,
)
from webapp.reception.services.register import REGISTER_ROLES
from webapp.reception.services.roster import salesperson_on_duty
from webapp.sql import in_codes
from webapp.timeutil import SHANGHAI, local_today, now

ARRIVAL_ROLES = (Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
MAX_PEOPLE = 20
MAX_REASON = 200
MAX_COMPANIONS = 100


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

    def busy_minutes(self, at: datetime | None = None) -> int:
        """Minutes with the current customer (0 when free)."""
        if self.busy_since is None:
            return 0
        return max(0, int(((at or now()) - self.busy_since).total_seconds() // 60))


@dataclass(frozen=True)
class Proposal:
    """What the rotation proposes now: `next` (None with `message`) and the whole order.

    `first_free` is everyone on duty when all of them are with a customer, the one with a
    customer longest first (likely free first), then by the rotation's order; else [].
    """

    next: DutyLine | None
    message: str
    lines: list[DutyLine]
    has_roster: bool
    duty: list[rotation.OnDuty]
    first_free: list[DutyLine]

    @property
    def all_busy(self) -> bool:
        """Somebody is on duty and every one of them is with a customer."""
        return bool(self.duty) and self.next is None


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
        message = _(
            "Everyone on duty is with a customer. Choose who takes this customer: the one "
            "with a customer longest is likely free first."
        )
    else:
        message = ""
    first_free: list[DutyLine] = []
    if duty and chosen is None:
        order = {p.user_id: n for n, p in enumerate(rotation.ranking(duty))}
        first_free = sorted(
            (by_id[p.user_id] for p in duty),
            key=lambda line: (line.busy_since or now(), order[line.user_id]),
        )
    return Proposal(
        next=by_id[chosen.user_id] if chosen else None,
        message=message,
        lines=ranked,
        has_roster=has_roster,
        duty=duty,
        first_free=first_free,
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
    makes it a repeat visit of that card), model, source, the purpose of the visit and who
    came along.

    The salesperson is the card owner for a repeat customer on duty, else the rotation's
    proposal; `salesperson_id` other than the proposal needs `override_reason`, except when
    everyone on duty is with a customer (there is no proposal to pass over: the greeter
    must choose someone on duty, and no reason is asked). A new
    customer with a mobile gets an A card owned by that salesperson at once. The
    salesperson's inbox gets "客户到店" in the same transaction.

    Writes in the caller's transaction without committing (the visit is flushed). Raises
    PermissionDenied (role), ValidationError (field → message; nothing is written).
    """
    require_role(actor, *ARRIVAL_ROLES)
    errors: dict[str, str] = {}
    fields = customer_fields(data, errors)
    people = int_field(data, "people")
    if people is None or not 1 <= people <= MAX_PEOPLE:
        errors["people"] = _("Enter the number of people (1 to %(n)d).", n=MAX_PEOPLE)
    reason = str(data.get("override_reason") or "").strip()
    if len(reason) > MAX_REASON:
        errors["override_reason"] = _("At most %(n)d characters.", n=MAX_REASON)
    purpose = _text(data, "purpose")
    if purpose is None or (purpose and purpose not in PURPOSES):
        errors["purpose"] = _("Choose one of the purposes shown.")
    companions = _text(data, "companions")
    if companions is None:
        errors["companions"] = _("Enter text.")
    elif len(companions) > MAX_COMPANIONS:
        errors["companions"] = _("At most %(n)d characters.", n=MAX_COMPANIONS)
    card = find_by_phone(actor, fields["mobile"]) if fields["mobile"] else None
    if card is None and fields["mobile"] and not fields["name"] and "mobile" not in errors:
        errors["name"] = name_needed()
    day = local_today()
    prop = _proposal(actor.store_id, day)
    duty_ids = {line.user_id for line in prop.lines if not line.absent}
    wanted = int_field(data, "salesperson_id")
    shown = int_field(data, "proposed_id")
    assignment = Assignment.ROTATION
    owner_id: int | None = None
    if wanted is not None and (
        wanted not in duty_ids and not salesperson_on_duty(actor.store_id, wanted)
    ):
        errors["salesperson_id"] = _("Choose a salesperson of this store.")
    elif card is not None and card.owner_id in duty_ids and wanted in (None, card.owner_id):
        owner_id, assignment = card.owner_id, Assignment.REPEAT_OWNER
    elif wanted is None:
        if prop.all_busy:
            errors["salesperson_id"] = _(
                "Everyone on duty is with a customer: choose who takes this customer."
            )
        elif prop.next is None:
            errors["salesperson_id"] = prop.message
        else:
            owner_id = prop.next.user_id
    elif wanted == (prop.next.user_id if prop.next else None) or (
        wanted == shown and wanted in duty_ids
    ):
        owner_id = wanted  # the proposal the greeter saw was taken
    else:
        owner_id, assignment = wanted, Assignment.OVERRIDE
        if not reason and not (prop.all_busy and wanted in duty_ids):
            errors["override_reason"] = _(
                "Say why the proposed salesperson is passed over (for example: the customer "
                "asked for them)."
            )
    errors.update(
        text_errors(data, ("people", "salesperson_id", "override_reason", "purpose", "companions"))
    )
    if errors:
        raise ValidationError(errors)
    assert owner_id is not None
    moment = time_in or now()
    if card is None and fields["mobile"]:
        card = new_card(actor, owner_id, fields)
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
        purpose=purpose or "",
        companions=companions or "",
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


def _text(data: dict[str, Any], key: str) -> str | None:
    """A text field, stripped ("" when missing); None when the value is not text (an
    offline payload may send anything)."""
    value = data.get(key)
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else None


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
    """The visit's page (also outside a request, as in a command)."""
    if has_request_context():
        return url_for("reception.visit", visit_id=visit_id)
    with current_app.test_request_context():
        return url_for("reception.visit", visit_id=visit_id)


def _notify(visit: Visit) -> None:
    """客户到店 to the salesperson: the inbox row in this transaction (push is a hint)."""
    notify(
        [visit.owner_id],
        store_id=visit.store_id,
        kind="arrival",
        ref_id=visit.id,
        url=visit_url(visit.id),
    )


def skips_today(actor: User) -> list[RotationSkip]:
    """Today's recorded skips, newest first (manager and greeter)."""
    require_role(actor, Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
    stmt = scoped(
        sa.select(RotationSkip).where(RotationSkip.day == local_today()), RotationSkip, actor
    ).order_by(RotationSkip.id.desc())
    return list(db.session.scalars(stmt.limit(50)))
