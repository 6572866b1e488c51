"""Pages of step ⑥ after signing: finance's queue and payments, the car allocated from stock,
a delivery delay with the message to the customer, the planned contacts of the salesperson's
day, and the export for the maker's dealer system (TACT)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.htmx import (
    fragment_or_redirect,
    htmx_redirect,
    is_fragment_request,
    render_page_or_fragment,
)
from webapp.i18n import yuan
from webapp.labels import label
from webapp.negotiation import bp, contracts, finance, tact
from webapp.negotiation.contract_models import Contract
from webapp.timeutil import local_today

PAYMENT_FIELDS = ("kind", "amount", "method", "reference", "received_on")


@bp.app_context_processor
def _finance_panel() -> dict[str, Any]:
    """`contract_finance(contract)` for negotiation/_contract_finance.html, wherever the
    contract page includes it: the panel as the signed-in user may see it."""

    def contract_finance(contract: Contract) -> finance.FinancePanel:
        return finance.panel(current_user, contract)

    return {"contract_finance": contract_finance}


def _contract_url(contract_id: int) -> str:
    return url_for("negotiation.contract", contract_id=contract_id)


# --- Payments --------------------------------------------------------------------------------


@bp.get("/payments")
@login_required
def payments() -> Response:
    """财务: the store's contracts waiting for a deposit or a balance, with the amount due.
    403 for roles other than finance, the sales manager and the admin."""
    rows = finance.payment_queue(current_user)
    return render_page_or_fragment("negotiation/payments.html", "payment_queue", rows=rows)


def _payment_values(panel: finance.FinancePanel) -> dict[str, Any]:
    return {
        "kind": panel.due_kind or "",
        "amount": f"{panel.amount_due:.2f}" if panel.amount_due else "",
        "method": "",
        "reference": "",
        "received_on": local_today().isoformat(),
    }


def _render_panel(
    contract: Contract,
    status: int = 200,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> Response:
    """The finance panel: alone for an htmx swap, else on its own page (payment.html)."""
    panel = finance.panel(current_user, contract)
    template = (
        "negotiation/_contract_finance.html"
        if is_fragment_request()
        else "negotiation/payment.html"
    )
    return render_page_or_fragment(
        template,
        "contract_finance",
        status=status,
        contract=contract,
        pay_errors=errors or {},
        pay_values=values if values is not None else _payment_values(panel),
    )


@bp.get("/contracts/<int:contract_id>/payments")
@login_required
def contract_payments(contract_id: int) -> Response:
    """One contract's payments, and finance's form when a payment is due. 403 for roles
    without contracts, 404 outside the user's scope."""
    contract = contracts.get_contract(current_user, contract_id)
    return _render_panel(contract)


@bp.post("/contracts/<int:contract_id>/payments")
@login_required
def record_payment(contract_id: int) -> Response:
    """Finance records money received; the contract moves on when its part is covered.
    Errors next to the fields (422), nothing saved; 403 for other roles."""
    values = {key: request.form.get(key, "") for key in PAYMENT_FIELDS}
    try:
        payment = contracts.record_payment(current_user, contract_id, values)
    except ValidationError as exc:
        contract = contracts.get_contract(current_user, contract_id)
        return _render_panel(contract, status=422, errors=exc.errors, values=values)
    contract = contracts.get_contract(current_user, contract_id)
    if not is_fragment_request():
        flash(
            _(
                "%(kind)s of %(amount)s recorded for %(number)s.",
                kind=label("payment_kind", payment.kind),
                amount=yuan(payment.amount),
                number=contract.number,
            ),
            "success",
        )
    return fragment_or_redirect(
        url_for("negotiation.contract_payments", contract_id=contract_id),
        "negotiation/_contract_finance.html",
        "contract_finance",
        trigger="payment-recorded",
        contract=contract,
        pay_errors={},
        pay_values=_payment_values(finance.panel(current_user, contract)),
    )


# --- The car ---------------------------------------------------------------------------------


def _allocate_page(contract_id: int, status: int = 200, errors: dict | None = None) -> Response:
    contract, cars = finance.contract_for_allocation(current_user, contract_id)
    return render_page_or_fragment(
        "negotiation/allocate.html",
        "allocate_form",
        status=status,
        contract=contract,
        cars=cars,
        errors=errors or {},
        chosen=request.form.get("vehicle_id", ""),
        problem=finance.allocation_problem(contract),
    )


