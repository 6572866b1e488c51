"""Translated labels of stored codes (称谓, sources, stages, roles, booking states …).

Each area declares its tables in its own `labels` module as `TABLES`: {table: {code: lazy
label}} (a callable `TABLES` is called at registration, for tables built from a registry).
`register(app)` merges the areas of `AREAS`, one explicit list, and refuses a table name
declared twice. Everything reads them through one look-up, `label(table, code)`, and one
per-locale cache, `labels_for(locale)`; templates get both: `label('stage', card.stage)`,
and `L`, this locale's tables, for loops (`L.title.get(row.title, '')`, `L.role.items()`).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Flask
from flask_babel import force_locale

from webapp.i18n import locale_name

# The areas whose `labels` module declares tables, in one explicit list.
AREAS = (
    "webapp.auth.labels",
    "webapp.customers.labels",
    "webapp.reception.labels",
    "webapp.consult.labels",
    "webapp.testdrive.labels",
    "webapp.stock.labels",
    "webapp.negotiation.labels",
    "webapp.delivery.labels",
    "webapp.followup.labels",
    "webapp.push.labels",
    "webapp.sync.labels",
)

Tables = Mapping[str, Mapping[str, Any]]


class Labels(dict):
    """Translated labels of one locale, readable as `L.title["mr"]` in templates; also the
    per-page words and links a list repeats on every row (see followup.views.task_links).

    Each key (one that names no dict method) is also an attribute of the instance. Jinja
    reads `L.title` with getattr first and as an item only when that fails, and a failed
    getattr costs an exception: a plain dict's `tx.card_url` took 0.5 µs against 0.06, and
    the card box audit's thirty rows made ~400 such reads a page. The contents are not
    changed after they are made.
    """

    __getattr__ = dict.__getitem__

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__.update(
            (key, value) for key, value in self.items() if key.isidentifier() and key not in _DICT
        )


_DICT = frozenset(dir(dict))


_tables: dict[str, Mapping[str, Any]] | None = None
_BY_LOCALE: dict[str, Labels] = {}


def merge(areas: Iterable[tuple[str, Tables | Callable[[], Tables]]]) -> dict[str, Any]:
    """The tables of (area, TABLES) pairs in one dict; a table declared twice raises."""
    merged: dict[str, Mapping[str, Any]] = {}
    owner: dict[str, str] = {}
    for area, declared in areas:
        tables = declared() if callable(declared) else declared
        for table, items in tables.items():
            if table in merged:
                raise ValueError(f"label table {table!r} is declared by {owner[table]} and {area}")
            merged[table] = items
            owner[table] = area
    return merged


def _area_tables() -> dict[str, Any]:
    return merge((name, importlib.import_module(name).TABLES) for name in AREAS)


def install(tables: dict[str, Mapping[str, Any]]) -> None:
    """Make `tables` the ones every look-up reads, and forget the translated copies."""
    global _tables
    _tables = tables
    _BY_LOCALE.clear()


def labels_for(locale: str) -> Labels:
    """Every table translated into `locale`, computed once per process.

    Lists render a label or two per row; plain dict look-ups keep that off the hot path
    (each lazy string would otherwise resolve the locale and catalog again).
    """
    cached = _BY_LOCALE.get(locale)
    if cached is None:
        if _tables is None:
            install(_area_tables())
        assert _tables is not None
        with force_locale(locale):
            cached = Labels(
                {
                    table: Labels({code: str(text) for code, text in items.items()})
                    for table, items in _tables.items()
                }
            )
        _BY_LOCALE[locale] = cached
    return cached


def label(table: str, code: object) -> str:
    """The translated label of a stored code; the code itself when unknown."""
    return labels_for(locale_name()).get(table, {}).get(str(code), str(code))


def register(app: Flask) -> None:
    """Merge the areas' tables (after the offline kinds are registered) and give templates
    `label()` and `L`."""
    install(_area_tables())
    app.jinja_env.globals["label"] = label

    @app.context_processor
    def _labels() -> dict:
        return {"L": labels_for(locale_name())}
