"""Test-drive cars (试驾车) of step ⑤: plate, model, VIN, papers, fuel, cleaning and keeper,
and whether each car is ready, in use or needs preparation at a moment.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import Sfx, VehicleModel
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors
from webapp.sql import in_list
from webapp.testdrive.models import BookingStatus, TestDriveBooking, TestDriveCar, Transmission
from webapp.testdrive.services.parsing import read_date, read_int
from webapp.testdrive.validators import is_valid_vin, vin_check_digit
from webapp.timeutil import SHANGHAI, now
from webapp.transactions import commit_unique

if TYPE_CHECKING:
    from webapp.testdrive.services.schedule import ScheduleCar

MANAGE_ROLES = (Role.CAR_KEEPER, Role.SALES_MANAGER, Role.ADMIN)
# Who may be named keeper of a car.
KEEPER_ROLES = (Role.CAR_KEEPER, Role.SALES_MANAGER)

ACTIVE_STATUSES = (BookingStatus.BOOKED.value, BookingStatus.IN_PROGRESS.value)
MIN_FUEL_EIGHTHS = 4  # the standard: at least half a tank
MAX_MILEAGE = 2_000_000
PLATE_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-HJ-NP-Z0-9]{5,6}$")
# A booking lasts its route's duration, which is at most this long. The queries for "which
# car is out now" and clashes use it as a lower bound on the start time, so they read a few
# bookings of a car instead of its whole history.
MAX_ROUTE_MINUTES = 180
LONGEST_DRIVE = timedelta(minutes=MAX_ROUTE_MINUTES)
# The form fields that take text and show their own error (checked before strip() or a
# normalisation could drop a control character silently).
CAR_TEXT_FIELDS = (
    "plate",
    "model_id",
    "sfx_id",
    "vin",
    "transmission",
    "fuel_eighths",
    "mileage_km",
    "insurance_expires",
    "registration_expires",
    "cleaning_due_on",
    "keeper_id",
)


@dataclass(frozen=True)
class CarStatus:
    """Where a car stands at a moment: ready, in use (a booking runs), needs preparation."""

    code: str  # "ready" | "in_use" | "needs_preparation"
    reasons: tuple[str, ...] = ()  # fuel_low, insurance_expired, registration_expired, …

    @property
    def ready(self) -> bool:
        return self.code == "ready"


def preparation_reasons(car: TestDriveCar | ScheduleCar, day: date) -> tuple[str, ...]:
    """What must be done before the car may go out on `day` (empty: nothing).

    Fuel below half a tank, insurance or registration expired by that day (valid through
    the expiry date itself), cleaning due on or before that day.
    """
    reasons = []
    if car.fuel_eighths < MIN_FUEL_EIGHTHS:
        reasons.append("fuel_low")
    if car.insurance_expires < day:
        reasons.append("insurance_expired")
    if car.registration_expires < day:
        reasons.append("registration_expired")
    if car.cleaning_due_on is not None and car.cleaning_due_on <= day:
        reasons.append("cleaning_due")
    return tuple(reasons)


# Built once, with parameters: building the expression costs more than running it.
_RUNNING_CARS = sa.select(TestDriveBooking.car_id).where(
    in_list(TestDriveBooking.car_id, "car_ids"),
    TestDriveBooking.status.in_(ACTIVE_STATUSES),
    TestDriveBooking.starts_at > sa.bindparam("since"),
    TestDriveBooking.starts_at <= sa.bindparam("at"),
    TestDriveBooking.ends_at > sa.bindparam("at"),
)


def car_status_on(car: TestDriveCar | ScheduleCar, in_use: bool, day: date) -> CarStatus:
    """The status on `day` of a car that is out on a drive (`in_use`) or not."""
    reasons = preparation_reasons(car, day)
    if in_use:
        return CarStatus("in_use", reasons)
    if reasons:
        return CarStatus("needs_preparation", reasons)
    return CarStatus("ready")


def car_statuses(cars: list[TestDriveCar], at: datetime) -> dict[int, CarStatus]:
    """The status of each car at `at`, with one query for the bookings running then."""
    ids = [car.id for car in cars]
    running: set[int] = set()
    if ids:
        running = set(
            db.session.scalars(
                _RUNNING_CARS, {"car_ids": ids, "at": at, "since": at - LONGEST_DRIVE}
            )
        )
    day = at.astimezone(SHANGHAI).date()
    return {car.id: car_status_on(car, car.id in running, day) for car in cars}


def car_status(car: TestDriveCar, at: datetime) -> CarStatus:
    """ready / in_use (a booking running at `at`) / needs_preparation with the reasons."""
    return car_statuses([car], at)[car.id]


def _car_query(actor: User) -> sa.Select:
    stmt = sa.select(TestDriveCar).options(
        joinedload(TestDriveCar.keeper).raiseload("*"), joinedload(TestDriveCar.sfx)
    )
    return scoped(stmt, TestDriveCar, actor)


def list_cars(actor: User) -> list[tuple[TestDriveCar, CarStatus]]:
    """The store's test-drive cars with their status now, active first, by plate.

    Raises PermissionDenied for roles that do not look after cars.
    """
    require_role(actor, *MANAGE_ROLES)
    stmt = _car_query(actor).order_by(TestDriveCar.active.desc(), TestDriveCar.plate)
    rows = list(db.session.scalars(stmt).unique())
    statuses = car_statuses(rows, now())
    return [(car, statuses[car.id]) for car in rows]


def get_car(actor: User, car_id: int) -> TestDriveCar:
    """A car of the actor's store, for those who manage cars. Raises PermissionDenied/NotFound."""
    require_role(actor, *MANAGE_ROLES)
    car = db.session.scalars(_car_query(actor).where(TestDriveCar.id == car_id)).first()
    if car is None:
        raise NotFound()
    return car