@bp.route("/contracts/<int:contract_id>/allocate", methods=["GET", "POST"])
@login_required
def allocate_vehicle(contract_id: int) -> Response:
    """配车: choose a car of the contract's SFX and colour from the stock for a contract whose
    deposit is paid. A car taken meanwhile: the message and the list again (422)."""
    if request.method == "GET":
        return _allocate_page(contract_id)
    try:
        contract = contracts.allocate(current_user, contract_id, request.form.get("vehicle_id"))
    except ValidationError as exc:
        return _allocate_page(contract_id, status=422, errors=exc.errors)
    flash(_("Car %(vin)s allocated: ask the customer for the balance.", vin=contract.vehicle.vin))
    return htmx_redirect(_contract_url(contract_id))


# --- Delays ----------------------------------------------------------------------------------


def _delay_values(contract: Contract) -> dict[str, str]:
    day = finance.default_delay_date(contract)
    return {
        "delivery_date": day.isoformat(),
        "message": finance.delay_message(contract, day, contract.owner),
    }


@bp.route("/contracts/<int:contract_id>/delay", methods=["GET", "POST"])
@login_required
def delay_delivery(contract_id: int) -> Response:
    """交车延误: the new delivery date and the apology sent to the customer, prefilled in
    Chinese. Errors next to the fields (422), nothing saved."""
    contract = finance.contract_for_delay(current_user, contract_id)
    if request.method == "GET":
        return render_page_or_fragment(
            "negotiation/delay.html",
            "delay_form",
            contract=contract,
            values=_delay_values(contract),
            errors={},
            problem=finance.delay_problem(contract),
        )
    values = {key: request.form.get(key, "") for key in ("delivery_date", "message")}
    try:
        contracts.record_delay(
            current_user, contract_id, values["delivery_date"], values["message"]
        )
    except ValidationError as exc:
        contract = finance.contract_for_delay(current_user, contract_id)
        return render_page_or_fragment(
            "negotiation/delay.html",
            "delay_form",
            status=422,
            contract=contract,
            values=values,
            errors=exc.errors,
            problem=finance.delay_problem(contract),
        )
    flash(_("New delivery date saved; send the message to the customer."), "success")
    return htmx_redirect(_contract_url(contract_id))


# --- The salesperson's day -------------------------------------------------------------------


def _contacts_context(errors: dict[int, dict[str, str]] | None = None, **extra: Any) -> dict:
    today = local_today()
    return {
        "contract_contacts": contracts.due_contacts(current_user, today),
        "contact_errors": errors or {},
        "contact_notes": extra.get("notes", {}),
        "today": today,
    }


@bp.post("/contacts/<int:contact_id>/done")
@login_required
def contact_done(contact_id: int) -> Response:
    """A planned contact of a waiting customer is done, with what was said: the `due_contacts`
    fragment of my day (the next balance reminder in it when the balance is still owed), or
    back to my day. A colleague's or another store's contact: 404; 422 with the message."""
    note = request.form.get("note", "")
    try:
        contracts.complete_contact(current_user, contact_id, note)
    except ValidationError as exc:
        return render_page_or_fragment(
            "negotiation/_due_contacts.html",
            "due_contacts",
            status=422,
            **_contacts_context({contact_id: exc.errors}, notes={contact_id: note}),
        )
    return fragment_or_redirect(
        url_for("home.my_day"),
        "negotiation/_due_contacts.html",
        "due_contacts",
        trigger="contact-done",
        **_contacts_context(),
    )


# --- TACT ------------------------------------------------------------------------------------


def _tact_form(values: dict[str, str], errors: dict[str, str], status: int = 200) -> Response:
    return render_page_or_fragment(
        "negotiation/tact.html", "tact_form", status=status, values=values, errors=errors
    )


@bp.get("/contracts/tact")
@login_required
def tact_export() -> Response:
    """The export for the maker's dealer system (TACT): choose the report and the dates.
    Sales manager and admin only."""
    tact.require_export(current_user)
    today = local_today()
    values = {"kind": "signed", "from": today.replace(day=1).isoformat(), "to": today.isoformat()}
    return _tact_form(values, {})


@bp.get("/contracts/tact.csv")
@login_required
def tact_csv() -> Response:
    """The CSV for TACT: the store's contracts signed (`?kind=signed`, by contract date) or
    delivered (`?kind=delivered`, by delivery day) from `from` to `to`. Bad dates: the form
    with the message (422). Sales manager and admin only."""
    tact.require_export(current_user)
    values = {key: request.args.get(key, "") for key in ("kind", "from", "to")}
    try:
        period = tact.parse_period(request.args)
    except ValidationError as exc:
        return _tact_form(values, exc.errors, status=422)
    body = tact.export_csv(current_user, period)
    response = make_response(body)
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{tact.filename(current_user, period)}"'
    )
    response.headers["Cache-Control"] = "no-store"  # customers' names and mobiles
    return response
