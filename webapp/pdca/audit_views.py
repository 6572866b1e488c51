"""卡片箱检查: the card box audit of a month (picked in place) with its progress and findings,
and the tick on one card."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from typing import Any

from flask import Response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from webapp.errors import ValidationError
from webapp.htmx import fragment_or_redirect, is_fragment_request, render_page_or_fragment
from webapp.i18n import locale_name
from webapp.inputs import page_number
from webapp.labels import Labels
from webapp.monthly import month_arg, owner_arg, this_month
from webapp.pdca import audit as audits
from webapp.pdca import bp

TEMPLATE = "pdca/audit.html"


def _context(sheet: audits.AuditSheet, **extra: Any) -> dict[str, Any]:
    return {
        "sheet": sheet,
        "suggestions": audits.SUGGESTED_FINDINGS,
        "finding_limit": audits.FINDING_LIMIT,
        "card_errors": {},
        "card_values": {},
        "findings": None,  # their list is read when it is opened (audit_findings)
        "findings_shown": audits.FINDINGS_SHOWN,
        **_row_context(sheet.month, sheet, sheet.page),
        **extra,
    }


# A card id no real card has, to cut the tick route's URL around the id once per page.
_ANY_ID = 987654321


def _row_text() -> dict[str, str]:
    """The words and links every card's row repeats, looked up once per language and
    script root rather than once per card (twenty rows: ~200 look-ups of the catalogue and
    40 url_for) or once per page (eleven gettext calls at ~6 µs)."""
    return _row_text_in(locale_name(), request.script_root)


@lru_cache(maxsize=16)
def _row_text_in(_locale: str, _root: str) -> dict[str, str]:
    head, tail = url_for("pdca.audit_tick", card_id=_ANY_ID).split(str(_ANY_ID))
    return {
        "card_url": url_for("customers.card", card_id=0)[:-1],
        "tick_head": head,
        "tick_tail": tail,
        "c_card": _("C card (owner)"),
        "a_card": _("A card (prospect)"),
        "purchased": _("Purchased"),
        "planned": _("Planned purchase"),
        "owner_check": _("Salesperson's check"),
        "manager_check": _("Manager's check"),
        "owner_word": _("salesperson's check"),
        "manager_word": _("manager's check"),
        "not_checked": _("Not checked yet"),
        "finding": _("Finding (optional)"),
        "finding_example": _("e.g. 信息不全"),
        "tick": _("Tick as checked"),
        "tick_again": _("Tick again"),
    }


def _tick_fields(month: str, owner_id: int | None, page: int) -> Markup:
    """The hidden fields every card's tick form repeats (the CSRF token and where the page
    was), written once per page instead of four expressions per card."""
    fields = {"csrf_token": generate_csrf(), "month": month, "owner": owner_id, "page": page}
    return Markup("").join(
        Markup('<input type="hidden" name="{}" value="{}">').format(name, value)
        for name, value in fields.items()
        if value is not None
    )


def _row_context(month: date, sheet: Any, page: int) -> dict[str, Any]:
    """What one card's row needs beside the card, on the page and rendered alone."""
    shown = f"{month:%Y-%m}"
    owner_id = sheet.owner_id if sheet.store_wide else None
    return {
        "row_text": Labels({**_row_text(), "fields": _tick_fields(shown, owner_id, page)}),
        "month_arg": shown,
        "owner_arg": owner_id,
        "page": page,
        "tick_kind": sheet.tick_kind,
        "closed": sheet.closed,
    }


def _sheet() -> audits.AuditSheet:
    """The audit the page's arguments ask for (month, owner, page)."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    return audits.month_audit(current_user, month, owner_id, page_number(request.args.get("page")))


@bp.get("/audit")
@login_required
def audit() -> Response:
    """The card box audit of a month (`month=YYYY-MM`, this month by default; `page=`): a
    salesperson's own cards and the store's progress; for the manager every salesperson's
    progress and cards, or one's (`owner=<id>`). 403 for other roles, 404 for an unreadable or
    future month or a person out of reach."""
    return render_page_or_fragment(TEMPLATE, "audit_sheet", **_context(_sheet()))


@bp.get("/audit/findings")
@login_required
def audit_findings() -> Response:
    """The month's newest findings (the page's arguments), read when their list is opened:
    the list alone for htmx, else the whole page with the list open."""
    month = month_arg(request.args.get("month"))
    owner_id = owner_arg(request.args.get("owner"))
    findings = audits.month_findings(current_user, month, owner_id)
    if is_fragment_request():
        context = {"findings": findings, "row_text": Labels(_row_text())}
        return render_page_or_fragment(TEMPLATE, "audit_findings", **context)
    return render_page_or_fragment(
        TEMPLATE, "audit_findings", **_context(_sheet(), findings=findings)
    )


@bp.get("/audit/progress")
@login_required
def audit_progress() -> Response:
    """The audit's progress and findings (the page's arguments), redrawn after each tick."""
    return render_page_or_fragment(TEMPLATE, "audit_progress", **_context(_sheet()))


@bp.post("/audit/cards/<int:card_id>/tick")
@login_required
def audit_tick(card_id: int) -> Response:
    """Tick a card as checked in the month's audit (form: `month`, `finding`; `owner` and
    `page` say where the page was). 404 for a card out of reach or an unreadable month, 422
    with the message next to the card's field (nothing saved); else the card's redrawn row
    with the `audit-ticked` event for htmx, or back to the page (303)."""
    month = month_arg(request.form.get("month"))
    owner_id = owner_arg(request.form.get("owner"))
    page = page_number(request.form.get("page"))
    try:
        audits.tick(current_user, card_id, month, request.form)
    except ValidationError as exc:
        errors = {card_id: exc.errors}
        values = {card_id: request.form.get("finding", "")}
        if is_fragment_request():
            context = _card_context(month, card_id, owner_id, page, errors, values)
            return render_page_or_fragment(TEMPLATE, "audit_card", status=422, **context)
        shown = min(month, this_month())
        sheet = audits.month_audit(current_user, shown, owner_id, page)
        context = _context(sheet, card_errors=errors, card_values=values)
        return render_page_or_fragment(TEMPLATE, "audit_sheet", status=422, **context)
    location = url_for("pdca.audit", month=f"{month:%Y-%m}", owner=owner_id, page=page)
    context = _card_context(month, card_id, owner_id, page, {}, {})
    return fragment_or_redirect(
        f"{location}#audit-card-{card_id}",
        TEMPLATE,
        "audit_card",
        trigger="audit-ticked",
        **context,
    )


def _card_context(
    month: date,
    card_id: int,
    owner_id: int | None,
    page: int,
    errors: dict[int, dict[str, str]],
    values: dict[int, str],
) -> dict[str, Any]:
    """What one card's row needs when it is rendered alone (after a tick)."""
    status = audits.row_status(current_user, month, owner_id)
    return {
        "card": audits.audit_card(current_user, month, card_id),
        "suggestions": audits.SUGGESTED_FINDINGS,
        "finding_limit": audits.FINDING_LIMIT,
        "card_errors": errors,
        "card_values": values,
        **_row_context(month, status, page),
    }
