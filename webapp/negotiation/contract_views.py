"""Pages of the contract (新车订购单, 附表十一): the list, making one from the customer's
confirmed memo version, the contract page with the moves the user may make (submit, the
manager's approval, the customer's signature, cancel), the manager's approval queue and the
customer's printed copy in Chinese with the signature."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from webapp.errors import ValidationError
from webapp.htmx import render_page_or_fragment, see_other
from webapp.inputs import page_number
from webapp.negotiation import bp, contracts, memos
from webapp.negotiation import contract_pages as pages
from webapp.negotiation.contract_models import Contract, MemoVersion
from webapp.negotiation.terms import terms_for
from webapp.privacy.services import ReauthRequired, recent_login
from webapp.timeutil import local_today

CUSTOMER_LOCALE = "zh_CN"


def _memo_url(version: MemoVersion) -> str | None:
    """The memo version's page, when the memo pages are registered."""
    try:
        return url_for("negotiation.memo_version", memo_id=version.memo_id, number=version.number)
    except BuildError:
        return None


@bp.get("/contracts")
@login_required
def contracts_list() -> Response:
    """The contracts the user sees, newest first, filtered by `?state=` with the count of each
    state; the `contract_rows` fragment for the filter. Greeter and other roles: 403."""
    state = request.args.get("state", "")
    data = pages.list_contracts(current_user, state, page_number(request.args.get("page")))
    return render_page_or_fragment(
        "negotiation/contracts.html",
        "contract_rows",
        data=data,
        state=state if state in pages.STATE_CODES else "",
        can_decide=current_user.has_role(*contracts.DECIDE_ROLES),
        show_owner=current_user.has_role(*pages.STORE_WIDE),
    )


def _new_context(version: MemoVersion, values: dict[str, Any], errors: dict[str, str]) -> dict:
    return {
        "version": version,
        "card": version.memo.card,
        "values": values,
        "errors": errors,
        "existing": contracts.open_contract_ref(version.memo.card_id),
        "memo_url": _memo_url(version),
        "today": local_today(),
    }


@bp.route("/versions/<int:version_id>/contract", methods=["GET", "POST"])
@login_required
def new_contract(version_id: int) -> Response:
    """Make the contract from a confirmed memo version with the delivery date the customer
    accepted (prefilled from the version). Errors next to the field (422), nothing saved."""
    version = pages.version_for_contract(current_user, version_id)
    if request.method == "GET":
        values = {
            "delivery_date": f"{version.delivery_date:%Y-%m-%d}" if version.delivery_date else ""
        }
        return render_page_or_fragment(
            "negotiation/contract_new.html", "contract_form", **_new_context(version, values, {})
        )
    values = {"delivery_date": request.form.get("delivery_date", "")}
    try:
        contract = contracts.create_contract(current_user, version.id, values["delivery_date"])
    except ValidationError as exc:
        version = pages.version_for_contract(current_user, version_id)
        return render_page_or_fragment(
            "negotiation/contract_new.html",
            "contract_form",
            status=422,
            **_new_context(version, values, exc.errors),
        )
    flash(_("Contract %(number)s drafted.", number=contract.number), "success")
    return see_other(url_for("negotiation.contract", contract_id=contract.id))


def _page(contract_id: int, errors: dict[str, str] | None = None, **values: Any) -> dict:
    contract = pages.contract_page(current_user, contract_id)
    return {
        "contract": contract,
        "actions": pages.actions_for(current_user, contract),
        "steps": pages.progress(contract),
        "money": pages.money(contract),
        "log": contracts.timeline(contract),
        "can_see_signature": pages.may_see_signature(current_user, contract),
        "errors": errors or {},
        "values": values,
    }


@bp.get("/contracts/<int:contract_id>")
@login_required
def contract(contract_id: int) -> Response:
    """The contract page: the order's summary, its progress and log, and the moves the user
    may make now. 403 for roles without contracts, 404 outside the user's scope."""
    return render_page_or_fragment(
        "negotiation/contract.html", "contract_actions", **_page(contract_id)
    )


def _refused(contract_id: int, exc: ValidationError, **values: Any) -> Response:
    """The page again with the rule's message, 422; nothing was changed."""
    return render_page_or_fragment(
        "negotiation/contract.html",
        "contract_actions",
        status=422,
        **_page(contract_id, exc.errors, **values),
    )


@bp.post("/contracts/<int:contract_id>/submit")
@login_required
def submit_contract(contract_id: int) -> Response:
    """Send the contract to the sales manager for approval."""
    try:
        contracts.submit(current_user, contract_id)
    except ValidationError as exc:
        return _refused(contract_id, exc)
    flash(_("Sent to the sales manager for approval."), "success")
    return see_other(url_for("negotiation.contract", contract_id=contract_id))


