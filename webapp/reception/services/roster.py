"""The duty roster (排班表) of step ②: the manager sets the day's order of salespeople at
the morning meeting, with who is absent, moving people up and down the order one step at a
time (or adding them to and taking them off the day's roster).

Every use case takes the acting user, checks role and scope through webapp.access,
validates everything before it writes, and commits once.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import require_role
from webapp.auth.models import Role, User, UserRole
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.reception.models import DutyRoster, RosterEntry
from webapp.timeutil import local_today, now

ROSTER_ROLES = (Role.SALES_MANAGER, Role.ADMIN)


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


MOVES = ("up", "down")


def set_roster(actor: User, data: dict[str, Any]) -> DutyRoster:
    """排班表 for today: `position-<user id>` (1, 2, … or blank = not on the roster) and
    `absent-<user id>` per salesperson of the store, then at most one change of the order:
    `move` = `up-<user id>` / `down-<user id>` (one place earlier or later), `add` = user id
    (to the end of the order), `remove` = user id (off today's roster). The places are saved
    as 1, 2, 3 … in their order.

    Raises PermissionDenied (not a manager), ValidationError when a position is not a number,
    two share a place, the change names nobody on the form, or nobody is on duty (nothing is
    saved then).
    """
    require_role(actor, *ROSTER_ROLES)
    errors: dict[str, str] = {}
    rows: list[tuple[User, int, bool]] = []
    taken: dict[int, int] = {}
    people = store_salespeople(actor.store_id)
    for person in people:
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
    rows.sort(key=_place)
    if not errors:
        rows = _changed(rows, people, data, errors)
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
        RosterEntry(user_id=p.id, position=n, absent=a)
        for n, (p, _old, a) in enumerate(rows, start=1)
    ]
    db.session.commit()
    return roster


def _place(row: tuple[User, int, bool]) -> int:
    return row[1]


def _changed(
    rows: list[tuple[User, int, bool]],
    people: list[User],
    data: dict[str, Any],
    errors: dict[str, str],
) -> list[tuple[User, int, bool]]:
    """The rows in order after the form's one change (move up/down, add, remove); an
    unreadable change, or one naming someone not on the form, goes into `errors`."""
    move = str(data.get("move") or "")
    add = str(data.get("add") or "")
    remove = str(data.get("remove") or "")
    if not (move or add or remove):
        return rows
    unknown = _("This change could not be made: reload the roster and try again.")
    on_roster = [row[0].id for row in rows]
    if move:
        way, _sep, raw_id = move.partition("-")
        user_id = _user_id(raw_id)
        if way not in MOVES or user_id not in on_roster:
            errors["roster"] = unknown
            return rows
        at = on_roster.index(user_id)
        to = at - 1 if way == "up" else at + 1
        if 0 <= to < len(rows):
            rows = list(rows)
            rows[at], rows[to] = rows[to], rows[at]
        return rows
    if add:
        user_id = _user_id(add)
        person = next((p for p in people if p.id == user_id), None)
        if person is None or user_id in on_roster:
            errors["roster"] = unknown
            return rows
        return [*rows, (person, len(rows) + 1, False)]
    user_id = _user_id(remove)
    if user_id not in on_roster:
        errors["roster"] = unknown
        return rows
    return [row for row in rows if row[0].id != user_id]


def _user_id(raw: str) -> int | None:
    """A user id as the form sends it (ASCII digits), else None."""
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9:
        return None
    return int(raw)


def roster_form(actor: User) -> list[tuple[User, RosterEntry | None]]:
    """Every salesperson of the store with today's roster entry (None = not on the roster)."""
    require_role(actor, *ROSTER_ROLES)
    roster = roster_for(actor.store_id, local_today())
    by_user = {e.user_id: e for e in roster.entries} if roster else {}
    return [(p, by_user.get(p.id)) for p in store_salespeople(actor.store_id)]


def roster_values(rows: list[tuple[User, RosterEntry | None]]) -> dict[str, str]:
    """The form's values of today's roster: `position-<id>` and `absent-<id>`."""
    values: dict[str, str] = {}
    for person, entry in rows:
        if entry is not None:
            values[f"position-{person.id}"] = str(entry.position)
            if entry.absent:
                values[f"absent-{person.id}"] = "1"
    return values


def roster_order(
    rows: list[tuple[User, RosterEntry | None]], values: dict[str, Any]
) -> tuple[list[tuple[User, str]], list[User]]:
    """The form's salespeople as the page lists them: those with a place, in its order (with
    the place as sent), then the others by name. A place that is not a number sorts last."""
    placed: list[tuple[int, int, User, str]] = []
    others: list[User] = []
    for n, (person, _entry) in enumerate(rows):
        raw = str(values.get(f"position-{person.id}") or "").strip()
        if not raw:
            others.append(person)
            continue
        place = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 4 else 999
        placed.append((place, n, person, raw))
    placed.sort(key=lambda item: (item[0], item[1]))
    return [(person, raw) for _p, _n, person, raw in placed], others


def salesperson_on_duty(store_id: int, user_id: int) -> bool:
    """Whether the user is an active salesperson of the store (who may take a customer)."""
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


# Who is on duty besides the salespeople of the day's roster: the store's staff in these roles.
ON_DUTY_ROLES = (
    Role.SALES_MANAGER,
    Role.GREETER,
    Role.SERVICE_ADVISOR,
    Role.FINANCE,
    Role.CAR_KEEPER,
)


def on_duty_ids(store_id: int, day: date) -> set[int]:
    """Everyone on duty in the store on `day`, as the delivery notices mean it: the
    salespeople on the day's roster and not absent (every active salesperson when no roster
    was set), and the active staff of ON_DUTY_ROLES."""
    roles = [Role.SALESPERSON.value, *(r.value for r in ON_DUTY_ROLES)]
    rows = db.session.execute(
        sa.select(User.id, UserRole.role)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active, UserRole.role.in_(roles))
    ).all()
    roster_id = db.session.scalar(
        sa.select(DutyRoster.id).where(DutyRoster.store_id == store_id, DutyRoster.day == day)
    )
    present: set[int] | None = None
    if roster_id is not None:
        present = set(
            db.session.scalars(
                sa.select(RosterEntry.user_id).where(
                    RosterEntry.roster_id == roster_id, RosterEntry.absent.is_(False)
                )
            )
        )
    return {
        user_id
        for user_id, role in rows
        if role != Role.SALESPERSON.value or present is None or user_id in present
    }
