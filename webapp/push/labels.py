"""Translated neutral titles of notification kinds (no personal data ever goes in a title)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

# kind → title code; a kind not listed gets the "generic" title.
KIND_TITLES: dict[str, str] = {
    "arrival": "arrival",
    "delivery_today": "delivery_today",
    "approval": "approval",
    "discount_approval": "discount_approval",
    "contract_decided": "contract_decided",
    "balance_due": "balance_due",
    "vip_arrival": "vip_arrival",
    "delivery_prep": "delivery_prep",
    "task_due": "task_due",
    "task_escalated": "task_escalated",
    "h_overdue": "h_overdue",
    "overdue_digest": "overdue_digest",
    "targets_due": "targets_due",
    "evening_due": "evening_due",
    "generic": "generic",
}

TABLES: dict[str, dict[str, object]] = {
    "notice_title": {
        "arrival": _l("Customer arrived"),
        "delivery_today": _l("Delivery today"),
        "approval": _l("Awaiting approval"),
        "discount_approval": _l("Discount awaiting approval"),
        "contract_decided": _l("Contract decided"),
        "balance_due": _l("Vehicle allocated: ask for the balance"),
        "vip_arrival": _l("Delivery VIP has arrived"),
        "delivery_prep": _l("Delivery preparation not finished"),
        "task_due": _l("Follow-up due"),
        "task_escalated": _l("A follow-up was handed to you"),
        "h_overdue": _l("H-grade follow-up overdue"),
        "overdue_digest": _l("Overdue follow-ups today"),
        "targets_due": _l("Next month's targets are due"),
        "evening_due": _l("Tomorrow's activity schedule is empty"),
        "generic": _l("New notice"),
    },
}


def title_code(kind: str) -> str:
    """The title code stored for a kind."""
    return KIND_TITLES.get(kind, "generic")
