"""Catalogue screens: the line-up and a model's SFX and colours for all; editing for admins."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.catalog import services
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment

bp = Blueprint("catalog", __name__, url_prefix="/catalog")

MODEL_FIELDS = ("code", "name_zh", "name_en", "body_type", "fab", "active", "sort_order")
SFX_FIELDS = ("code", "grade", "engine", "drivetrain", "new_energy", "msrp", "fab", "active")
COLOUR_FIELDS = ("name_zh", "name_en", "hex")


def _posted(fields: tuple[str, ...]) -> dict[str, Any]:
    return {key: request.form.get(key, "") for key in fields}


def _form(values: dict[str, Any], errors: dict[str, str] | None = None, **extra: Any) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "body_types": services.BODY_TYPES,
        "drivetrains": services.DRIVETRAINS,
        **extra,
    }


@bp.get("/")
@login_required
def models() -> Response:
    """The national line-up, optionally one body type; the list is the `model_list` fragment."""
    body_type = request.args.get("body_type", "")
    rows = services.list_models(current_user, body_type or None)
    return render_page_or_fragment(
        "catalog/models.html",
        "model_list",
        rows=rows,
        filters={"body_type": body_type},
        body_types=services.BODY_TYPES,
        can_edit=services.can_edit(current_user),
        show_prices=services.can_see_prices(current_user),
    )


@bp.get("/<int:model_id>")
@login_required
def model(model_id: int) -> Response:
    """A model with its SFX (grade, engine, drivetrain, MSRP, FAB) and colours."""
    record = services.get_model(current_user, model_id)
    return render_page_or_fragment(
        "catalog/model.html",
        "model_detail",
        model=record,
        sfx_rows=services.visible_sfx(current_user, record),
        body_types=services.BODY_TYPES,
        drivetrains=services.DRIVETRAINS,
        can_edit=services.can_edit(current_user),
        show_prices=services.can_see_prices(current_user),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new_model() -> Response:
    """Add a model (admins). Errors come back next to their fields (422)."""
    if request.method == "GET":
        services.require_editor(current_user)
        values = {"body_type": "sedan", "active": True, "sort_order": 0}
        return render_page_or_fragment("catalog/new_model.html", "model_form", **_form(values))
    values = _posted(MODEL_FIELDS)
    try:
        record = services.create_model(current_user, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/new_model.html", "model_form", status=422, **_form(values, exc.errors)
        )
    flash(_("Model %(code)s added.", code=record.code), "success")
    return htmx_redirect(url_for("catalog.model", model_id=record.id))


@bp.route("/<int:model_id>/edit", methods=["GET", "POST"])
@login_required
def edit_model(model_id: int) -> Response:
    """Edit a model (admins)."""
    services.require_editor(current_user)
    record = services.get_model(current_user, model_id)
    if request.method == "GET":
        values = {key: getattr(record, key) for key in MODEL_FIELDS}
        return render_page_or_fragment(
            "catalog/edit_model.html", "model_form", **_form(values, model=record)
        )
    values = _posted(MODEL_FIELDS)
    try:
        services.update_model(current_user, model_id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/edit_model.html",
            "model_form",
            status=422,
            **_form(values, exc.errors, model=record),
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("catalog.model", model_id=model_id))


@bp.route("/<int:model_id>/sfx/new", methods=["GET", "POST"])
@login_required
def new_sfx(model_id: int) -> Response:
    """Add an SFX to a model (admins)."""
    services.require_editor(current_user)
    record = services.get_model(current_user, model_id)
    if request.method == "GET":
        values = {"drivetrain": "FF", "active": True}
        return render_page_or_fragment(
            "catalog/new_sfx.html", "sfx_form", **_form(values, model=record)
        )
    values = _posted(SFX_FIELDS)
    try:
        services.create_sfx(current_user, model_id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/new_sfx.html",
            "sfx_form",
            status=422,
            **_form(values, exc.errors, model=record),
        )
    flash(_("SFX added."), "success")
    return htmx_redirect(url_for("catalog.model", model_id=model_id))


@bp.route("/<int:model_id>/sfx/<int:sfx_id>/edit", methods=["GET", "POST"])
@login_required
def edit_sfx(model_id: int, sfx_id: int) -> Response:
    """Edit an SFX of a model (admins)."""
    sfx = services.get_sfx(current_user, model_id, sfx_id)
    if request.method == "GET":
        values = {key: getattr(sfx, key) for key in SFX_FIELDS}
        return render_page_or_fragment(
            "catalog/edit_sfx.html", "sfx_form", **_form(values, model=sfx.model, sfx=sfx)
        )
    values = _posted(SFX_FIELDS)
    try:
        services.update_sfx(current_user, model_id, sfx_id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/edit_sfx.html",
            "sfx_form",
            status=422,
            **_form(values, exc.errors, model=sfx.model, sfx=sfx),
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("catalog.model", model_id=model_id))


@bp.route("/<int:model_id>/colours/new", methods=["GET", "POST"])
@login_required
def new_colour(model_id: int) -> Response:
    """Add a body colour to a model (admins)."""
    services.require_editor(current_user)
    record = services.get_model(current_user, model_id)
    if request.method == "GET":
        values = {"hex": "#ffffff"}
        return render_page_or_fragment(
            "catalog/new_colour.html", "colour_form", **_form(values, model=record)
        )
    values = _posted(COLOUR_FIELDS)
    try:
        services.create_colour(current_user, model_id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/new_colour.html",
            "colour_form",
            status=422,
            **_form(values, exc.errors, model=record),
        )
    flash(_("Colour added."), "success")
    return htmx_redirect(url_for("catalog.model", model_id=model_id))


@bp.route("/<int:model_id>/colours/<int:colour_id>/edit", methods=["GET", "POST"])
@login_required
def edit_colour(model_id: int, colour_id: int) -> Response:
    """Edit a colour of a model (admins)."""
    colour = services.get_colour(current_user, model_id, colour_id)
    if request.method == "GET":
        values = {key: getattr(colour, key) for key in COLOUR_FIELDS}
        return render_page_or_fragment(
            "catalog/edit_colour.html",
            "colour_form",
            **_form(values, model=colour.model, colour=colour),
        )
    values = _posted(COLOUR_FIELDS)
    try:
        services.update_colour(current_user, model_id, colour_id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "catalog/edit_colour.html",
            "colour_form",
            status=422,
            **_form(values, exc.errors, model=colour.model, colour=colour),
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("catalog.model", model_id=model_id))
