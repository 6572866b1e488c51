"""The display cars and their daily setup checklist (展车设置) of step ④: every item of the
standard per car per day, a photo on a failed item, "All OK" (全部合格) as an explicit action
that records who took it, the manager's check, and which cars are not ready by opening time.

Nothing counts as checked until someone ticks it: an item left unticked is recorded as not
right.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from webapp.access import get_scoped, require_role, scoped_statement
from webapp.auth.models import Role, User
from webapp.blobs import BlobError, store_blob
from webapp.catalog.models import VehicleModel
from webapp.consult.models import DisplayCar, DisplayCarCheck
from webapp.consult.services.common import active_model
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import text_errors, text_problem
from webapp.labels import label
from webapp.timeutil import SHANGHAI, local_today, now
from webapp.transactions import commit_unique

# The morning setup of the display cars: whoever is on the floor ticks it.
DISPLAY_CHECK_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN, Role.CAR_KEEPER)
DISPLAY_MANAGE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)

DISPLAY_ITEMS = (
    "plates",
    "clean",
    "tyres_dressed",
    "wheel_logo",
    "tyre_mats",
    "unlocked",
    "windows_closed",
    "sunshade_open",
    "film_removed",
    "floor_mats",
    "price_sticker",
    "steering_high",
    "headrests_low",
    "driver_seat",
    "clock_set",
    "radio_preset",
    "music",
)
SUNROOF_ONLY = frozenset({"sunshade_open"})


def items_for(car: DisplayCar | DisplayCarRow) -> tuple[str, ...]:
    """The checklist items that apply to this car (the sunshade only with a sunroof)."""
    return tuple(i for i in DISPLAY_ITEMS if car.sunroof or i not in SUNROOF_ONLY)


def opening_time() -> time:
    """The store's opening time (STORE_OPENS_AT, "HH:MM" local; 09:00 by default)."""
    raw = str(current_app.config.get("STORE_OPENS_AT", "09:00"))
    try:
        hour, minute = (int(p) for p in raw.split(":"))
        return time(hour, minute)
    except ValueError:
        return time(9, 0)


@dataclass(frozen=True, slots=True)
class ModelNames:
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class DisplayCarRow:
    """A display car as the boards show it (read as plain columns, not an ORM entity)."""

    id: int
    colour: str
    position: str
    sunroof: bool
    model: ModelNames


@dataclass
class DisplayCarStatus:
    """One display car for "store today": checked today? ready? late (red)?"""

    car: DisplayCarRow
    checked: bool
    ready: bool
    failed_items: list[str]
    checked_by: str | None
    manager_checked: bool
    check_id: int | None = None
    all_ok_by: str | None = None  # who marked every item right in one action
    late: bool = False  # not ready at opening time: shown red

    @property
    def failed_labels(self) -> list[str]:
        return [label("display_item", key) for key in self.failed_items]


_DISPLAY_CARS = sa.select(
    DisplayCar.id,
    DisplayCar.colour,
    DisplayCar.position,
    DisplayCar.sunroof,
    VehicleModel.name_zh,
    VehicleModel.name_en,
).join(VehicleModel, VehicleModel.id == DisplayCar.model_id)
_CHECKED_BY = aliased(User, name="checked_by")
_ALL_OK_BY = aliased(User, name="all_ok_by")
_DISPLAY_CHECKS = (
    sa.select(
        DisplayCarCheck.car_id,
        DisplayCarCheck.id,
        DisplayCarCheck.items,
        DisplayCarCheck.ready,
        DisplayCarCheck.manager_checked_at,
        _CHECKED_BY.display_name,
        _ALL_OK_BY.display_name.label("all_ok_name"),
    )
    .join(_CHECKED_BY, _CHECKED_BY.id == DisplayCarCheck.checked_by_id)
    .outerjoin(_ALL_OK_BY, _ALL_OK_BY.id == DisplayCarCheck.all_ok_by_id)
)


def _display_cars_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The store's active display cars, by position."""
    return scope(_DISPLAY_CARS.where(DisplayCar.active)).order_by(
        DisplayCar.position, DisplayCar.id
    )


def _display_checks_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The store's display-car checks of `:day`."""
    return scope(_DISPLAY_CHECKS.where(DisplayCarCheck.day == sa.bindparam("day")))


