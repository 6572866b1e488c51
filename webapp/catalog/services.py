"""Rules of the national catalogue: everyone views models, SFX and colours; admins edit them.

The catalogue is not per store, so there is no store scoping here; the role check decides.
A greeter-only account is not shown prices (the security standard: a greeter never receives
price fields). Inactive models and SFX are visible to admins only.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from webapp.access import require_role
from webapp.auth.models import Role, User
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import text_errors
from webapp.transactions import commit_unique

BODY_TYPES: dict[str, Any] = {
    "sedan": _l("Sedan"),
    "hatchback": _l("Hatchback"),
    "suv": _l("SUV"),
    "mpv": _l("MPV"),
}
DRIVETRAINS: dict[str, Any] = {
    "FF": _l("Front-wheel drive (FF)"),
    "FR": _l("Rear-wheel drive (FR)"),
    "4WD": _l("Four-wheel drive (4WD)"),
}
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,19}$")
HEX_RE = re.compile(r"^#[0-9a-f]{6}$")
MAX_MSRP = Decimal("10000000")
MAX_SORT_ORDER = 9999
PRICE_ROLES = tuple(r for r in Role if r is not Role.GREETER)
# The form fields that take text, each showing its own error; checked on the raw value
# (strip() would drop a leading vertical tab silently).
MODEL_TEXT_FIELDS = ("code", "name_zh", "name_en", "body_type", "fab", "sort_order")
SFX_TEXT_FIELDS = ("code", "grade", "engine", "drivetrain", "msrp", "fab")


def can_edit(actor: User) -> bool:
    """Whether the actor may change the catalogue (admins)."""
    return actor.has_role(Role.ADMIN)


def can_see_prices(actor: User) -> bool:
    """Everyone but a greeter-only account sees MSRP."""
    return actor.has_role(*PRICE_ROLES)


def require_editor(actor: User) -> None:
    """Raise PermissionDenied unless the actor may change the catalogue."""
    require_role(actor, Role.ADMIN)


def list_models(actor: User, body_type: str | None = None) -> list[VehicleModel]:
    """The line-up in sort order, optionally one body type; inactive models for admins only."""
    stmt = (
        sa.select(VehicleModel)
        .options(selectinload(VehicleModel.sfx), selectinload(VehicleModel.colours))
        .order_by(VehicleModel.sort_order, VehicleModel.code)
    )
    if not can_edit(actor):
        stmt = stmt.where(VehicleModel.active)
    if body_type in BODY_TYPES:
        stmt = stmt.where(VehicleModel.body_type == body_type)
    return list(db.session.scalars(stmt))


def get_model(actor: User, model_id: int) -> VehicleModel:
    """One model with its SFX and colours. Raises NotFound (also for inactive, unless admin)."""
    model = db.session.get(VehicleModel, model_id)
    if model is None or (not model.active and not can_edit(actor)):
        raise NotFound()
    return model


def visible_sfx(actor: User, model: VehicleModel) -> list[Sfx]:
    """The model's SFX by price; inactive ones for admins only."""
    return [s for s in model.sfx if s.active or can_edit(actor)]


def _text(
    data: dict[str, Any], field: str, limit: int, errors: dict[str, str], required: str | None
) -> str:
    value = str(data.get(field) or "").strip()
    if not value and required:
        errors[field] = required
    elif len(value) > limit:
        errors[field] = _("At most %(n)d characters.", n=limit)
    return value


def _code(data: dict[str, Any], errors: dict[str, str]) -> str:
    code = str(data.get("code") or "").strip().upper()
    if not code:
        errors["code"] = _("Enter the code.")
    elif not CODE_RE.match(code):
        errors["code"] = _("Up to 20 characters: capital letters, digits, dashes or underscores.")
    return code


