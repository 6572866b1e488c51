"""Home pages per role."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.auth.models import Role
from webapp.customers.services import due_follow_ups
from webapp.home import services
from webapp.htmx import is_fragment_request, render_page_or_fragment
from webapp.timeutil import local_today

bp = Blueprint("home", __name__)


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
    after = _due_cursor(request.args.get("due_after"))
    if after is not None and is_fragment_request():
        rows, next_page = due_follow_ups(current_user, after)
        return render_page_or_fragment(
            "home/my_day.html", "due_rows", due=rows, next_due=_cursor_text(next_page)
        )
    day = services.my_day(current_user)
    due, next_page = (day.due, day.next_due_page)
    if after is not None:  # a plain link, without htmx: the whole page, list from the cursor
        due, next_page = due_follow_ups(current_user, after)
    return render_page_or_fragment(
        "home/my_day.html",
        "my_day",
        day=day,
        due=due,
        next_due=_cursor_text(next_page),
        today=local_today(),
    )


def _due_cursor(raw: str | None) -> tuple[date, int] | None:
    if not raw:
        return None
    day, _sep, last_id = raw.rpartition("-")
    try:
        return date.fromisoformat(day), int(last_id)
    except ValueError:
        abort(404)


def _cursor_text(cursor: tuple[date, int] | None) -> str | None:
    return f"{cursor[0].isoformat()}-{cursor[1]}" if cursor else None


@bp.get("/store-today")
@login_required
def store_today():
    """销售部长: the store's day by salesperson."""
    lines = services.store_today(current_user)
    return render_page_or_fragment(
        "home/store_today.html", "store_lines", lines=lines, today=local_today()
    )


@bp.get("/arrivals")
@login_required
def arrivals():
    """接待: today's arrivals. The register itself comes with the reception step."""
    require_role(current_user, Role.GREETER, Role.SALES_MANAGER, Role.ADMIN)
    return render_page_or_fragment("home/arrivals.html", "arrivals", today=local_today())


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
