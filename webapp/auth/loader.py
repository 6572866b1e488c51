"""Flask-Login wiring: tokens resolved through server-side session rows."""

from __future__ import annotations

from flask import Flask, Response, redirect, request, url_for
from flask_babel import lazy_gettext as _l

from webapp.auth import services
from webapp.auth.models import User
from webapp.extensions import login_manager
from webapp.htmx import is_htmx

# Endpoints that pages call on their own, on a timer: they must not keep a session alive.
PASSIVE_ENDPOINTS = frozenset({"push.count"})


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in.")
    login_manager.login_message_category = "info"
    # Our session token already changes per login; "strong" would log out tablets on IP change.
    login_manager.session_protection = None

    @login_manager.user_loader
    def _load(token: str) -> User | None:
        # Background polls are not a person using the tablet (see load_session_user).
        polling = request.endpoint in PASSIVE_ENDPOINTS
        return services.load_session_user(token, activity=not polling)

    @login_manager.unauthorized_handler
    def _unauthorized() -> Response:
        login_url = url_for(
            "auth.login", next=request.full_path if request.method == "GET" else None
        )
        if is_htmx():
            response = Response("", 401)
            response.headers["HX-Redirect"] = login_url
            return response
        return redirect(login_url)