def normalise_plate(value: str) -> str:
    """'津a·12345 ' → '津A12345'."""
    return re.sub(r"[\s·.\-]", "", value or "").upper()


def _clean_car(actor: User, data: dict[str, Any], car: TestDriveCar | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    store_id = car.store_id if car else actor.store_id

    plate = normalise_plate(data.get("plate") or "")
    if not plate:
        errors["plate"] = _("Enter the plate number.")
    elif not PLATE_RE.match(plate):
        errors["plate"] = _("Enter the plate like 津A12345 (new-energy: 津AD12345).")
    out["plate"] = plate

    model_id = parse_id(data.get("model_id"))
    model = db.session.get(VehicleModel, model_id) if model_id else None
    if model is None or not model.active:
        errors["model_id"] = _("Choose a model from the catalogue.")
    out["model_id"] = model_id

    sfx_id = parse_id(data.get("sfx_id"))
    out["sfx_id"] = None
    if data.get("sfx_id") not in (None, ""):
        sfx = db.session.get(Sfx, sfx_id) if sfx_id else None
        if sfx is None or (model is not None and sfx.model_id != model.id):
            errors["sfx_id"] = _("Choose an SFX of this model.")
        else:
            out["sfx_id"] = sfx_id

    vin = re.sub(r"\s", "", data.get("vin") or "").upper()
    if not vin:
        errors["vin"] = _("Enter the VIN.")
    elif len(vin) != 17 or re.search(r"[^A-HJ-NPR-Z0-9]", vin):
        errors["vin"] = _("A VIN has 17 letters and digits, without I, O or Q.")
    elif not is_valid_vin(vin):
        errors["vin"] = _(
            "The check digit (9th character) should be %(digit)s: look for a typo in the VIN.",
            digit=vin_check_digit(vin),
        )
    out["vin"] = vin

    transmission = data.get("transmission") or ""
    if transmission not in {t.value for t in Transmission}:
        errors["transmission"] = _("Choose automatic or manual.")
    out["transmission"] = transmission

    out["fuel_eighths"] = read_int(data, "fuel_eighths", errors, 0, 8)
    out["mileage_km"] = read_int(data, "mileage_km", errors, 0, MAX_MILEAGE)
    out["insurance_expires"] = read_date(data, "insurance_expires", errors)
    out["registration_expires"] = read_date(data, "registration_expires", errors)
    out["cleaning_due_on"] = read_date(data, "cleaning_due_on", errors, required=False)

    keeper_id = parse_id(data.get("keeper_id"))
    out["keeper_id"] = None
    if data.get("keeper_id") not in (None, ""):
        if keeper_id not in {uid for uid, _name in keeper_choices(store_id)}:
            errors["keeper_id"] = _("Choose a car keeper of this store.")
        else:
            out["keeper_id"] = keeper_id
    out["active"] = bool(data.get("active")) if car is not None else True
    errors.update(text_errors(data, CAR_TEXT_FIELDS))

    if not errors:
        same_plate = sa.select(TestDriveCar.id).where(
            TestDriveCar.store_id == store_id, TestDriveCar.plate == plate
        )
        same_vin = sa.select(TestDriveCar.id).where(TestDriveCar.vin == vin)
        if car is not None:
            same_plate = same_plate.where(TestDriveCar.id != car.id)
            same_vin = same_vin.where(TestDriveCar.id != car.id)
        if db.session.scalar(same_plate) is not None:
            errors["plate"] = _("A test-drive car of this store already has this plate.")
        if db.session.scalar(same_vin) is not None:
            errors["vin"] = _("A test-drive car with this VIN is already registered.")
    if errors:
        raise ValidationError(errors)
    return out


def keeper_choices(store_id: int) -> list[tuple[int, str]]:
    """Active car keepers and sales managers of a store: who may be named keeper."""
    stmt = (
        sa.select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.store_id == store_id,
            User.active,
            UserRole.role.in_([r.value for r in KEEPER_ROLES]),
        )
        .distinct()
        .order_by(User.display_name)
    )
    return [(r.id, r.display_name) for r in db.session.execute(stmt)]


def create_car(actor: User, data: dict[str, Any]) -> TestDriveCar:
    """Register a test-drive car in the actor's store. Raises PermissionDenied/ValidationError."""
    require_role(actor, *MANAGE_ROLES)
    clean = _clean_car(actor, data, None)
    car = TestDriveCar(store_id=actor.store_id, **clean)
    db.session.add(car)
    commit_unique("plate", _("A test-drive car with this plate or VIN is already registered."))
    return car


def update_car(actor: User, car_id: int, data: dict[str, Any], version: int | None) -> TestDriveCar:
    """Edit a car; a stale `version` is refused.

    Raises NotFound, PermissionDenied, ValidationError.
    """
    car = get_car(actor, car_id)
    if version is not None and version != car.version:
        raise ValidationError(
            {"version": _("Someone else changed this car meanwhile. Reload it and try again.")}
        )
    clean = _clean_car(actor, data, car)
    for key, value in clean.items():
        setattr(car, key, value)
    try:
        commit_unique("plate", _("A test-drive car with this plate or VIN is already registered."))
    except sa.orm.exc.StaleDataError:
        db.session.rollback()
        raise ValidationError(
            {"version": _("Someone else changed this car meanwhile. Reload it and try again.")}
        ) from None
    return car


def model_choices() -> list[VehicleModel]:
    """Active catalogue models with their SFX, in catalogue order."""
    stmt = (
        sa.select(VehicleModel)
        .where(VehicleModel.active)
        .options(selectinload(VehicleModel.sfx))
        .order_by(VehicleModel.sort_order, VehicleModel.id)
    )
    return list(db.session.scalars(stmt))
