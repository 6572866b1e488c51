"""The A-C card's merge of a tablet's edits, field by field: an edit made on a card that
changed meanwhile is kept as a conflict beside the server's value, never lost.

Used by the tablet's `card.update` entries (webapp/customers/offline.py) and by the
test-drive feedback's grade. It validates and writes in the caller's transaction, never
commits; a refusal is the sync protocol's `Rejected`.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.catalog.models import VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, Grade
from webapp.customers.services import PAYMENTS, grade_rules, next_due
from webapp.extensions import db
from webapp.inputs import sane_date, text_problem, valid_id
from webapp.sync.merge import Deferred, Rejected
from webapp.sync.models import SyncConflict
from webapp.timeutil import SHANGHAI, local_today

# Card fields a tablet may change through `card.update` (never owner, store, stage, mobile).
CARD_TEXT_FIELDS = {
    "usage": 200,
    "current_car": 100,
    "competitors": 200,
    "decision_makers": 200,
    "family": 200,
    "hobbies": 200,
    "preferred_contact_time": 50,
    "other_contact": 100,
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


def _clean_card_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the tablet's values into column values; every problem goes to `errors`."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if name not in CARD_FIELDS:
            errors[name] = _("This field cannot be changed from the tablet.")
        elif name in CARD_TEXT_FIELDS:
            if not isinstance(value, str) or len(value) > CARD_TEXT_FIELDS[name]:
                errors[name] = _("At most %(n)d characters.", n=CARD_TEXT_FIELDS[name])
            elif (problem := text_problem(value)) is not None:
                errors[name] = problem
            else:
                out[name] = value.strip()
        elif name == "grade":
            if not isinstance(value, str) or value not in {g.value for g in Grade}:
                errors[name] = _("Choose a grade: H, A, B or C.")
            else:
                out[name] = value
        elif name == "planned_purchase_date":
            try:
                planned = date.fromisoformat(value) if value else None
                if planned is not None and not sane_date(planned):
                    raise ValueError
                out[name] = planned
            except (TypeError, ValueError):
                errors[name] = _("Enter a date.")
        elif name == "budget":
            try:
                amount = None if value in (None, "") else Decimal(str(value))
                if amount is not None and (not amount.is_finite() or not 0 <= amount < 10**8):
                    raise InvalidOperation
                out[name] = None if amount is None else amount.quantize(Decimal("0.01"))
            except InvalidOperation:
                errors[name] = _("Enter an amount in yuan, for example 150000.")
        elif name == "payment":
            if not isinstance(value, str) or value not in PAYMENTS:
                errors[name] = _("Choose cash or loan.")
            else:
                out[name] = value
        elif name == "trade_in":
            if not isinstance(value, bool):
                errors[name] = _("Yes or no.")
            else:
                out[name] = value
        elif name == "model_id":
            exists = (
                db.session.scalar(
                    sa.select(VehicleModel.id).where(VehicleModel.id == value, VehicleModel.active)
                )
                if valid_id(value)
                else None
            )
            if value is not None and exists is None:
                errors[name] = _("Choose a model from the catalogue.")
            else:
                out[name] = value
    return out, errors


def merge_card(
    card: CustomerCard,
    fields: dict[str, Any],
    *,
    base_version: Any,
    base: dict[str, Any] | None,
    entry_id: str,
    actor_id: int,
) -> dict[str, Any]:
    """Merge the tablet's field values into the card, field by field.

    A field applies when the tablet started from the current version, or when the server
    value still equals the tablet's `base` value (nobody else changed that field). Otherwise
    the server keeps its value and a SyncConflict row keeps the tablet's: nothing is lost.
    Raises Rejected for values that break the card's rules.
    """
    clean, errors = _clean_card_fields(fields)
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
    old_grade = card.grade
    rules = grade_rules(card.store_id) if "grade" in applied else None  # query before edits
    for name, value in applied.items():
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
    if "grade" in applied:
        since = (
            card.last_contact_at.astimezone(SHANGHAI).date()
            if card.last_contact_at
            else local_today()
        )
        card.next_follow_up_due = next_due(since, card.grade, rules)  # type: ignore[arg-type]
        db.session.add(
            CardEvent(
                store_id=card.store_id,
                card_id=card.id,
                actor_id=actor_id,
                kind="grade_changed",
                data={"from": old_grade, "to": card.grade},
            )
        )
    if applied:
        db.session.add(
            CardEvent(
                store_id=card.store_id,
                card_id=card.id,
                actor_id=actor_id,
                kind="updated",
                data={"fields": sorted(applied), "via": "sync"},
            )
        )
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
