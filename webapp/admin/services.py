"""Admin rules: staff accounts, stores and each store's grade rules, within the admin's reach.

A store admin reaches their own store; a group admin (``User.group_admin`` with the admin
role) reaches every store of their dealer group. Every use case checks the admin role first,
loads records through `access.get_scoped` (another store's record is NotFound) and commits once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, is_store_reachable, require_role, scoped
from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.auth.services import (
    check_new_password,
    normalise_username,
    revoke_all_sessions,
    set_password_and_revoke,
)
from webapp.customers.models import Grade, GradeRule
from webapp.customers.services import grade_rules
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors
from webapp.org.models import DealerGroup, Store
from webapp.transactions import commit_unique

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,49}$")
STORE_CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{1,19}$")
MAX_RULE_DAYS = 365
ROLE_VALUES = tuple(r.value for r in Role)
# Text fields of the forms, each showing its own error (ids and roles are checked against
# the choices). Passwords are never stored or shown, only their hash.
STORE_TEXT_FIELDS = ("code", "name", "city")


def is_group_admin(actor: User) -> bool:
    """Whether the actor reaches a whole dealer group (the same test as `access.store_clause`)."""
    return bool(actor.group_admin and actor.has_role(Role.ADMIN) and actor.store.group_id)


def _manageable(actor: User, user: User) -> None:
    """A store admin may not manage a group admin: a password reset would hand over the group."""
    if user.group_admin and not is_group_admin(actor):
        raise PermissionDenied()


def _text(data: dict[str, Any], field: str) -> str:
    return str(data.get(field) or "").strip()


def _int_or_none(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


# Users


def list_users(
    actor: User,
    role: str | None = None,
    active: bool | None = None,
    store_id: int | None = None,
) -> list[User]:
    """The users of the stores the admin reaches, filtered by role, status and store.

    Raises PermissionDenied for non-admins. Unknown filter values are ignored.
    """
    require_role(actor, Role.ADMIN)
    stmt = scoped(sa.select(User), User, actor)
    if role in ROLE_VALUES:
        stmt = stmt.where(User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == role)))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    if store_id is not None:
        stmt = stmt.where(User.store_id == store_id)
    stmt = (
        stmt.join(Store, Store.id == User.store_id)
        .options(sa.orm.contains_eager(User.store), sa.orm.selectinload(User.role_rows))
        .order_by(Store.code, User.display_name, User.id)
    )
    return list(db.session.scalars(stmt).unique())


def store_choices(actor: User) -> list[tuple[int, str]]:
    """The stores the admin reaches, as (id, label) pairs for a select. Admins only."""
    return [(s.id, f"{s.name} ({s.code})") for s in list_stores(actor)]


def get_user(actor: User, user_id: int) -> User:
    """A user of a reachable store. Raises PermissionDenied (non-admin) or NotFound."""
    require_role(actor, Role.ADMIN)
    return get_scoped(User, user_id, actor)


def _clean_roles(raw: Iterable[str], errors: dict[str, str]) -> set[str]:
    roles = {str(r) for r in raw if r}
    if not roles:
        errors["roles"] = _("Choose at least one role.")
    elif not roles <= set(ROLE_VALUES):
        errors["roles"] = _("Choose roles from the list.")
    return roles


def _clean_store(actor: User, raw: Any, errors: dict[str, str]) -> int | None:
    store_id = parse_id(raw)
    if store_id is None or not is_store_reachable(store_id, actor):
        errors["store_id"] = _("Choose one of your stores.")
        return None
    return store_id


def _clean_display_name(data: dict[str, Any], errors: dict[str, str]) -> str:
    name = _text(data, "display_name")
    if not name:
        errors["display_name"] = _("Enter the name shown to colleagues.")
    elif len(name) > 50:
        errors["display_name"] = _("At most %(n)d characters.", n=50)
    return name


def _username_taken(username: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.username == username)) is not None


def _set_roles(user: User, roles: set[str]) -> None:
    """Change role rows in place: replacing the list would re-insert kept (user, role) keys."""
    for row in list(user.role_rows):
        if row.role not in roles:
            user.role_rows.remove(row)
    held = {row.role for row in user.role_rows}
    for role in sorted(roles - held):
        user.role_rows.append(UserRole(role=role))


def create_user(actor: User, data: dict[str, Any]) -> User:
    """Create a staff account in a reachable store with its roles and initial password.

    `data`: username, display_name, store_id, roles (list), password, confirm, group_admin
    (honoured only from a group admin). Raises PermissionDenied or ValidationError.
    """
    require_role(actor, Role.ADMIN)
    errors: dict[str, str] = {}
    username = normalise_username(_text(data, "username"))
    if not username:
        errors["username"] = _("Enter a username.")
    elif not USERNAME_RE.match(username):
        errors["username"] = _("3 to 50 characters: letters, digits, dots, dashes or underscores.")
    elif _username_taken(username):
        errors["username"] = _("This username is already taken.")
    display_name = _clean_display_name(data, errors)
    store_id = _clean_store(actor, data.get("store_id"), errors)
    roles = _clean_roles(data.get("roles") or (), errors)
    password = str(data.get("password") or "")
    try:
        check_new_password(password, str(data.get("confirm") or ""), field="password")
    except ValidationError as exc:
        errors.update(exc.errors)
    errors.update(text_errors(data, ("username", "display_name")))
    if errors:
        raise ValidationError(errors)

    user = User(
        username=username,
        display_name=display_name,
        store_id=store_id,
        password_hash=hash_password(password),
        group_admin=bool(data.get("group_admin")) and is_group_admin(actor),
    )
    _set_roles(user, roles)
    db.session.add(user)
    # Two admins creating the same username at once: the unique constraint decides.
    commit_unique("username", _("This username is already taken."))
    return user


def update_user(actor: User, user_id: int, data: dict[str, Any]) -> User:
    """Change a user's display name, roles, store and (group admins only) group-admin flag.

    An admin cannot take the admin role from themself. Raises PermissionDenied, NotFound or
    ValidationError.
    """
    user = get_user(actor, user_id)
    _manageable(actor, user)
    errors: dict[str, str] = {}
    display_name = _clean_display_name(data, errors)
    store_id = _clean_store(actor, data.get("store_id"), errors)
    roles = _clean_roles(data.get("roles") or (), errors)
    if user.id == actor.id and "roles" not in errors and Role.ADMIN.value not in roles:
        errors["roles"] = _("You cannot remove your own admin role.")
    errors.update(text_errors(data, ("display_name",)))
    if errors:
        raise ValidationError(errors)

    user.display_name = display_name
    user.store_id = store_id  # type: ignore[assignment]
    _set_roles(user, roles)
    if is_group_admin(actor):
        user.group_admin = bool(data.get("group_admin"))
    db.session.commit()
    return user


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    """Enable or disable an account; disabling ends all of the user's sessions at once.

    An admin cannot disable themself. Raises PermissionDenied, NotFound or ValidationError.
    """
    user = get_user(actor, user_id)
    _manageable(actor, user)
    if not active and user.id == actor.id:
        raise ValidationError({"active": _("You cannot disable your own account.")})
    user.active = active
    if not active:
        revoke_all_sessions(user)
    db.session.commit()
    return user


def reset_password(actor: User, user_id: int, password: str, confirm: str) -> User:
    """Set a new password for a user and end all of their sessions.

    Admins change their own password on the password page, which keeps their session.
    Raises PermissionDenied, NotFound or ValidationError.
    """
    user = get_user(actor, user_id)
    _manageable(actor, user)
    if user.id == actor.id:
        raise ValidationError(
            {"password": _("Change your own password on the “Change password” page.")}
        )
    check_new_password(password, confirm, field="password")
    set_password_and_revoke(user, password)
    db.session.commit()
    return user


# Stores


def list_stores(actor: User) -> list[Store]:
    """The stores the admin reaches, by code. Raises PermissionDenied for non-admins."""
    require_role(actor, Role.ADMIN)
    stmt = scoped(sa.select(Store), Store, actor).order_by(Store.code)
    return list(db.session.scalars(stmt))


def get_store(actor: User, store_id: int) -> Store:
    """A reachable store. Raises PermissionDenied (non-admin) or NotFound."""
    require_role(actor, Role.ADMIN)
    return get_scoped(Store, store_id, actor)


def group_choices(actor: User) -> list[tuple[int, str]]:
    """The dealer groups the admin may put a store in: a group admin's own group, else none."""
    require_role(actor, Role.ADMIN)
    if not is_group_admin(actor):
        return []
    group = db.session.get(DealerGroup, actor.store.group_id)
    return [(group.id, group.name)] if group else []


