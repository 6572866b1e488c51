"""Translated labels of the A-C card's stored codes: 称谓, source, payment, stage, grade,
contacts, the card's fields and the kinds of its timeline events."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "title": {"mr": _l("Mr"), "ms": _l("Ms")},
    "source": {
        "walk_in": _l("Walk-in"),
        "phone_in": _l("Phone call"),
        "online": _l("Online (auto sites, WeChat)"),
        "referral": _l("Referral"),
        "event": _l("Event / exhibition"),
        "owner_referral": _l("Owner referral"),
        "other": _l("Other"),
    },
    # Budget ranges as dealers say them (webapp/customers/services.py BUDGET_RANGES).
    "budget_range": {
        "under_10": _l("Under 100,000"),
        "10_15": _l("100,000–150,000"),
        "15_20": _l("150,000–200,000"),
        "20_30": _l("200,000–300,000"),
        "over_30": _l("Over 300,000"),
    },
    "payment": {"undecided": _l("Undecided"), "cash": _l("Cash"), "loan": _l("Loan")},
    "stage": {
        "prospect": _l("Prospect (A card)"),
        "ordered": _l("Ordered"),
        "owner": _l("Owner (C card)"),
        "lost": _l("Lost"),
    },
    "grade": {
        "H": _l("H · buys within 7 days"),
        "A": _l("A · within 15 days"),
        "B": _l("B · within 30 days"),
        "C": _l("C · within 90 days"),
    },
    # Every kind the card's timeline holds, whichever area records it (the timeline is
    # this area's: the others write it through customers.card.record_event).
    "event": {
        "created": _l("Card created"),
        "updated": _l("Card updated"),
        "grade_changed": _l("Grade changed"),
        "stage_changed": _l("Stage changed"),
        "phone_out": _l("Phoned the customer"),
        "phone_in": _l("Customer phoned"),
        "visit": _l("Showroom visit"),
        "message": _l("Message (SMS / WeChat)"),
        "test_drive": _l("Test drive"),
        "needs_confirmed": _l("Needs summary confirmed by the customer"),
        "model_recommended": _l("Model recommended"),
        "walkaround": _l("Six-position walkaround"),
        "catalogue_given": _l("Catalogue handed over"),
        "test_drive_invited": _l("Invited to a test drive"),
        "drive_feedback": _l("Driving style and focus points noted"),
        "contract": _l("Contract"),
        "contract_delay": _l("Delivery date moved"),
        "contract_contact": _l("Contact while the customer waits"),
    },
    "contact": {
        "phone_out": _l("Phoned the customer"),
        "phone_in": _l("Customer phoned"),
        "visit": _l("Showroom visit"),
        "message": _l("Message (SMS / WeChat)"),
    },
    "field": {
        "name": _l("Name"),
        "title": _l("Form of address"),
        "mobile": _l("Mobile"),
        "other_contact": _l("Other contact"),
        "preferred_contact_time": _l("Preferred contact time"),
        "family": _l("Family"),
        "hobbies": _l("Hobbies"),
        "source": _l("Source"),
        "model_id": _l("Model of interest"),
        "planned_purchase_date": _l("Planned purchase date"),
        "usage": _l("Usage"),
        "budget": _l("Budget (yuan)"),
        "payment": _l("Cash or loan"),
        "trade_in": _l("Trade-in"),
        "current_car": _l("Current car"),
        "competitors": _l("Competitors considered"),
        "decision_makers": _l("Who decides or influences the purchase"),
        "address": _l("Address"),
        "occupation": _l("Occupation"),
        "budget_range": _l("Budget range"),
        "grade": _l("Grade"),
        "owner_id": _l("Salesperson"),
    },
}
