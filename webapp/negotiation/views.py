"""Pages of step ⑥: the lost-sale form of a card (附表十三) and the manager's weekly review
with a comment on each lost sale."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.customers.services import model_choices
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment
from webapp.inputs import parse_date
from webapp.negotiation import bp, lost
from webapp.timeutil import local_today


def _form(card: Any, values: dict[str, Any], errors: dict | None = None) -> dict[str, Any]:
    return {
        "card": card,
        "values": values,
        "errors": errors or {},
        "models": model_choices(),
        "reasons": lost.REASONS,
        "stages": lost.STAGES,
        "open": lost.can_record(card),
    }


@bp.route("/cards/<int:card_id>/lost", methods=["GET", "POST"])
@login_required
def lost_sale(card_id: int) -> Response:
    """附表十三 未成交顾客记录表: why the customer did not buy; saving moves the card to lost.
    Errors next to the fields (422), nothing saved."""
    card = lost.card_for_loss(current_user, card_id)
    if request.method == "GET":
        values: dict[str, Any] = {"model_id": card.model_id or "", "reasons": []}
        return render_page_or_fragment("negotiation/lost.html", "lost_form", **_form(card, values))
    values = {key: request.form.get(key, "") for key in (*lost.TEXT_FIELDS, "model_id")}
    values["reasons"] = request.form.getlist("reasons")
    try:
        lost.record_lost_sale(current_user, card_id, request.form)
    except ValidationError as exc:
        card = lost.card_for_loss(current_user, card_id)
        return render_page_or_fragment(
            "negotiation/lost.html", "lost_form", status=422, **_form(card, values, exc.errors)
        )
    flash(_("Lost sale recorded; the card is now lost."), "success")
    return htmx_redirect(url_for("customers.card", card_id=card_id))


@bp.get("/lost")
@login_required
def review() -> Response:
    """The sales manager's weekly won/lost review: the week's lost sales with their comments
    (`?week=` any day of the week; the `lost_review` fragment for the week picker)."""
    day = parse_date(request.args.get("week")) or local_today()
    data = lost.review_list(current_user, start=lost.week_start(day))
    return render_page_or_fragment(
        "negotiation/review.html",
        "lost_review",
        review=data,
        prev_week=data.start - timedelta(days=7),
        next_week=data.start + timedelta(days=7),
        comment_errors={},
    )


@bp.post("/lost/<int:lost_id>/comment")
@login_required
def comment(lost_id: int) -> Response:
    """The manager's comment on one lost sale; the `lost_row` fragment, 422 with the message."""
    text = request.form.get("comment", "")
    try:
        record = lost.comment_lost_sale(current_user, lost_id, text)
    except ValidationError as exc:
        record = lost.get_lost_sale(current_user, lost_id)
        return render_page_or_fragment(
            "negotiation/comment.html",
            "lost_row",
            status=422,
            row=record,
            comment_errors=exc.errors,
            comment_value=text,
        )
    return render_page_or_fragment(
        "negotiation/comment.html", "lost_row", row=record, comment_errors={}, comment_value=None
    )
