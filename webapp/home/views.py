"""Home pages per role."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    has_request_context,
    make_response,
    redirect,
    request,
    url_for,
)
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from webapp.access import require_role
from webapp.api import api_login_required
from webapp.auth.models import Role
from webapp.consult.services.display_cars import DISPLAY_CHECK_ROLES
from webapp.customers.lists import CARD_ROLES, SEARCH_ROLES, due_follow_ups
from webapp.errors import ValidationError
from webapp.home import services
from webapp.home.nav import nav
from webapp.htmx import fragment_or_redirect, is_fragment_request, render_page_or_fragment
from webapp.inputs import parse_date, parse_id
from webapp.negotiation import contracts
from webapp.negotiation.lost import REVIEW_ROLES
from webapp.reception.services import visits
from webapp.reception.views import arrival_context
from webapp.timeutil import local_today

bp = Blueprint("home", __name__)

# The main navigation's tabs (templates/_nav.html) and the roles that see each.
NAV_FLAGS: dict[str, tuple[Role, ...]] = {
    "can_see_my_day": (Role.SALESPERSON, Role.SALES_MANAGER),
    "can_see_store_today": (Role.SALES_MANAGER, Role.ADMIN),
    "can_register_arrivals": (Role.GREETER, Role.SALES_MANAGER),
    "can_search_cards": SEARCH_ROLES,
    "can_work_cards": CARD_ROLES,
    "can_keep_cars": (Role.CAR_KEEPER,),
    "can_see_stock": (Role.SALESPERSON, Role.SALES_MANAGER, Role.CAR_KEEPER, Role.ADMIN),
    "can_review_lost_sales": REVIEW_ROLES,
    "can_see_contracts": (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN, Role.FINANCE),
    "can_approve_contracts": (Role.SALES_MANAGER, Role.ADMIN),
    "can_see_payments": (Role.FINANCE, Role.SALES_MANAGER, Role.ADMIN),
    "can_export_tact": (Role.SALES_MANAGER, Role.ADMIN),
    "can_check_display_cars": DISPLAY_CHECK_ROLES,
    "can_see_delivery_board": (
        Role.SALESPERSON,
        Role.SALES_MANAGER,
        Role.SERVICE_ADVISOR,
        Role.GREETER,
    ),
    "can_follow_up": (Role.SALESPERSON, Role.SERVICE_ADVISOR, Role.SALES_MANAGER, Role.ADMIN),
    "can_see_service_cards": (Role.SERVICE_ADVISOR, Role.SALES_MANAGER, Role.ADMIN),
    "can_plan_cr": (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN),
    "can_manage_follow_up": (Role.SALES_MANAGER, Role.ADMIN),
    "can_admin": (Role.ADMIN,),
}


@bp.app_context_processor
def nav_context() -> dict[str, Any]:
    """The navigation's can_* flags and `main_nav()`, its tabs (webapp/home/nav.py)."""
    flags = nav_flags()
    return {**flags, "main_nav": lambda: nav(flags)}


def nav_flags() -> dict[str, bool]:
    """The navigation's can_* flags for the signed-in user; all False for a visitor, outside
    a request, or when the user cannot be read (an error page with the database gone)."""
    roles: frozenset = frozenset()
    if has_request_context():
        try:
            if current_user.is_authenticated:
                roles = current_user.roles
        except SQLAlchemyError:
            pass
    return dict(_flags_of(roles))


@functools.lru_cache(maxsize=64)
def _flags_of(roles: frozenset) -> dict[str, bool]:
    """The flags of a set of roles, worked out once per process (callers get a copy)."""
    return {flag: not roles.isdisjoint(allowed) for flag, allowed in NAV_FLAGS.items()}


@bp.get("/")
@login_required
def index():
    """Send each role to its own first page."""
    return redirect(url_for(services.home_endpoint(current_user)))


@bp.get("/my-day")
@login_required
def my_day():
    """销售顾问: today's follow-ups and customers.

    `?due_after=2026-11-20-42` asks for the next page of due follow-ups ("Show more"), which
    comes back as the rows fragment alone.
    """
    # The user itself, not the request's proxy: the services read the actor dozens of times,
    # and each read through current_user costs a context look-up.
    actor = current_user._get_current_object()
    after = _due_cursor(request.args.get("due_after"))
    if after is not None and is_fragment_request():
        rows, next_page = due_follow_ups(actor, after)
        return render_page_or_fragment(
            "home/my_day.html", "due_rows", due=rows, next_due=_cursor_text(next_page)
        )
    day = services.my_day(actor)
    due, next_page = (day.due, day.next_due_page)
    if after is not None:  # a plain link, without htmx: the whole page, list from the cursor
        due, next_page = due_follow_ups(actor, after)
    return render_page_or_fragment(
        "home/my_day.html",
        "my_day",
        day=day,
        due=due,
        next_due=_cursor_text(next_page),
        today=local_today(),
        contract_contacts=contracts.due_contacts(actor, local_today()),
    )


