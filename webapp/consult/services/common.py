"""What the consult subjects share: who may use them, the active catalogue model a form
names, and the card's timeline."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers import card as card_writes
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.inputs import parse_id

CARD_ROLES = cards.CARD_ROLES
ADMIN_ROLES = (Role.ADMIN,)


def active_model(model_id: Any) -> VehicleModel | None:
    """The active catalogue model a form names, or None (also for an unreadable id)."""
    pk = parse_id(model_id)
    if pk is None:
        return None
    return db.session.scalar(
        sa.select(VehicleModel).where(VehicleModel.id == pk, VehicleModel.active)
    )


def card_event(
    card: CustomerCard, actor: User, kind: str, note: str = "", data: dict | None = None
) -> CardEvent:
    """Put a step ③ ④ event on the card's timeline (in the caller's transaction)."""
    return card_writes.record_event(card, actor.id, kind, note, data)
