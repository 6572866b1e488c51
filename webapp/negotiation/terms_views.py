"""The admin's page of the store's sales terms: the fees of 附表十二, the insurance estimates,
the discount threshold, the usual deposit and the address and phone printed on the memo."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.auth.models import Role
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, render_page_or_fragment
from webapp.negotiation import bp, terms


def _page(values: dict, errors: dict, status: int = 200) -> Response:
    return render_page_or_fragment(
        "negotiation/terms.html",
        "terms_form",
        status=status,
        values=values,
        errors=errors,
        amount_fields=terms.AMOUNT_FIELDS,
    )


@bp.route("/terms", methods=["GET", "POST"])
@login_required
def sales_terms() -> Response:
    """The store's sales terms, for its admin (403 for the others); errors next to the
    fields (422), nothing saved."""
    require_role(current_user, Role.ADMIN)
    if request.method == "GET":
        return _page(terms.form_values(terms.terms_for(current_user.store_id)), {})
    try:
        terms.update_terms(current_user, request.form)
    except ValidationError as exc:
        values = {key: request.form.get(key, "") for key in terms.FIELD_NAMES}
        return _page(values, exc.errors, status=422)
    flash(_("Sales terms saved."), "success")
    return htmx_redirect(url_for("negotiation.sales_terms"))
