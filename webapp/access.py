"""Access in one place: store, role and owner scoping for every query of business records.

Services build their selects and pass them through `scoped()`; views and templates never
filter by store or owner themselves. A record outside the actor's scope is reported as
NotFound, so another store cannot even learn that an id exists.
"""

from __future__ import annotations

from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.sql import Select

from webapp.auth.models import Role, User
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.org.models import Store

T = TypeVar("T")

# Roles that see every owned record of their store; a salesperson sees only their own.
STORE_WIDE_ROLES = frozenset({Role.SALES_MANAGER, Role.ADMIN, Role.GREETER})
OWNER_ROLES = frozenset({Role.SALESPERSON})


def store_clause(model: Any, actor: User) -> sa.ColumnElement[bool]:
    """The stores the actor reaches: their own, or the whole group for a group admin."""
    column = model.id if model is Store else model.store_id
    group_id = actor.store.group_id
    if actor.group_admin and Role.ADMIN in actor.roles and group_id is not None:
        return column.in_(sa.select(Store.id).where(Store.group_id == group_id))
    return column == actor.store_id


def owner_clause(model: Any, actor: User) -> sa.ColumnElement[bool] | None:
    """None when the actor sees all owned rows of the store; else the owner restriction."""
    owner = getattr(model, "owner_id", None)
    if owner is None or actor.roles & STORE_WIDE_ROLES:
        return None
    if actor.roles & OWNER_ROLES:
        return owner == actor.id
    return sa.false()


def scoped(stmt: Select, model: Any, actor: User) -> Select:
    """Restrict a select over `model` to what the actor may see."""
    stmt = stmt.where(store_clause(model, actor))
    owner = owner_clause(model, actor)
    return stmt if owner is None else stmt.where(owner)


def get_scoped(model: type[T], record_id: int, actor: User) -> T:
    """Load one record the actor may see, or raise NotFound."""
    pk = model.id  # type: ignore[attr-defined]
    record = db.session.scalar(scoped(sa.select(model).where(pk == record_id), model, actor))
    if record is None:
        raise NotFound()
    return record


def require_role(actor: User, *roles: Role) -> None:
    """Raise PermissionDenied unless the actor holds one of the roles."""
    if not actor.has_role(*roles):
        raise PermissionDenied()


def is_store_reachable(store_id: int, actor: User) -> bool:
    """Whether a store id lies inside the actor's reach (for ids taken from a form)."""
    stmt = sa.select(Store.id).where(Store.id == store_id, store_clause(Store, actor))
    return db.session.scalar(stmt) is not None
