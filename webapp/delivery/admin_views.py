"""The admin's pages of the three delivery checklists (preparation, 附表十四, 附表十五): the
lists with their versions, and the editor, where saving changed items makes a new current
version (webapp.delivery.checklists)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.delivery import bp
from webapp.delivery import checklists as lists
from webapp.delivery.handover import FORM_NUMBERS
from webapp.delivery.models import DeliveryChecklist
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment


@bp.get("/checklists")
@login_required
def admin_lists() -> Response:
    """The three lists: the current version's items by part, and the earlier versions."""
    versions = lists.list_versions(current_user)
    return render_page_or_fragment(
        "delivery/admin_lists.html",
        "lists",
        versions=versions,
        titles=lists.KIND_TITLES,
        numbers=FORM_NUMBERS,
        parts=lists.PARTS,
    )


def _editor(
    kind: str, current: DeliveryChecklist | None, text: str, errors: dict[str, Any], status: int
) -> Response:
    return render_page_or_fragment(
        "delivery/admin_list_edit.html",
        "list_form",
        status=status,
        kind=kind,
        title=lists.KIND_TITLES[kind],
        number=FORM_NUMBERS.get(kind, ""),
        parts=lists.PARTS[kind],
        current=current,
        values={"items": text},
        errors=errors,
    )


@bp.route("/checklists/<kind>/edit", methods=["GET", "POST"])
@login_required
def admin_list_edit(kind: str) -> Response:
    """Edit one list as text (`list_form`); a bad line is named next to the field."""
    current = lists.current_list(current_user, kind)
    if request.method == "GET":
        return _editor(kind, current, lists.items_text(current.items) if current else "", {}, 200)
    text = request.form.get("items", "")
    try:
        saved = lists.save_list(current_user, kind, text)
    except ValidationError as exc:
        return _editor(kind, current, text, exc.errors, 422)
    if current is not None and saved.id == current.id:
        flash(_("Nothing changed: still version %(n)d.", n=saved.version), "info")
    else:
        flash(_("Saved as version %(n)d.", n=saved.version), "success")
    return htmx_redirect(url_for("delivery.admin_lists"))
