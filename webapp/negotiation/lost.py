"""The lost-sale record (附表十三 未成交顾客记录表) and the manager's weekly won/lost review.

Recording a lost sale writes the record and moves the card to lost through the customers
area's own stage rules, in one transaction. Only the sales manager (or admin) comments.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, Stage
from webapp.customers.services import apply_stage_change, get_card
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors
from webapp.negotiation.models import LostReason, LostSale, StageReached
from webapp.timeutil import local_day_bounds, local_today, now

RECORD_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
REVIEW_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
REASONS = tuple(r.value for r in LostReason)
STAGES = tuple(s.value for s in StageReached)
TEXT_FIELDS = ("competitor_brand", "competitor_model", "reason_note", "stage_reached")
LIMITS = {"competitor_brand": 30, "competitor_model": 50, "reason_note": 200}
COMMENT_LIMIT = 500


def card_for_loss(actor: User, card_id: int) -> CustomerCard:
    """The card whose loss the actor may record: the owner, or a manager/admin of the store.
    Other roles: PermissionDenied; a card out of reach: NotFound."""
    require_role(actor, *RECORD_ROLES)
    return get_card(actor, card_id)


def can_record(card: CustomerCard) -> bool:
    """Whether the card may move to lost now (an open card)."""
    return card.stage in (Stage.PROSPECT.value, Stage.ORDERED.value)


def _clean(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    getlist = getattr(data, "getlist", None)
    raw_reasons = getlist("reasons") if getlist is not None else list(data.get("reasons") or [])
    errors: dict[str, str] = text_errors(data, [k for k in TEXT_FIELDS if k in data])
    clean: dict[str, Any] = {}
    for key in LIMITS:
        value = data.get(key) or ""
        value = value.strip() if isinstance(value, str) else ""
        if len(value) > LIMITS[key]:
            errors.setdefault(key, _("At most %(n)d characters.", n=LIMITS[key]))
        clean[key] = value
    if not clean["competitor_brand"]:
        errors.setdefault("competitor_brand", _("Write the brand the customer chose instead."))
    reasons = [r for r in dict.fromkeys(raw_reasons) if isinstance(r, str)]
    if not reasons:
        errors["reasons"] = _("Choose at least one reason.")
    elif any(r not in REASONS for r in reasons):
        errors["reasons"] = _("Choose reasons from the list.")
    clean["reasons"] = [r for r in REASONS if r in reasons]
    if "other" in reasons and not clean["reason_note"]:
        errors.setdefault("reason_note", _("Describe the other reason."))
    stage = data.get("stage_reached") or ""
    if stage not in STAGES:
        errors.setdefault("stage_reached", _("Choose how far the sale came."))
    clean["stage_reached"] = stage
    model_id = data.get("model_id")
    clean["model_id"] = model_id if isinstance(model_id, int) else parse_id(model_id)
    if model_id not in (None, "") and (
        clean["model_id"] is None or db.session.get(VehicleModel, clean["model_id"]) is None
    ):
        errors["model_id"] = _("Choose a model from the list.")
    return clean, errors


def record_lost_sale(actor: User, card_id: int, data: Any) -> LostSale:
    """Record why the card's customer did not buy and move the card to lost, in one commit.

    Raises NotFound, PermissionDenied, ValidationError (field → message; nothing saved)."""
    card = card_for_loss(actor, card_id)
    clean, errors = _clean(data)
    if not can_record(card):
        errors.setdefault("stage", _("This card cannot move to that stage."))
    if errors:
        raise ValidationError(errors)
    summary = " ".join(filter(None, (clean["competitor_brand"], clean["competitor_model"])))
    note = f"{summary}: {clean['reason_note']}" if clean["reason_note"] else summary
    try:
        apply_stage_change(actor, card, Stage.LOST.value, note, None)
        record = LostSale(
            store_id=card.store_id,
            card_id=card.id,
            model_id=clean["model_id"] or card.model_id,
            competitor_brand=clean["competitor_brand"],
            competitor_model=clean["competitor_model"],
            reasons=clean["reasons"],
            reason_note=clean["reason_note"],
            stage_reached=clean["stage_reached"],
            salesperson_id=card.owner_id,
            recorded_by_id=actor.id,
            recorded_at=now(),
        )
        db.session.add(record)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return record


def get_lost_sale(actor: User, lost_id: int) -> LostSale:
    """A lost-sale record of the actor's store, for the manager/admin.

    Raises NotFound, PermissionDenied."""
    require_role(actor, *REVIEW_ROLES)
    return get_scoped(LostSale, lost_id, actor)


def comment_lost_sale(actor: User, lost_id: int, comment: Any) -> LostSale:
    """The manager's comment on a lost sale (replaces an earlier one). Raises ValidationError."""
    record = get_lost_sale(actor, lost_id)
    text = comment.strip() if isinstance(comment, str) else ""
    errors = text_errors({"comment": comment})
    if not text:
        errors.setdefault("comment", _("Write a comment."))
    elif len(text) > COMMENT_LIMIT:
        errors.setdefault("comment", _("At most %(n)d characters.", n=COMMENT_LIMIT))
    if errors:
        raise ValidationError(errors)
    record.manager_comment = text
    record.commented_by_id = actor.id
    record.commented_at = now()
    db.session.commit()
    return record


@dataclass(frozen=True)
class Review:
    """The weekly won/lost review: the period, the lost sales and the counts."""

    start: date
    end: date  # inclusive
    lost: list[LostSale]
    won_count: int

    @property
    def lost_count(self) -> int:
        return len(self.lost)


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return local_day_bounds(start)[0], local_day_bounds(end)[1]


def review_list(
    actor: User, start: date | None = None, end: date | None = None, weeks: int = 1
) -> Review:
    """Lost sales of the actor's store in the period (default: this week, Monday on, or
    `weeks` weeks back from it) with the count of cards moved to ordered in the same period.
    Manager/admin only."""
    if actor is None or not actor.has_role(*REVIEW_ROLES):
        raise PermissionDenied()
    if start is None:
        start = week_start(local_today()) - timedelta(weeks=max(weeks, 1) - 1)
    if end is None or end < start:
        end = start + timedelta(days=7 * max(weeks, 1) - 1)
    low, high = _bounds(start, end)
    stmt = (
        sa.select(LostSale)
        .where(LostSale.recorded_at >= low, LostSale.recorded_at < high)
        .options(
            sa.orm.joinedload(LostSale.card).lazyload("*"),
            sa.orm.joinedload(LostSale.model),
            sa.orm.joinedload(LostSale.salesperson).lazyload("*"),
            sa.orm.joinedload(LostSale.commented_by).lazyload("*"),
        )
        .order_by(LostSale.recorded_at.desc(), LostSale.id.desc())
    )
    lost = list(db.session.scalars(scoped(stmt, LostSale, actor)).unique())
    moves = sa.select(CardEvent.data).where(
        CardEvent.kind == "stage_changed",
        CardEvent.occurred_at >= low,
        CardEvent.occurred_at < high,
    )
    won = sum(
        1
        for data in db.session.scalars(scoped(moves, CardEvent, actor))
        if (data or {}).get("to") == Stage.ORDERED.value
    )
    return Review(start, end, lost, won)
