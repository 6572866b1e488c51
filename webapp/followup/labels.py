"""Translated labels of the follow-up area's stored codes (read through webapp.labels)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    # The standard rules' tasks, as the lists name them (a store's own rule: its message).
    "task_kind": {
        "safe_arrival": _l("Safe-arrival call"),
        "thank_you": _l("Thank-you letter and call"),
        "agreed_call": _l("Agreed call about the car"),
        "free_inspection": _l("Free inspection reminder"),
        "quarterly": _l("3-monthly owner contact"),
        "service_quarterly": _l("3-monthly service contact"),
    },
    # What the standard asks of each task, shown when the store wrote no message of its own.
    "task_hint": {
        "safe_arrival": _l("Call to make sure the customer got home safely."),
        "thank_you": _l(
            "Send the thank-you letter (附表十六) and call to thank them and ask how the car is."
        ),
        "agreed_call": _l(
            "Call at the agreed time: ask how the car is and remind them of the free inspection."
        ),
        "free_inspection": _l("Remind the customer of the free inspection and book it."),
        "quarterly": _l("Keep in touch: ask how the car is and whether friends might buy."),
        "service_quarterly": _l(
            "Read the maintenance record, call, and invite the customer back to the workshop."
        ),
    },
    "outcome": {
        "reached": _l("Reached the customer"),
        "no_answer": _l("No answer"),
        "call_back": _l("Call back later"),
        "declined": _l("Did not want to talk"),
    },
    "trigger": {
        "delivery": _l("Delivery day"),
        "home_eta": _l("Expected home time"),
        "agreed_call": _l("Call day agreed at the farewell"),
        "first_maintenance": _l("First maintenance"),
    },
    # The words of a task's list item, looked up once per page with the other tables (a list
    # of tasks would otherwise translate each of them again for every task).
    "task_ui": {
        "done": _l("Done"),
        "overdue": _l("Overdue"),
        "with_manager": _l("With the manager"),
        "letter": _l("Print the thank-you letter (附表十六)"),
        "complete": _l("Record the result"),
        "reschedule": _l("Move"),
        "escalate": _l("To the manager"),
    },
    "task_owner": {
        "salesperson": _l("Salesperson"),
        "service_advisor": _l("Service advisor"),
    },
}