@bp.post("/contracts/<int:contract_id>/decide")
@login_required
def decide_contract(contract_id: int) -> Response:
    """The manager approves (`decision=approve`) or rejects (`decision=reject`, a note needed)."""
    decision = request.form.get("decision", "")
    note = request.form.get("note", "")
    if decision not in ("approve", "reject"):
        pages.check_decider(current_user, contract_id)
        return _refused(
            contract_id, ValidationError({"decision": _("Approve or reject.")}), note=note
        )
    try:
        contracts.decide(current_user, contract_id, decision == "approve", note)
    except ValidationError as exc:
        return _refused(contract_id, exc, note=note)
    flash(_("Contract approved.") if decision == "approve" else _("Contract rejected."), "success")
    return see_other(url_for("negotiation.contract", contract_id=contract_id))


@bp.route("/contracts/<int:contract_id>/sign", methods=["GET", "POST"])
@login_required
def sign_contract(contract_id: int) -> Response:
    """The customer signs the approved order on screen (a page of its own, handed to the
    customer). POST `signature`: the PNG as a data URL, stored encrypted and claimed once."""
    if request.method == "GET":
        pages.contract_for_signing(current_user, contract_id)
        context = _page(contract_id)
        if not context["actions"].sign:
            return see_other(url_for("negotiation.contract", contract_id=contract_id))
        return render_page_or_fragment("negotiation/contract_sign.html", "sign_form", **context)
    try:
        pages.sign_with_image(current_user, contract_id, request.form.get("signature"))
    except ValidationError as exc:
        context = _page(contract_id, exc.errors)
        template = "negotiation/contract_sign.html" if context["actions"].sign else None
        if template is None:
            return _refused(contract_id, exc)
        return render_page_or_fragment(template, "sign_form", status=422, **context)
    flash(_("Signed. Give the customer their copy of the order."), "success")
    return see_other(url_for("negotiation.contract", contract_id=contract_id))


@bp.post("/contracts/<int:contract_id>/cancel")
@login_required
def cancel_contract(contract_id: int) -> Response:
    """Cancel with a reason: the owner before signing, the manager at any time."""
    reason = request.form.get("reason", "")
    try:
        contracts.cancel(current_user, contract_id, reason)
    except ValidationError as exc:
        return _refused(contract_id, exc, reason=reason)
    flash(_("Contract cancelled."), "success")
    return see_other(url_for("negotiation.contract", contract_id=contract_id))


@bp.get("/approvals")
@login_required
def approvals() -> Response:
    """The sales manager's queue: submitted contracts of the store, oldest first, and the memo
    discounts waiting for a decision. Other roles: 403."""
    queue = pages.approval_queue(current_user, page_number(request.args.get("page")))
    return render_page_or_fragment(
        "negotiation/approvals.html",
        "approval_list",
        queue=queue,
        discounts=memos.pending_discount_approvals(current_user),
    )


def _order_html(contract: Contract, show_signature: bool, signature_locked: bool) -> str:
    """The customer's copy of 附表十一, in Chinese whatever the user's language."""
    from webapp.negotiation import memos

    with force_locale(CUSTOMER_LOCALE):
        return render_template(
            "negotiation/order_print.html",
            contract=contract,
            money=pages.money(contract),
            store=pages.store_of(contract),
            terms=terms_for(contract.store_id),
            result=memos.result_of(contract.memo_version),
            line_labels=getattr(memos, "LINE_LABELS", {}),
            show_signature=show_signature,
            signature_locked=signature_locked,
        )


@bp.get("/contracts/<int:contract_id>/order")
@login_required
def contract_order(contract_id: int) -> Response:
    """The customer's copy of 新车订购单 (附表十一) to print, in Chinese, with the store's
    name, address and phone and, once signed, the signature (sales roles, recent login)."""
    record = pages.contract_page(current_user, contract_id)
    may_see = pages.may_see_signature(current_user, record)
    recent = may_see and recent_login(current_user)
    response = make_response(_order_html(record, recent, may_see and not recent))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/contracts/<int:contract_id>/signature")
@login_required
def contract_signature(contract_id: int) -> Response:
    """The customer's signature (decrypted), logged; sales roles only, after a recent
    password entry (otherwise the password page, then back here). No-store."""
    try:
        image, mime = pages.signature_image(current_user, contract_id)
    except ReauthRequired:
        return redirect(url_for("privacy.reauth", next=request.full_path.rstrip("?")))
    response = Response(image, mimetype=mime)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