def _clean_model(data: dict[str, Any], model: VehicleModel | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {"code": _code(data, errors)}
    if "code" not in errors:
        stmt = sa.select(VehicleModel.id).where(VehicleModel.code == out["code"])
        if model is not None:
            stmt = stmt.where(VehicleModel.id != model.id)
        if db.session.scalar(stmt) is not None:
            errors["code"] = _("Another model already has this code.")
    out["name_zh"] = _text(data, "name_zh", 50, errors, _("Enter the Chinese name."))
    out["name_en"] = _text(data, "name_en", 50, errors, _("Enter the English name."))
    body_type = str(data.get("body_type") or "")
    if body_type not in BODY_TYPES:
        errors["body_type"] = _("Choose a body type.")
    out["body_type"] = body_type
    out["fab"] = _text(data, "fab", 200, errors, None)
    out["active"] = bool(data.get("active"))
    raw_order = str(data.get("sort_order") or "0").strip()
    try:
        sort_order = int(raw_order)
        if not 0 <= sort_order <= MAX_SORT_ORDER:
            raise ValueError
    except ValueError:
        errors["sort_order"] = _("Enter a whole number from 0 to %(n)d.", n=MAX_SORT_ORDER)
        sort_order = 0
    out["sort_order"] = sort_order
    errors.update(text_errors(data, MODEL_TEXT_FIELDS))
    if errors:
        raise ValidationError(errors)
    return out


def create_model(actor: User, data: dict[str, Any]) -> VehicleModel:
    """Add a model to the line-up (code, names, body type, FAB line, active, sort order).

    Raises PermissionDenied (not an admin) or ValidationError.
    """
    require_role(actor, Role.ADMIN)
    model = VehicleModel(**_clean_model(data, None))
    db.session.add(model)
    commit_unique("code", _("Another model already has this code."))
    return model


def update_model(actor: User, model_id: int, data: dict[str, Any]) -> VehicleModel:
    """Change a model's fields. Raises PermissionDenied, NotFound or ValidationError."""
    require_role(actor, Role.ADMIN)
    model = get_model(actor, model_id)
    for key, value in _clean_model(data, model).items():
        setattr(model, key, value)
    commit_unique("code", _("Another model already has this code."))
    return model


def parse_msrp(raw: Any) -> Decimal:
    """A price in yuan: positive, at most 10,000,000, at most two decimals. Raises ValueError."""
    text = str(raw or "").replace(",", "").replace("¥", "").replace("，", "").strip()
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_MSRP:
        raise ValueError(text)
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise ValueError(text)
    return amount.quantize(Decimal("0.01"))


def _clean_sfx(data: dict[str, Any], model: VehicleModel, sfx: Sfx | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {"code": _code(data, errors)}
    if "code" not in errors:
        stmt = sa.select(Sfx.id).where(Sfx.model_id == model.id, Sfx.code == out["code"])
        if sfx is not None:
            stmt = stmt.where(Sfx.id != sfx.id)
        if db.session.scalar(stmt) is not None:
            errors["code"] = _("This model already has an SFX with this code.")
    out["grade"] = _text(data, "grade", 50, errors, _("Enter the grade, e.g. 1.5L CVT 精英版."))
    out["engine"] = _text(data, "engine", 50, errors, _("Enter the engine, e.g. 2.0L 混动."))
    drivetrain = str(data.get("drivetrain") or "")
    if drivetrain not in DRIVETRAINS:
        errors["drivetrain"] = _("Choose a drivetrain.")
    out["drivetrain"] = drivetrain
    out["new_energy"] = bool(data.get("new_energy"))
    try:
        out["msrp"] = parse_msrp(data.get("msrp"))
    except ValueError:
        errors["msrp"] = _(
            "Enter a price in yuan above 0 and up to 10,000,000, with at most two decimals."
        )
    out["fab"] = _text(data, "fab", 200, errors, None)
    out["active"] = bool(data.get("active"))
    errors.update(text_errors(data, SFX_TEXT_FIELDS))
    if errors:
        raise ValidationError(errors)
    return out


def get_sfx(actor: User, model_id: int, sfx_id: int) -> Sfx:
    """An SFX of the given model, for editing. Raises PermissionDenied or NotFound."""
    require_role(actor, Role.ADMIN)
    sfx = db.session.get(Sfx, sfx_id)
    if sfx is None or sfx.model_id != model_id:
        raise NotFound()
    return sfx


def create_sfx(actor: User, model_id: int, data: dict[str, Any]) -> Sfx:
    """Add an SFX to a model (code unique per model, grade, engine, drivetrain, NEV, MSRP, FAB).

    Raises PermissionDenied, NotFound or ValidationError.
    """
    require_role(actor, Role.ADMIN)
    model = get_model(actor, model_id)
    sfx = Sfx(model_id=model.id, **_clean_sfx(data, model, None))
    db.session.add(sfx)
    commit_unique("code", _("This model already has an SFX with this code."))
    return sfx


def update_sfx(actor: User, model_id: int, sfx_id: int, data: dict[str, Any]) -> Sfx:
    """Change an SFX. Raises PermissionDenied, NotFound or ValidationError."""
    sfx = get_sfx(actor, model_id, sfx_id)
    for key, value in _clean_sfx(data, sfx.model, sfx).items():
        setattr(sfx, key, value)
    commit_unique("code", _("This model already has an SFX with this code."))
    return sfx


def _clean_colour(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {
        "name_zh": _text(data, "name_zh", 30, errors, _("Enter the Chinese name.")),
        "name_en": _text(data, "name_en", 30, errors, _("Enter the English name.")),
    }
    hex_value = str(data.get("hex") or "").strip().lower()
    if hex_value and not hex_value.startswith("#"):
        hex_value = "#" + hex_value
    if not HEX_RE.match(hex_value):
        errors["hex"] = _("Enter the colour as #rrggbb, e.g. #c8102e.")
    out["hex"] = hex_value
    errors.update(text_errors(data, ("name_zh", "name_en", "hex")))
    if errors:
        raise ValidationError(errors)
    return out


def get_colour(actor: User, model_id: int, colour_id: int) -> Colour:
    """A colour of the given model, for editing. Raises PermissionDenied or NotFound."""
    require_role(actor, Role.ADMIN)
    colour = db.session.get(Colour, colour_id)
    if colour is None or colour.model_id != model_id:
        raise NotFound()
    return colour


def create_colour(actor: User, model_id: int, data: dict[str, Any]) -> Colour:
    """Add a body colour to a model (name_zh, name_en, hex #rrggbb).

    Raises PermissionDenied, NotFound or ValidationError.
    """
    require_role(actor, Role.ADMIN)
    model = get_model(actor, model_id)
    colour = Colour(model_id=model.id, **_clean_colour(data))
    db.session.add(colour)
    db.session.commit()
    return colour


def update_colour(actor: User, model_id: int, colour_id: int, data: dict[str, Any]) -> Colour:
    """Change a colour. Raises PermissionDenied, NotFound or ValidationError."""
    colour = get_colour(actor, model_id, colour_id)
    for key, value in _clean_colour(data).items():
        setattr(colour, key, value)
    db.session.commit()
    return colour