def can_create_store(actor: User) -> bool:
    """Only a group admin creates stores: a store admin could not reach a new store anyway."""
    return is_group_admin(actor)


def require_store_creator(actor: User) -> None:
    """Raise PermissionDenied unless the actor may create stores (a group admin)."""
    require_role(actor, Role.ADMIN)
    if not can_create_store(actor):
        raise PermissionDenied()


def _clean_store_fields(actor: User, data: dict[str, Any], store: Store | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    code = _text(data, "code").upper()
    if not code:
        errors["code"] = _("Enter the store code.")
    elif not STORE_CODE_RE.match(code):
        errors["code"] = _("2 to 20 characters: capital letters, digits, dashes or underscores.")
    else:
        stmt = sa.select(Store.id).where(Store.code == code)
        if store is not None:
            stmt = stmt.where(Store.id != store.id)
        if db.session.scalar(stmt) is not None:
            errors["code"] = _("Another store already has this code.")
    out["code"] = code

    name = _text(data, "name")
    if not name:
        errors["name"] = _("Enter the store name.")
    elif len(name) > 100:
        errors["name"] = _("At most %(n)d characters.", n=100)
    out["name"] = name

    city = _text(data, "city")
    if len(city) > 50:
        errors["city"] = _("At most %(n)d characters.", n=50)
    out["city"] = city
    out["active"] = bool(data.get("active"))

    # Only a group admin places stores in a group, and only in a group they reach; from
    # anyone else the field is ignored so a smuggled id cannot move a store.
    choices = {gid for gid, _name in group_choices(actor)}
    if choices:
        group_id = parse_id(data.get("group_id"))
        if group_id not in choices:
            errors["group_id"] = _("Choose your dealer group.")
        out["group_id"] = group_id
    errors.update(text_errors(data, STORE_TEXT_FIELDS))
    if errors:
        raise ValidationError(errors)
    return out


def create_store(actor: User, data: dict[str, Any]) -> Store:
    """Create a store in the group admin's dealer group.

    `data`: code, name, city, active, group_id. Raises PermissionDenied (not a group admin)
    or ValidationError.
    """
    require_store_creator(actor)
    clean = _clean_store_fields(actor, data, None)
    store = Store(**clean)
    db.session.add(store)
    commit_unique("code", _("Another store already has this code."))
    return store


def update_store(actor: User, store_id: int, data: dict[str, Any]) -> Store:
    """Edit a reachable store's code, name, city, active flag and (group admins) group.

    Raises PermissionDenied, NotFound or ValidationError.
    """
    store = get_store(actor, store_id)
    clean = _clean_store_fields(actor, data, store)
    for key, value in clean.items():
        setattr(store, key, value)
    commit_unique("code", _("Another store already has this code."))
    return store


def store_grade_rules(actor: User, store_id: int) -> dict[str, str]:
    """The store's grade rules as form values (purchase_H, follow_up_H, …), defaults filled in.

    Raises PermissionDenied or NotFound.
    """
    store = get_store(actor, store_id)
    values: dict[str, str] = {}
    for grade, (purchase, follow_up) in grade_rules(store.id).items():
        values[f"purchase_{grade.value}"] = str(purchase)
        values[f"follow_up_{grade.value}"] = str(follow_up)
    return values


def _days(raw: Any, field: str, errors: dict[str, str]) -> int | None:
    number = _int_or_none(raw)
    if number is None or not 1 <= number <= MAX_RULE_DAYS:
        errors[field] = _("Enter a whole number of days from 1 to %(n)d.", n=MAX_RULE_DAYS)
        return None
    return number


def save_grade_rules(actor: User, store_id: int, data: dict[str, Any]) -> None:
    """Save all four grade rules of a store at once.

    `data` holds purchase_<G> and follow_up_<G> for G in H, A, B, C: whole numbers from 1 to
    365, the follow-up interval no longer than the purchase window. Raises PermissionDenied,
    NotFound or ValidationError (nothing saved).
    """
    store = get_store(actor, store_id)
    errors: dict[str, str] = {}
    wanted: dict[str, tuple[int, int]] = {}
    for grade in Grade:
        purchase_field, follow_up_field = f"purchase_{grade.value}", f"follow_up_{grade.value}"
        purchase = _days(data.get(purchase_field), purchase_field, errors)
        follow_up = _days(data.get(follow_up_field), follow_up_field, errors)
        if purchase is None or follow_up is None:
            continue
        if follow_up > purchase:
            errors[follow_up_field] = _("Follow up at least once within the purchase window.")
        wanted[grade.value] = (purchase, follow_up)
    errors.update(text_errors(data))
    if errors:
        raise ValidationError(errors)

    existing = {
        rule.grade: rule
        for rule in db.session.scalars(sa.select(GradeRule).where(GradeRule.store_id == store.id))
    }
    for grade_value, (purchase, follow_up) in wanted.items():
        rule = existing.get(grade_value)
        if rule is None:
            rule = GradeRule(store_id=store.id, grade=grade_value)
            db.session.add(rule)
        rule.purchase_within_days = purchase
        rule.follow_up_days = follow_up
    db.session.commit()
