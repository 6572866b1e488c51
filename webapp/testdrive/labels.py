"""Translated labels of the test drive's stored codes: car status and its reasons, booking
status, gearbox, licence class, checklist kinds, item types, feedback scores, the options of
the checklists and the feedback form (driving style, focus points, time, intention) and the
documents the customer signs.

Checklist options are stored as codes; `checklist_option` holds every option's label (the
packet shows an admin's own option, not in these tables, as its code)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

DRIVING_STYLE: dict[str, object] = {
    "steady": _l("Steady"),
    "assured": _l("Assured"),
    "sporty": _l("Sporty"),
    "cautious": _l("Cautious"),
}
FOCUS_POINT: dict[str, object] = {
    "power": _l("Power"),
    "handling": _l("Handling"),
    "comfort": _l("Comfort"),
    "quietness": _l("Quietness"),
    "space": _l("Space"),
    "fuel_economy": _l("Fuel economy"),
    "safety": _l("Safety"),
    "technology": _l("Technology"),
}
DRIVE_TIME: dict[str, object] = {
    "enough": _l("Enough time"),
    "too_short": _l("Too short"),
}
INTENTION: dict[str, object] = {
    "buy_now": _l("Buy now"),
    "soon": _l("Soon"),
    "thinking": _l("Still thinking"),
    "not_now": _l("Not now"),
}

TABLES: dict[str, dict[str, object]] = {
    "car_status": {
        "ready": _l("Ready"),
        "in_use": _l("In use"),
        "needs_preparation": _l("Needs preparation"),
    },
    "car_reason": {
        "fuel_low": _l("fuel below 1/2"),
        "insurance_expired": _l("insurance expired"),
        "registration_expired": _l("inspection overdue"),
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
        "after": _l("After the drive"),
        "feedback": _l("Feedback (附表九)"),
    },
    "item_type": {
        "tick": _l("Tick"),
        "score": _l("Score 1–5"),
        "text": _l("Text"),
        "choice": _l("Choice"),
        "multi": _l("Several choices"),
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
    "driving_style": DRIVING_STYLE,
    "focus_point": FOCUS_POINT,
    "drive_time": DRIVE_TIME,
    "intention": INTENTION,
    "checklist_option": {**DRIVING_STYLE, **FOCUS_POINT, **DRIVE_TIME, **INTENTION},
    "signed_document": {
        "safety_agreement": _l("Safety agreement"),
        "feedback_form": _l("Feedback form (附表九)"),
    },
}
