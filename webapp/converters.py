"""URL converters: `<int:…>` matches only ids the database can hold.

Werkzeug's own `int` matches any run of digits, so `/customers/99999999999` reached the
database, where PostgreSQL refuses a value above 2^31 - 1 for an `integer` column (and SQLite
one above 2^63 - 1): a 500 instead of a 404. This one matches 1 ≤ id ≤ 2^31 - 1 by default;
anything else is not a route, so the client gets the app's 404 page.
"""

from __future__ import annotations

import builtins

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

from webapp.inputs import MAX_ID

MIN_SIGNED = -(MAX_ID + 1)


class BoundedIntConverter(IntegerConverter):
    """Werkzeug's `int` converter (with `fixed_digits`, `min`, `max` and `signed`), bounded to
    the database's `integer`: 1..2^31 - 1 unsigned, -2^31..2^31 - 1 signed. A `min` or `max`
    given in a rule narrows that range and never widens it. ASCII digits only."""

    regex = r"[0-9]+"

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = None,
        signed: bool = False,
    ) -> None:
        floor = MIN_SIGNED if signed else 1
        low = floor if min is None else builtins.max(min, floor)
        high = MAX_ID if max is None else builtins.min(max, MAX_ID)
        super().__init__(map, fixed_digits=fixed_digits, min=low, max=high, signed=signed)


def register_converters(app: Flask) -> None:
    """Replace Flask's `int` converter; call before any blueprint adds its rules."""
    app.url_map.converters["int"] = BoundedIntConverter
