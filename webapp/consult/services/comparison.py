"""Competitor comparison sheets (竞品对比) of step ④: per model and rival, edited by admins;
the sheets for the rivals the customer named on the A card come first.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
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
from webapp.inputs import parse_date, text_errors
from webapp.timeutil import local_today
from webapp.transactions import commit_unique

# The sheet form's text fields.
SHEET_TEXT_FIELDS = (
    "model_id",
    "competitor",
    "ours_version",
    "theirs_version",
    "aliases",
    "source",
    "as_of",
    "rows",
)


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


@dataclass(frozen=True)
class Fact:
    """One row of a sheet as the comparison page shows it: the row's own source and as-of
    date, or else the sheet's."""

    aspect: str
    ours: str
    theirs: str
    source: str
    as_of: date | None
    own: bool  # the row has a source or date of its own (shown with the row)


def facts(sheet: ComparisonSheet) -> list[Fact]:
    """The sheet's rows with each one's effective source and as-of date."""
    result = []
    for row in sheet.rows or []:
        as_of = parse_date(row.get("as_of") or "") or sheet.as_of
        result.append(
            Fact(
                aspect=row.get("aspect", ""),
                ours=row.get("ours", ""),
                theirs=row.get("theirs", ""),
                source=row.get("source") or sheet.source,
                as_of=as_of,
                own=bool(row.get("source") or row.get("as_of")),
            )
        )
    return result


def rows_text(rows: list[dict[str, str]]) -> str:
    """The rows as the form's text: aspect | ours | theirs, then | source | date when the
    row has its own."""
    lines = []
    for r in rows:
        parts = [r.get("aspect", ""), r.get("ours", ""), r.get("theirs", "")]
        if r.get("as_of"):
            parts += [r.get("source", ""), r["as_of"]]
        elif r.get("source"):
            parts.append(r["source"])
        lines.append(" | ".join(parts))
    return "\n".join(lines)


def _as_of_problem(raw: str) -> str | None:
    """Why `raw` is not a usable as-of date (YYYY-MM-DD, not in the future), or None."""
    value = parse_date(raw)
    if value is None:
        return _("Write the date as YYYY-MM-DD, e.g. 2026-03-01.")
    if value > local_today():
        return _("The as-of date cannot be in the future.")
    return None


def _clean_row(number: int, raw: str) -> tuple[dict[str, str] | None, str | None]:
    """One line of the rows field → the row, or the message for that line."""
    parts = [p.strip() for p in raw.split("|")]
    if len(parts) not in (3, 4, 5) or not all(parts[:3]):
        return None, _("Line %(n)d: write aspect | ours | theirs (| source | date).", n=number)
    if any(len(p) > 200 for p in parts):
        return None, _("Line %(n)d: at most 200 characters a column.", n=number)
    row = {"aspect": parts[0], "ours": parts[1], "theirs": parts[2]}
    if len(parts) >= 4 and parts[3]:
        if len(parts[3]) > 100:
            return None, _("Line %(n)d: at most %(m)d characters for the source.", n=number, m=100)
        row["source"] = parts[3]
    if len(parts) == 5 and parts[4]:
        problem = _as_of_problem(parts[4])
        if problem is not None:
            return None, _("Line %(n)d: %(problem)s", n=number, problem=problem)
        row["as_of"] = parts[4]
    return row, None


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
    versions = {}
    for key, message in (
        ("ours_version", _("Name our version compared, e.g. 双擎 1.8L E-CVT 精英版.")),
        ("theirs_version", _("Name the competitor's version compared, e.g. e-POWER 超智版.")),
    ):
        versions[key] = (data.get(key) or "").strip()
        if not versions[key]:
            errors[key] = message
        elif len(versions[key]) > 100:
            errors[key] = _("At most %(n)d characters.", n=100)
    source = (data.get("source") or "").strip()
    if len(source) > 100:
        errors["source"] = _("At most %(n)d characters.", n=100)
    raw_as_of = (data.get("as_of") or "").strip()
    as_of = None
    if raw_as_of:
        problem = _as_of_problem(raw_as_of)
        if problem is not None:
            errors["as_of"] = problem
        else:
            as_of = parse_date(raw_as_of)
    aliases = [a.strip() for a in re.split(r"[,，、/]", data.get("aliases") or "") if a.strip()]
    if any(len(a) > 30 for a in aliases) or len(aliases) > 10:
        errors["aliases"] = _("At most 10 names of at most 30 characters.")
    rows = []
    for number, raw in enumerate((data.get("rows") or "").splitlines(), start=1):
        if not raw.strip():
            continue
        row, problem = _clean_row(number, raw)
        if problem is not None:
            errors["rows"] = problem
            break
        rows.append(row)
    if not rows and "rows" not in errors:
        errors["rows"] = _("Add at least one row.")
    if "rows" not in errors:
        if not source and any(not r.get("source") for r in rows):
            errors["source"] = _("Name where the figures come from, e.g. 工信部公告.")
        if not raw_as_of and any(not r.get("as_of") for r in rows):
            errors["as_of"] = _("Give the date the figures are as of.")
    errors.update(text_errors(data, SHEET_TEXT_FIELDS))
    if errors:
        raise ValidationError(errors)
    return {
        "model_id": model.id,  # type: ignore[union-attr]
        "competitor": competitor,
        "aliases": aliases,
        "source": source,
        "as_of": as_of,
        "rows": rows,
        **versions,
    }


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
