"""The two forms the customer signs at the car, 附表十四 and 附表十五: the tablet page (it
works offline through the outbox) and the Chinese print.

The tablet page is read-only HTML: every tick and signature made on it goes through the
tablet's outbox (static/js/outbox.js, static/js/delivery.js) to `POST /sync/push`. The
service worker keeps it for offline use (webapp.delivery.offline declares the path), so it
answers a plain GET with no query parameters.
"""

from __future__ import annotations

from flask import Response, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user, login_required

from webapp.delivery import bp
from webapp.delivery import handover as services
from webapp.privacy.services import ReauthRequired, recent_login

# The customer's copy is in Chinese whatever the user's language (as the order print).
CUSTOMER_LOCALE = "zh_CN"


@bp.get("/<int:delivery_id>/checklists")
@login_required
def checklists(delivery_id: int) -> str:
    """附表十四 and 附表十五 on the tablet: ticks grouped by part, progress, signatures.

    Raises NotFound (404) outside the actor's scope and PermissionDenied (403) for roles
    without work on the forms (greeter, finance, car keeper).
    """
    data = services.day_forms(current_user, delivery_id)
    return render_template(
        "delivery/checklists.html", day=data, delivery=data.delivery, card=data.delivery.card
    )


@bp.get("/<int:delivery_id>/forms/print")
@login_required
def print_forms(delivery_id: int) -> Response:
    """Both forms as printed for the customer's file, in Chinese, with the ticks and when
    each form was signed; the signature images for the sales roles after a recent password
    entry (as the order's signature), else a link to enter the password. No-store.

    Raises NotFound (404) and PermissionDenied (403) as the tablet page.
    """
    data, store = services.print_forms(current_user, delivery_id)
    may_see = services.may_see_signatures(current_user) and any(f.signature for f in data.forms)
    recent = may_see and recent_login(current_user)
    with force_locale(CUSTOMER_LOCALE):
        html = render_template(
            "delivery/print_forms.html",
            day=data,
            delivery=data.delivery,
            card=data.delivery.card,
            store=store,
            show_signature=recent,
            signature_locked=may_see and not recent,
        )
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<int:delivery_id>/forms/<form>/signature")
@login_required
def form_signature(delivery_id: int, form: str) -> Response:
    """The customer's signature on 附表十四 (`process`) or 附表十五 (`handover`), decrypted
    and logged; sales roles only, after a recent password entry (otherwise the password
    page, then back here). No-store.

    Raises NotFound (404: out of scope, not signed) and PermissionDenied (403: other roles).
    """
    try:
        image, mime = services.signature_image(current_user, delivery_id, form)
    except ReauthRequired:
        return redirect(url_for("privacy.reauth", next=request.full_path.rstrip("?")))
    response = Response(image, mimetype=mime)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response
