"""Views of reception: the greeter's arrival register, the roster, calls, visits, the
register (附表五) and its exports. Thin: services decide, these render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.customers import services as cards
from webapp.customers.models import Grade
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment
from webapp.reception import exports, services
from webapp.reception.models import VisitResult
from webapp.timeutil import local_today

bp = Blueprint("reception", __name__, url_prefix="/reception")

ARRIVAL_FIELDS = (
    "people",
    "name",
    "title",
    "mobile",
    "model_id",
    "source",
    "salesperson_id",
    "proposed_id",
    "override_reason",
)
CLOSE_FIELDS = ("grade", "result", "next_step", "test_drive", "name", "title", "mobile")
CALL_FIELDS = (
    "kind",
    "minutes",
    "name",
    "title",
    "mobile",
    "model_id",
    "source",
    "salesperson_id",
    "prep_notes",
    "grade",
    "result",
    "next_step",
    "test_drive",
)


def _posted(fields: tuple[str, ...]) -> dict[str, str]:
    return {key: request.form.get(key, "") for key in fields}


def arrival_context(values: dict | None = None, errors: dict | None = None) -> dict[str, Any]:
    """What the greeter's page needs: the proposal, today's open visits, the choices."""
    prop = services.arrivals.proposal(current_user)
    flt = services.register.RegisterFilter(day=local_today())
    rows = services.register.register_lines(current_user, flt)
    defaults = {"people": "1", "source": "walk_in", "title": ""}
    return {
        "values": values or defaults,
        "errors": errors or {},
        "prop": prop,
        "open_visits": [v for v in rows if v.is_open and v.kind == "walk_in"],
        "recent": list(reversed(rows))[:8],
        "titles": cards.TITLES,
        "sources": cards.SOURCES,
        "models": cards.model_choices(),
        "salespeople": services.roster.store_salespeople(current_user.store_id),
        "today": local_today(),
        "can_set_roster": current_user.has_role(*services.roster.ROSTER_ROLES),
    }


@bp.get("/proposal")
@login_required
def proposal():
    """Who is next up now (the greeter's page refreshes this block)."""
    require_role(current_user, *services.arrivals.ARRIVAL_ROLES)
    return render_page_or_fragment("home/arrivals.html", "proposal", **arrival_context())


@bp.get("/today")
@login_required
def today_side():
    """Who is with a customer, the rotation and the latest rows (the greeter's side panel)."""
    require_role(current_user, *services.arrivals.ARRIVAL_ROLES)
    return render_page_or_fragment("home/arrivals.html", "arrival_side", **arrival_context())


@bp.post("/phone-check")
@login_required
def phone_check():
    """While the greeter types a mobile: a repeat customer and their salesperson, if any.
    POST so that phone numbers stay out of URLs and logs."""
    require_role(current_user, *services.arrivals.ARRIVAL_ROLES)
    card = services.customer.find_by_phone(current_user, request.form.get("mobile", ""))
    return render_page_or_fragment("reception/phone_check.html", "phone_check", card=card)


@bp.post("/arrivals")
@login_required
def register_arrival():
    """Register a walk-in (the plain-form path; the outbox path merges through the same
    service). Errors come back next to their fields (422), nothing saved."""
    values = _posted(ARRIVAL_FIELDS)
    try:
        visit = services.arrivals.register_arrival(current_user, values)
    except ValidationError as exc:
        ctx = arrival_context(values, exc.errors)
        return render_page_or_fragment("home/arrivals.html", "arrival_form", status=422, **ctx)
    return htmx_redirect(url_for("home.arrivals", registered=visit.id))


@bp.route("/roster", methods=["GET", "POST"])
@login_required
def roster():
    """排班表: the manager sets today's order and who is absent."""
    errors: dict[str, str] = {}
    status = 200
    values: dict[str, Any] | None = None
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            services.roster.set_roster(current_user, values)
        except ValidationError as exc:
            errors, status = exc.errors, 422
        else:
            return htmx_redirect(url_for("reception.roster", saved=1))
    rows = services.roster.roster_form(current_user)
    if values is None:
        values = {}
        for person, entry in rows:
            if entry is not None:
                values[f"position-{person.id}"] = str(entry.position)
                if entry.absent:
                    values[f"absent-{person.id}"] = "1"
    return render_page_or_fragment(
        "reception/roster.html",
        "roster_form",
        status=status,
        rows=rows,
        values=values,
        errors=errors,
        prop=services.arrivals.proposal(current_user),
        skips=services.arrivals.skips_today(current_user),
        saved=request.args.get("saved") == "1",
        today=local_today(),
    )


def _filter_args(flt: services.register.RegisterFilter) -> dict[str, Any]:
    """The filters as applied, for the export links' url_for: what was read, never the raw
    query string (which may hold bytes that are not UTF-8, or anything else a client sent)."""
    params: dict[str, Any] = {"day": flt.day.isoformat()}
    if flt.owner_id:
        params["owner_id"] = flt.owner_id
    if flt.source:
        params["source"] = flt.source
    if flt.result:
        params["result"] = flt.result
    return params


def _register_context() -> dict[str, Any]:
    flt = services.register.parse_filter(request.args)
    return {
        "flt": flt,
        "rows": services.register.register_lines(current_user, flt),
        "salespeople": services.roster.store_salespeople(current_user.store_id),
        "sources": cards.SOURCES,
        "results": [r.value for r in VisitResult],
        "can_export": current_user.has_role(*services.register.EXPORT_ROLES),
        "export_args": _filter_args(flt),
    }


@bp.get("/register")
@login_required
def register():
    """附表五: the register of a day, filtered by salesperson, source and result."""
    return render_page_or_fragment(
        "reception/register.html", "register_rows", **_register_context()
    )


@bp.get("/register.csv")
@login_required
def register_csv() -> Response:
    """The filtered register as CSV (UTF-8 with BOM, Chinese headers)."""
    flt = services.register.parse_filter(request.args)
    return exports.csv_response(current_user, flt)


@bp.get("/register.xlsx")
@login_required
def register_xlsx() -> Response:
    """The filtered register as an Excel workbook (Chinese headers)."""
    flt = services.register.parse_filter(request.args)
    return exports.xlsx_response(current_user, flt)


def _visit_context(visit: Any, values: dict | None = None, errors: dict | None = None) -> dict:
    return {
        "visit": visit,
        "values": values or {"grade": visit.grade or (visit.card.grade if visit.card else "")},
        "errors": errors or {},
        "grades": [g.value for g in Grade],
        "results": [r.value for r in VisitResult],
        "titles": cards.TITLES,
        "can_close": current_user.has_role(*services.visits.CLOSE_ROLES),
        "can_open_card": current_user.has_role(*cards.CARD_ROLES),
    }


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    """One visit or call; while open, the salesperson's closing form."""
    record = services.visits.get_visit(current_user, visit_id)
    return render_page_or_fragment("reception/visit.html", "visit_body", **_visit_context(record))


@bp.post("/visits/<int:visit_id>/close")
@login_required
def close(visit_id: int):
    """The customer left: complete the register row and the A card in one step."""
    values = _posted(CLOSE_FIELDS)
    try:
        record = services.visits.close_visit(current_user, visit_id, values)
    except ValidationError as exc:
        record = services.visits.get_visit(current_user, visit_id)
        ctx = _visit_context(record, values, exc.errors)
        return render_page_or_fragment("reception/visit.html", "visit_body", status=422, **ctx)
    return htmx_redirect(url_for("reception.visit", visit_id=record.id))


@bp.route("/calls/new", methods=["GET", "POST"])
@login_required
def new_call():
    """Log a phone call in or out (5W2H preparation notes for outgoing calls)."""
    require_role(current_user, *services.register.REGISTER_ROLES)
    values: dict[str, Any] = {"kind": "phone_out", "source": "phone_in", "minutes": "5"}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        values = _posted(CALL_FIELDS)
        try:
            record = services.visits.log_call(current_user, values)
        except ValidationError as exc:
            errors, status = exc.errors, 422
        else:
            return htmx_redirect(url_for("reception.visit", visit_id=record.id))
    return render_page_or_fragment(
        "reception/call.html",
        "call_form",
        status=status,
        values=values,
        errors=errors,
        titles=cards.TITLES,
        sources=cards.SOURCES,
        models=cards.model_choices(),
        grades=[g.value for g in Grade],
        results=[r.value for r in VisitResult],
        salespeople=services.roster.store_salespeople(current_user.store_id),
        choose_salesperson=current_user.has_role(*services.arrivals.ARRIVAL_ROLES),
    )
