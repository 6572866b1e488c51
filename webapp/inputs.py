"""Ranges and characters every value from a client must respect before it reaches the database.

One place for the rules that hold whatever the area: ids fit a 32-bit signed column
(PostgreSQL's `integer`), dates lie in sane years, and text holds no control characters
other than the newline (a carriage return before a newline is folded into it), no lone
surrogates and no NULs. A refusal is a translated message for the field, never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _

# 1 ≤ id < 2^31: the range of PostgreSQL's `integer` and of every id column.
MAX_ID = 2**31 - 1
# A whole number from a client that is not an id (a sequence number, a count): 2^53 - 1,
# what a browser's Number holds exactly, and below SQLite's and PostgreSQL's bigint.
MAX_WHOLE = 2**53 - 1
MIN_YEAR = 1900
MAX_YEAR = 2200

# C0 controls but the newline, DEL, C1 controls, lone surrogates, the non-characters U+FFFE/F.
_BAD_TEXT = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def text_problem(value: str) -> str | None:
    """The message for text that holds characters a person cannot have meant, else None."""
    if _BAD_TEXT.search(value.replace("\r\n", "\n")) is None:
        return None
    return _("Remove the invisible control characters from this text.")


def clean_text(value: str) -> str:
    """`value` with CRLF folded to a newline (call after text_problem found nothing)."""
    return value.replace("\r\n", "\n")


def text_errors(data: Mapping[str, Any], names: Iterable[str] | None = None) -> dict[str, str]:
    """field → message for every text value of `data` (or of `names`) that text_problem refuses.

    Works on dicts and werkzeug MultiDicts (every value of a repeated field is checked).
    """
    errors: dict[str, str] = {}
    keys = list(names) if names is not None else list(data.keys())
    getlist = getattr(data, "getlist", None)
    for name in keys:
        values = getlist(name) if getlist is not None else [data.get(name)]
        for value in values:
            if isinstance(value, str) and (problem := text_problem(value)) is not None:
                errors[name] = problem
                break
    return errors


def scrub_text(value: str) -> str:
    """Stored text made safe for an export: refused characters dropped (old rows may hold
    them from before these rules)."""
    return _BAD_TEXT.sub("", value.replace("\r\n", "\n"))


def valid_id(value: Any) -> bool:
    """Whether `value` is an int (not a bool) that can be a row id: 1 ≤ value ≤ 2^31 - 1."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def parse_id(raw: Any) -> int | None:
    """An id from a form or query string ("12"), or None when it is not one."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw if valid_id(raw) else None
    if isinstance(raw, str):
        raw = raw.strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= 10:
            number = int(raw)
            return number if valid_id(number) else None
    return None


def sane_date(value: date) -> bool:
    """Whether a date lies within MIN_YEAR..MAX_YEAR."""
    return MIN_YEAR <= value.year <= MAX_YEAR


def parse_date(raw: Any) -> date | None:
    """An ISO date (YYYY-MM-DD) within sane years, or None."""
    if not isinstance(raw, str) or len(raw) != 10:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        return None
    return value if sane_date(value) else None


def parse_month(raw: str | None) -> date | None:
    """The first day of a month written `YYYY-MM` within the years the app handles, else None."""
    if not isinstance(raw, str) or len(raw) != 7 or raw[4] != "-":
        return None
    year, month = raw[:4], raw[5:]
    if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
        return None
    if not MIN_YEAR <= int(year) <= MAX_YEAR or not 1 <= int(month) <= 12:
        return None
    return date(int(year), int(month), 1)


def text_problem_in(values: Iterable[Any]) -> str | None:
    """text_problem of the first text among `values` that has one (the values of a field
    posted several times, e.g. a multiple choice), else None; values that are not text pass."""
    for value in values:
        if isinstance(value, str) and (problem := text_problem(value)) is not None:
            return problem
    return None


# The page numbers of a paged list (`?page=`): anything else is the first page, and a page
# is at most this deep (an offset past it would only scan the index for nothing).
MAX_PAGE = 10_000


def page_number(raw: Any) -> int:
    """`?page=` of a paged list: 1 for a missing, malformed or out-of-range value."""
    try:
        page = int(str(raw or "1"))
    except ValueError:
        return 1
    return page if 1 <= page <= MAX_PAGE else 1
