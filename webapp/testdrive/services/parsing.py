"""Reading the test-drive back office's forms: a whole number in a range, a date, text of a
limited length. Each sets the field's message on bad input (and then returns None)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _

from webapp.inputs import parse_date


def read_int(
    data: dict[str, Any],
    name: str,
    errors: dict[str, str],
    lo: int,
    hi: int,
    required: bool = True,
) -> int | None:
    """`data[name]` as a whole number from `lo` to `hi`; blank is None (an error when
    `required`)."""
    raw = str(data.get(name) if data.get(name) is not None else "").strip()
    if raw == "":
        if required:
            errors[name] = _("Enter a number.")
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("Enter a whole number.")
        return None
    if not lo <= value <= hi:
        errors[name] = _("Enter a number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        return None
    return value


def read_date(
    data: dict[str, Any], name: str, errors: dict[str, str], required: bool = True
) -> date | None:
    """`data[name]` as a date (a date object passes); blank is None (an error when
    `required`)."""
    raw = data.get(name)
    if isinstance(raw, date):
        return raw
    raw = (raw or "").strip()
    if not raw:
        if required:
            errors[name] = _("Enter a date.")
        return None
    value = parse_date(raw)
    if value is None:
        errors[name] = _("Enter a date.")
    return value


def read_text(data: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    """`data[name]` stripped; longer than `limit` is an error."""
    value = (data.get(name) or "").strip()
    if len(value) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    return value
