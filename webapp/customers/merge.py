"""The A-C card's merge of a tablet's edits, field by field: an edit made on a card that
changed meanwhile is kept as a conflict beside the server's value, never lost.

Used by the tablet's `card.update` entries (webapp/customers/offline.py) and by the
test-drive feedback's grade. It validates and writes in the caller's transaction, never
commits; a refusal is the sync protocol's `Rejected`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _

from webapp import fields as field_rules
from webapp.customers.models import CustomerCard, Grade
from webapp.customers.services import (
    TEXT_FIELDS,
    change_grade,
    clean_budget,
    clean_payment,
    clean_planned_date,
    grade_rules,
    record_event,
)
from webapp.extensions import db
from webapp.sync.merge import Deferred, Rejected
from webapp.sync.models import SyncConflict
from webapp.timeutil import local_today

# Card fields a tablet may change through `card.update` (never owner, store, stage, mobile).
CARD_TEXT_FIELDS = {
    name: TEXT_FIELDS[name]
    for name in (
        "usage",
        "current_car",
        "competitors",
        "decision_makers",
        "family",
        "hobbies",
        "preferred_contact_time",
        "other_contact",
        "address",
        "occupation",
    )
}
CARD_FIELDS = (
    *CARD_TEXT_FIELDS,
    "grade",
    "planned_purchase_date",
    "budget",
    "payment",
    "trade_in",
    "model_id",
)


def _plain(value: Any) -> Any:
    """A card value as JSON sees it (dates ISO, money as a string)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    return value


def _clean_card_fields(
    card: CustomerCard, values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the tablet's values into column values by the card form's own rules
    (webapp/customers/services.py); every problem goes to `errors`."""
    today = local_today()
    parsers: dict[str, Any] = {
        **{
            name: (lambda raw, n=limit: field_rules.text(raw, n))
            for name, limit in CARD_TEXT_FIELDS.items()
        },
        "grade": lambda raw: field_rules.choice(
            raw, tuple(g.value for g in Grade), _("Choose a grade: H, A, B or C.")
        ),
        "planned_purchase_date": lambda raw: clean_planned_date(raw, card, today),
        "budget": clean_budget,
        "payment": clean_payment,
        "trade_in": _yes_no,
        "model_id": field_rules.vehicle_model,
    }
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in values.items():
        parse = parsers.get(name)
        if parse is None:
            errors[name] = _("This field cannot be changed from the tablet.")
            continue
        try:
            out[name] = parse(value)
        except field_rules.FieldError as error:
            errors[name] = error.message
    return out, errors


def _yes_no(raw: Any) -> bool:
    if not isinstance(raw, bool):
        raise field_rules.FieldError(_("Yes or no."))
    return raw


def merge_card(
    card: CustomerCard,
    fields: dict[str, Any],
    *,
    base_version: Any,
    base: dict[str, Any] | None,
    entry_id: str,
    actor_id: int,
    rules: dict | None = None,
) -> dict[str, Any]:
    """Merge the tablet's field values into the card, field by field.

    A field applies when the tablet started from the current version, or when the server
    value still equals the tablet's `base` value (nobody else changed that field). Otherwise
    the server keeps its value and a SyncConflict row keeps the tablet's: nothing is lost.
    Raises Rejected for values that break the card's rules. `rules`: the store's grade
    rules when the caller has them (a batch loads them once).
    """
    clean, errors = _clean_card_fields(card, fields)
    if errors:
        raise Rejected("validation", errors)
    base_version = version_of(base_version)
    same_version = base_version is not None and base_version == card.version
    applied: dict[str, Any] = {}
    conflicts: dict[str, dict[str, Any]] = {}
    unchanged: list[str] = []
    for name, value in clean.items():
        server = getattr(card, name)
        if _plain(server) == _plain(value):
            unchanged.append(name)
            continue
        untouched = base is not None and name in base and _plain(base[name]) == _plain(server)
        if same_version or untouched:
            applied[name] = value
        else:
            conflicts[name] = {"server": _plain(server), "device": _plain(value)}
    if "grade" in applied and rules is None:
        rules = grade_rules(card.store_id)  # query before edits
    new_grade = applied.get("grade")
    for name, value in applied.items():
        if name != "grade":
            setattr(card, name, value)
    for name, both in conflicts.items():
        db.session.add(
            SyncConflict(
                store_id=card.store_id,
                owner_id=card.owner_id,
                record_type="customer_card",
                record_id=card.id,
                field=name,
                base_version=base_version or 0,
                server_value=both["server"],
                device_value=both["device"],
                entry_id=entry_id,
            )
        )
    if new_grade is not None:
        change_grade(card, new_grade, actor_id, rules)
    if applied:
        record_event(card, actor_id, "updated", data={"fields": sorted(applied), "via": "sync"})
    return {
        "card_id": card.id,
        "version": Deferred(lambda: card.version),
        "applied": sorted(applied),
        "unchanged": sorted(unchanged),
        "conflicts": sorted(conflicts),
        "server": {name: _plain(getattr(card, name)) for name in conflicts},
    }


def version_of(value: Any) -> int | None:
    """A card version from the tablet: a whole number that fits the column, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return value
    return None
