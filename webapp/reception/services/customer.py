"""The customer at the door, as reception's forms (arrival, call, closing) take them: the
customer's fields, the store's card a mobile number finds, the A card opened for a new
number; and the whole numbers those forms carry."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers import card as card_writes
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard, Grade, Stage
from webapp.customers.validators import is_valid_mobile, normalise_mobile
from webapp.extensions import db
from webapp.inputs import MAX_ID, text_errors
from webapp.timeutil import local_today

# The customer's fields of the arrival, call and closing forms (each shows its own error).
CUSTOMER_FIELDS = ("name", "title", "mobile", "source", "model_id")


def name_needed() -> str:
    """The message when a new mobile number comes without a name."""
    return _("Enter the customer's name (the surname is enough) to open an A card.")


def find_by_phone(actor: User, raw: str) -> CustomerCard | None:
    """The store's card with this mobile (repeat customer), or None."""
    mobile = normalise_mobile(raw)
    if not is_valid_mobile(mobile):
        return None
    return db.session.scalar(
        sa.select(CustomerCard).where(
            CustomerCard.store_id == actor.store_id, CustomerCard.mobile == mobile
        )
    )


def int_field(data: dict[str, Any], key: str) -> int | None:
    """A whole number from a form: None when blank, -1 when unreadable or larger than any
    id (so it fails every range and id check without reaching the database)."""
    value = data.get(key)
    if value in (None, "", 0, "0"):
        return None
    if isinstance(value, bool):
        return -1
    try:
        number = int(value)
    except (TypeError, ValueError):
        return -1
    return number if abs(number) <= MAX_ID else -1


def customer_fields(data: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    """The customer's fields of a form, cleaned; sets errors[field] on bad input."""
    out: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if len(name) > 50:
        errors["name"] = _("At most %(n)d characters.", n=50)
    out["name"] = name
    title = data.get("title") or ""
    if title not in cards.TITLES:
        errors["title"] = _("Choose how to address the customer.")
    out["title"] = title
    mobile = normalise_mobile(str(data.get("mobile") or ""))
    if mobile and not is_valid_mobile(mobile):
        errors["mobile"] = _("A mainland mobile number has 11 digits and starts with 1.")
    out["mobile"] = mobile
    source = data.get("source") or ""
    if source not in cards.SOURCES:
        errors["source"] = _("Choose where the customer came from.")
    out["source"] = source
    model_id = int_field(data, "model_id")
    if model_id is not None:
        found = db.session.scalar(
            sa.select(VehicleModel.id).where(VehicleModel.id == model_id, VehicleModel.active)
        )
        if found is None:
            errors["model_id"] = _("Choose a model from the catalogue.")
            model_id = None
    out["model_id"] = model_id
    errors.update(text_errors(data, CUSTOMER_FIELDS))
    return out


def new_card(actor: User, owner_id: int, fields: dict[str, Any]) -> CustomerCard:
    """A card opened at the door (the greeter cannot open cards through the A-card form)."""
    rules = cards.grade_rules(actor.store_id)
    card = CustomerCard(
        store_id=actor.store_id,
        owner_id=owner_id,
        name=fields["name"],
        title=fields["title"],
        mobile=fields["mobile"],
        source=fields["source"],
        model_id=fields["model_id"],
        grade=Grade.C.value,
        stage=Stage.PROSPECT.value,
        next_follow_up_due=cards.next_due(local_today(), Grade.C.value, rules),
    )
    db.session.add(card)
    card_writes.record_event(
        card, actor.id, "created", data={"grade": card.grade, "via": "reception"}
    )
    return card
