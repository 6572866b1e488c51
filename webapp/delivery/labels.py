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
    # date.weekday() as text, for the board's coming days.
    "weekday": {
        "0": _l("Monday"),
        "1": _l("Tuesday"),
        "2": _l("Wednesday"),
        "3": _l("Thursday"),
        "4": _l("Friday"),
        "5": _l("Saturday"),
        "6": _l("Sunday"),
    },
}
