"""The delivery pages: scheduling from the contract, the preparation list, the board, the
VIP arrival, the handover and the farewell."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.blobs import BlobError, store_blob
from webapp.delivery import bp
from webapp.delivery import services as svc
from webapp.errors import NotFound, ValidationError
from webapp.htmx import fragment_or_redirect, render_page_or_fragment, see_other
from webapp.inputs import parse_date
from webapp.negotiation import contracts
from webapp.timeutil import SHANGHAI, local_today


def _board_context() -> dict[str, Any]:
    return {
        "board": svc.board(current_user),
        "state_label": svc.state_label,
        "can_arrive": current_user.has_role(*svc.ARRIVE_ROLES),
        "can_open": current_user.has_role(*svc.PAGE_ROLES),
    }


@bp.get("/board")
@login_required
def board() -> Response:
    """交车看板: today's and the coming week's deliveries of the store (no prices); the
    `board_rows` fragment (today's rows) is polled every 30 s."""
    return render_page_or_fragment("delivery/board.html", "board_rows", **_board_context())


@bp.get("/board/<day>")
@login_required
def board_day(day: str) -> Response:
    """One day of the board, opened from its folded line (the `day_rows` fragment) or as a
    page without script; today or one of the next 7 days, else 404."""
    found = parse_date(day)
    if found is None:
        raise NotFound()
    lines = svc.board_day(current_user, found)
    return render_page_or_fragment(
        "delivery/board_day.html",
        "day_rows",
        day=found,
        lines=lines,
        is_today=found == local_today(),
        can_arrive=current_user.has_role(*svc.ARRIVE_ROLES),
        can_open=current_user.has_role(*svc.PAGE_ROLES),
    )


def _schedule_values(contract_id: int) -> dict[str, Any]:
    contract = contracts.get_contract(current_user, contract_id)
    found = svc.delivery_of_contract(current_user, contract)
    if found is not None:
        local = found.scheduled_at.astimezone(SHANGHAI)
        return {
            "day": f"{local:%Y-%m-%d}",
            "time": f"{local:%H:%M}",
            "companions": found.companions,
            "service_advisor_id": found.service_advisor_id or "",
        }
    day = contract.delivery_date if contract.delivery_date else local_today()
    return {"day": f"{max(day, local_today()):%Y-%m-%d}", "time": "10:00", "companions": ""}


def _schedule_page(
    contract_id: int, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    contract = contracts.get_contract(current_user, contract_id)
    contracts.require_sales(current_user, contract)
    return render_page_or_fragment(
        "delivery/schedule.html",
        "schedule_form",
        status=status,
        contract=contract,
        delivery=svc.delivery_of_contract(current_user, contract),
        advisors=[(u.id, u.display_name) for u in svc.store_advisors(contract.store_id)],
        values=values,
        errors=errors,
    )


@bp.route("/contracts/<int:contract_id>/schedule", methods=["GET", "POST"])
@login_required
def schedule(contract_id: int) -> Response:
    """Plan (or move) the contract's delivery: day, time, who comes, the service advisor.
    Errors next to the field (422), nothing saved."""
    if request.method == "GET":
        return _schedule_page(contract_id, _schedule_values(contract_id), {})
    values = {
        key: request.form.get(key, "")
        for key in ("day", "time", "companions", "service_advisor_id")
    }
    try:
        delivery = svc.schedule(
            current_user,
            contract_id,
            {"day": values["day"], "time": values["time"]},
            values["companions"],
            values["service_advisor_id"],
        )
    except ValidationError as exc:
        return _schedule_page(contract_id, values, exc.errors, 422)
    flash(_("Delivery scheduled."), "success")
    return see_other(url_for("delivery.delivery", delivery_id=delivery.id))


def _page(
    delivery_id: int, errors: dict[str, str] | None = None, values: dict[str, Any] | None = None
) -> dict[str, Any]:
    data = svc.page_data(current_user, delivery_id)
    data.update(errors=errors or {}, values=values or {}, state_label=svc.state_label)
    return data


@bp.get("/<int:delivery_id>")
@login_required
def delivery(delivery_id: int) -> Response:
    """The delivery page: the order without prices for the service advisor, the preparation
    list, the arrival and the handover."""
    return render_page_or_fragment("delivery/delivery.html", "prep_list", **_page(delivery_id))


@bp.post("/<int:delivery_id>/tick")
@login_required
def tick(delivery_id: int) -> Response:
    """Tick or untick an item of the preparation list (`item`, `done` = 1 or 0); htmx gets
    the list back."""
    try:
        svc.tick(
            current_user, delivery_id, request.form.get("item", ""), request.form.get("done") == "1"
        )
    except ValidationError as exc:
        return render_page_or_fragment(
            "delivery/delivery.html", "prep_list", status=422, **_page(delivery_id, exc.errors)
        )
    return fragment_or_redirect(
        url_for("delivery.delivery", delivery_id=delivery_id),
        "delivery/delivery.html",
        "prep_list",
        **_page(delivery_id),
    )


@bp.post("/<int:delivery_id>/arrived")
@login_required
def arrived(delivery_id: int) -> Response:
    """The delivery VIP is at the door: everyone on duty is told. From the board (greeter)
    or the delivery page."""
    try:
        svc.mark_arrived(current_user, delivery_id)
    except ValidationError as exc:
        flash(next(iter(exc.errors.values())), "error")
    else:
        flash(_("Everyone on duty has been told."), "success")
    if request.form.get("back") == "board" or not current_user.has_role(*svc.PAGE_ROLES):
        return see_other(url_for("delivery.board"))
    return see_other(url_for("delivery.delivery", delivery_id=delivery_id))


@bp.post("/<int:delivery_id>/complete")
@login_required
def complete(delivery_id: int) -> Response:
    """Delivery complete: the ceremony photo (optional), when the customer should be home,
    the call day agreed at the farewell (optional). Errors next to the field (422), nothing
    saved."""
    values = {k: request.form.get(k, "") for k in ("home_eta", "agreed_call_on")}
    photo = request.form.get("photo_sha256", "")
    upload = request.files.get("photo")
    try:
        svc.check_complete(current_user, delivery_id, values["home_eta"], values["agreed_call_on"])
        if upload is not None and upload.filename:
            try:
                blob = store_blob(
                    upload.read(),
                    upload.mimetype or "",
                    "photo",
                    current_user.store_id,
                    current_user,
                )
            except BlobError as exc:
                raise ValidationError({"photo": exc.message}) from None
            photo = blob.sha256
        svc.complete(
            current_user,
            delivery_id,
            photo or None,
            values["home_eta"],
            values["agreed_call_on"],
        )
    except ValidationError as exc:
        return render_page_or_fragment(
            "delivery/delivery.html",
            "complete_form",
            status=422,
            **_page(delivery_id, exc.errors, values),
        )
    flash(_("Delivery complete. The follow-ups are on your list."), "success")
    return see_other(url_for("delivery.delivery", delivery_id=delivery_id))


@bp.get("/contracts/<int:contract_id>")
@login_required
def for_contract(contract_id: int) -> Response:
    """From the contract page: its delivery's page, or the form to schedule one."""
    contract = contracts.get_contract(current_user, contract_id)
    found = svc.delivery_of_contract(current_user, contract)
    if found is not None and current_user.has_role(*svc.PAGE_ROLES):
        return see_other(url_for("delivery.delivery", delivery_id=found.id))
    contracts.require_sales(current_user, contract)
    return see_other(url_for("delivery.schedule", contract_id=contract_id))
