"""Translated labels of step ⑥'s stored codes: why a sale was lost and how far it came."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "lost_reason": {
        "price": _l("Price"),
        "product": _l("Product"),
        "service": _l("Service"),
        "financing": _l("Financing"),
        "timing": _l("Timing"),
        "other": _l("Other"),
    },
    "stage_reached": {
        "needs_analysis": _l("Needs analysis"),
        "test_drive": _l("Test drive"),
        "quotation": _l("Quotation"),
        "negotiation": _l("Negotiation"),
        "contract": _l("Contract"),
    },
}
