"""Translated labels of reception's stored codes (visit kinds, purposes, results, skips,
assignment)."""

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
    # 来店目的: why the customer came, asked at the door (看车/试驾/商谈/提车/售后/其他).
    "visit_purpose": {
        "browse": _l("Look at cars"),
        "test_drive": _l("Test drive"),
        "negotiate": _l("Negotiate"),
        "pick_up": _l("Pick up a car"),
        "service": _l("After-sales service"),
        "other": _l("Other"),
    },
    "skip": {"busy": _l("Busy with a customer"), "override": _l("Passed over")},
    "visit_no": {"first": _l("First visit"), "repeat": _l("Repeat visit")},
}

# The purposes of a visit, in the order the forms offer them.
PURPOSES: tuple[str, ...] = tuple(TABLES["visit_purpose"])
