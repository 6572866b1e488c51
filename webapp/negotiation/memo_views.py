"""Pages of the negotiation memo (附表十 商谈memo): the form at the negotiation table with a
live total, the memo with its versions, the customer's confirmation, the manager's decision
on a discount, and the customer's copy to print or download as a PDF (always in Chinese)."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, make_response, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.auth.models import Role
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, is_fragment_request, render_page_or_fragment
from webapp.inputs import parse_id
from webapp.negotiation import bp, contracts, memo_inputs, memos
from webapp.negotiation.contract_models import Memo, MemoVersion
from webapp.negotiation.pdf import render_pdf
from webapp.negotiation.terms import terms_for

CUSTOMER_LOCALE = "zh_CN"


def _form_context(
    card: Any, memo: Memo | None, values: dict[str, Any], errors: dict[str, str]
) -> dict[str, Any]:
    terms = terms_for(card.store_id)
    sfx_list = memo_inputs.sfx_choices()
    sfx_id = parse_id(values.get("sfx_id"))
    colour_id = parse_id(values.get("colour_id"))
    rows = list(values.get("accessories") or [])
    # Room for three more accessories below those entered.
    rows += [{"name": "", "price": "", "is_gift": False}] * 3
    return {
        "card": card,
        "memo": memo,
        "values": values,
        "errors": errors,
        "sfx_list": sfx_list,
        "colours": memo_inputs.colour_choices(sfx_list),
        "accessory_rows": rows[: memo_inputs.MAX_ACCESSORIES],
        "terms": terms,
        "stock": memos.stock_for(current_user, sfx_id, colour_id),
        "line_labels": memos.LINE_LABELS,
    }


def _preview_context(card_id: int, form: Any) -> dict[str, Any]:
    result, errors = memos.preview(current_user, card_id, form)
    return {"result": result, "preview_errors": errors, "line_labels": memos.LINE_LABELS}


@bp.route("/cards/<int:card_id>/memo", methods=["GET", "POST"])
@login_required
def memo_form(card_id: int) -> Response:
    """附表十 商谈memo at the negotiation table: the form, prefilled from the latest version.
    Saving makes a new version and opens it; errors next to the fields (422), nothing saved."""
    card, memo = memos.memo_for_card(current_user, card_id)
    if request.method == "GET":
        values = memo_inputs.initial_values(card, memo, terms_for(card.store_id))
        context = _form_context(card, memo, values, {})
        context.update(_preview_context(card_id, _as_form(values)))
        return render_page_or_fragment("negotiation/memo_form.html", "memo_form", **context)
    try:
        version = memos.save_version(current_user, card_id, request.form)
    except ValidationError as exc:
        card, memo = memos.memo_for_card(current_user, card_id)
        context = _form_context(card, memo, memo_inputs.form_values(request.form), exc.errors)
        context.update(result=None, preview_errors={})
        return render_page_or_fragment(
            "negotiation/memo_form.html", "memo_form", status=422, **context
        )
    flash(_("Version %(n)d of the memo saved.", n=version.number), "success")
    return htmx_redirect(
        url_for("negotiation.memo_version", memo_id=version.memo_id, number=version.number)
    )


def _as_form(values: dict[str, Any]) -> dict[str, Any]:
    """Form values (as initial_values gives them) in the posted form's shape."""
    flat = {k: v for k, v in values.items() if k != "accessories"}
    flat["one_stop_service"] = "on" if values.get("one_stop_service") else ""
    flat["delivery_accepted"] = "on" if values.get("delivery_accepted") else ""
    for i, row in enumerate(values.get("accessories") or []):
        flat[f"accessories-{i}-name"] = row.get("name", "")
        flat[f"accessories-{i}-price"] = str(row.get("price", ""))
        flat[f"accessories-{i}-is_gift"] = "on" if row.get("is_gift") else ""
    return {
        k: ("" if v is None else str(v) if not isinstance(v, str) else v) for k, v in flat.items()
    }


@bp.post("/cards/<int:card_id>/memo/preview")
@login_required
def memo_preview(card_id: int) -> Response:
    """The live total of the memo form (the `memo_preview` fragment); saves nothing."""
    card, memo = memos.memo_for_card(current_user, card_id)
    values = memo_inputs.form_values(request.form)
    context = _form_context(card, memo, values, {})
    context.update(_preview_context(card_id, request.form))
    # The stock next to the delivery date follows the SFX and colour chosen.
    context["stock_oob"] = is_fragment_request()
    return render_page_or_fragment("negotiation/memo_form.html", "memo_preview", **context)


