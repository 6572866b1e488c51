"""Translated labels of step ⑥'s stored codes: contract states, payments, the contact plan of a
waiting customer, memo approvals, and why a sale was lost and how far it came."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "contract_state": {
        "draft": _l("Draft"),
        "submitted": _l("Awaiting approval"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
        "signed": _l("Signed"),
        "deposit_paid": _l("Deposit paid"),
        "allocated": _l("Vehicle allocated"),
        "balance_paid": _l("Balance paid"),
        "delivered": _l("Delivered"),
        "cancelled": _l("Cancelled"),
    },
    "memo_approval": {
        "not_needed": _l("No approval needed"),
        "pending": _l("Awaiting approval"),
        "approved": _l("Approved"),
        "rejected": _l("Rejected"),
    },
    "payment_kind": {"deposit": _l("Deposit"), "balance": _l("Balance")},
    "payment_method": {
        "cash": _l("Cash"),
        "pos": _l("Card (POS)"),
        "transfer": _l("Bank transfer"),
    },
    "contact_kind": {
        "call": _l("Call the customer"),
        "driver_guide": _l("Send the driver's guide"),
        "holiday_gift": _l("Holiday gift"),
        "balance": _l("Ask for the balance"),
    },
    "holiday": {
        "new_year": _l("New Year's Day"),
        "spring": _l("Spring Festival"),
        "labour": _l("Labour Day"),
        "dragon_boat": _l("Dragon Boat Festival"),
        "mid_autumn": _l("Mid-Autumn Festival"),
        "national": _l("National Day"),
    },
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
