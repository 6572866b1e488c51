"""Translated labels of the test drive's stored codes: car status and its reasons, booking
status, gearbox, licence class, checklist kinds, item types and feedback scores."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
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
