"""附表三 月度Hot管理表: the Hot table of a month (picked in place), the cards behind one of
its counts, and the workbook of the month."""

from __future__ import annotations

from flask import Response, request
from flask_login import current_user, login_required

from webapp.errors import NotFound
from webapp.htmx import is_fragment_request, render_page_or_fragment
from webapp.inputs import page_number
from webapp.monthly import month_arg, owner_arg
from webapp.pdca import bp
from webapp.pdca import hot as hots

TEMPLATE = "pdca/hot.html"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(table: hots.HotTable) -> dict:
    return {"table": table, "cards": table.cards, "grades": hots.GRADES, "moves": hots.MOVES}


@bp.get("/hot")
@login_required
def hot() -> Response:
    """附表三 of a month (`month=YYYY-MM`, this month by default): a salesperson's own line and
    the store's total; for the manager every salesperson's line, or one (`owner=<id>`). 403
    for other roles, 404 for an unreadable or future month or a person out of reach."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    table = hots.month_table(current_user, month, owner_id)
    return render_page_or_fragment(TEMPLATE, "hot_sheet", **_context(table))


@bp.get("/hot/cards")
@login_required
def hot_cards() -> Response:
    """The cards behind one count of one salesperson (`list=H|A|B|C|overdue`, `page=`): the
    table's page with the list open, or the list alone for htmx. 404 for an unknown list, or
    without one salesperson shown (a manager names one with `owner=`)."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    kind = request.args.get("list") or ""
    if kind not in hots.LISTS:
        raise NotFound()
    page = page_number(request.args.get("page"))
    if is_fragment_request():
        # The list alone: the table's counts are not read again.
        cards = hots.month_cards(current_user, month, owner_id, kind, page)
        return render_page_or_fragment(TEMPLATE, "hot_cards", cards=cards)
    table = hots.month_table(current_user, month, owner_id, cards=kind, page=page)
    return render_page_or_fragment(TEMPLATE, "hot_cards", **_context(table))


@bp.get("/hot.xlsx")
@login_required
def hot_xlsx() -> Response:
    """附表三 of a month as an Excel workbook with Chinese headers (the page's arguments)."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    response = Response(hots.xlsx(current_user, month, owner_id), mimetype=XLSX_MIMETYPE)
    filename = hots.xlsx_filename(month)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