def display_cars_today(actor: User, at: datetime | None = None) -> list[DisplayCarStatus]:
    """Every active display car of the actor's store with today's checklist state; a car not
    ready once the store has opened is `late` (red). Two queries of plain columns, whatever
    the count."""
    moment = (at or now()).astimezone(SHANGHAI)
    today = moment.date()
    opened = moment.time() >= opening_time()
    conn = db.session.connection()
    cars_stmt, scope = scoped_statement(DisplayCar, actor, _display_cars_statement)
    cars_ = [
        DisplayCarRow(
            id=row.id,
            colour=row.colour,
            position=row.position,
            sunroof=row.sunroof,
            model=ModelNames(name_zh=row.name_zh, name_en=row.name_en),
        )
        for row in conn.execute(cars_stmt, scope)
    ]
    # Today's checks of the store's cars (a check of a car no longer active is not shown).
    checks_stmt, scope = scoped_statement(DisplayCarCheck, actor, _display_checks_statement)
    checks = {row.car_id: row for row in conn.execute(checks_stmt, {**scope, "day": today})}
    out = []
    for car in cars_:
        check = checks.get(car.id)
        items = (check.items or {}) if check else {}
        failed = [k for k in items_for(car) if not (items.get(k) or {}).get("ok")] if check else []
        ready = bool(check and check.ready)
        out.append(
            DisplayCarStatus(
                car=car,
                checked=check is not None,
                ready=ready,
                failed_items=failed,
                checked_by=check.display_name if check else None,
                manager_checked=bool(check and check.manager_checked_at),
                check_id=check.id if check else None,
                all_ok_by=check.all_ok_name if check else None,
                late=opened and not ready,
            )
        )
    return out


def display_board(actor: User) -> list[DisplayCarStatus]:
    """The display-car page's list. Raises PermissionDenied for roles that do not check."""
    require_role(actor, *DISPLAY_CHECK_ROLES)
    return display_cars_today(actor)


