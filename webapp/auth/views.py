"""Login, logout, own password and language choice."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import generate_csrf

from webapp.auth import services
from webapp.auth.forms import LoginForm, PasswordChangeForm
from webapp.errors import ValidationError
from webapp.htmx import render_page_or_fragment

bp = Blueprint("auth", __name__)

LOGIN_FAILED = 401


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths: never an absolute or scheme-relative URL."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in. 401 on wrong credentials; 429 when throttled (see services.log_in).

    Neither the message nor the status says whether the account exists.
    """
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    status = 200
    failed = False
    if form.validate_on_submit():
        try:
            user = services.log_in(
                form.username.data, form.password.data, request.remote_addr or ""
            )
        except services.LoginThrottled:
            abort(429)
        if user is not None:
            chosen_locale = session.get("locale")
            session.clear()  # a fresh session and a fresh CSRF token for the new login
            services.start_session(user, request.headers.get("User-Agent", ""))
            if user.locale is None and chosen_locale:
                services.set_locale(user, chosen_locale)
            login_user(user, remember=bool(form.remember.data))
            generate_csrf()
            return redirect(_safe_next(request.args.get("next")) or url_for("home.index"), 303)
        failed = True
        status = LOGIN_FAILED
    elif request.method == "POST":
        status = 422
    return render_page_or_fragment(
        "auth/login.html", "login_form", status=status, form=form, failed=failed
    )


@bp.post("/logout")
@login_required
def logout():
    """Log out for real: the server-side login row is revoked, the cookie is worthless."""
    services.end_session(current_user.session_token)
    locale = current_user.locale
    logout_user()
    session.clear()
    if locale:
        session["locale"] = locale
    return redirect(url_for("auth.login"), 303)


@bp.post("/language")
def language():
    """Switch the UI language; remembered on the user and in the session."""
    locale = request.form.get("locale", "")
    if locale in current_app.config["LANGUAGES"]:
        session["locale"] = locale
        if current_user.is_authenticated:
            services.set_locale(current_user, locale)
    back = _safe_next(request.form.get("next")) or url_for("home.index")
    return redirect(back, 303)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's own password; every other session of the user ends."""
    form = PasswordChangeForm()
    status = 200
    done = False
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user, form.current_password.data, form.new_password.data, form.confirm.data
            )
            done = True
            form = PasswordChangeForm(formdata=None)
        except ValidationError as exc:
            for field, message in exc.errors.items():
                getattr(form, field).errors = [message]
            status = 422
    elif request.method == "POST":
        status = 422
    return render_page_or_fragment(
        "auth/password.html", "password_form", status=status, form=form, done=done
    )