def _version_context(
    memo: Memo, version: MemoVersion, errors: dict[str, str] | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "memo": memo,
        "version": version,
        "result": memos.result_of(version),
        "line_labels": memos.LINE_LABELS,
        "approval_labels": memos.APPROVAL_LABELS,
        "confirm_question": memos.CONFIRM_QUESTION,
        "can_confirm": memos.can_confirm(memo, version),
        "can_decide": current_user.has_role(*memos.DECIDE_ROLES),
        "is_manager": current_user.has_role(Role.SALES_MANAGER, Role.ADMIN),
        "errors": errors or {},
        "questions_value": extra.get("questions_value", ""),
        "note_value": extra.get("note_value", ""),
        "versions_oob": extra.get("versions_oob", False),
        "open_contract": contracts.open_contract_ref(memo.card_id),
    }


@bp.get("/memos/<int:memo_id>")
@login_required
def memo(memo_id: int) -> Response:
    """The memo with every version, and the lines of the latest one."""
    record = memos.get_memo(current_user, memo_id)
    version = memos.latest_version(record)
    if version is None:
        return htmx_redirect(url_for("negotiation.memo_form", card_id=record.card_id))
    return render_page_or_fragment(
        "negotiation/memo.html", "memo_version", **_version_context(record, version)
    )


@bp.get("/memos/<int:memo_id>/v/<int:number>")
@login_required
def memo_version(memo_id: int, number: int) -> Response:
    """One version of the memo, every yuan explained (the `memo_version` fragment)."""
    record, version = memos.get_version(current_user, memo_id, number)
    return render_page_or_fragment(
        "negotiation/memo.html", "memo_version", **_version_context(record, version)
    )


def _after_action(memo_id: int, number: int, message: str) -> Response:
    record, version = memos.get_version(current_user, memo_id, number)
    if is_fragment_request():
        response = render_page_or_fragment(
            "negotiation/memo.html",
            "memo_version",
            **_version_context(record, version, versions_oob=True),
        )
        response.headers["HX-Trigger"] = "memo-changed"
        return response
    flash(message, "success")
    return htmx_redirect(url_for("negotiation.memo_version", memo_id=memo_id, number=number))


@bp.post("/memos/<int:memo_id>/v/<int:number>/confirm")
@login_required
def memo_confirm(memo_id: int, number: int) -> Response:
    """The customer confirms this version, with their questions if any; 422 with the reason."""
    _record, version = memos.get_version(current_user, memo_id, number)
    questions = request.form.get("questions", "")
    try:
        memos.confirm_version(current_user, version.id, questions)
    except ValidationError as exc:
        record, version = memos.get_version(current_user, memo_id, number)
        return render_page_or_fragment(
            "negotiation/memo.html",
            "memo_version",
            status=422,
            **_version_context(record, version, exc.errors, questions_value=questions),
        )
    return _after_action(memo_id, number, _("The customer confirmed the memo."))


@bp.post("/memos/<int:memo_id>/v/<int:number>/decide")
@login_required
def memo_decide(memo_id: int, number: int) -> Response:
    """The sales manager approves or rejects the version's discount; 422 with the reason."""
    require_role(current_user, *memos.DECIDE_ROLES)  # the role first (403), then the store
    _record, version = memos.get_version(current_user, memo_id, number)
    approve = request.form.get("decision") == "approve"
    note = request.form.get("note", "")
    try:
        memos.decide_discount(current_user, version.id, approve, note)
    except ValidationError as exc:
        record, version = memos.get_version(current_user, memo_id, number)
        return render_page_or_fragment(
            "negotiation/memo.html",
            "memo_version",
            status=422,
            **_version_context(record, version, exc.errors, note_value=note),
        )
    message = _("Discount approved.") if approve else _("Discount rejected.")
    return _after_action(memo_id, number, message)


def _print_html(memo: Memo, version: MemoVersion, for_pdf: bool) -> str:
    """The customer's copy in Chinese, whatever the user's language."""
    store = memos.store_of(memo)
    with force_locale(CUSTOMER_LOCALE):
        return render_template(
            "negotiation/print_memo.html",
            memo=memo,
            version=version,
            result=memos.result_of(version),
            line_labels=memos.LINE_LABELS,
            approval_labels=memos.APPROVAL_LABELS,
            confirm_question=memos.CONFIRM_QUESTION,
            terms=terms_for(memo.store_id),
            store=store,
            for_pdf=for_pdf,
        )


@bp.get("/memos/<int:memo_id>/v/<int:number>/print")
@login_required
def memo_print(memo_id: int, number: int) -> Response:
    """The customer's copy to print (Chinese), with the store's name, address and phone."""
    record, version = memos.get_version(current_user, memo_id, number)
    response = make_response(_print_html(record, version, for_pdf=False))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/memos/<int:memo_id>/v/<int:number>/pdf")
@login_required
def memo_pdf(memo_id: int, number: int) -> Response:
    """The customer's copy as a PDF download (Chinese)."""
    record, version = memos.get_version(current_user, memo_id, number)
    body = render_pdf(_print_html(record, version, for_pdf=True))
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="memo-{record.id}-v{version.number}.pdf"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
