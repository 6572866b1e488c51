"""Pages of the vehicle stock: the list with counts per status, a car, its form and the CSV
import of the dispatch list with its per-row report."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment
from webapp.inputs import parse_id
from webapp.stock import bp, services
from webapp.stock.models import VehicleStatus
from webapp.timeutil import local_today


@bp.context_processor
def _flags() -> dict[str, bool]:
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {"can_manage_stock": not roles.isdisjoint(services.MANAGE_ROLES)}


def _version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


@bp.get("/")
@login_required
def index() -> Response:
    """库存车: the store's cars by model and status, with the count of each status
    (the `stock_list` fragment for the filter)."""
    model_id = parse_id(request.args.get("model_id"))
    status = request.args.get("status", "")
    stock = services.list_vehicles(current_user, model_id, status)
    filters = {
        "model_id": model_id or "",
        "status": status if status in services.STATUSES else "",
    }
    return render_page_or_fragment(
        "stock/index.html",
        "stock_list",
        stock=stock,
        filters=filters,
        models=services.model_choices(),
    )


@bp.get("/<int:vehicle_id>")
@login_required
def vehicle(vehicle_id: int) -> Response:
    """One car of the stock: model, SFX, colour, status, location, reservation."""
    car = services.get_vehicle(current_user, vehicle_id)
    return render_page_or_fragment("stock/vehicle.html", "vehicle", car=car)


def _form(values: dict[str, Any], errors: dict | None = None, **extra: Any) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "models": services.model_choices(),
        "statuses": services.SETTABLE_STATUSES,
        **extra,
    }


def _posted() -> dict[str, Any]:
    return {key: request.form.get(key, "") for key in services.FORM_FIELDS}


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new() -> Response:
    """Add a car to the stock (keeper, manager, admin). Errors next to the fields (422)."""
    if request.method == "GET":
        require_role(current_user, *services.MANAGE_ROLES)
        values = {"status": VehicleStatus.IN_STOCK.value, "arrived_on": local_today()}
        return render_page_or_fragment("stock/new.html", "vehicle_form", **_form(values))
    values = _posted()
    try:
        car = services.create_vehicle(current_user, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "stock/new.html", "vehicle_form", status=422, **_form(values, exc.errors)
        )
    flash(_("Car %(vin)s added to the stock.", vin=car.vin), "success")
    return htmx_redirect(url_for("stock.index"))


@bp.route("/<int:vehicle_id>/edit", methods=["GET", "POST"])
@login_required
def edit(vehicle_id: int) -> Response:
    """Edit a car of the stock; a stale version is refused, a reserved car keeps its status."""
    require_role(current_user, *services.MANAGE_ROLES)
    car = services.get_vehicle(current_user, vehicle_id)
    if request.method == "GET":
        values: dict[str, Any] = {key: getattr(car, key) for key in services.FORM_FIELDS}
        values["version"] = car.version
        return render_page_or_fragment("stock/edit.html", "vehicle_form", **_form(values, car=car))
    values = _posted()
    values["version"] = _version()
    try:
        services.update_vehicle(current_user, vehicle_id, values, values["version"])
    except ValidationError as exc:
        car = services.get_vehicle(current_user, vehicle_id)
        return render_page_or_fragment(
            "stock/edit.html", "vehicle_form", status=422, **_form(values, exc.errors, car=car)
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("stock.vehicle", vehicle_id=vehicle_id))


@bp.route("/import", methods=["GET", "POST"])
@login_required
def import_csv() -> Response:
    """Import a CSV of the dispatch list: all rows or none, with a report of every bad row."""
    require_role(current_user, *services.MANAGE_ROLES)
    context: dict[str, Any] = {
        "report": None,
        "errors": {},
        "columns": list(services.COLUMNS),
        "max_rows": services.MAX_IMPORT_ROWS,
    }
    if request.method == "GET":
        return render_page_or_fragment("stock/import.html", "import_result", **context)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        context["errors"] = {"file": _("Choose a CSV file.")}
        return render_page_or_fragment("stock/import.html", "import_result", 422, **context)
    raw = upload.read(services.MAX_IMPORT_BYTES + 1)
    try:
        report = services.import_csv(current_user, raw)
    except ValidationError as exc:
        context["errors"] = exc.errors
        return render_page_or_fragment("stock/import.html", "import_result", 422, **context)
    context["report"] = report
    status = 200 if report.saved else 422
    return render_page_or_fragment("stock/import.html", "import_result", status, **context)


@bp.get("/import/template.csv")
@login_required
def import_template() -> Response:
    """The CSV template: the header row, UTF-8 with a byte order mark for Excel."""
    require_role(current_user, *services.MANAGE_ROLES)
    response = make_response(services.template_csv())
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = "attachment; filename=stock-template.csv"
    return response
