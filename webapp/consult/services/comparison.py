"""Competitor comparison sheets (竞品对比) of step ④: per model and rival, edited by admins;
the sheets for the rivals the customer named on the A card come first.

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
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.consult.models import ComparisonSheet
from webapp.consult.services.common import ADMIN_ROLES, CARD_ROLES, active_model
from webapp.consult.services.needs import latest_analysis, presented_model
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import text_errors
from webapp.transactions import commit_unique


def comparison_sheets(actor: User) -> list[ComparisonSheet]:
    """Every sheet, by model and competitor (any staff who present cars may read them)."""
    require_role(actor, *CARD_ROLES)
    return list(
        db.session.scalars(
            sa.select(ComparisonSheet)
            .join(VehicleModel, VehicleModel.id == ComparisonSheet.model_id)
            .order_by(VehicleModel.sort_order, ComparisonSheet.competitor)
        )
    )


def get_sheet(actor: User, sheet_id: int, *roles: Role) -> ComparisonSheet:
    """One sheet. Raises PermissionDenied (role), NotFound."""
    require_role(actor, *(roles or CARD_ROLES))
    sheet = db.session.get(ComparisonSheet, sheet_id)
    if sheet is None:
        raise NotFound()
    return sheet


def sheets_for_card(card: CustomerCard, model_id: int | None) -> list[ComparisonSheet]:
    """The sheets of the model whose competitor the customer named on the card."""
    named = (card.competitors or "").lower()
    if not named or model_id is None:
        return []
    stmt = sa.select(ComparisonSheet).where(ComparisonSheet.model_id == model_id)
    return [
        sheet
        for sheet in db.session.scalars(stmt.order_by(ComparisonSheet.competitor))
        if any(alias.lower() in named for alias in [sheet.competitor, *(sheet.aliases or [])])
    ]


def rows_text(rows: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['aspect']} | {r['ours']} | {r['theirs']}" for r in rows)


def _clean_sheet(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    model = active_model(data.get("model_id"))
    if model is None:
        errors["model_id"] = _("Choose a model from the catalogue.")
    competitor = (data.get("competitor") or "").strip()
    if not competitor:
        errors["competitor"] = _("Name the competitor's model.")
    elif len(competitor) > 60:
        errors["competitor"] = _("At most %(n)d characters.", n=60)
    aliases = [a.strip() for a in re.split(r"[,，、/]", data.get("aliases") or "") if a.strip()]
    if any(len(a) > 30 for a in aliases) or len(aliases) > 10:
        errors["aliases"] = _("At most 10 names of at most 30 characters.")
    rows = []
    for number, raw in enumerate((data.get("rows") or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) != 3 or not all(parts):
            errors["rows"] = _("Line %(n)d: write aspect | ours | theirs.", n=number)
            break
        if any(len(p) > 200 for p in parts):
            errors["rows"] = _("Line %(n)d: at most 200 characters a column.", n=number)
            break
        rows.append({"aspect": parts[0], "ours": parts[1], "theirs": parts[2]})
    if not rows and "rows" not in errors:
        errors["rows"] = _("Add at least one row.")
    errors.update(text_errors(data, ("model_id", "competitor", "aliases", "rows")))
    if errors:
        raise ValidationError(errors)
    return {"model_id": model.id, "competitor": competitor, "aliases": aliases, "rows": rows}  # type: ignore[union-attr]


def save_sheet(
    actor: User, sheet_id: int | None, data: dict[str, Any], version: int | None = None
) -> ComparisonSheet:
    """Create or edit a comparison sheet (admins). A stale version is refused.

    Raises PermissionDenied, NotFound, ValidationError (also when the model already has a
    sheet for this competitor).
    """
    require_role(actor, *ADMIN_ROLES)
    sheet = get_sheet(actor, sheet_id, *ADMIN_ROLES) if sheet_id is not None else None
    if sheet is not None and version != sheet.version:
        raise ValidationError(
            {"version": _("Someone else changed this sheet meanwhile. Reload it and try again.")}
        )
    clean = _clean_sheet(data)
    if sheet is None:
        sheet = ComparisonSheet(**clean)
        db.session.add(sheet)
    else:
        for key, value in clean.items():
            setattr(sheet, key, value)
    sheet.updated_by_id = actor.id
    commit_unique("competitor", _("This model already has a sheet for that competitor."))
    return sheet


@dataclass
class ComparePage:
    """The comparison sheets offered for a card."""

    card: CustomerCard
    model: VehicleModel | None
    offered: list[ComparisonSheet]
    others: list[ComparisonSheet]
    chosen: ComparisonSheet | None


def compare_page(actor: User, card_id: int, sheet_id: int | None = None) -> ComparePage:
    """The sheets for the competitors the customer named (for the recommended model, else
    the model of interest) first, the model's other sheets after, one sheet opened.

    Raises NotFound / PermissionDenied like the card; NotFound for an unknown sheet.
    """
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = presented_model(card, analysis, None)
    offered = sheets_for_card(card, model.id if model else None)
    others: list[ComparisonSheet] = []
    if model is not None:
        others = [
            s
            for s in db.session.scalars(
                sa.select(ComparisonSheet)
                .where(ComparisonSheet.model_id == model.id)
                .order_by(ComparisonSheet.competitor)
            )
            if s not in offered
        ]
    chosen = None
    if sheet_id is not None:
        chosen = get_sheet(actor, sheet_id)
    elif offered:
        chosen = offered[0]
    return ComparePage(card, model, offered, others, chosen)
