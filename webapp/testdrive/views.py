"""Views of the test-drive back office: cars, routes and their welcome sheet, bookings, the
keeper's schedule, staff licences and the checklist templates (step ⑤)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, abort, current_app, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from webapp.access import require_role
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, is_fragment_request, render_page_or_fragment, see_other
from webapp.inputs import parse_date, parse_id
from webapp.testdrive import bp, services
from webapp.testdrive.models import LicenceClass, Transmission
from webapp.timeutil import SHANGHAI, local_today, now

CAR_FIELDS = (*services.cars.CAR_TEXT_FIELDS, "active")
ROUTE_FIELDS = (
    "name",
    "duration_min",
    "distance_km",
    "swap_point",
    "demo_points",
    "welcome_text",
    "active",
)
BOOKING_FIELDS = ("car_id", "route_id", "starts_at", "driver_id")


@bp.context_processor
def _subnav_flags() -> dict[str, bool]:
    """The can_* flags of the back office's sub-navigation (testdrive/_macros.html)."""
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {
        "can_manage_cars": not roles.isdisjoint(services.cars.MANAGE_ROLES),
        "can_see_routes": not roles.isdisjoint(services.routes.ROUTE_VIEW_ROLES),
        "can_book": not roles.isdisjoint(services.bookings.BOOKING_ROLES),
        "can_see_licences": not roles.isdisjoint(services.licences.LICENCE_ROLES),
        "can_edit_checklists": not roles.isdisjoint(services.checklists.TEMPLATE_ROLES),
    }


@bp.app_template_global()
def packet_url(booking_id: int) -> str:
    """The packet page of a booking (written in testdrive/packet.py), by endpoint if present."""
    if "testdrive.packet" in current_app.view_functions:
        try:
            return url_for("testdrive.packet", booking_id=booking_id)
        except BuildError:
            pass
    return f"{request.script_root}/testdrive/bookings/{booking_id}/packet"


@bp.app_template_global()
def privacy_url(kind: str, record_id: int) -> str:
    """The licence copy (/privacy/licence/<id>) or signed agreement (/privacy/signature/<id>)."""
    return f"{request.script_root}/privacy/{kind}/{record_id}"


def _version() -> int | None:
    try:
        return int(request.form.get("version", ""))
    except ValueError:
        return None


def _day_arg(name: str = "day") -> date:
    """The day of a list (`?day=2026-11-27`), today without one. A date outside the years
    the app handles (0001-01-01, 9999-12-31) is today too; text that is no date is a 404."""
    raw = request.args.get(name)
    if not raw:
        return local_today()
    day = parse_date(raw)
    if day is not None:
        return day
    try:
        date.fromisoformat(raw)
    except ValueError:
        abort(404)
    return local_today()


# ---------------------------------------------------------------------------------------
# Cars


def _car_form(values: dict[str, Any], errors: dict | None = None, **extra: Any) -> dict:
    store_id = extra["car"].store_id if extra.get("car") else current_user.store_id
    return {
        "values": values,
        "errors": errors or {},
        "models": services.cars.model_choices(),
        "keepers": services.cars.keeper_choices(store_id),
        "transmissions": [(t.value, t.value) for t in Transmission],
        "fuel_options": [(str(i), f"{i}/8") for i in range(8, -1, -1)],
        **extra,
    }


@bp.get("/cars")
@login_required
def cars() -> Response:
    """试驾车: the store's test-drive cars with their status (the `car_list` fragment)."""
    rows = services.cars.list_cars(current_user)
    return render_page_or_fragment("testdrive/cars.html", "car_list", rows=rows)


