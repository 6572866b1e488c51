"""Staff driving licences of step ⑤: the class and expiry on file for each member of staff,
which decide who may drive a test drive in which car.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role, store_clause
from webapp.auth.models import Role, User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors
from webapp.sql import rows_as
from webapp.testdrive.models import LicenceClass, StaffLicence
from webapp.testdrive.services.parsing import read_date
from webapp.testdrive.validators import licence_covers
from webapp.timeutil import local_today, now

LICENCE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)


def may_drive(user_id: int, store_id: int, transmission: str, day: date) -> bool:
    """Whether this staff member's licence on file is valid on `day` and covers the car."""
    lic = db.session.get(StaffLicence, user_id)
    return (
        lic is not None
        and lic.store_id == store_id
        and lic.expires_on >= day
        and licence_covers(lic.licence_class, transmission)
    )


@dataclass(frozen=True)
class LicenceRow:
    user_id: int
    name: str
    licence_class: str | None
    expires_on: date | None

    @property
    def valid(self) -> bool:
        return self.expires_on is not None and self.expires_on >= local_today()


def licence_rows(actor: User) -> list[LicenceRow]:
    """The store's active staff with the licence on file, if any. Raises PermissionDenied."""
    require_role(actor, *LICENCE_ROLES)
    stmt = (
        sa.select(
            User.id.label("user_id"),
            User.display_name.label("name"),
            StaffLicence.licence_class,
            StaffLicence.expires_on,
        )
        .outerjoin(StaffLicence, StaffLicence.user_id == User.id)
        .where(store_clause(User, actor), User.active)
        .order_by(User.display_name, User.id)
    )
    return rows_as(LicenceRow, db.session.execute(stmt))


def record_licence(actor: User, data: dict[str, Any]) -> StaffLicence:
    """Record (or renew) a staff member's licence: class and expiry. Raises PermissionDenied,
    ValidationError."""
    require_role(actor, *LICENCE_ROLES)
    errors: dict[str, str] = {}
    user_id = parse_id(data.get("user_id"))
    user = None
    if user_id is not None:
        user = db.session.scalar(
            sa.select(User).where(User.id == user_id, store_clause(User, actor), User.active)
        )
    if user is None:
        errors["user_id"] = _("Choose a member of staff of this store.")
    licence_class = (data.get("licence_class") or "").strip().upper()
    if licence_class not in {c.value for c in LicenceClass}:
        errors["licence_class"] = _("Choose a licence class that may drive a car (A1–C2).")
    expires = read_date(data, "expires_on", errors)
    if expires is not None and expires <= local_today():
        errors["expires_on"] = _("The licence has expired: its expiry date must be after today.")
    errors.update(text_errors(data, ("user_id", "licence_class", "expires_on")))
    if errors:
        raise ValidationError(errors)
    lic = db.session.get(StaffLicence, user.id)  # type: ignore[union-attr]
    if lic is None:
        lic = StaffLicence(user_id=user.id, store_id=user.store_id)  # type: ignore[union-attr]
        db.session.add(lic)
    lic.licence_class = licence_class
    lic.expires_on = expires  # type: ignore[assignment]
    lic.checked_by_id = actor.id
    lic.checked_at = now()
    db.session.commit()
    return lic
