"""The six-position walkaround (六方位) of step ④: the FAB points of each position, those
answering the customer's needs first, the positions presented, and the admins' editor of
each model's points.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role
from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.consult.models import POSITIONS, NeedsAnalysis, WalkaroundPoint, WalkaroundRecord
from webapp.consult.services.common import ADMIN_ROLES, active_model, card_event
from webapp.consult.services.needs import latest_analysis, presented_model
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.timeutil import now

NEED_KEYWORDS: dict[str, tuple[str, ...]] = {
    "economy": ("省油", "油耗", "通勤", "混动", "economy", "fuel", "commut"),
    "safety": ("安全", "孩子", "老人", "safety", "child"),
    "space": ("空间", "家庭", "孩子", "二胎", "长途", "自驾", "space", "family"),
    "comfort": ("舒适", "静", "长途", "父母", "comfort", "quiet"),
    "performance": ("动力", "操控", "运动", "power", "sport"),
    "tech": ("科技", "智能", "配置", "tech"),
    "value": ("保值", "预算", "性价比", "value"),
    "business": ("商务", "接待", "business"),
}


def need_tags(card: CustomerCard, analysis: NeedsAnalysis | None) -> set[str]:
    """The needs the customer spoke of: keywords in the card's usage, family and hobbies and
    in the analysis's own answers (e.g. what matters most)."""
    parts = [card.usage, card.family, card.hobbies]
    if analysis is not None:
        for value in analysis.answers.values():
            parts.extend(value if isinstance(value, list) else [str(value)])
    text = " ".join(p for p in parts if p).lower()
    return {tag for tag, words in NEED_KEYWORDS.items() if any(w in text for w in words)}


@dataclass
class FabPoint:
    """A FAB point as the walkaround shows it, marked when it answers a need."""

    point: WalkaroundPoint
    matches: list[str]


@dataclass
class WalkaroundPage:
    """The walkaround of one model for one card."""

    card: CustomerCard
    model: VehicleModel | None
    models: list[VehicleModel]
    needs: set[str]
    positions: list[tuple[str, list[FabPoint], str | None]]  # position, points, ticked at
    record: WalkaroundRecord | None

    @property
    def done(self) -> int:
        return sum(1 for _p, _pts, ticked in self.positions if ticked)


def latest_walkaround(card: CustomerCard, model_id: int) -> WalkaroundRecord | None:
    """The card's newest walkaround of a model, finished or not."""
    return db.session.scalar(
        sa.select(WalkaroundRecord)
        .where(
            WalkaroundRecord.card_id == card.id,
            WalkaroundRecord.store_id == card.store_id,
            WalkaroundRecord.model_id == model_id,
        )
        .order_by(WalkaroundRecord.created_at.desc(), WalkaroundRecord.id.desc())
        .limit(1)
    )


def walkaround_page(actor: User, card_id: int, model_id: Any = None) -> WalkaroundPage:
    """The six positions of the model (the recommended one, else the model of interest) with
    their FAB points, the ones answering the customer's needs first and marked.

    Raises NotFound / PermissionDenied like the card; NotFound for an unknown model.
    """
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = presented_model(card, analysis, model_id)
    needs = need_tags(card, analysis)
    positions: list[tuple[str, list[FabPoint], str | None]] = []
    record = None
    if model is not None:
        record = latest_walkaround(card, model.id)
        points = db.session.scalars(
            sa.select(WalkaroundPoint)
            .where(WalkaroundPoint.model_id == model.id)
            .order_by(WalkaroundPoint.sort_order, WalkaroundPoint.id)
        ).all()
        ticks = record.positions if record else {}
        for position in POSITIONS:
            fab = [
                FabPoint(p, sorted(needs.intersection(p.tags or [])))
                for p in points
                if p.position == position
            ]
            fab.sort(key=lambda f: not f.matches)  # stable: the needs' points first
            positions.append((position, fab, ticks.get(position)))
    return WalkaroundPage(card, model, cards.model_choices(), needs, positions, record)


