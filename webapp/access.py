"""Access in one place: store, role and owner scoping for every query of business records.

Services build their selects and pass them through `scoped()`; views and templates never
filter by store or owner themselves. A record outside the actor's scope is reported as
NotFound, so another store cannot even learn that an id exists.
"""

from __future__ import annotations

from collections.abc import Callable
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


def _reaches_group(actor: User) -> bool:
    return bool(
        actor.group_admin and Role.ADMIN in actor.roles and actor.store.group_id is not None
    )


def _owner_rule(model: Any, actor: User) -> str:
    """ "all" (no owner restriction), "own" (owner is the actor) or "none" (no owned rows)."""
    if getattr(model, "owner_id", None) is None or actor.roles & STORE_WIDE_ROLES:
        return "all"
    return "own" if actor.roles & OWNER_ROLES else "none"


def store_clause(model: Any, actor: User, bound: bool = False) -> sa.ColumnElement[bool]:
    """The stores the actor reaches: their own, or the whole group for a group admin.

    `bound=True` puts the ids in as named parameters (see scoped_statement)."""
    column = model.id if model is Store else model.store_id
    if _reaches_group(actor):
        group_id = sa.bindparam("scope_group_id") if bound else actor.store.group_id
        return column.in_(sa.select(Store.id).where(Store.group_id == group_id))
    return column == (sa.bindparam("scope_store_id") if bound else actor.store_id)


def owner_clause(model: Any, actor: User, bound: bool = False) -> sa.ColumnElement[bool] | None:
    """None when the actor sees all owned rows of the store; else the owner restriction."""
    rule = _owner_rule(model, actor)
    if rule == "all":
        return None
    if rule == "own":
        return model.owner_id == (sa.bindparam("scope_owner_id") if bound else actor.id)
    return sa.false()


def scoped(stmt: Select, model: Any, actor: User, bound: bool = False) -> Select:
    """Restrict a select over `model` to what the actor may see (`bound`: see store_clause)."""
    stmt = stmt.where(store_clause(model, actor, bound))
    owner = owner_clause(model, actor, bound)
    return stmt if owner is None else stmt.where(owner)


# Statements built once per process and shape, for the busiest lists: building a select
# costs SQLAlchemy more than running it (~0.3 ms for a card list), and a statement object
# that is reused also keeps its cache key.
_BUILT: dict[tuple, Select] = {}


def scoped_statement(
    key: str,
    model: Any,
    actor: User,
    build: Callable[[Callable[[Select], Select]], Select],
    store_only: bool = False,
) -> tuple[Select, dict[str, Any]]:
    """scoped() for a statement built once per process and kind of actor.

    `build(scope)` makes the statement with named parameters and passes the select over
    `model` through `scope` (the same rules as scoped(), with the actor's store, group and
    id as parameters), wherever it sits: the whole statement or a subquery of it. Returns the
    statement and the scope's parameters, to execute with the statement's own.

    `store_only=True` applies the store rule alone (store_clause), for the statements whose
    owner rule is their own and written in the statement (a salesperson's bookings are those
    they sell *or* drive).
    """
    rule = "store" if store_only else _owner_rule(model, actor)
    shape = (key, model, _reaches_group(actor), rule)
    stmt = _BUILT.get(shape)
    if stmt is None:
        applied = []

        def scope(select: Select) -> Select:
            applied.append(True)
            if store_only:
                return select.where(store_clause(model, actor, bound=True))
            return scoped(select, model, actor, bound=True)

        stmt = build(scope)
        if not applied:
            raise RuntimeError(f"{key}: the statement was built without its scope")
        _BUILT[shape] = stmt
    params = {"scope_store_id": actor.store_id, "scope_owner_id": actor.id}
    if shape[2]:
        params["scope_group_id"] = actor.store.group_id
    return stmt, params


def get_scoped(model: type[T], record_id: int, actor: User, *options: Any) -> T:
    """Load one record the actor may see, or raise NotFound. `options` are loader options."""
    pk = model.id  # type: ignore[attr-defined]
    stmt = scoped(sa.select(model).where(pk == record_id), model, actor)
    record = db.session.scalar(stmt.options(*options) if options else stmt)
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
