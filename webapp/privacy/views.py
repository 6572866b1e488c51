"""Views of sensitive records: the licence copy and the signed agreement, logged and no-store.

Every response here carries `Cache-Control: no-store`; images are served only through these
routes (no public URL), after a recent password entry, and each view is logged.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, redirect, request, url_for
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.extensions import limiter
from webapp.htmx import render_page_or_fragment, see_other
from webapp.privacy import services

bp = Blueprint("privacy", __name__, url_prefix="/privacy")


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an absolute or scheme-relative URL."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.errorhandler(services.ReauthRequired)
def _reauth(_e: Exception) -> Any:
    return redirect(url_for("privacy.reauth", next=request.full_path.rstrip("?")))


@bp.get("/licence/<int:licence_check_id>")
@login_required
def licence(licence_check_id: int) -> Any:
    """The licence check's data and its copy. 404 outside scope, 403 greeter, re-auth if stale."""
    shown = services.view_licence(current_user, licence_check_id, with_image=False)
    return render_page_or_fragment("privacy/licence.html", "content", check=shown.record)


@bp.get("/licence/<int:licence_check_id>/image")
@login_required
def licence_image(licence_check_id: int) -> Any:
    """The watermarked licence copy (decrypted), logged."""
    shown = services.view_licence(current_user, licence_check_id, with_image=True)
    return Response(shown.image, mimetype=shown.mime)


@bp.get("/signature/<int:signed_document_id>")
@login_required
def signature(signed_document_id: int) -> Any:
    """The signed agreement's data and the signature image."""
    shown = services.view_signature(current_user, signed_document_id, with_image=False)
    return render_page_or_fragment("privacy/signature.html", "content", doc=shown.record)


@bp.get("/signature/<int:signed_document_id>/image")
@login_required
def signature_image(signed_document_id: int) -> Any:
    """The signature image (decrypted), logged."""
    shown = services.view_signature(current_user, signed_document_id, with_image=True)
    return Response(shown.image, mimetype=shown.mime)


@bp.post("/consent/<int:consent_id>/withdraw")
@login_required
def withdraw(consent_id: int) -> Any:
    """The customer withdraws consent: licence copies deleted (file and row), logged."""
    services.withdraw_consent(current_user, consent_id)
    return see_other(_safe_next(request.form.get("next")) or url_for("home.index"))


def _reauth_key() -> str:
    return f"reauth:{current_user.get_id() and current_user.id}"


@bp.route("/reauth", methods=["GET", "POST"])
@login_required
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"],
    key_func=_reauth_key,
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 422,
    scope="reauth",
)
def reauth() -> Any:
    """Enter the password again before sensitive data is shown. 422 on a wrong password."""
    target = _safe_next(request.values.get("next")) or url_for("home.index")
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        try:
            services.reauthenticate(current_user, request.form.get("password", ""))
        except ValidationError as error:
            errors, status = error.errors, 422
        else:
            return see_other(target)
    return render_page_or_fragment(
        "privacy/reauth.html", "reauth_form", status=status, errors=errors, next=target
    )
