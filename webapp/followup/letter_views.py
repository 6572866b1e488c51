"""The thank-you letter's pages (附表十六): the month's letters (list and XLSX) and one
letter to print. A salesperson reaches their own tasks, the manager and admin the store's."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, request
from flask_login import current_user, login_required

from webapp.auth.models import Role
from webapp.followup import bp
from webapp.followup import letters as svc
from webapp.htmx import render_page_or_fragment
from webapp.inputs import parse_month
from webapp.timeutil import local_today

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _month_arg(raw: str | None) -> date:
    """The month `YYYY-MM` (this store-local month when absent). Anything else is a 404: no
    link of the app makes one."""
    if not raw:
        return local_today().replace(day=1)
    month = parse_month(raw)
    if month is None:
        abort(404)
    return month


@bp.get("/letters")
@login_required
def letters() -> Response:
    """The month's thank-you letters with what came of each (`letter_rows` for the month
    links). 403 for roles without letters; 404 for an unreadable month."""
    month = _month_arg(request.args.get("month"))
    rows = svc.month_letters(current_user, month)
    previous = (month - timedelta(days=1)).replace(day=1)
    following = (month + timedelta(days=32)).replace(day=1)
    return render_page_or_fragment(
        "followup/letters.html",
        "letter_rows",
        month=month,
        rows=rows,
        previous=previous,
        following=following,
        columns=svc.COLUMNS,
        can_edit_letter=current_user.has_role(Role.SALES_MANAGER, Role.ADMIN),
    )


@bp.get("/letters.xlsx")
@login_required
def letters_xlsx() -> Response:
    """The month's letters as an XLSX workbook, the list's columns in Chinese."""
    month = _month_arg(request.args.get("month"))
    body = svc.letters_xlsx(current_user, month)
    response = Response(body, mimetype=XLSX)
    filename = f"thank-you-letters-{month:%Y-%m}.xlsx"
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tasks/<int:task_id>/letter")
@login_required
def letter(task_id: int) -> Response:
    """One thank-you letter on an A4 page, to print (`letter_sheet`: the letter alone). 403
    for roles without letters; 404 for a task out of reach or of another kind."""
    found = svc.letter_for(current_user, task_id)
    return render_page_or_fragment(
        "followup/letter.html", "letter_sheet", letter=found, row=found.row
    )
