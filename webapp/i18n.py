"""Language choice and locale-aware filters: Chinese first, Asia/Shanghai, yuan, and `local`
for a pair of `*_zh` / `*_en` columns."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from flask_login import current_user
from jinja2 import pass_context, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from webapp.timeutil import SHANGHAI, local_today


def select_locale() -> str:
    """The signed-in user's saved language, then the session's choice, then Chinese.

    The browser's Accept-Language is deliberately ignored: the showroom tablets are
    shared devices and the standard's language is Chinese.

    Never fails because of the database. Requests served without the user (the app shell,
    the page saying the database is down) do not load it, and a user that cannot be read
    (an error page after a failed flush, the database gone) counts as unknown; either way
    the session's choice, which the user loader keeps equal to the user's saved language,
    usually says the same.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and background jobs
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    for chosen in (_user_locale(), session.get("locale")):
        if chosen in languages:
            return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _user_locale() -> str | None:
    """The signed-in user's saved language, read without ever raising a database error."""
    if g.get("without_user"):
        return None
    try:
        return current_user.locale if current_user.is_authenticated else None
    except SQLAlchemyError:
        return None


FEN = Decimal("0.01")


def yuan(value: Decimal | float | int | None) -> str:
    """Money as ¥12,345.00 in both languages (comma groups, a point before the fen: the
    same in zh and en, so formatted directly; Babel's pattern formatter costs ~60 µs a call
    and a contract list shows hundreds of amounts)."""
    if value is None:
        return "—"
    amount = value if isinstance(value, Decimal) else Decimal(value)
    return f"¥{amount.quantize(FEN, rounding=ROUND_HALF_UP):,}"


# Dates and times are shown as digits in both languages (2026-11-27 14:05), so they are
# formatted here directly: Babel's pattern formatter costs ~30 µs a call, and a list page
# shows dozens.
def local_datetime(value: datetime | None, fmt: str = "short") -> str:
    """A UTC datetime shown in the showroom's time zone (Asia/Shanghai)."""
    if value is None:
        return "—"
    if value.tzinfo is None:  # naive means UTC throughout the app
        value = value.replace(tzinfo=UTC)
    local = value.astimezone(SHANGHAI)
    return f"{local:%H:%M}" if fmt == "time" else f"{local:%Y-%m-%d %H:%M}"


def local_date(value: date | None) -> str:
    """A date as yyyy-MM-dd; a datetime is first moved to Asia/Shanghai."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(SHANGHAI).date()
    return f"{value:%Y-%m-%d}"


def translations() -> NullTranslations:
    """The request's translations, looked up once per request.

    Flask-Babel looks them up again on every gettext call (context, domain, locale, cache
    key: ~6 µs against ~1 µs here), and a page calls gettext dozens to hundreds of times.
    The result is kept in the slot Flask-Babel itself resets: `force_locale()` sets it to
    None and restores it, `refresh()` deletes it, so a switched language is never served
    stale. That slot is Flask-Babel's private state: pyproject.toml pins the version and
    tests/test_flask_babel_slots.py fails if the slot stops behaving so.
    """
    if not has_app_context():
        return get_translations()
    ctx = g.get("_flask_babel")
    cached = getattr(ctx, "babel_translations", None) if ctx is not None else None
    if cached is None:
        cached = get_translations()  # makes g._flask_babel when missing
        g._flask_babel.babel_translations = cached
    return cached


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, **variables: Any) -> str:
    """`_()` and `gettext()` in templates, with Jinja's "newstyle" meaning (the result is
    escaped-safe and formatted with the keyword arguments) in one call.

    Jinja's own newstyle wrapper goes through three nested context calls per string (the
    `_` alias, the wrapper, the callable): a form page calls it a hundred times, and that
    was a fifth of its render time.
    """
    rv = translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalogues, as Jinja's newstyle gettext does
    # Newstyle always applies `%`, so "%%" means "%"; a string without "%" is unchanged.
    return rv % variables if variables or "%" in rv else rv


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """`ngettext()` in templates, newstyle: `num` is available as %(num)s."""
    variables.setdefault("num", num)
    rv = translations().ungettext(singular, plural, num)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalogues, as Jinja's newstyle gettext does
    return rv % variables


def _install_template_gettext(app: Flask) -> None:
    """Templates' _(), gettext and ngettext through the per-request translations."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    # The installed names stay for pgettext/npgettext; the common three call straight in.
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )


