"""Field parsers shared by the forms and the outbox's payloads: one reading of a value, so the
same input gets the same answer whichever way it arrives.

Each parser takes the raw value (a form's string, or a JSON value from a tablet) and returns
the column value, or raises FieldError with the message for the field.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.inputs import parse_date, parse_id, text_problem


class FieldError(ValueError):
    """A value its field refuses; `message` is translated for the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def text(raw: Any, limit: int) -> str:
    """Text of at most `limit` characters, stripped; no control characters."""
    if raw is None:
        return ""
    if not isinstance(raw, str):
        raise FieldError(_("Enter text."))
    if (problem := text_problem(raw)) is not None:
        raise FieldError(problem)
    value = raw.strip()
    if len(value) > limit:
        raise FieldError(_("At most %(n)d characters.", n=limit))
    return value


def choice(raw: Any, allowed: tuple[str, ...] | frozenset[str], message: str) -> str:
    """One of the allowed codes."""
    if not isinstance(raw, str) or raw not in allowed:
        raise FieldError(message)
    return raw


def money(raw: Any, maximum: Decimal) -> Decimal | None:
    """An amount in yuan, 0 ≤ amount ≤ maximum, to the fen; None for empty. "¥150,000" and
    "150000" and 150000 read the same."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise FieldError(_("Enter an amount in yuan, for example 150000."))
    try:
        amount = Decimal(str(raw).replace(",", "").replace("¥", "").replace("￥", "").strip())
    except InvalidOperation:
        raise FieldError(_("Enter an amount in yuan, for example 150000.")) from None
    if not amount.is_finite() or amount < 0 or amount > maximum:
        raise FieldError(_("Enter an amount in yuan, for example 150000."))
    return amount.quantize(Decimal("0.01"))


def day(raw: Any) -> date | None:
    """An ISO date (YYYY-MM-DD) within sane years; None for empty."""
    if raw is None or raw == "":
        return None
    value = parse_date(raw) if isinstance(raw, str) else None
    if value is None:
        raise FieldError(_("Enter a date."))
    return value


def vehicle_model(raw: Any) -> int | None:
    """The id of an active model of the catalogue; None for empty."""
    if raw in (None, "", 0, "0"):
        return None
    model_id = parse_id(raw)
    exists = (
        db.session.scalar(
            sa.select(VehicleModel.id).where(VehicleModel.id == model_id, VehicleModel.active)
        )
        if model_id is not None
        else None
    )
    if exists is None:
        raise FieldError(_("Choose a model from the catalogue."))
    return model_id
