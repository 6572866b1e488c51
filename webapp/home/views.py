"""Home pages per role."""

from __future__ import annotations

from flask import Blueprint, redirect, url_for
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.auth.models import Role
from webapp.home import services
from webapp.htmx import render_page_or_fragment
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
    """销售顾问: today's follow-ups and customers."""
    day = services.my_day(current_user)
    return render_page_or_fragment("home/my_day.html", "my_day", day=day, today=local_today())


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
