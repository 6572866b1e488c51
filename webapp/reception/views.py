"""Views of reception: the greeter's arrival register, the roster, calls, visits, the
register (附表五) and its exports. Thin: services decide, these render."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request, url_for
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.auth.models import Role
from webapp.customers import services as cards
from webapp.customers.models import Grade
from webapp.customers.views import FORM_FIELDS, card_form_context
from webapp.errors import ValidationError
from webapp.htmx import (
    fragment_or_redirect,
    htmx_redirect,
    is_fragment_request,
    render_page_or_fragment,
    see_other,
)
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
    "purpose",
    "companions",
    "salesperson_id",
    "proposed_id",
    "override_reason",
)
# What the greeter had chosen when the proposal block refreshes itself (kept, not lost).
PROPOSAL_KEPT = ("salesperson_id", "override_reason")
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
        "clock": services.register.store_clock(),
        "can_set_roster": current_user.has_role(*services.roster.ROSTER_ROLES),
    }


@bp.get("/proposal")
@login_required
def proposal():
    """Who is next up now, or (everyone busy) who is likely free first, with the choice
    the greeter had made kept: the greeter's page refreshes this block."""
    require_role(current_user, *services.arrivals.ARRIVAL_ROLES)
    kept = {key: request.args.get(key, "") for key in PROPOSAL_KEPT}
    return render_page_or_fragment("home/arrivals.html", "proposal", **arrival_context(kept))


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
    """排班表: the manager sets today's order (↑↓ one place at a time), who is absent, who is
    on the roster; every button saves. A plain form gets a 303 back to the page, htmx the
    form again with the rotation it now gives."""
    errors: dict[str, str] = {}
    status = 200
    values: dict[str, Any] | None = None
    saved = request.args.get("saved") == "1"
    if request.method == "POST":
        values = request.form.to_dict()
        try:
            services.roster.set_roster(current_user, values)
        except ValidationError as exc:
            errors, status = exc.errors, 422
        else:
            if not is_fragment_request():
                return see_other(url_for("reception.roster", saved=1))
            values, saved = None, True
    rows = services.roster.roster_form(current_user)
    if values is None:
        values = services.roster.roster_values(rows)
    placed, others = services.roster.roster_order(rows, values)
    response = render_page_or_fragment(
        "reception/roster.html",
        "roster_form",
        status=status,
        rows=rows,
        placed=placed,
        others=others,
        values=values,
        errors=errors,
        prop=services.arrivals.proposal(current_user),
        skips=services.arrivals.skips_today(current_user),
        saved=saved,
        today=local_today(),
    )
    if saved and request.method == "POST":
        response.headers["HX-Trigger"] = "roster-saved"
    return response


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
        "closing_cutoff": services.register.last_closing(),
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
    """The visit page and the A card's open-visit block: no grade is chosen in advance (the
    salesperson decides at the end of the visit); the day's test drive, when known."""
    return {
        "visit": visit,
        "values": values or {},
        "errors": errors or {},
        "grades": [g.value for g in Grade],
        "results": [r.value for r in VisitResult],
        "titles": cards.TITLES,
        "drive": services.visits.test_drive_fact(visit),
        "can_close": current_user.has_role(*services.visits.CLOSE_ROLES),
        "can_greet": current_user.has_role(*services.visits.GREET_ROLES)
        and (visit.owner_id == current_user.id or current_user.has_role(Role.SALES_MANAGER)),
        "can_open_card": current_user.has_role(*cards.CARD_ROLES),
    }


@bp.get("/visits/<int:visit_id>")
@login_required
def visit(visit_id: int):
    """One visit or call: greeting, A card, drinks and, while open, the closing form."""
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


