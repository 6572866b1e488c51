"""附表四 月度CR活动计划: the monthly CR plan page (a month picked in place), saving a plan,
and the workbook of the month."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.followup import bp
from webapp.followup import cr_plan as plans
from webapp.htmx import fragment_or_redirect, is_fragment_request, render_page_or_fragment
from webapp.monthly import month_arg, owner_arg

TEMPLATE = "followup/cr_plan.html"
BLOCK = "cr_sheet"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(
    sheet: plans.CrPlanSheet,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: bool = False,
) -> dict[str, Any]:
    """The page's context; the form starts from the plan as saved unless `values` are given."""
    line = sheet.single
    if values is None and line is not None:
        values = {
            "contacts_planned": line.contacts.planned,
            "events_planned": line.events.planned,
            "referrals_planned": line.referrals.planned,
            "note": line.note,
        }
    return {"sheet": sheet, "values": values or {}, "errors": errors or {}, "saved": saved}


def _sheet_url(sheet: plans.CrPlanSheet) -> str:
    owner = sheet.owner_id if sheet.store_wide else None
    return url_for("followup.cr_plan", month=f"{sheet.month:%Y-%m}", owner=owner)


@bp.get("/cr-plan")
@login_required
def cr_plan() -> Response:
    """附表四 of a month (`month=YYYY-MM`, this month by default): a salesperson's own line
    with its form; for the manager every salesperson with the store's total, or one
    (`owner=<id>`) with the form. 403 for other roles, 404 for an unreadable month or an
    owner out of reach."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    sheet = plans.month_plan(current_user, month, owner_id)
    return render_page_or_fragment(TEMPLATE, BLOCK, **_context(sheet))


@bp.post("/cr-plan")
@login_required
def cr_plan_save() -> Response:
    """Save a salesperson's plan of a month: 422 with the errors next to the fields, else
    back to the sheet (303, or the updated sheet for htmx)."""
    month = month_arg(request.form.get("month"))
    owner_id = owner_arg(request.form.get("owner_id")) or current_user.id
    try:
        plans.save_plan(current_user, owner_id, month, request.form)
    except ValidationError as exc:
        sheet = plans.month_plan(current_user, month, owner_id)
        values = {name: request.form.get(name, "") for name in (*plans.PLANNED_FIELDS, "note")}
        context = _context(sheet, values, exc.errors)
        return render_page_or_fragment(TEMPLATE, BLOCK, status=422, **context)
    sheet = plans.month_plan(current_user, month, owner_id)
    if not is_fragment_request():
        flash(_("The plan is saved."), "success")
    return fragment_or_redirect(
        _sheet_url(sheet), TEMPLATE, BLOCK, trigger="cr-plan-saved", **_context(sheet, saved=True)
    )


@bp.get("/cr-plan.xlsx")
@login_required
def cr_plan_xlsx() -> Response:
    """附表四 of a month as an Excel workbook with Chinese headers (the page's arguments)."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    body = plans.xlsx(current_user, month, owner_id)
    response = Response(body, mimetype=XLSX_MIMETYPE)
    filename = plans.xlsx_filename(month)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
