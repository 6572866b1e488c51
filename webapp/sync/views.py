"""Sync endpoints: POST /sync/push, PUT/HEAD /sync/blobs/<sha256>, GET /sync/pull (JSON, for
the tablet's outbox), and the quarantine and conflict pages (HTML, for people).

The JSON endpoints never redirect: an expired session is 401 JSON, a bad CSRF token 400
`{"error": "csrf"}`, the database down 503, the disk full 507 — the tablet keeps its outbox
and retries. Their machine-readable description is webapp/sync/openapi.yaml.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, jsonify, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from webapp import blobs
from webapp.access import require_role
from webapp.api import api_login_required, json_response
from webapp.errors import PermissionDenied, ValidationError, unavailable
from webapp.htmx import render_page_or_fragment, see_other
from webapp.sync import quarantine as held
from webapp.sync import registry, services
from webapp.sync.body import Unreadable, read_body
from webapp.sync.models import QuarantinedEntry

bp = Blueprint("sync", __name__, url_prefix="/sync")

API_ENDPOINTS = frozenset({"sync.push", "sync.blob", "sync.pull"})
BLOB_PURPOSES = ("licence", "signature")


@bp.before_request
def _start_clock() -> None:
    g.sync_started = time.perf_counter()


@bp.after_request
def _server_timing(response: Response) -> Response:
    """`Server-Timing: app;dur=…` (ms in the view, incl. its SQL): read by bench/sync.py."""
    started = g.get("sync_started")
    if started is not None:
        elapsed = (time.perf_counter() - started) * 1000
        response.headers["Server-Timing"] = f"app;dur={elapsed:.1f}"
    return response


def _is_api() -> bool:
    return request.endpoint in API_ENDPOINTS


def _json_error(status: int, error: str, message: str, **extra: Any) -> Response:
    return json_response(status, error=error, message=message, **extra)


@bp.errorhandler(CSRFError)
def _csrf(_e: CSRFError) -> Any:
    if _is_api():
        return _json_error(400, "csrf", _("The page expired. Log in again."))
    return render_template(
        "errors/error.html",
        title=_("Page expired"),
        message=_("The form expired. Reload the page and try again."),
    ), 400


@bp.errorhandler(sa.exc.OperationalError)
@bp.errorhandler(sa.exc.InterfaceError)
def _database_down(_e: Exception) -> Any:
    """503 with Retry-After: JSON for the outbox, the translated page for people."""
    return unavailable()


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_e: Exception) -> Any:
    return _json_error(413, "too_large", _("The request is too large."))


def _api_errors(view: Callable) -> Callable:
    """The JSON endpoints answer every error in JSON, so the outbox can read it and keep its
    entries: an HTTP error with its status, anything unforeseen 500 after a rollback. The
    database down and a refused role go on to their handlers below (503, 403)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (sa.exc.OperationalError, sa.exc.InterfaceError, PermissionDenied, CSRFError):
            raise
        except HTTPException as error:
            return _json_error(error.code or 500, "http", error.description or error.name)
        except Exception:
            services.reset_session()
            current_app.logger.exception("sync: unexpected error")
            with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
                message = _("Something went wrong. Everything stays on the tablet.")
            return _json_error(500, "server", message)

    return wrapper


@bp.errorhandler(PermissionDenied)
def _forbidden(_e: Exception) -> Any:
    if _is_api():
        return _json_error(403, "forbidden", _("Your role does not allow this."))
    return render_template(
        "errors/error.html", title=_("Not allowed"), message=_("Your role does not allow this.")
    ), 403


# --- JSON API ---------------------------------------------------------------------------------


