"""Translated labels for stored codes (称谓, sources, stages, roles …), used by templates."""

from __future__ import annotations

from flask import Flask
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from webapp.i18n import locale_name

LABELS: dict[str, dict[str, object]] = {
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
    },
    "contact": {
        "phone_out": _l("Phoned the customer"),
        "phone_in": _l("Customer phoned"),
        "visit": _l("Showroom visit"),
        "message": _l("Message (SMS / WeChat)"),
    },
    "role": {
        "greeter": _l("Greeter"),
        "salesperson": _l("Salesperson"),
        "sales_manager": _l("Sales manager"),
        "service_advisor": _l("Service advisor"),
        "finance": _l("Finance"),
        "car_keeper": _l("Test-drive car keeper"),
        "admin": _l("Admin"),
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
        "decision_makers": _l("Decision makers"),
        "grade": _l("Grade"),
        "owner_id": _l("Salesperson"),
    },
    # Step ⑤ test drive
    "car_status": {
        "ready": _l("Ready"),
        "in_use": _l("In use"),
        "needs_preparation": _l("Needs preparation"),
    },
    "car_reason": {
        "fuel_low": _l("fuel below 1/2"),
        "insurance_expired": _l("insurance expired"),
        "registration_expired": _l("registration expired"),
        "cleaning_due": _l("cleaning due"),
    },
    "booking_status": {
        "booked": _l("Booked"),
        "in_progress": _l("In progress"),
        "done": _l("Done"),
        "cancelled": _l("Cancelled"),
    },
    "transmission": {"AT": _l("Automatic (AT)"), "MT": _l("Manual (MT)")},
    "licence_class": {
        "A1": "A1",
        "A2": "A2",
        "B1": "B1",
        "B2": "B2",
        "C1": _l("C1 (manual and automatic)"),
        "C2": _l("C2 (automatic only)"),
    },
    "checklist_kind": {
        "predrive": _l("Before the drive"),
        "ride": _l("Salesperson drives (ride)"),
        "swap": _l("Swap at the safe point"),
        "drive": _l("Customer drives"),
        "feedback": _l("Feedback (附表九)"),
    },
    "item_type": {
        "tick": _l("Tick"),
        "score": _l("Score 1–5"),
        "text": _l("Text"),
        "choice": _l("Choice"),
    },
    "feedback_score": {
        "power": _l("Power"),
        "handling": _l("Handling"),
        "braking": _l("Braking"),
        "comfort": _l("Comfort"),
        "quietness": _l("Quietness"),
        "visibility": _l("Visibility"),
        "audio": _l("Audio"),
        "overall": _l("Overall"),
    },
}


MISC = {"overdue": _l("Overdue")}


class Labels(dict):
    """Translated labels of one locale, readable as `L.title["mr"]` in templates."""

    __getattr__ = dict.__getitem__


_BY_LOCALE: dict[str, Labels] = {}


def labels_for(locale: str) -> Labels:
    """Every label translated into `locale`, computed once per process.

    Lists render a label or two per row; plain dict look-ups keep that off the hot path
    (each lazy string would otherwise resolve the locale and catalog again).
    """
    cached = _BY_LOCALE.get(locale)
    if cached is None:
        with force_locale(locale):
            cached = Labels(
                {
                    kind: {code: str(text) for code, text in items.items()}
                    for kind, items in LABELS.items()
                }
            )
            cached["misc"] = Labels({key: str(text) for key, text in MISC.items()})
        _BY_LOCALE[locale] = cached
    return cached


def label(kind: str, code: object) -> str:
    """The translated label of a stored code; the code itself when unknown."""
    return labels_for(locale_name()).get(kind, {}).get(str(code), str(code))


def register(app: Flask) -> None:
    app.jinja_env.globals["label"] = label
    app.jinja_env.globals["LABELS"] = LABELS

    @app.context_processor
    def _labels() -> dict:
        return {"L": labels_for(locale_name())}
