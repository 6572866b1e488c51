"""The car keeper's schedule of step ⑤: each active test-drive car with its status now and
its bookings over the next few days (salesperson, driver and time, never the customer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from webapp.access import require_role, scoped, scoped_statement
from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.sql import row_maker, rows_as
from webapp.testdrive.models import BookingStatus, TestDriveBooking, TestDriveCar
from webapp.testdrive.services.bookings import BOOKING_DRIVER, BOOKING_OWNER
from webapp.testdrive.services.cars import ACTIVE_STATUSES, LONGEST_DRIVE, CarStatus, car_status_on
from webapp.testdrive.services.routes import ROUTE_VIEW_ROLES
from webapp.timeutil import SHANGHAI, local_day_bounds, now

SCHEDULE_ROLES = ROUTE_VIEW_ROLES
SCHEDULE_DAYS = 3


@dataclass(frozen=True, slots=True)
class ScheduleCar:
    """A car as the schedule shows it, with what its status needs (`preparation_reasons`)."""

    id: int
    plate: str
    transmission: str
    model_zh: str
    model_en: str
    fuel_eighths: int
    insurance_expires: date
    registration_expires: date
    cleaning_due_on: date | None


@dataclass(frozen=True, slots=True)
class ScheduleSlot:
    """A booking in the schedule: time, status, salesperson and driver (never the customer)."""

    id: int
    car_id: int
    owner_id: int
    driver_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    owner_name: str
    driver_name: str


@dataclass
class ScheduleDay:
    day: date
    bookings: list[ScheduleSlot] = field(default_factory=list)


@dataclass
class ScheduleRow:
    car: ScheduleCar
    status: CarStatus
    days: list[ScheduleDay]


_SCHEDULE_CARS = (
    sa.select(
        TestDriveCar.id,
        TestDriveCar.plate,
        TestDriveCar.transmission,
        VehicleModel.name_zh.label("model_zh"),
        VehicleModel.name_en.label("model_en"),
        TestDriveCar.fuel_eighths,
        TestDriveCar.insurance_expires,
        TestDriveCar.registration_expires,
        TestDriveCar.cleaning_due_on,
        # In use: a booking runs at `at` (as car_statuses() decides it).
        sa.exists()
        .where(
            TestDriveBooking.car_id == TestDriveCar.id,
            TestDriveBooking.status.in_(ACTIVE_STATUSES),
            TestDriveBooking.starts_at > sa.bindparam("since"),
            TestDriveBooking.starts_at <= sa.bindparam("at"),
            TestDriveBooking.ends_at > sa.bindparam("at"),
        )
        .label("in_use"),
    )
    .select_from(TestDriveCar)
    .join(VehicleModel, VehicleModel.id == TestDriveCar.model_id)
)

_SCHEDULE_SLOTS = (
    sa.select(
        TestDriveBooking.id,
        TestDriveBooking.car_id,
        TestDriveBooking.owner_id,
        TestDriveBooking.driver_id,
        TestDriveBooking.starts_at,
        TestDriveBooking.ends_at,
        TestDriveBooking.status,
        BOOKING_OWNER.display_name.label("owner_name"),
        BOOKING_DRIVER.display_name.label("driver_name"),
    )
    .select_from(TestDriveBooking)
    .join(BOOKING_OWNER, BOOKING_OWNER.id == TestDriveBooking.owner_id)
    .join(BOOKING_DRIVER, BOOKING_DRIVER.id == TestDriveBooking.driver_id)
    .where(
        TestDriveBooking.status != BookingStatus.CANCELLED.value,
        TestDriveBooking.starts_at >= sa.bindparam("start"),
        TestDriveBooking.starts_at < sa.bindparam("end"),
    )
    .order_by(TestDriveBooking.starts_at)
)


def _schedule_slots_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The store's bookings (not cancelled) starting in `[:start, :end)`, by time."""
    return scope(_SCHEDULE_SLOTS)


def schedule(actor: User, first_day: date, days: int = SCHEDULE_DAYS) -> list[ScheduleRow]:
    """Per active car of the store with its status now, its bookings on `days` days from
    `first_day` (2 queries).

    Shows salesperson, driver and time, never the customer. Raises PermissionDenied.
    """
    require_role(actor, *SCHEDULE_ROLES)
    at = now()
    today = at.astimezone(SHANGHAI).date()
    cars: list[tuple[ScheduleCar, CarStatus]] = []
    car_rows = db.session.execute(
        scoped(_SCHEDULE_CARS, TestDriveCar, actor)
        .where(TestDriveCar.active)
        .order_by(TestDriveCar.plate),
        {"at": at, "since": at - LONGEST_DRIVE},
    )
    as_car = row_maker(ScheduleCar, car_rows.keys())
    for row in car_rows:
        car = as_car(row)
        cars.append((car, car_status_on(car, row.in_use, today)))
    start, _end = local_day_bounds(first_day)
    _start, end = local_day_bounds(first_day + timedelta(days=days - 1))
    stmt, params = scoped_statement(
        TestDriveBooking, actor, _schedule_slots_statement, store_only=True
    )
    by_car: dict[int, list[ScheduleSlot]] = {}
    slots = db.session.connection().execute(stmt, {**params, "start": start, "end": end})
    for slot in rows_as(ScheduleSlot, slots):
        by_car.setdefault(slot.car_id, []).append(slot)
    rows = []
    for car, status in cars:
        row = ScheduleRow(
            car, status, [ScheduleDay(first_day + timedelta(days=i)) for i in range(days)]
        )
        for slot in by_car.get(car.id, []):
            offset = (slot.starts_at.astimezone(SHANGHAI).date() - first_day).days
            if 0 <= offset < days:
                row.days[offset].bookings.append(slot)
        rows.append(row)
    return rows
