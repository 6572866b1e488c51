"""Admin screens: staff accounts (create, edit, disable, reset password), stores, grade rules."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.admin import services
from webapp.customers.models import Grade
from webapp.errors import ValidationError
from webapp.htmx import (
    fragment_or_redirect,
    htmx_redirect,
    is_fragment_request,
    render_page_or_fragment,
)
from webapp.inputs import parse_id

bp = Blueprint("admin", __name__, url_prefix="/admin")

ACTIVE_FILTERS = {"1": True, "0": False}


def _int_arg(raw: str | None) -> int | None:
    """An id filter from the query string; anything but an id is ignored."""
    return parse_id(raw) if raw else None


def _posted_user() -> dict[str, Any]:
    """The user form as posted; passwords are read separately and never echoed back."""
    return {
        "username": request.form.get("username", ""),
        "display_name": request.form.get("display_name", ""),
        "store_id": request.form.get("store_id", ""),
        "roles": request.form.getlist("roles"),
        "group_admin": request.form.get("group_admin", ""),
    }


def _user_form_context(values: dict[str, Any], errors: dict[str, str] | None = None) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "stores": services.store_choices(current_user),
        "roles": services.ROLE_VALUES,
        "can_grant_group_admin": services.is_group_admin(current_user),
    }


def _edit_user_page(user_id: int, block: str, status: int = 200, **overrides: Any) -> Response:
    """The edit page of a user; `overrides` replace the defaults of one of its three forms."""
    user = services.get_user(current_user, user_id)
    values = {
        "display_name": user.display_name,
        "store_id": user.store_id,
        "roles": sorted(r.value for r in user.roles),
        "group_admin": user.group_admin,
    }
    ctx: dict[str, Any] = {
        **_user_form_context(overrides.pop("values", values), overrides.pop("errors", None)),
        "user": user,
        "status_errors": {},
        "reset_errors": {},
        **overrides,
    }
    return render_page_or_fragment("admin/edit_user.html", block, status=status, **ctx)


@bp.get("/users")
@login_required
def users() -> Response:
    """The staff of the stores the admin reaches, filtered by role, status and store.

    The list is the `user_list` fragment for the filter form's hx-get.
    """
    filters = {
        "role": request.args.get("role", ""),
        "active": request.args.get("active", ""),
        "store_id": request.args.get("store_id", ""),
    }
    rows = services.list_users(
        current_user,
        role=filters["role"] or None,
        active=ACTIVE_FILTERS.get(filters["active"]),
        store_id=_int_arg(filters["store_id"]),
    )
    return render_page_or_fragment(
        "admin/users.html",
        "user_list",
        rows=rows,
        filters=filters,
        roles=services.ROLE_VALUES,
        stores=services.store_choices(current_user),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@login_required
def new_user() -> Response:
    """Create a staff account; errors come back next to their fields (422)."""
    if request.method == "GET":
        values = {"store_id": current_user.store_id, "roles": []}
        return render_page_or_fragment(
            "admin/new_user.html", "user_form", **_user_form_context(values)
        )
    values = _posted_user()
    data = {
        **values,
        "password": request.form.get("password", ""),
        "confirm": request.form.get("confirm", ""),
    }
    try:
        user = services.create_user(current_user, data)
    except ValidationError as exc:
        return render_page_or_fragment(
            "admin/new_user.html", "user_form", status=422, **_user_form_context(values, exc.errors)
        )
    flash(_("Account %(name)s created.", name=user.username), "success")
    return htmx_redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@login_required
def edit_user(user_id: int) -> Response:
    """Edit a user's name, roles and store; the page also disables and resets the password."""
    if request.method == "GET":
        return _edit_user_page(user_id, "user_form")
    values = _posted_user()
    try:
        services.update_user(current_user, user_id, values)
    except ValidationError as exc:
        return _edit_user_page(user_id, "user_form", 422, values=values, errors=exc.errors)
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/disable")
@login_required
def disable_user(user_id: int) -> Response:
    """Disable an account; its sessions end at once. Not allowed on one's own account (422)."""
    try:
        services.set_user_active(current_user, user_id, False)
    except ValidationError as exc:
        return _edit_user_page(user_id, "user_status", 422, status_errors=exc.errors)
    flash(_("Account disabled. Its sessions have ended."), "success")
    return htmx_redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/enable")
@login_required
def enable_user(user_id: int) -> Response:
    """Enable a disabled account again (its old sessions stay ended)."""
    services.set_user_active(current_user, user_id, True)
    flash(_("Account enabled."), "success")
    return htmx_redirect(url_for("admin.edit_user", user_id=user_id))


