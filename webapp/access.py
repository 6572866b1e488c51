"""Access in one place: store, role and owner scoping for every query of business records.

Services build their selects and pass them through `scoped()`; views and templates never
filter by store or owner themselves. A record outside the actor's scope is reported as
NotFound, so another store cannot even learn that an id exists.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from types import FunctionType
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
    """ "all" (no owner restriction), "own" (owner is the actor), "handed" (the rows handed to
    the actor's department), "own+handed", or "none" (no owned rows).

    A model may name its own `store_wide_roles` (a contract is seen store-wide by finance,
    and not at all by the greeter, who sees no prices), its own `owner_roles` (a follow-up
    task is owned by a service advisor too), and `handed_roles` with `handed_column`: those
    roles see the rows whose column is set (the C cards handed to service after the first
    maintenance)."""
    wide = getattr(model, "store_wide_roles", STORE_WIDE_ROLES)
    if getattr(model, "owner_id", None) is None or actor.roles & wide:
        return "all"
    own = bool(actor.roles & getattr(model, "owner_roles", OWNER_ROLES))
    handed = bool(actor.roles & getattr(model, "handed_roles", frozenset()))
    if own and handed:
        return "own+handed"
    return "own" if own else "handed" if handed else "none"


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
    clauses: list[sa.ColumnElement[bool]] = []
    if "own" in rule:
        clauses.append(model.owner_id == (sa.bindparam("scope_owner_id") if bound else actor.id))
    if "handed" in rule:
        clauses.append(getattr(model, model.handed_column).is_not(None))
    if not clauses:
        return sa.false()
    return clauses[0] if len(clauses) == 1 else sa.or_(*clauses)


def scope_clause(model: Any, actor: User, bound: bool = False) -> sa.ColumnElement[bool]:
    """The rows of `model` the actor may see, as one condition (`bound`: see store_clause)."""
    store = store_clause(model, actor, bound)
    owner = owner_clause(model, actor, bound)
    return store if owner is None else sa.and_(store, owner)


def scoped(stmt: Select, model: Any, actor: User, bound: bool = False) -> Select:
    """Restrict a select over `model` to what the actor may see (`bound`: see store_clause)."""
    return stmt.where(scope_clause(model, actor, bound))


# Statements built once per process and shape, for the busiest lists: building a select
# costs SQLAlchemy more than running it (~0.3 ms for a card list), and a statement object
# that is reused also keeps its cache key. A shape is the builder itself with its arguments
# and the kind of actor, never a name written by hand: two builders, or one builder with other
# arguments, never share a statement. The shapes are few (a builder's arguments are kinds of
# list and filter combinations, the values go in as parameters); the bound only keeps a
# mistake from growing the cache for ever.
_BUILT: dict[tuple, Select] = {}
BUILT_LIMIT = 1024


def _check_builder(build: Any) -> None:
    """A builder must be a module-level function: it is part of the cache key, so it must be
    the same object on every call and hold no value of its own (a closure's captured values
    would be frozen into the first statement built)."""
    if not isinstance(build, FunctionType):
        raise TypeError(f"scoped_statement needs a module-level function, not {build!r}")
    if build.__closure__ is not None or "<locals>" in build.__qualname__:
        raise TypeError(
            f"scoped_statement needs a module-level function, not {build.__qualname__}: "
            "pass what it uses as arguments"
        )


class _Scope:
    """What a builder of scoped_statement() scopes its selects with: called on the select over
    the statement's model, and `clause(other)` for the condition on the rows of another model
    the statement joins (one of its `also`)."""

    def __init__(self, model: Any, actor: User, store_only: bool, also: tuple[Any, ...]) -> None:
        self.model, self.actor, self.store_only, self.also = model, actor, store_only, also
        self.applied = False
        self.joined: set[Any] = set()

    def __call__(self, select: Select) -> Select:
        self.applied = True
        if self.store_only:
            return select.where(store_clause(self.model, self.actor, bound=True))
        return scoped(select, self.model, self.actor, bound=True)

    def clause(self, other: Any) -> sa.ColumnElement[bool]:
        """The rows of `other` the actor may see, as one condition (scoped()'s rules, with
        the same parameters), for where the statement joins them."""
        if other not in self.also:
            raise ValueError(f"{other.__name__} is not one of the statement's `also` models")
        self.joined.add(other)
        return scope_clause(other, self.actor, bound=True)


def scoped_statement(
    model: Any,
    actor: User,
    build: Callable[..., Select],
    *args: Hashable,
    store_only: bool = False,
    also: tuple[Any, ...] = (),
) -> tuple[Select, dict[str, Any]]:
    """scoped() for a statement built once per process, builder, arguments and kind of actor.

    `build(scope, *args)` makes the statement with named parameters and passes the select
    over `model` through `scope` (the same rules as scoped(), with the actor's store, group and
    id as parameters), wherever it sits: the whole statement or a subquery of it. Returns the
    statement and the scope's parameters, to execute with the statement's own.

    `build` is a module-level function (TypeError for a lambda or function defined in a
    function); `args` choose among the statement's shapes (which filters, which kind of list)
    and must be hashable. Values that change per request go in as parameters, not `args`.

    `store_only=True` applies the store rule alone (store_clause), for the statements whose
    owner rule is their own and written in the statement (a salesperson's bookings are those
    they sell *or* drive).

    `also` names the other models whose rows the statement joins (a card's audit ticks beside
    the card): the builder scopes them where it joins them with `scope.clause(other)`, each
    by its own rules, and must scope every one of them.
    """
    reach = _reaches_group(actor)
    rule = "store" if store_only else _owner_rule(model, actor)
    joined_rules = tuple((other, _owner_rule(other, actor)) for other in also)
    shape = (build, args, model, reach, rule, joined_rules)
    try:
        stmt = _BUILT.get(shape)
    except TypeError:
        raise TypeError(f"scoped_statement arguments must be hashable: {args!r}") from None
    if stmt is None:
        _check_builder(build)
        scope = _Scope(model, actor, store_only, also)
        stmt = build(scope, *args)
        if not scope.applied:
            raise RuntimeError(f"{build.__qualname__}: the statement was built without its scope")
        if missing := [other.__name__ for other in also if other not in scope.joined]:
            raise RuntimeError(f"{build.__qualname__}: {missing} joined without their scope")
        if len(_BUILT) >= BUILT_LIMIT:
            _BUILT.clear()
        _BUILT[shape] = stmt
    params = {"scope_store_id": actor.store_id, "scope_owner_id": actor.id}
    if reach:
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


def reachable_stores(actor: User) -> list[tuple[int, str]]:
    """The stores the actor reaches as (id, name), by store code: the group's for a group
    admin (one statement), else their own store, loaded with the user (no statement)."""
    if not _reaches_group(actor):
        return [(actor.store.id, actor.store.name)]
    stmt = scoped(sa.select(Store.id, Store.name), Store, actor).order_by(Store.code, Store.id)
    return [(row.id, row.name) for row in db.session.execute(stmt)]


def is_store_reachable(store_id: int, actor: User) -> bool:
    """Whether a store id lies inside the actor's reach (for ids taken from a form)."""
    stmt = sa.select(Store.id).where(Store.id == store_id, store_clause(Store, actor))
    return db.session.scalar(stmt) is not None