@bp.route("/cars/new", methods=["GET", "POST"])
@login_required
def new_car() -> Response:
    """Register a test-drive car (keeper, manager, admin). Errors next to the fields (422)."""
    if request.method == "GET":
        require_role(current_user, *services.cars.MANAGE_ROLES)
        values = {
            "transmission": "AT",
            "fuel_eighths": 8,
            "mileage_km": 0,
            "keeper_id": current_user.id if current_user.has_role("car_keeper") else "",
        }
        return render_page_or_fragment("testdrive/new_car.html", "car_form", **_car_form(values))
    values = {key: request.form.get(key, "") for key in CAR_FIELDS}
    try:
        car = services.cars.create_car(current_user, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/new_car.html", "car_form", status=422, **_car_form(values, exc.errors)
        )
    flash(_("Car %(plate)s added.", plate=car.plate), "success")
    return htmx_redirect(url_for("testdrive.cars"))


@bp.route("/cars/<int:car_id>/edit", methods=["GET", "POST"])
@login_required
def edit_car(car_id: int) -> Response:
    """Edit a car: papers, fuel, mileage, cleaning, keeper. A stale version is refused."""
    car = services.cars.get_car(current_user, car_id)
    if request.method == "GET":
        values = {key: getattr(car, key) for key in CAR_FIELDS}
        values["version"] = car.version
        return render_page_or_fragment(
            "testdrive/edit_car.html", "car_form", **_car_form(values, car=car)
        )
    values = {key: request.form.get(key, "") for key in CAR_FIELDS}
    values["version"] = _version()
    try:
        services.cars.update_car(current_user, car_id, values, values["version"])
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/edit_car.html",
            "car_form",
            status=422,
            **_car_form(values, exc.errors, car=services.cars.get_car(current_user, car_id)),
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("testdrive.cars"))


# ---------------------------------------------------------------------------------------
# Routes (附表八)


def _route_form(values: dict[str, Any], errors: dict | None = None, **extra: Any) -> dict:
    return {
        "values": values,
        "errors": errors or {},
        "models": services.cars.model_choices(),
        **extra,
    }


def _posted_route() -> tuple[dict[str, Any], bytes | None]:
    values: dict[str, Any] = {key: request.form.get(key, "") for key in ROUTE_FIELDS}
    values["model_ids"] = request.form.getlist("model_ids")
    upload = request.files.get("map")
    data = upload.read(services.routes.MAP_MAX_BYTES + 1) if upload and upload.filename else None
    return values, data


@bp.get("/routes")
@login_required
def routes() -> Response:
    """附表八: the store's routes (the `route_list` fragment)."""
    rows = services.routes.list_routes(current_user)
    can_edit = current_user.has_role(*services.cars.MANAGE_ROLES)
    return render_page_or_fragment(
        "testdrive/routes.html", "route_list", rows=rows, can_edit=can_edit
    )


@bp.route("/routes/new", methods=["GET", "POST"])
@login_required
def new_route() -> Response:
    """Plan a route with its map, swap point and demonstration points."""
    if request.method == "GET":
        require_role(current_user, *services.cars.MANAGE_ROLES)
        values = {"duration_min": 20, "model_ids": []}
        return render_page_or_fragment(
            "testdrive/new_route.html", "route_form", **_route_form(values)
        )
    values, data = _posted_route()
    try:
        route = services.routes.create_route(current_user, values, data)
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/new_route.html", "route_form", status=422, **_route_form(values, exc.errors)
        )
    flash(_("Route %(name)s added.", name=route.name), "success")
    return htmx_redirect(url_for("testdrive.routes"))


@bp.route("/routes/<int:route_id>/edit", methods=["GET", "POST"])
@login_required
def edit_route(route_id: int) -> Response:
    """Edit a route; a new map upload replaces the old map."""
    route = services.routes.get_route(current_user, route_id)
    if request.method == "GET":
        values = {key: getattr(route, key) for key in ROUTE_FIELDS}
        values["demo_points"] = services.routes.demo_points_text(route.demo_points)
        values["model_ids"] = [str(m.id) for m in route.models]
        return render_page_or_fragment(
            "testdrive/edit_route.html", "route_form", **_route_form(values, route=route)
        )
    values, data = _posted_route()
    try:
        services.routes.update_route(current_user, route_id, values, data)
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/edit_route.html",
            "route_form",
            status=422,
            **_route_form(
                values, exc.errors, route=services.routes.get_route(current_user, route_id)
            ),
        )
    flash(_("Changes saved."), "success")
    return htmx_redirect(url_for("testdrive.routes"))


