"""The dashboards' pages: one chart a page (`/pdca/dashboard/<chart>`) with its table and key
figures, the filters (month, store for a group admin, salesperson) kept across the charts,
and each chart's table as CSV and XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response, request
from flask_login import current_user, login_required

from webapp.errors import NotFound
from webapp.htmx import render_page_or_fragment
from webapp.inputs import parse_id
from webapp.monthly import month_arg, owner_arg
from webapp.pdca import bp
from webapp.pdca import dashboard as boards
from webapp.pdca.models import MEASURES

TEMPLATE = "pdca/dashboard.html"
BLOCK = "dashboard_body"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _store_arg(raw: str | None) -> int | None:
    """The page's store (`store=<id>`, a group admin's pick); an unreadable id is a 404."""
    if not raw:
        return None
    store_id = parse_id(raw)
    if store_id is None:
        raise NotFound()
    return store_id


def _measure_arg(raw: str | None) -> str:
    if not raw:
        return "orders"
    if raw not in MEASURES:
        raise NotFound()
    return raw


def _board(chart: str) -> tuple[boards.Dashboard, boards.Scope, dict[str, Any]]:
    """The chart's dashboard and scope from the request's filters, and the filters as
    arguments for the page's links."""
    if chart not in boards.CHARTS:
        raise NotFound()
    month = month_arg(request.args.get("month"))
    store_id = _store_arg(request.args.get("store"))
    owner_id = owner_arg(request.args.get("owner"))
    if (
        owner_id is None
        and request.args.get("owner") is None
        and not current_user.has_role(*boards.MANAGER_ROLES)
    ):
        owner_id = current_user.id  # a salesperson starts from their own figures
    measure = _measure_arg(request.args.get("measure"))
    scope = boards.scope(current_user, month, store_id, owner_id)
    board = boards.dashboard(current_user, chart, scope, measure)
    args = {
        "month": f"{scope.month:%Y-%m}",
        "store": scope.store_id if scope.group else None,
        "owner": scope.owner_id if scope.owner_id is not None else "",
    }
    if chart == "plan":
        args["measure"] = measure
    return board, scope, args


@bp.get("/dashboard")
@login_required
def dashboards() -> Response:
    """The dashboards start on the funnel."""
    return dashboard("funnel")


@bp.get("/dashboard/<chart>")
@login_required
def dashboard(chart: str) -> Response:
    """One dashboard (funnel, plan, lost, followup, showroom) for the filters `month`
    (YYYY-MM), `store` (a group admin's store; none: the group's roll-up) and `owner` (a
    salesperson; empty: the store's totals), with `measure` for plan against actual. The
    `dashboard_body` fragment for the filters. 403 for other roles, 404 out of reach."""
    board, scope, args = _board(chart)
    return render_page_or_fragment(
        TEMPLATE,
        BLOCK,
        board=board,
        scope=scope,
        args=args,
        charts=boards.CHARTS,
        titles=boards.chart_titles(),
        measures=boards.measure_labels(),
        measure=args.get("measure", "orders"),
    )


@bp.get("/dashboard/<chart>.<any(csv, xlsx):kind>")
@login_required
def dashboard_export(chart: str, kind: str) -> Response:
    """A dashboard's table as CSV (UTF-8 with BOM) or XLSX, for the page's filters."""
    board, scope, _args = _board(chart)
    if kind == "csv":
        response = Response(boards.as_csv(board), mimetype="text/csv")
    else:
        response = Response(boards.as_xlsx(board, scope.month), mimetype=XLSX_MIMETYPE)
    filename = boards.export_name(board, scope, kind)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
