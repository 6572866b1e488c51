"""Domain exceptions raised by services, and the handlers that turn them into responses.

Every handler first ends the request's transaction (a failed flush leaves the session unusable
until it is rolled back), and no error page needs the database: when the user cannot be read,
the page is rendered without them. A database that cannot be reached is a translated 503 with
`Retry-After`, JSON for the tablet's scripts, never a bare 500.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask, Response, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from webapp.api import json_response
from webapp.extensions import db

# Seconds a client should wait before asking again while the database is unreachable.
RETRY_AFTER_SECONDS = 30

# Endpoints that answer JSON to the tablet's scripts (outbox.js, push.js).
JSON_ENDPOINTS = frozenset(
    {"sync.push", "sync.blob", "sync.pull", "push.save_subscription", "push.delete_subscription"}
)
HTML_SYNC_PATHS = ("/sync/quarantine", "/sync/conflicts")
# The `error` word of a JSON error answer, by status.
ERROR_WORDS = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    405: "method",
    413: "too_large",
    429: "too_many",
    500: "server",
}


class DomainError(Exception):
    """Base of the errors services raise; views map them to HTTP statuses."""


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it exists (other store)."""


class PermissionDenied(DomainError):
    """The actor's role does not allow this action on a record it may see."""


class ValidationError(DomainError):
    """Input breaks a rule; `errors` maps field names to translated messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def reset_session() -> None:
    """End the request's transaction after a failure; when even the rollback fails (the
    connection is gone), drop the session so that nothing later reuses it."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.remove()


def is_connection_failure(error: BaseException) -> bool:
    """True when `error` means the database cannot be reached (refused, lost, timed out,
    locked, out of connections) rather than that this request's data was wrong."""
    if isinstance(error, sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError):
        return True
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def _caused_by_connection_failure(error: BaseException | None) -> bool:
    """`error`, or an exception it was raised from or while handling, is a connection failure."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        if is_connection_failure(error):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


def wants_json() -> bool:
    """The request comes from a script that reads JSON, not from a person's browser.

    Under /sync/ only the quarantine and conflict pages are for people: any other path there
    (an unknown one, a wrong method) is the outbox's, and gets JSON.
    """
    if request.endpoint in JSON_ENDPOINTS or request.is_json:
        return True
    if request.path.startswith("/sync/") and not request.path.startswith(HTML_SYNC_PATHS):
        return True
    accepted = request.accept_mimetypes
    return accepted.best_match(["text/html", "application/json"]) == "application/json"


def _without_user() -> None:
    # Imported here: the auth package imports this module.
    from webapp.auth.loader import serve_without_user

    serve_without_user()


def _same_page() -> str:
    """This request's path and query, never readable as another host ("//host/…")."""
    return request.script_root + "/" + request.full_path.removesuffix("?").lstrip("/")


def error_page(status: int, title: str, message: str, word: str = "", **extra: Any) -> Any:
    """The error page, with the signed-in user's top bar when the user can be read; JSON
    for a script (see wants_json).

    If reading the user fails (the database went away), the page is rendered again as for
    a visitor: the session cookie is kept, so the next request sees the user again.
    """
    if wants_json():
        return json_response(
            status, error=word or ERROR_WORDS.get(status, "error"), message=message
        )
    try:
        return render_template("errors/error.html", title=title, message=message, **extra), status
    except sa.exc.SQLAlchemyError:
        reset_session()
    _without_user()
    return render_template("errors/error.html", title=title, message=message, **extra), status


def unavailable() -> Response:
    """503 with `Retry-After`: the database cannot be reached.

    Nothing here reads the database: the user is left unread, so the language is the
    session's choice (which the user loader keeps equal to the user's saved one), else Chinese.
    """
    reset_session()
    _without_user()
    if wants_json():
        response = json_response(
            503,
            error="unavailable",
            message=_("The server cannot reach its database. Everything stays on the tablet."),
        )
    else:
        html = render_template(
            "errors/error.html",
            title=_("Try again in a minute"),
            message=_(
                "The server cannot reach its database. Try again in a minute: nothing you "
                "entered on the tablet is lost."
            ),
            retry_url=_same_page() if request.method == "GET" else None,
        )
        response = make_response(html, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def register_error_handlers(app: Flask) -> None:
    """Render friendly, translated error pages instead of Werkzeug's defaults."""

    @app.before_request
    def _readable_query() -> None:
        # Raw bytes that are not UTF-8 in the query string (not %-encoded) make reading
        # request.args fail wherever a view reads it: refuse the request once, here.
        try:
            request.args  # noqa: B018 - parsing is the check
        except UnicodeDecodeError:
            abort(400)

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(_e: Exception) -> Any:
        reset_session()
        return error_page(404, _("Not found"), _("This page or record does not exist."))

    @app.errorhandler(PermissionDenied)
    @app.errorhandler(403)
    def forbidden(_e: Exception) -> Any:
        reset_session()
        return error_page(403, _("Not allowed"), _("Your role does not allow this."))

    @app.errorhandler(400)
    def bad_request(_e: Exception) -> Any:
        reset_session()
        return error_page(400, _("Not readable"), _("The address or the form is not readable."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e: Exception) -> Any:
        reset_session()
        return error_page(
            400,
            _("Page expired"),
            _("The form expired. Reload the page and try again."),
            word="csrf",
        )

    @app.errorhandler(405)
    def method_not_allowed(_e: Exception) -> Any:
        reset_session()
        return error_page(405, _("Not allowed"), _("This action is not available here."))

    @app.errorhandler(413)
    def too_large(_e: Exception) -> Any:
        reset_session()
        return error_page(413, _("Too large"), _("The upload is too large."))

    @app.errorhandler(429)
    def too_many(_e: Exception) -> Any:
        reset_session()
        return error_page(429, _("Too many attempts"), _("Too many attempts. Wait a few minutes."))

    @app.errorhandler(sa.exc.DBAPIError)
    @app.errorhandler(sa.exc.TimeoutError)
    def database_error(error: Exception) -> Response:
        if not is_connection_failure(error):
            # Bad data rather than a missing database: Flask's 500 path logs it and
            # renders server_error below.
            raise error
        return unavailable()

    @app.errorhandler(500)
    def server_error(error: Exception) -> Any:
        reset_session()
        # A connection failure outside a view (an after_request hook, a teardown) ends here.
        if _caused_by_connection_failure(getattr(error, "original_exception", None)):
            return unavailable()
        return error_page(500, _("Something went wrong"), _("Please try again. Nothing was saved."))