def _banner_context(errors: dict[str, str] | None = None) -> dict:
    arrivals = visits.my_arrivals(current_user)
    return {
        "arrivals": arrivals,
        "shown": visits.banner_signature(arrivals),
        "poll_seconds": current_app.config.get("INBOX_POLL_SECONDS", 3),
        "banner_errors": errors or {},
    }


@bp.get("/arrival-banner")
@api_login_required
def arrival_banner():
    """The arrival banner of the salesperson's pages (`arrival_banner`, polled every few
    seconds): their customers at the door, with 迎接, and those being served, with their A
    card. When it would show what the page shows already (`shown`), 204: nothing to swap.
    Roles without visits get an empty banner. Without a session: 401, never swapped in."""
    ctx = _banner_context()
    if is_fragment_request() and request.args.get("shown") == ctx["shown"]:
        response = make_response("", 204)
    else:
        response = render_page_or_fragment("home/arrival_banner.html", "arrival_banner", **ctx)
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


@bp.post("/arrival-banner/<int:visit_id>/greet")
@login_required
def greet_arrival(visit_id: int):
    """迎接 from the banner: the greeting time is recorded and the banner comes back with the
    way to the customer's A card. Another salesperson's visit: 404; a role that does not
    greet: 403; a closed visit: the message in the banner (422), nothing saved."""
    try:
        visits.greet(current_user, visit_id)
    except ValidationError as exc:
        return render_page_or_fragment(
            "home/arrival_banner.html", "arrival_banner", status=422, **_banner_context(exc.errors)
        )
    return fragment_or_redirect(
        url_for("reception.visit", visit_id=visit_id),
        "home/arrival_banner.html",
        "arrival_banner",
        trigger="visit-greeted",
        **_banner_context(),
    )


def _due_cursor(raw: str | None) -> tuple[date, int] | None:
    """The keyset cursor `2026-11-20-42` (due date, card id) of "Show more"; a cursor the
    app did not make (unreadable, a date outside sane years, an id too large) is a 404."""
    if not raw:
        return None
    day, _sep, last_id = raw.rpartition("-")
    due, card_id = parse_date(day), parse_id(last_id)
    if due is None or card_id is None:
        abort(404)
    return due, card_id


def _cursor_text(cursor: tuple[date, int] | None) -> str | None:
    return f"{cursor[0].isoformat()}-{cursor[1]}" if cursor else None


@bp.get("/store-today")
@login_required
def store_today():
    """销售部长: who is with which customer now, the register so far, visits with no A card,
    display cars not ready. `#store-live` is the block the page polls (every 30 s); the
    store's day by salesperson comes in its own request (store_lines)."""
    board = services.store_board(current_user)
    return render_page_or_fragment(
        "home/store_today.html",
        "store_live",
        board=board,
        today=local_today(),
    )


@bp.get("/store-today/by-salesperson")
@login_required
def store_lines():
    """The store's day by salesperson (open, hot, overdue, contacts, new cards): the panel
    "store today" loads after the page and refreshes every minute. Counting every open card
    of the store is the costliest part of the board, and it changes slowly, so it is not
    redone with the live part every 30 s. A full-page request goes to "store today"."""
    lines = services.store_today(current_user)
    if not is_fragment_request():
        return redirect(url_for("home.store_today"))
    return render_page_or_fragment("home/store_today.html", "store_lines", lines=lines)


@bp.get("/arrivals")
@login_required
def arrivals():
    """接待: the arrival register — register a walk-in in a few taps, see who is next up and
    today's visits. The form posts to reception.register_arrival (or goes through the
    outbox when offline)."""
    require_role(current_user, Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
    ctx = arrival_context()
    registered = request.args.get("registered", type=int)
    ctx["registered"] = next((v for v in ctx["recent"] if v.id == registered), None)
    return render_page_or_fragment("home/arrivals.html", "arrivals", **ctx)


@bp.get("/welcome")
@login_required
def welcome():
    """Roles whose pages come with later steps (finance, service, car keeper)."""
    return render_page_or_fragment("home/welcome.html", "welcome")


@bp.get("/ping")
@login_required
def ping():
    """A trivial logged-in endpoint: the benchmark's floor."""
    return {"ok": True}