def _clean_display_car(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    model = active_model(data.get("model_id"))
    if model is None:
        errors["model_id"] = _("Choose a model from the catalogue.")
    out: dict[str, Any] = {"model_id": model.id if model else None}
    for name, limit, message in (
        ("colour", 30, _("Enter the colour.")),
        ("position", 50, _("Say where the car stands in the showroom.")),
    ):
        value = (data.get(name) or "").strip()
        if not value:
            errors[name] = message
        elif len(value) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
        out[name] = value
    out["sunroof"] = bool(data.get("sunroof"))
    errors.update(text_errors(data, ("model_id", "colour", "position")))
    if errors:
        raise ValidationError(errors)
    return out


def create_display_car(actor: User, data: dict[str, Any]) -> DisplayCar:
    """Add a display car to the actor's store (manager, admin). Raises PermissionDenied,
    ValidationError."""
    require_role(actor, *DISPLAY_MANAGE_ROLES)
    car = DisplayCar(store_id=actor.store_id, **_clean_display_car(data))
    db.session.add(car)
    db.session.commit()
    return car


def get_display_car(actor: User, car_id: int) -> DisplayCar:
    """A display car of the actor's store. Raises NotFound (other store), PermissionDenied."""
    car = get_scoped(DisplayCar, car_id, actor)
    require_role(actor, *DISPLAY_CHECK_ROLES)
    return car


def todays_check(car: DisplayCar, day: date | None = None) -> DisplayCarCheck | None:
    return db.session.scalar(
        sa.select(DisplayCarCheck).where(
            DisplayCarCheck.car_id == car.id,
            DisplayCarCheck.store_id == car.store_id,
            DisplayCarCheck.day == (day or local_today()),
        )
    )


def save_check(
    actor: User,
    car_id: int,
    ok_items: set[str],
    notes: dict[str, str],
    photos: dict[str, tuple[bytes, str]],
) -> DisplayCarCheck:
    """Record today's setup checklist of a display car: the items in `ok_items` are right,
    every other item is recorded as not right (nothing is assumed), with a note and an
    optional photo on a failed item (stored encrypted as a "photo" blob). Saving again the
    same day updates it; the manager's check then has to be given again, and an earlier
    "All OK" no longer stands.

    Raises NotFound / PermissionDenied, ValidationError (a photo on an item that passed, a
    photo the blob store refuses, a note too long). Nothing is half-saved: photos are
    checked before the checklist row is written.
    """
    car = get_display_car(actor, car_id)
    keys = items_for(car)
    errors: dict[str, str] = {}
    for key, text in notes.items():
        if key not in keys:
            continue
        if (problem := text_problem(text)) is not None:
            errors[f"note_{key}"] = problem
        elif len(text.strip()) > 200:
            errors[f"note_{key}"] = _("At most %(n)d characters.", n=200)
    for key in photos:
        if key not in keys:
            continue
        if key in ok_items:
            errors[f"photo_{key}"] = _("A photo belongs to an item that failed.")
    if errors:
        raise ValidationError(errors)
    existing = todays_check(car)
    old_items = existing.items if existing else {}
    stored: dict[str, str] = {}
    for key, (data, mime) in photos.items():
        if key not in keys:
            continue
        try:
            blob = store_blob(data, mime, "photo", car.store_id, actor)
        except BlobError as exc:
            db.session.rollback()
            errors[f"photo_{key}"] = exc.message
            continue
        stored[key] = blob.sha256
    if errors:
        raise ValidationError(errors)
    items: dict[str, dict[str, Any]] = {}
    for key in keys:
        ok = key in ok_items
        photo = stored.get(key) or (None if ok else (old_items.get(key) or {}).get("photo"))
        items[key] = {"ok": ok, "note": (notes.get(key) or "").strip(), "photo": photo}
    check = existing or DisplayCarCheck(
        store_id=car.store_id, car_id=car.id, day=local_today(), checked_by_id=actor.id
    )
    check.items = items
    check.ready = all(i["ok"] for i in items.values())
    _record_checker(check, actor, all_ok=False)
    if existing is None:
        db.session.add(check)
    commit_unique("items", _("Someone saved this checklist meanwhile. Reload it and try again."))
    return check


def _record_checker(check: DisplayCarCheck, actor: User, *, all_ok: bool) -> None:
    """Who checked and when; a new check needs the manager's confirmation again."""
    moment = now()
    check.checked_by_id = actor.id
    check.checked_at = moment
    check.all_ok_by_id = actor.id if all_ok else None
    check.all_ok_at = moment if all_ok else None
    check.manager_checked_by_id = None
    check.manager_checked_at = None


def mark_all_ok(actor: User, car_id: int, confirmed: bool) -> DisplayCarCheck:
    """Record "All OK" (全部合格): every item of today's checklist right in one action,
    with the actor and the time as the person who vouched for it. Notes and photos of
    earlier problems are dropped with the problems; the manager's check has to be given
    again.

    Raises NotFound / PermissionDenied, ValidationError ("all_ok") unless `confirmed` (the
    second, confirming tap).
    """
    car = get_display_car(actor, car_id)
    if not confirmed:
        raise ValidationError({"all_ok": _("Confirm that you checked every item on the car.")})
    existing = todays_check(car)
    check = existing or DisplayCarCheck(
        store_id=car.store_id, car_id=car.id, day=local_today(), checked_by_id=actor.id
    )
    check.items = {key: {"ok": True, "note": "", "photo": None} for key in items_for(car)}
    check.ready = True
    _record_checker(check, actor, all_ok=True)
    if existing is None:
        db.session.add(check)
    commit_unique("all_ok", _("Someone saved this checklist meanwhile. Reload it and try again."))
    return check


def manager_check(actor: User, check_id: int, note: str) -> DisplayCarCheck:
    """The manager confirms a display car's checklist (推 the PDCA 'check').

    Raises NotFound (other store), PermissionDenied (not a manager), ValidationError.
    """
    check = get_scoped(DisplayCarCheck, check_id, actor)
    require_role(actor, *DISPLAY_MANAGE_ROLES)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"manager_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"manager_note": _("At most %(n)d characters.", n=500)})
    check.manager_checked_by_id = actor.id
    check.manager_checked_at = now()
    check.manager_note = note
    db.session.commit()
    return check


def check_photo(actor: User, check_id: int, key: str) -> str:
    """The sha256 of the photo on an item of a checklist of the actor's store.

    Raises NotFound (other store, no such item or no photo), PermissionDenied.
    """
    check = get_scoped(DisplayCarCheck, check_id, actor)
    require_role(actor, *DISPLAY_CHECK_ROLES)
    photo = (check.items.get(key) or {}).get("photo")
    if not photo:
        raise NotFound()
    return photo
