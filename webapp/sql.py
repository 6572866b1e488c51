"""SQL pieces shared by the areas' prebuilt statements."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

_WORD = re.compile(r"[a-z_]+")


def in_codes(column: Any, codes: Iterable[str]) -> sa.ColumnElement[bool]:
    """`column IN ('a', 'b')` with the codes written into the SQL, not bound.

    For fixed lists of stored codes (stages, kinds) in statements built once: an `in_()` over
    a Python list is an "expanding" parameter that SQLAlchemy rewrites on every execution.
    Only plain lower-case codes are accepted, so nothing can break out of the quotes.
    """
    values = list(codes)
    for code in values:
        if not _WORD.fullmatch(code):
            raise ValueError(f"not a plain code: {code!r}")
    return column.in_([sa.literal_column(f"'{code}'") for code in values])
