"""Translated labels of the staff roles."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

TABLES: dict[str, dict[str, object]] = {
    "role": {
        "greeter": _l("Greeter"),
        "salesperson": _l("Salesperson"),
        "sales_manager": _l("Sales manager"),
        "service_advisor": _l("Service advisor"),
        "finance": _l("Finance"),
        "car_keeper": _l("Test-drive car keeper"),
        "admin": _l("Admin"),
    },
}
