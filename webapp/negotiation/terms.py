"""A store's sales terms (SalesTerms): the registration fees of 附表十二, the insurance
estimates, the discount above which the sales manager approves a 商谈memo, the usual deposit
and the address and phone printed under the store's name. Only the store's admin edits them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.auth.models import Role, User
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.negotiation.contract_models import SalesTerms
from webapp.negotiation.pricing import MAX_AMOUNT, to_fen

# The amounts in yuan, in the order the page shows them, with their labels.
AMOUNT_FIELDS: dict[str, Any] = {
    "plate_fee": _l("Plate fee"),
    "inspection_fee": _l("Inspection fee"),
    "service_fee": _l("One-stop service fee"),
    "compulsory_insurance": _l("Compulsory insurance (交强险)"),
    "commercial_base": _l("Commercial insurance: base amount"),
    "discount_threshold": _l("Discount needing the manager's approval above"),
    "default_deposit": _l("Usual deposit"),
}
RATE_FIELD = "commercial_rate_percent"
TEXT_LIMITS = {"address": 100, "phone": 30}
MAX_RATE = Decimal(100)
FIELD_NAMES = (*AMOUNT_FIELDS, RATE_FIELD, *TEXT_LIMITS)


def _defaults() -> dict[str, Any]:
    """The column defaults of SalesTerms (applied by the database only on insert)."""
    values: dict[str, Any] = {}
    for column in SalesTerms.__table__.columns:
        default = column.default
        if default is not None and default.is_scalar:
            values[column.key] = default.arg
    return values


def terms_for(store_id: int) -> SalesTerms:
    """The store's saved terms, or an unsaved row holding the defaults (not in the session)."""
    row = db.session.get(SalesTerms, store_id)
    if row is not None:
        return row
    values = _defaults()
    values.pop("updated_at", None)
    return SalesTerms(store_id=store_id, **values)


def read_decimal(raw: Any) -> Decimal | None:
    """A number typed by a person ("¥150,000", "3.5"), or None when it is not one; blank is
    None too (the caller decides whether blank is allowed)."""
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    if not isinstance(raw, str):
        return None
    cleaned = raw.replace(",", "").replace("¥", "").replace("￥", "").strip()
    if not cleaned or len(cleaned) > 20:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def amount_problem(value: Decimal | None) -> str | None:
    """The message for an amount in yuan that is unreadable, negative, too large or finer
    than the fen; None when it is fine."""
    if value is None or value > MAX_AMOUNT:
        return _("Enter an amount in yuan, for example 150000.")
    if value < 0:
        return _("The amount cannot be negative.")
    if value != to_fen(value):
        return _("Enter the amount to the fen: at most two decimals.")
    return None


def clean_terms(data: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The terms' values read from a form, and field → message for each refused one."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name in AMOUNT_FIELDS:
        value = read_decimal(data.get(name))
        if (problem := amount_problem(value)) is not None:
            errors[name] = problem
        else:
            values[name] = value
    rate = read_decimal(data.get(RATE_FIELD))
    if rate is None or not Decimal(0) <= rate <= MAX_RATE or rate != to_fen(rate):
        errors[RATE_FIELD] = _("Enter a rate from 0 to 100 percent, at most two decimals.")
    else:
        values[RATE_FIELD] = rate
    for name, limit in TEXT_LIMITS.items():
        raw = data.get(name) or ""
        if not isinstance(raw, str):
            errors[name] = _("Enter text.")
        elif (problem := text_problem(raw)) is not None or "\n" in raw:
            errors[name] = problem or _("Write it on one line.")
        elif len(raw.strip()) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
        else:
            values[name] = raw.strip()
    return values, errors


def update_terms(actor: User, data: Any) -> SalesTerms:
    """Save the actor's store's terms from `data` (a form), all or nothing. Admin only.

    Raises PermissionDenied for any other role, ValidationError (field → message) on a bad
    value, with nothing saved."""
    if not actor.has_role(Role.ADMIN):
        raise PermissionDenied()
    values, errors = clean_terms(data)
    if errors:
        raise ValidationError(errors)
    row = db.session.get(SalesTerms, actor.store_id)
    if row is None:
        row = terms_for(actor.store_id)
        db.session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.updated_by_id = actor.id
    db.session.commit()
    return row


def form_values(terms: SalesTerms) -> dict[str, Any]:
    """The terms as the form shows them."""
    values: dict[str, Any] = {name: getattr(terms, name) for name in AMOUNT_FIELDS}
    values[RATE_FIELD] = terms.commercial_rate_percent
    values.update({name: getattr(terms, name) or "" for name in TEXT_LIMITS})
    return values
