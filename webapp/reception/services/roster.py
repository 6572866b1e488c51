"""The duty roster (排班表) of step ②: the manager sets the day's order of salespeople at
the morning meeting, with who is absent.

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


def roster_form(actor: User) -> list[tuple[User, RosterEntry | None]]:
    """Every salesperson of the store with today's roster entry (None = not on the roster)."""
    require_role(actor, *ROSTER_ROLES)
    roster = roster_for(actor.store_id, local_today())
    by_user = {e.user_id: e for e in roster.entries} if roster else {}
    return [(p, by_user.get(p.id)) for p in store_salespeople(actor.store_id)]


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
