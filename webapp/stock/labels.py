"""Translated labels of the stock's stored codes: the status of a car."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "stock_status": {
        "in_transit": _l("In transit"),
        "in_stock": _l("In stock"),
        "pds": _l("In PDS"),
        "reserved": _l("Reserved"),
        "delivered": _l("Delivered"),
    },
}