@bp.get("/routes/<int:route_id>/welcome")
@login_required
def welcome_sheet(route_id: int) -> Response:
    """附表八 欢迎参加试乘试驾活动: the printable welcome sheet of a route."""
    route = services.routes.get_route(current_user, route_id, *services.routes.ROUTE_VIEW_ROLES)
    return render_page_or_fragment("testdrive/welcome.html", "welcome_sheet", route=route)


@bp.get("/routes/<int:route_id>/map")
@login_required
def route_map(route_id: int) -> Response:
    """The route map image, for any staff of the route's store (NotFound otherwise)."""
    data, mime = services.routes.route_map_of(current_user, route_id)
    response = make_response(data)
    response.mimetype = mime
    response.headers["Cache-Control"] = "private, max-age=86400"
    response.headers["Content-Disposition"] = "inline"
    return response


# ---------------------------------------------------------------------------------------
# Bookings


def _default_start() -> str:
    """The next full half hour, local time, as the form's datetime-local value."""
    local = now().astimezone(SHANGHAI).replace(second=0, microsecond=0)
    local += timedelta(minutes=30 - local.minute % 30)
    return local.strftime("%Y-%m-%dT%H:%M")


def _booking_form(card: Any, values: dict, errors: dict | None = None) -> dict:
    options = services.bookings.booking_options(current_user, card)
    return {
        "card": card,
        "values": values,
        "errors": errors or {},
        "options": options,
        "min_start": now().astimezone(SHANGHAI).strftime("%Y-%m-%dT00:00"),
    }


def _card_arg() -> int:
    card_id = parse_id(request.args.get("card_id", ""))
    if card_id is None:
        abort(404)
    return card_id


@bp.route("/bookings/new", methods=["GET", "POST"])
@login_required
def new_booking() -> Response:
    """Book a test drive for the card `?card_id=`: car, route, time and driver (`booking_form`).

    A clash, a car that is not ready or an unlicensed driver come back next to the field (422).
    """
    card = services.bookings.get_card_for_booking(current_user, _card_arg())
    if request.method == "GET":
        form = _booking_form(card, {"starts_at": _default_start(), "driver_id": ""})
        # The car and route that fit the customer's model come preselected.
        options = form["options"]
        form["values"].update(
            car_id=str(options.suggested_car_id or ""),
            route_id=str(options.suggested_route_id or ""),
        )
        return render_page_or_fragment("testdrive/new_booking.html", "booking_form", **form)
    values = {key: request.form.get(key, "") for key in BOOKING_FIELDS}
    try:
        booking = services.bookings.create_booking(current_user, card.id, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/new_booking.html",
            "booking_form",
            status=422,
            **_booking_form(card, values, exc.errors),
        )
    flash(_("Test drive booked."), "success")
    return htmx_redirect(url_for("testdrive.booking", booking_id=booking.id))


@bp.get("/bookings")
@login_required
def bookings() -> Response:
    """The day's bookings in the actor's scope; `?day=` moves the day (`booking_list`)."""
    day = _day_arg()
    rows = services.bookings.list_bookings(current_user, day)
    return render_page_or_fragment(
        "testdrive/bookings.html",
        "booking_list",
        rows=rows,
        day=day,
        previous=day - timedelta(days=1),
        following=day + timedelta(days=1),
    )


def _booking_page(booking_id: int, status: int = 200, **extra: Any) -> Response:
    booking = services.bookings.get_booking(current_user, booking_id)
    context = {"booking": booking, "cancel_values": {}, "cancel_errors": {}, **extra}
    return render_page_or_fragment(
        "testdrive/booking.html", "booking_detail", status=status, **context
    )


