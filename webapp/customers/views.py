"""Views of the A-C card: search, create, edit, the card with its timeline, the card box."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, request, url_for
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.customers import lists, services
from webapp.customers.models import Grade, Stage
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, is_fragment_request, render_page_or_fragment, see_other
from webapp.i18n import locale_name
from webapp.inputs import parse_id, sane_date
from webapp.labels import label
from webapp.negotiation.contracts import open_contract_ref
from webapp.timeutil import local_today

bp = Blueprint("customers", __name__, url_prefix="/customers")

FORM_FIELDS = services.FORM_FIELDS


def card_form_context(values: dict, errors: dict | None = None, **extra: object) -> dict:
    """What the A card form needs: the values, errors, choices and today; reception opens the
    same form from a visit."""
    zh = locale_name().startswith("zh")
    return {
        "values": values,
        "errors": errors or {},
        "titles": services.TITLES,
        "sources": services.SOURCES,
        "payments": services.PAYMENTS,
        "budget_amounts": services.budget_range_amounts(),
        "grades": [g.value for g in Grade],
        "model_options": [
            (m.id, m.name_zh if zh else (m.name_en or m.name_zh)) for m in services.model_choices()
        ],
        "owners": services.owner_choices(current_user),
        "today": local_today().isoformat(),
        **extra,
    }


def _posted() -> dict:
    values = {key: request.form.get(key, "") for key in FORM_FIELDS}
    values["budget_range"] = request.form.get("budget_range", "")
    return values


@bp.route("/", methods=["GET", "POST"])
@login_required
def search():
    """Search cards by name or mobile prefix; the results list is the fragment.

    The query travels in a POST body, never in the URL: phone numbers must not land in
    access logs, browser history or Referer headers.
    """
    query = request.form.get("q", "") if request.method == "POST" else ""
    require_role(current_user, *services.SEARCH_ROLES)
    rows = lists.search_cards(current_user, query) if query else []
    return render_page_or_fragment(
        "customers/search.html", "customer_results", query=query, rows=rows
    )


@bp.post("/check-mobile")
@login_required
def check_mobile():
    """While typing a mobile on the new-card form: offer the existing card, if any."""
    existing = services.find_duplicate(current_user, request.form.get("mobile", ""))
    return render_page_or_fragment("customers/check_mobile.html", "mobile_hint", existing=existing)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    """The new A card form. Errors come back next to their fields (422)."""
    if request.method == "GET":
        values = {"title": "", "source": "walk_in", "payment": "undecided", "grade": ""}
        require_role(current_user, *services.CARD_ROLES)
        referrer = services.referrer(current_user, request.args.get("referred_by"))
        if referrer is not None:
            values.update(source="owner_referral", referred_by=referrer.id)
        return render_page_or_fragment(
            "customers/new.html", "card_form", **card_form_context(values, referrer=referrer)
        )
    values = _posted()
    values["referred_by"] = request.form.get("referred_by", "")
    try:
        card = services.create_card(current_user, values)
    except ValidationError as exc:
        ctx = card_form_context(
            values,
            exc.errors,
            duplicate_id=getattr(exc, "duplicate_id", None),
            referrer=services.referrer(current_user, values["referred_by"]),
        )
        return render_page_or_fragment("customers/new.html", "card_form", status=422, **ctx)
    return htmx_redirect(url_for("customers.card", card_id=card.id))


@bp.get("/<int:card_id>")
@login_required
def card(card_id: int):
    """The A-C card with its timeline."""
    return _card_page(card_id)


@bp.route("/<int:card_id>/edit", methods=["GET", "POST"])
@login_required
def edit(card_id: int):
    """Edit a card; a stale version is refused with a message rather than overwritten."""
    record = services.get_card(current_user, card_id)
    if request.method == "GET":
        values = {key: getattr(record, key) for key in FORM_FIELDS}
        values["version"] = record.version
        return render_page_or_fragment(
            "customers/edit.html", "card_form", card=record, **card_form_context(values)
        )
    values = _posted()
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    values["version"] = version
    try:
        services.update_card(current_user, card_id, values, version)
    except ValidationError as exc:
        ctx = card_form_context(values, exc.errors, duplicate_id=getattr(exc, "duplicate_id", None))
        return render_page_or_fragment(
            "customers/edit.html", "card_form", status=422, card=record, **ctx
        )
    return htmx_redirect(url_for("customers.card", card_id=card_id))


@bp.post("/<int:card_id>/contacts")
@login_required
def add_contact(card_id: int):
    """Log a contact; the fragment is the refreshed timeline with its form."""
    values = {k: request.form.get(k, "") for k in ("kind", "note", "grade", "referral_asked")}
    try:
        services.record_contact(
            current_user,
            card_id,
            values["kind"],
            values["note"],
            values["grade"] or None,
            referral_asked=values["referral_asked"] == "1",
        )
    except ValidationError as exc:
        return _card_page(card_id, status=422, contact_values=values, contact_errors=exc.errors)
    if not is_fragment_request():
        return see_other(url_for("customers.card", card_id=card_id))
    response = _card_page(card_id)
    response.headers["HX-Trigger"] = "contact-recorded"
    return response


@bp.post("/<int:card_id>/stage")
@login_required
def change_stage(card_id: int):
    """Move the card to another stage; the fragment is the refreshed timeline."""
    values = {k: request.form.get(k, "") for k in ("stage", "stage_note")}
    try:
        version = int(request.form.get("version", ""))
    except ValueError:
        version = None
    try:
        services.change_stage(current_user, card_id, values["stage"], values["stage_note"], version)
    except ValidationError as exc:
        return _card_page(card_id, status=422, stage_values=values, stage_errors=exc.errors)
    return htmx_redirect(url_for("customers.card", card_id=card_id))


def _card_page(card_id: int, status: int = 200, **overrides: object):
    # Imported here: the follow-up area reads the delivery area, whose pages import
    # reception's, which import this module.
    from webapp.followup.services import card_tasks

    record = services.view_card(current_user, card_id)
    sales = current_user.has_role(*services.CARD_ROLES)
    context = {
        "card": record,
        # The service advisor reads a C card handed to service: contact data, no prices.
        "sales_view": sales,
        "may_work": services.may_work(current_user, record),
        # Step ⑧'s tasks are an owner's (C card): no query for the other cards.
        "tasks": card_tasks(record) if record.stage == Stage.OWNER.value else [],
        "service_advisor": services.user_name(record.service_advisor_id),
        "events": services.timeline(current_user, record),
        "contact_kinds": services.CONTACT_KINDS,
        "grades": [g.value for g in Grade],
        "stage_options": [
            (code, label("stage", code)) for code in services.STAGE_MOVES.get(record.stage, ())
        ],
        "contact_values": {},
        "contact_errors": {},
        "stage_values": {},
        "stage_errors": {},
        "open_contract": open_contract_ref(record.id) if sales else None,
        **overrides,
    }
    return render_page_or_fragment("customers/card.html", "timeline", status=status, **context)


def _month_arg(raw: str | None) -> date:
    """The card box's month `YYYY-MM`: unreadable is a 404 (no link makes one); a month
    outside the years the app handles is this month."""
    this_month = local_today().replace(day=1)
    if not raw:
        return this_month
    year, sep, month = raw.partition("-")
    if not (sep and year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
        abort(404)
    if len(year) != 4:
        return this_month
    try:
        first = date(int(year), int(month), 1)
    except ValueError:
        abort(404)
    return first if sane_date(first) else this_month


def _after_arg(raw: str | None) -> tuple[str, int] | None:
    """The keyset cursor `H-123` (grade, id) of the card box's next page."""
    if not raw:
        return None
    grade, _sep, last_id = raw.partition("-")
    card_id = parse_id(last_id)
    if grade not in {g.value for g in Grade} or card_id is None:
        abort(404)
    return grade, card_id


@bp.get("/box")
@login_required
def box():
    """The card box (卡片箱) by month, with overdue follow-ups marked, 50 cards a page.

    "Show more" asks for the next page as a fragment: only its rows and the next button.
    """
    month = _month_arg(request.args.get("month"))
    after = _after_arg(request.args.get("after"))
    rows, next_page = lists.card_box(current_user, month, after)
    start, end = lists.month_bounds(month)
    previous = (start - timedelta(days=1)).replace(day=1)
    return render_page_or_fragment(
        "customers/box.html",
        "card_box_rows" if after else "card_box",
        month=month,
        rows=rows,
        next_after=f"{next_page[0]}-{next_page[1]}" if next_page else None,
        previous=previous,
        following=end,
    )