def locale_name() -> str:
    """The current locale as a string, e.g. "zh_CN" or "en".

    Read from where Flask-Babel keeps the request's (or a forced) locale once it has been
    chosen: labels ask for it on every row, and `str(get_locale())` costs about three times
    as much. The same private state as `translations()`, guarded by the same test.
    """
    ctx = g.get("_flask_babel") if has_app_context() else None
    chosen = getattr(ctx, "babel_locale", None) if ctx is not None else None
    if chosen is None:
        return str(get_locale())
    # str(Locale) builds the identifier each time: keep it beside the Locale it names.
    named = getattr(ctx, "babel_locale_name", None)
    if named is None or named[0] is not chosen:
        named = ctx.babel_locale_name = (chosen, str(chosen))
    return named[1]


_COLUMNS: dict[str, tuple[str, str]] = {}


@pass_context
def local(context: Context, obj: Any, field: str, other: bool = False) -> Any:
    """`obj.<field>_zh` or `obj.<field>_en`, whichever the current locale reads (the other
    one with `other=True`): `{{ model|local('name') }}`, `{{ row|local('model') }}`,
    `{{ item|local('label') }}`. Works on objects and on dicts (a packet's JSON items). An
    empty English text falls back to the Chinese one (not with `other=True`); a missing
    object or text gives "".

    Lists call it on every row: the locale is read from the page's `current_locale` (set by
    the context processor below; `locale_name()` in a macro imported without context) and
    the column names are built once per field.
    """
    if obj is None:
        return ""
    columns = _COLUMNS.get(field)
    if columns is None:
        columns = _COLUMNS[field] = (f"{field}_zh", f"{field}_en")
    zh, en = columns
    chinese = (context.get("current_locale") or locale_name()).startswith("zh")
    if chinese is not other:
        name, fallback = zh, None
    else:  # an empty English text falls back to the Chinese, unless that is shown beside it
        name, fallback = en, (None if other else zh)
    is_dict = isinstance(obj, dict)
    value = obj.get(name) if is_dict else getattr(obj, name)
    if not value and fallback is not None:
        value = obj.get(fallback) if is_dict else getattr(obj, fallback)
    return "" if value is None else value


def short_day(value: date, today: date, zh: bool) -> str:
    """A day in a list, short: "12月8日" / "Dec 8", with the year when it is not `today`'s
    ("2027年1月5日" / "Jan 5, 2027"). One call per date: as template expressions it was six."""
    if zh:
        head = f"{value.year}年" if value.year != today.year else ""
        return f"{head}{value.month}月{value.day}日"
    tail = f", {value.year}" if value.year != today.year else ""
    return f"{value:%b} {value.day}{tail}"


def html_lang() -> str:
    """BCP 47 tag for the <html lang> attribute."""
    return "zh-Hans" if locale_name().startswith("zh") else "en"


def register(app: Flask) -> None:
    _install_template_gettext(app)
    app.jinja_env.filters["yuan"] = yuan
    app.jinja_env.filters["dt"] = local_datetime
    app.jinja_env.filters["d"] = local_date
    app.jinja_env.filters["local"] = local
    app.jinja_env.filters["short_day"] = short_day
    app.jinja_env.globals["html_lang"] = html_lang

    @app.context_processor
    def _locale_context() -> dict:
        return {
            "current_locale": locale_name(),
            "request_path": request.path,
            "today_local": local_today(),
        }