def tick_position(
    actor: User, card_id: int, model_id: Any, position: str, done: bool
) -> WalkaroundRecord:
    """Record that a position was presented (or untick it). When all six are ticked the
    walkaround goes on the card's timeline (once).

    Raises NotFound / PermissionDenied like the card, NotFound for an unknown model,
    ValidationError for an unknown position.
    """
    card = cards.get_card(actor, card_id)
    model = active_model(model_id)
    if model is None:
        raise NotFound()
    if position not in POSITIONS:
        raise ValidationError({"position": _("Choose one of the six positions.")})
    record = latest_walkaround(card, model.id)
    if record is None or (record.completed_at is not None and done):
        # A finished walkaround stays as it was; ticking again starts the next one.
        record = WalkaroundRecord(
            store_id=card.store_id, card_id=card.id, model_id=model.id, created_by_id=actor.id
        )
        db.session.add(record)
    ticks = dict(record.positions or {})
    if done:
        ticks.setdefault(position, now().isoformat())
    else:
        ticks.pop(position, None)
        record.completed_at = None
    record.positions = ticks
    if len(ticks) == len(POSITIONS) and record.completed_at is None:
        record.completed_at = now()
        db.session.flush()
        card_event(
            card,
            actor,
            "walkaround",
            data={"model_id": model.id, "model": model.name_zh, "record_id": record.id},
        )
    db.session.commit()
    return record


# Walkaround points editor (admins): position | feature | advantage | benefit | tags

MAX_POINTS = 60


def walkaround_models(actor: User) -> list[tuple[VehicleModel, int]]:
    """Every active model with its number of FAB points (admins). Raises PermissionDenied."""
    require_role(actor, *ADMIN_ROLES)
    counts = dict(
        db.session.execute(
            sa.select(WalkaroundPoint.model_id, sa.func.count()).group_by(WalkaroundPoint.model_id)
        ).all()
    )
    return [(m, counts.get(m.id, 0)) for m in cards.model_choices()]


def points_text(points: list[WalkaroundPoint]) -> str:
    return "\n".join(
        " | ".join([p.position, p.feature, p.advantage, p.benefit, ", ".join(p.tags or [])])
        for p in points
    )


def model_points(actor: User, model_id: int) -> tuple[VehicleModel, list[WalkaroundPoint]]:
    """A model and its FAB points for the admin's editor. Raises PermissionDenied, NotFound."""
    require_role(actor, *ADMIN_ROLES)
    model = active_model(model_id)
    if model is None:
        raise NotFound()
    points = db.session.scalars(
        sa.select(WalkaroundPoint)
        .where(WalkaroundPoint.model_id == model.id)
        .order_by(WalkaroundPoint.sort_order, WalkaroundPoint.id)
    ).all()
    return model, list(points)


def parse_points(text: str) -> list[dict[str, Any]]:
    """Editor text → FAB points. Raises ValidationError on "points" naming the bad line."""
    out: list[dict[str, Any]] = []

    def fail(number: int, message: str) -> ValidationError:
        return ValidationError({"points": _("Line %(n)d: %(problem)s", n=number, problem=message)})

    if (problem := text_problem(text or "")) is not None:
        raise ValidationError({"points": problem})
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) not in (4, 5):
            raise fail(number, _("write position | feature | advantage | benefit | needs."))
        parts += [""] * (5 - len(parts))
        position, feature, advantage, benefit, tags_raw = parts
        if position not in POSITIONS:
            raise fail(number, _("the position is one of %(list)s.", list=", ".join(POSITIONS)))
        if not feature or not advantage or not benefit:
            raise fail(number, _("give the feature, the advantage and the benefit."))
        if len(feature) > 100 or len(advantage) > 200 or len(benefit) > 200:
            raise fail(number, _("the text is too long (feature 100, the others 200 characters)."))
        tags = [t.strip() for t in re.split(r"[,，、/]", tags_raw) if t.strip()]
        unknown = [t for t in tags if t not in NEED_KEYWORDS]
        if unknown:
            raise fail(number, _("unknown needs: %(list)s.", list=", ".join(unknown)))
        out.append(
            {
                "position": position,
                "feature": feature,
                "advantage": advantage,
                "benefit": benefit,
                "tags": tags,
                "sort_order": len(out),
            }
        )
    if len(out) > MAX_POINTS:
        raise ValidationError({"points": _("At most %(n)d points.", n=MAX_POINTS)})
    return out


def save_points(actor: User, model_id: int, text: str) -> list[WalkaroundPoint]:
    """Replace a model's FAB points with the edited ones. Raises PermissionDenied, NotFound,
    ValidationError."""
    model, old = model_points(actor, model_id)
    parsed = parse_points(text)
    for point in old:
        db.session.delete(point)
    new = [WalkaroundPoint(model_id=model.id, **p) for p in parsed]
    db.session.add_all(new)
    db.session.commit()
    return new
