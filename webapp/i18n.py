"""Language choice and locale-aware filters: Chinese first, Asia/Shanghai, yuan."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import Flask, current_app, has_request_context, request, session
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_login import current_user

from webapp.timeutil import local_today


def select_locale() -> str:
    """The signed-in user's saved language, then the session's choice, then Chinese.

    The browser's Accept-Language is deliberately ignored: the showroom tablets are
    shared devices and the standard's language is Chinese.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    chosen = session.get("locale")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def yuan(value: Decimal | float | int | None) -> str:
    """Money as ¥12,345.00 in both languages."""
    if value is None:
        return "—"
    return "¥" + format_decimal(Decimal(value), format="#,##0.00")


def local_datetime(value: datetime | None, fmt: str = "short") -> str:
    """A UTC datetime shown in the showroom's time zone (Asia/Shanghai)."""
    if value is None:
        return "—"
    if fmt == "time":
        return format_datetime(value, "HH:mm")
    return format_datetime(value, "yyyy-MM-dd HH:mm")


def local_date(value: date | None) -> str:
    if value is None:
        return "—"
    return format_date(value, "yyyy-MM-dd")


def html_lang() -> str:
    """BCP 47 tag for the <html lang> attribute."""
    return "zh-Hans" if str(get_locale()).startswith("zh") else "en"


def register(app: Flask) -> None:
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["dt"] = local_datetime
    app.jinja_env.filters["d"] = local_date
    app.jinja_env.globals["html_lang"] = html_lang

    @app.context_processor
    def _locale_context() -> dict:
        return {
            "current_locale": str(get_locale()),
            "request_path": request.path,
            "today_local": local_today(),
        }
