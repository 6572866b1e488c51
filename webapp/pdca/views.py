"""附表一 计划·实绩表: the plan-and-actual page of a month (picked in place), saving a
salesperson's targets and the store's plan, and the workbook of the month."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.htmx import fragment_or_redirect, is_fragment_request, render_page_or_fragment
from webapp.monthly import month_arg, owner_arg
from webapp.pdca import bp
from webapp.pdca import plan as plans
from webapp.pdca.models import MEASURES

TEMPLATE = "pdca/plan.html"
BLOCK = "plan_sheet"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.app_template_filter("pct")
def pct(value: int | None) -> str:
    """A rate in percent as the sheet shows it ("—" without a base); a filter, as a macro
    call per cell cost the sheet a fifth of its render."""
    return "—" if value is None else f"{value}%"


def _context(
    sheet: plans.PlanSheet,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    plan_values: dict[str, Any] | None = None,
    plan_errors: dict[str, str] | None = None,
    saved: str = "",
) -> dict[str, Any]:
    """The page's context; each form starts from what is saved unless values are given."""
    line = sheet.single
    if values is None and line is not None:
        values = {m: line.measures[m].target for m in MEASURES} | {"note": line.note}
    if plan_values is None:
        plan_values = dict(sheet.plan) | {"comment": sheet.plan_comment}
    return {
        "sheet": sheet,
        "measures": MEASURES,
        "values": values or {},
        "errors": errors or {},
        "plan_values": plan_values,
        "plan_errors": plan_errors or {},
        "saved": saved,
    }


def _sheet_url(sheet: plans.PlanSheet) -> str:
    owner = sheet.owner_id if sheet.store_wide else None
    return url_for("pdca.plan", month=f"{sheet.month:%Y-%m}", owner=owner)


@bp.get("/plan")
@login_required
def plan() -> Response:
    """附表一 of a month (`month=YYYY-MM`, this month by default): a salesperson's own line
    and the store's total, with the targets' form; for the manager every salesperson, or one
    (`owner=<id>`), and the store's plan with its comment. 403 for other roles, 404 for an
    unreadable month or a person out of reach."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    sheet = plans.month_sheet(current_user, month, owner_id)
    return render_page_or_fragment(TEMPLATE, BLOCK, **_context(sheet))


@bp.post("/plan/targets")
@login_required
def save_targets() -> Response:
    """Save a salesperson's targets of a month: 422 with the errors next to the fields, else
    back to the sheet (303, or the updated sheet for htmx)."""
    month = month_arg(request.form.get("month"))
    owner_id = owner_arg(request.form.get("owner_id")) or current_user.id
    try:
        plans.save_targets(current_user, owner_id, month, request.form)
    except ValidationError as exc:
        sheet = plans.month_sheet(current_user, month, owner_id)
        values = {name: request.form.get(name, "") for name in (*MEASURES, "note")}
        context = _context(sheet, values, exc.errors)
        return render_page_or_fragment(TEMPLATE, BLOCK, status=422, **context)
    sheet = plans.month_sheet(current_user, month, owner_id)
    if not is_fragment_request():
        flash(_("The targets are saved."), "success")
    return fragment_or_redirect(
        _sheet_url(sheet), TEMPLATE, BLOCK, trigger="plan-saved", **_context(sheet, saved="targets")
    )


@bp.post("/plan/store")
@login_required
def save_store_plan() -> Response:
    """The manager saves the store's plan of a month and the comment on it (422 on errors)."""
    month = month_arg(request.form.get("month"))
    try:
        plans.save_store_plan(current_user, month, request.form)
    except ValidationError as exc:
        sheet = plans.month_sheet(current_user, month)
        values = {name: request.form.get(name, "") for name in (*MEASURES, "comment")}
        context = _context(sheet, plan_values=values, plan_errors=exc.errors)
        return render_page_or_fragment(TEMPLATE, BLOCK, status=422, **context)
    sheet = plans.month_sheet(current_user, month)
    if not is_fragment_request():
        flash(_("The store's plan is saved."), "success")
    return fragment_or_redirect(
        _sheet_url(sheet), TEMPLATE, BLOCK, trigger="plan-saved", **_context(sheet, saved="plan")
    )


@bp.get("/plan.xlsx")
@login_required
def plan_xlsx() -> Response:
    """附表一 of a month as an Excel workbook with Chinese headers (the page's arguments)."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    response = Response(plans.xlsx(current_user, month, owner_id), mimetype=XLSX_MIMETYPE)
    filename = plans.xlsx_filename(month)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
