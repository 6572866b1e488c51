"""The tablet's edits of the A-C card (`card.update`), registered with the sync protocol by the
app factory (see webapp.sync.registry), and the card as a record whose fields can conflict."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.access import get_scoped, require_role
from webapp.auth.models import Role, User
from webapp.customers.merge import merge_card
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.sync.merge import Entry, Rejected, read_id
from webapp.sync.registry import ConflictRecord, EntryKind

CARD_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
PACKET_ROLES = CARD_ROLES


def _card_update(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    card_id = read_id(p, "card_id", errors)
    fields = p.get("fields")
    if not isinstance(fields, dict) or not fields:
        errors["fields"] = _("Nothing to change.")
    base = p.get("base")
    if base is not None and not isinstance(base, dict):
        errors["base"] = _("Unreadable base values.")
    if errors:
        raise Rejected("validation", errors)
    try:
        card = get_scoped(CustomerCard, card_id, actor)
        require_role(actor, *PACKET_ROLES)
    except (NotFound, PermissionDenied):
        raise Rejected("permission", {"card_id": _("This card is not yours to change.")}) from None
    return merge_card(
        card,
        fields,  # type: ignore[arg-type]
        base_version=p.get("base_version"),
        base=base,
        entry_id=entry.id,
        actor_id=recorder_id,
    )


def card_names(card_ids: set[int]) -> dict[int, str]:
    """Names of cards for the conflict list (its rows were already scoped)."""
    if not card_ids:
        return {}
    rows = db.session.execute(
        sa.select(CustomerCard.id, CustomerCard.name).where(CustomerCard.id.in_(card_ids))
    )
    return {card_id: name for card_id, name in rows}


def card_url(card_id: int) -> str:
    """The card's page."""
    return url_for("customers.card", card_id=card_id)


KINDS = (
    EntryKind(
        name="card.update",
        label=_l("Card change"),
        apply=_card_update,
        roles=CARD_ROLES,
        fix_roles=CARD_ROLES,
        card_result=".",
        field_labels={
            "card_id": _l("Card number"),
            "base_version": _l("Card version on the tablet"),
        },
    ),
)
RECORDS = (ConflictRecord("customer_card", names=card_names, url=card_url),)