@bp.post("/push")
@api_login_required
@_api_errors
def push() -> Any:
    """Apply a batch of outbox entries; 200 with one result per entry.

    413 beyond SYNC_MAX_BYTES / SYNC_MAX_ENTRIES; 422 for a malformed batch or an id reused
    with another body (nothing applied); 503 when the database is down.
    """
    require_role(current_user, *registry.push_roles())  # each kind checks its own roles
    limit = current_app.config["SYNC_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _json_error(413, "too_large", _("At most %(kb)d KB per request.", kb=limit // 1024))
    raw = request.get_data(cache=False)
    if len(raw) > limit:
        return _json_error(413, "too_large", _("At most %(kb)d KB per request.", kb=limit // 1024))
    try:
        body = read_body(raw)
    except Unreadable:
        return _json_error(422, "invalid", _("The request is not readable JSON."))
    if not isinstance(body, dict):
        return _json_error(422, "invalid", _("The request is not readable JSON."))
    entries = body.get("entries")
    if isinstance(entries, list) and len(entries) > current_app.config["SYNC_MAX_ENTRIES"]:
        return _json_error(
            413,
            "too_many",
            _("At most %(n)d entries per request.", n=current_app.config["SYNC_MAX_ENTRIES"]),
        )
    try:
        results = services.push(current_user, body.get("device"), entries)
    except ValidationError as error:
        return _json_error(422, "invalid", _("The batch is malformed."), errors=error.errors)
    except services.BodyMismatch as mismatch:
        return _json_error(
            409,
            "id_reused",
            _("An entry id was reused with different content. Nothing was applied."),
            ids=mismatch.ids,
        )
    response = jsonify({"results": results})
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/blobs/<sha256>", methods=["PUT", "HEAD"])
@api_login_required
@_api_errors
def blob(sha256: str) -> Any:
    """PUT: store an image (201 new, 200 already held). HEAD: 200 held, 404 not.

    Refusals are JSON with `error` and a translated `message`: 413, 415, 422, 507.
    """
    sha256 = sha256.lower()
    if request.method == "HEAD":
        found = blobs.find_blob(sha256)
        held = found is not None and blobs.may_reuse(
            found, current_user.store_id, found.purpose, current_user.id
        )
        return Response(status=200 if held else 404, headers={"Cache-Control": "no-store"})
    require_role(current_user, *registry.blob_roles())
    purpose = request.args.get("purpose", "")
    if purpose not in BLOB_PURPOSES:
        return _json_error(422, "purpose", _("Say what the image is: licence or signature."))
    limit = current_app.config["BLOB_MAX_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        return _json_error(
            413, "too_large", _("The file is too large (at most %(mb)d MB).", mb=limit // 2**20)
        )
    data = request.get_data(cache=False)
    try:
        stored = blobs.store_blob(
            data,
            request.mimetype or "",
            purpose,
            current_user.store_id,
            current_user,
            expected_sha256=sha256,
        )
    except blobs.BlobError as error:
        response = _json_error(error.status, error.code, error.message)
        if error.status == 429:
            response.headers["Retry-After"] = "5"
        return response
    response = jsonify(
        {"sha256": stored.sha256, "size": stored.size, "stored": True, "purpose": stored.purpose}
    )
    response.status_code = 201 if getattr(stored, "created", False) else 200
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/pull")
@api_login_required
@_api_errors
def pull() -> Any:
    """The packet data in the user's scope; `checkpoint` from the previous answer."""
    data = services.pull(current_user, request.args.get("checkpoint"))
    response = jsonify(data)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- pages --------------------------------------------------------------------------------


@bp.get("/quarantine")
@login_required
def quarantine() -> Any:
    """Entries the server could not apply: the salesperson's own, the store's for a manager."""
    entries = held.list_quarantine(current_user)
    return render_page_or_fragment(
        "sync/quarantine.html",
        "quarantine_list",
        entries=entries,
        masked_id=held.masked_id,
        fields_of=held.editable_fields,
    )


def _entry_page(
    q: QuarantinedEntry, errors: dict | None = None, values: dict | None = None, status: int = 200
) -> Any:
    fields = held.editable_fields(q)
    if values:
        fields = [(name, values.get(name, value)) for name, value in fields]
    return render_page_or_fragment(
        "sync/entry.html",
        "entry_form",
        status=status,
        q=q,
        fields=fields,
        # The reasons it was refused stand next to their fields until the next attempt.
        errors=errors if errors is not None else dict(q.errors or {}),
        masked_id=held.masked_id(q),
        attachments=held.attachment_labels(q),
        sealed=held.sealed_fields(q),
        can_discard=current_user.has_role(*held.DISCARD_ROLES),
    )


@bp.route("/quarantine/<int:quarantine_id>", methods=["GET", "POST"])
@login_required
def quarantined_entry(quarantine_id: int) -> Any:
    """GET: the entry with its reason and an edit form; POST: fix and re-apply (422 on errors)."""
    q = held.get_quarantined(current_user, quarantine_id)
    if request.method == "GET":
        return _entry_page(q)
    form = {k: v for k, v in request.form.items() if k != "csrf_token"}
    try:
        held.reapply(current_user, quarantine_id, form)
    except ValidationError as error:
        q = held.get_quarantined(current_user, quarantine_id)
        return _entry_page(q, error.errors, form, status=422)
    return see_other(url_for("sync.quarantine"))


@bp.post("/quarantine/<int:quarantine_id>/discard")
@login_required
def discard(quarantine_id: int) -> Any:
    """The manager discards a quarantined entry with a reason. 422 without a reason."""
    try:
        held.discard(current_user, quarantine_id, request.form.get("reason", ""))
    except ValidationError as error:
        q = held.get_quarantined(current_user, quarantine_id)
        return _entry_page(q, error.errors, status=422)
    return see_other(url_for("sync.quarantine"))


@bp.get("/conflicts")
@login_required
def conflicts() -> Any:
    """Card fields two tablets changed at once: the kept value next to the other one."""
    rows = held.list_conflicts(current_user)
    return render_page_or_fragment(
        "sync/conflicts.html",
        "conflict_list",
        rows=rows,
        names=held.record_names(rows),
        url_of=held.record_url,
    )


@bp.app_context_processor
def _outbox() -> dict[str, Any]:
    """Every page's outbox learns which payload fields are sensitive (see base.html)."""
    return {"outbox_sensitive": registry.sensitive_fields}


@bp.context_processor
def _labels() -> dict[str, Any]:
    from webapp.sync.labels import field_label

    return {"field_label": field_label}
