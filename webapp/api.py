"""The small JSON side of the app (the outbox's sync calls, push subscriptions): responses that
are never cached, and a login check that answers 401 JSON instead of redirecting."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import Response, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from webapp.extensions import csrf

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def json_response(status: int, **body: Any) -> Response:
    """A JSON answer with `Cache-Control: no-store`."""
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def api_login_required(view: Callable) -> Callable:
    """Like login_required, but 401 JSON instead of a redirect: scripts keep their data and
    ask the person to log in again.

    The CSRF check of a state change runs here, after the login check rather than before
    the view (where CSRFProtect would put it): a request without a session is told to log
    in (401), not that its token expired (400). Every state change still needs its token.
    """

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return json_response(
                401, error="login", message=_("Your session has expired. Log in again.")
            )
        if request.method not in SAFE_METHODS:
            csrf.protect()
        return view(*args, **kwargs)

    csrf.exempt(wrapper)
    return wrapper
