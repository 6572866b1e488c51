"""What the monthly sheets share (附表四 月度CR活动计划 in webapp.followup.cr_plan, 附表一
计划·实绩表 in webapp.pdca.plan): the showroom's current month, which months a person may
save, whose lines a person reaches, percentages, and the pages' month and person arguments.

A salesperson reaches their own line; the sales manager and the admin every active
salesperson of their store. A salesperson's past months are read-only.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.auth.models import Role, User, UserRole
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.inputs import parse_id, parse_month
from webapp.timeutil import add_months, local_today

# Who sees and saves every salesperson's line of the store (a salesperson: only their own).
MANAGERS = (Role.SALES_MANAGER, Role.ADMIN)
MONTHS_AHEAD = 12


def this_month() -> date:
    """The first day of the showroom's current month."""
    return local_today().replace(day=1)


def is_manager(actor: User) -> bool:
    """Whether the actor works the whole store's sheet (sales manager or admin)."""
    return actor.has_role(*MANAGERS)


def month_error(actor: User, month: date) -> str | None:
    """Why the actor may not save `month`, or None. Nobody saves more than MONTHS_AHEAD
    months ahead; a salesperson's past months are read-only (the manager may still correct
    one)."""
    current = this_month()
    if month > add_months(current, MONTHS_AHEAD):
        return _("At most %(n)d months ahead.", n=MONTHS_AHEAD)
    if month < current and not is_manager(actor):
        return _("Past months are read-only.")
    return None


def percent(part: int, whole: int) -> int | None:
    """part / whole as a whole percentage rounded half up; None when the whole is 0."""
    if whole <= 0:
        return None
    return (part * 200 + whole) // (whole * 2)


def salespeople(actor: User, store_id: int | None = None) -> list[tuple[int, str]]:
    """The active salespeople (id, name) of the actor's store, or of `store_id` (one the
    caller has found in the actor's reach), by name: one statement."""
    params = {"store_id": actor.store_id if store_id is None else store_id}
    rows = db.session.connection().execute(_salespeople_statement(), params)
    return [(row.id, row.display_name) for row in rows]


@cache
def _salespeople_statement() -> sa.Select:
    """The store's active users (by the store index), each kept when it holds the role (one
    look-up in the role's primary key). As a join PostgreSQL hashed every user's roles of the
    group (3,000 rows) for a store's 30 users: 0.5 ms against 0.1."""
    is_salesperson = (
        sa.select(UserRole.role)
        .where(UserRole.user_id == User.id, UserRole.role == Role.SALESPERSON.value)
        .scalar_subquery()
    )
    return (
        sa.select(User.id, User.display_name)
        .where(User.store_id == sa.bindparam("store_id"), User.active, is_salesperson.is_not(None))
        .order_by(User.display_name, User.id)
    )


def reach(actor: User, owner_id: int | None) -> tuple[list[tuple[int, str]], list[int]]:
    """(the people the actor may pick from, the ids the sheet shows). A salesperson reaches
    themself; a manager the store's active salespeople, one of them when `owner_id` is
    given. NotFound for an owner outside that reach."""
    if is_manager(actor):
        people = salespeople(actor)
        if owner_id is None:
            return people, [pid for pid, _name in people]
        if owner_id not in {pid for pid, _name in people}:
            raise NotFound()
        return people, [owner_id]
    if owner_id is not None and owner_id != actor.id:
        raise NotFound()
    return [(actor.id, actor.display_name)], [actor.id]


def month_arg(raw: str | None) -> date:
    """A page's `YYYY-MM` (this month when missing); anything else is a 404, as no link
    makes one."""
    if not raw:
        return this_month()
    month = parse_month(raw)
    if month is None:
        raise NotFound()
    return month


def owner_arg(raw: str | None) -> int | None:
    """A page's person (`owner=<id>`; none when missing or empty); an unreadable id is a 404."""
    if not raw:
        return None
    owner_id = parse_id(raw)
    if owner_id is None:
        raise NotFound()
    return owner_id
