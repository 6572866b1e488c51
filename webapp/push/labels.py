"""Translated neutral titles of notification kinds (no personal data ever goes in a title)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# kind → title code; a kind not listed gets the "generic" title.
KIND_TITLES: dict[str, str] = {
    "arrival": "arrival",
    "delivery_today": "delivery_today",
    "approval": "approval",
    "generic": "generic",
}

TABLES: dict[str, dict[str, object]] = {
    "notice_title": {
        "arrival": _l("Customer arrived"),
        "delivery_today": _l("Delivery today"),
        "approval": _l("Awaiting approval"),
        "generic": _l("New notice"),
    },
}


def title_code(kind: str) -> str:
    """The title code stored for a kind."""
    return KIND_TITLES.get(kind, "generic")
