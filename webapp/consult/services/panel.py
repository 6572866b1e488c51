"""The consult panel of the A-C card (steps ③ ④): where the needs analysis, the
walkaround and the comparison sheets stand for this customer, and what is recorded from the
panel on the card's timeline: the catalogue hand-over and the test-drive invitation.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.consult.models import ComparisonSheet, NeedsAnalysis, WalkaroundRecord
from webapp.consult.services.common import card_event
from webapp.consult.services.comparison import sheets_for_card
from webapp.consult.services.needs import latest_analysis, presented_model
from webapp.consult.services.walkaround import latest_walkaround
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem


def record_catalogue(actor: User, card_id: int, note: str) -> CardEvent:
    """The catalogue was handed over (features marked, contact added): on the timeline.

    Raises NotFound / PermissionDenied like the card, ValidationError for a long note.
    """
    card = cards.get_card(actor, card_id)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"catalogue_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"catalogue_note": _("At most %(n)d characters.", n=500)})
    model = card.model
    event = card_event(
        card,
        actor,
        "catalogue_given",
        note=note,
        data={"model": model.name_zh} if model else {},
    )
    db.session.commit()
    return event


def record_invitation(actor: User, card_id: int, note: str) -> CardEvent:
    """The customer was invited to a test drive: on the timeline (booking comes next).

    Raises NotFound / PermissionDenied like the card, ValidationError for a long note.
    """
    card = cards.get_card(actor, card_id)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"invite_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"invite_note": _("At most %(n)d characters.", n=500)})
    event = card_event(card, actor, "test_drive_invited", note=note)
    db.session.commit()
    return event


@dataclass
class CardConsult:
    """What the card shows of steps ③ ④: the analysis state and the offered sheets."""

    card: CustomerCard
    analysis: NeedsAnalysis | None
    walkaround: WalkaroundRecord | None
    offered: list[ComparisonSheet]
    model: VehicleModel | None


def card_consult(actor: User, card_id: int) -> CardConsult:
    """The consult panel of a card. Raises NotFound / PermissionDenied like the card."""
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = presented_model(card, analysis, None)
    record = latest_walkaround(card, model.id) if model else None
    return CardConsult(
        card, analysis, record, sheets_for_card(card, model.id if model else None), model
    )