@bp.post("/visits/<int:visit_id>/greet")
@login_required
def greet(visit_id: int):
    """迎接 from the visit page, or a corrected greeting time (`greeted_at`, HH:MM). A bad
    time comes back next to its field (422), nothing saved."""
    values = _posted(("greeted_at",))
    try:
        record = services.visits.greet(current_user, visit_id, values)
    except ValidationError as exc:
        record = services.visits.get_visit(current_user, visit_id)
        ctx = _visit_context(record, values, exc.errors)
        return render_page_or_fragment("reception/visit.html", "visit_body", status=422, **ctx)
    return fragment_or_redirect(
        url_for("reception.visit", visit_id=record.id),
        "reception/visit.html",
        "visit_body",
        trigger="visit-greeted",
        **_visit_context(record),
    )


@bp.post("/visits/<int:visit_id>/drinks")
@login_required
def drinks(visit_id: int):
    """The drinks-offered tick of a walk-in (saved as it changes)."""
    offered = request.form.get("drinks_offered", "") in ("1", "on")
    try:
        record = services.visits.offer_drinks(current_user, visit_id, offered)
    except ValidationError as exc:
        record = services.visits.get_visit(current_user, visit_id)
        ctx = _visit_context(record, {"drinks_offered": offered}, exc.errors)
        return render_page_or_fragment("reception/visit.html", "visit_body", status=422, **ctx)
    return fragment_or_redirect(
        url_for("reception.visit", visit_id=record.id),
        "reception/visit.html",
        "visit_body",
        **_visit_context(record),
    )


def _new_card_context(visit: Any, values: dict, errors: dict | None = None, **extra: Any) -> dict:
    """The A card form's own context (customers area), for the card of this visit: it goes
    to the visit's salesperson, so no owner is chosen."""
    return card_form_context(values, errors, visit=visit, owners=[], **extra)


@bp.route("/visits/<int:visit_id>/card", methods=["GET", "POST"])
@login_required
def visit_card(visit_id: int):
    """The visit's A card: the card itself when linked, else the new A card form filled from
    the visit; saving it links the visit. Errors come back next to their fields (422)."""
    record = services.visits.get_visit(current_user, visit_id)
    require_role(current_user, *cards.CARD_ROLES)
    if record.card_id is not None:
        return htmx_redirect(url_for("customers.card", card_id=record.card_id))
    if request.method == "GET":
        values = services.visits.card_values(record)
        return render_page_or_fragment(
            "reception/visit_card.html", "card_form", **_new_card_context(record, values)
        )
    values = {key: request.form.get(key, "") for key in FORM_FIELDS}
    try:
        card = services.visits.open_card(current_user, visit_id, values)
    except ValidationError as exc:
        record = services.visits.get_visit(current_user, visit_id)
        ctx = _new_card_context(
            record, values, exc.errors, duplicate_id=getattr(exc, "duplicate_id", None)
        )
        return render_page_or_fragment("reception/visit_card.html", "card_form", status=422, **ctx)
    return htmx_redirect(url_for("customers.card", card_id=card.id))


@bp.get("/cards/<int:card_id>/visit")
@login_required
def card_visit(card_id: int):
    """The A card's open visit of today (since when, people, the closing form), loaded into
    the card page; an empty block when the customer is not in the showroom."""
    record = services.visits.open_visit_of_card(current_user, card_id)
    ctx = _visit_context(record) if record is not None else {"visit": None}
    return render_page_or_fragment(
        "reception/card_visit.html", "card_visit", card_id=card_id, **ctx
    )


@bp.post("/visits/<int:visit_id>/close-on-card")
@login_required
def close_on_card(visit_id: int):
    """Close the visit from the A card page: errors next to the fields in the card's block
    (422); done, the card page again (its grade, follow-up and timeline changed)."""
    values = _posted(CLOSE_FIELDS)
    try:
        record = services.visits.close_visit(current_user, visit_id, values)
    except ValidationError as exc:
        record = services.visits.get_visit(current_user, visit_id)
        ctx = _visit_context(record, values, exc.errors)
        return render_page_or_fragment(
            "reception/card_visit.html", "card_visit", status=422, card_id=record.card_id, **ctx
        )
    if record.card_id is None:
        return htmx_redirect(url_for("reception.visit", visit_id=record.id))
    return htmx_redirect(url_for("customers.card", card_id=record.card_id))


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
