"""Translated labels of reception's stored codes (visit kinds, results, skips, assignment)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "visit_kind": {
        "walk_in": _l("Walk-in"),
        "phone_in": _l("Phone in"),
        "phone_out": _l("Phone out"),
    },
    "result": {
        "follow_up": _l("Follow up"),
        "test_drive_booked": _l("Test drive booked"),
        "ordered": _l("Ordered"),
        "no_interest": _l("No interest"),
    },
    "assignment": {
        "rotation": _l("Rotation"),
        "override": _l("Greeter's choice"),
        "repeat_owner": _l("Own customer"),
        "direct": _l("Own call"),
    },
    "skip": {"busy": _l("Busy with a customer"), "override": _l("Passed over")},
    "visit_no": {"first": _l("First visit"), "repeat": _l("Repeat visit")},
}