@bp.post("/users/<int:user_id>/password")
@login_required
def reset_password(user_id: int) -> Response:
    """Give a user a new password; all of their sessions end. Errors next to the fields (422)."""
    try:
        services.reset_password(
            current_user,
            user_id,
            request.form.get("password", ""),
            request.form.get("confirm", ""),
        )
    except ValidationError as exc:
        return _edit_user_page(user_id, "password_reset", 422, reset_errors=exc.errors)
    flash(_("Password reset. The user's sessions have ended."), "success")
    return htmx_redirect(url_for("admin.edit_user", user_id=user_id))


def _posted_store() -> dict[str, Any]:
    return {
        "code": request.form.get("code", ""),
        "name": request.form.get("name", ""),
        "city": request.form.get("city", ""),
        "active": request.form.get("active", ""),
        "group_id": request.form.get("group_id", ""),
    }


def _store_form_context(values: dict[str, Any], errors: dict[str, str] | None = None) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "groups": services.group_choices(current_user),
    }


def _edit_store_page(store_id: int, block: str, status: int = 200, **overrides: Any) -> Response:
    """The edit page of a store: its fields and its four grade rules, as two forms."""
    store = services.get_store(current_user, store_id)
    values = {
        "code": store.code,
        "name": store.name,
        "city": store.city,
        "active": store.active,
        "group_id": store.group_id,
    }
    ctx: dict[str, Any] = {
        **_store_form_context(overrides.pop("values", values), overrides.pop("errors", None)),
        "store": store,
        "grades": [g.value for g in Grade],
        "rule_values": services.store_grade_rules(current_user, store_id),
        "rule_errors": {},
        "rules_saved": False,
        **overrides,
    }
    return render_page_or_fragment("admin/edit_store.html", block, status=status, **ctx)


@bp.get("/stores")
@login_required
def stores() -> Response:
    """The stores the admin reaches (one store, or the whole dealer group)."""
    rows = services.list_stores(current_user)
    return render_page_or_fragment(
        "admin/stores.html",
        "store_list",
        rows=rows,
        can_create=services.can_create_store(current_user),
    )


@bp.route("/stores/new", methods=["GET", "POST"])
@login_required
def new_store() -> Response:
    """Create a store in the group admin's dealer group; errors next to the fields (422)."""
    if request.method == "GET":
        services.require_store_creator(current_user)
        groups = services.group_choices(current_user)
        values = {"active": True, "group_id": groups[0][0] if groups else ""}
        return render_page_or_fragment(
            "admin/new_store.html", "store_form", **_store_form_context(values)
        )
    values = _posted_store()
    try:
        store = services.create_store(current_user, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "admin/new_store.html",
            "store_form",
            status=422,
            **_store_form_context(values, exc.errors),
        )
    flash(_("Store %(code)s created.", code=store.code), "success")
    return htmx_redirect(url_for("admin.edit_store", store_id=store.id))


@bp.route("/stores/<int:store_id>/edit", methods=["GET", "POST"])
@login_required
def edit_store(store_id: int) -> Response:
    """Edit a store's code, name, city, active flag and dealer group."""
    if request.method == "GET":
        return _edit_store_page(store_id, "store_form")
    values = _posted_store()
    try:
        services.update_store(current_user, store_id, values)
    except ValidationError as exc:
        return _edit_store_page(store_id, "store_form", 422, values=values, errors=exc.errors)
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("admin.stores"))


@bp.post("/stores/<int:store_id>/grade-rules")
@login_required
def grade_rules(store_id: int) -> Response:
    """Save the store's four grade rules at once; the fragment is the refreshed rules form."""
    values = {
        f"{kind}_{grade.value}": request.form.get(f"{kind}_{grade.value}", "")
        for grade in Grade
        for kind in ("purchase", "follow_up")
    }
    try:
        services.save_grade_rules(current_user, store_id, values)
    except ValidationError as exc:
        return _edit_store_page(
            store_id, "grade_rules", 422, rule_values=values, rule_errors=exc.errors
        )
    if not is_fragment_request():
        flash(_("Grade rules saved."), "success")
    store = services.get_store(current_user, store_id)
    return fragment_or_redirect(
        url_for("admin.edit_store", store_id=store_id),
        "admin/edit_store.html",
        "grade_rules",
        trigger="grade-rules-saved",
        store=store,
        grades=[g.value for g in Grade],
        rule_values=services.store_grade_rules(current_user, store_id),
        rule_errors={},
        rules_saved=True,
    )