@bp.get("/bookings/<int:booking_id>")
@login_required
def booking(booking_id: int) -> Response:
    """One booking with its packet link and the cancel form (`booking_detail`)."""
    return _booking_page(booking_id)


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel_booking(booking_id: int) -> Response:
    """Cancel a booking with the reason; the fragment is the refreshed booking."""
    reason = request.form.get("reason", "")
    try:
        services.bookings.cancel_booking(current_user, booking_id, reason)
    except ValidationError as exc:
        return _booking_page(
            booking_id, status=422, cancel_values={"reason": reason}, cancel_errors=exc.errors
        )
    if not is_fragment_request():
        return see_other(url_for("testdrive.booking", booking_id=booking_id))
    response = _booking_page(booking_id)
    response.headers["HX-Trigger"] = "booking-cancelled"
    return response


@bp.get("/schedule")
@login_required
def schedule() -> Response:
    """The car schedule: each car, today and the next days (`schedule` fragment)."""
    day = _day_arg()
    rows = services.schedule.schedule(current_user, day)
    return render_page_or_fragment(
        "testdrive/schedule.html",
        "schedule",
        rows=rows,
        day=day,
        days=[day + timedelta(days=i) for i in range(services.schedule.SCHEDULE_DAYS)],
        previous=day - timedelta(days=services.schedule.SCHEDULE_DAYS),
        following=day + timedelta(days=services.schedule.SCHEDULE_DAYS),
    )


@bp.get("/cards/<int:card_id>/drives")
@login_required
def card_drives(card_id: int) -> Response:
    """The test drives of an A-C card with feedback and documents (`card_drives` fragment,
    loaded into the card page)."""
    card, lines, may_see = services.bookings.card_test_drives(current_user, card_id)
    return render_page_or_fragment(
        "testdrive/card_drives.html", "card_drives", card=card, lines=lines, may_see=may_see
    )


# ---------------------------------------------------------------------------------------
# Staff licences


@bp.route("/licences", methods=["GET", "POST"])
@login_required
def licences() -> Response:
    """Staff licences on file (manager, admin): who may drive a test drive (`licences`)."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("user_id", "licence_class", "expires_on")}
        try:
            services.licences.record_licence(current_user, values)
        except ValidationError as exc:
            errors, status = exc.errors, 422
        else:
            if not is_fragment_request():
                flash(_("Licence recorded."), "success")
                return see_other(url_for("testdrive.licences"))
            values = {}
    rows = services.licences.licence_rows(current_user)
    response = render_page_or_fragment(
        "testdrive/licences.html",
        "licences",
        status=status,
        rows=rows,
        values=values,
        errors=errors,
        classes=[(c.value, c.value) for c in LicenceClass],
        staff=[(r.user_id, r.name) for r in rows],
        today=local_today(),
    )
    if request.method == "POST" and status == 200:
        response.headers["HX-Trigger"] = "licence-recorded"
    return response


# ---------------------------------------------------------------------------------------
# Checklist templates


@bp.get("/templates")
@login_required
def templates() -> Response:
    """The checklist templates and the feedback form 附表九, every version (admins)."""
    versions = services.checklists.template_versions(current_user)
    return render_page_or_fragment("testdrive/templates.html", "templates", versions=versions)


@bp.route("/templates/<kind>/edit", methods=["GET", "POST"])
@login_required
def edit_template(kind: str) -> Response:
    """Edit a template: saving makes a new current version (`template_form`)."""
    current = services.checklists.current_template(current_user, kind)
    if request.method == "GET":
        text = services.checklists.items_text(current.items) if current else ""
        return render_page_or_fragment(
            "testdrive/edit_template.html",
            "template_form",
            kind=kind,
            current=current,
            values={"items": text},
            errors={},
        )
    text = request.form.get("items", "")
    try:
        template = services.checklists.save_template(current_user, kind, text)
    except ValidationError as exc:
        return render_page_or_fragment(
            "testdrive/edit_template.html",
            "template_form",
            status=422,
            kind=kind,
            current=current,
            values={"items": text},
            errors=exc.errors,
        )
    flash(_("Saved as version %(n)d.", n=template.version), "success")
    return htmx_redirect(url_for("testdrive.templates"))
