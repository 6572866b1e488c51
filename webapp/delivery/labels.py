"""Translated labels of the delivery area's stored codes (read through webapp.labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    # The delivery's states as people read them (the board and the delivery page).
    "delivery_state": {
        "planned": _l("Planned"),
        "arrived": _l("Customer here"),
        "completed": _l("Handed over"),
        "cancelled": _l("Cancelled"),
    },
}
