"""Flask-Login wiring: tokens resolved through server-side session rows."""

from __future__ import annotations

from flask import Flask, Response, g, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l

from webapp.auth import services
from webapp.auth.models import User
from webapp.extensions import login_manager
from webapp.htmx import is_htmx

# Endpoints that pages call on their own, on a timer: they must not keep a session alive.
PASSIVE_ENDPOINTS = frozenset({"push.count"})


def serve_without_user() -> None:
    """Answer this request as for a visitor, without reading the user or the session row.

    For what must work while the database is down: the app shell (service worker, offline
    page, manifest) and the error pages. The cookie is left as it is, so the next request
    sees the user again; the language is the session's (which the loader keeps equal to the
    user's saved one).
    """
    g._login_user = login_manager.anonymous_user()
    g.without_user = True


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
        user = services.load_session_user(token, activity=not polling)
        if user is not None and user.locale and session.get("locale") != user.locale:
            # The cookie carries the saved language too, so what is served without the
            # database (the app shell, the "database down" page) still speaks it.
            session["locale"] = user.locale
        return user

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
