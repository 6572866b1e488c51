"""Test-drive bookings of step ⑤: booking a car, a route and a driver for an A-C card
without clashes, cancelling, the day's bookings, "my day"'s, and a card's test drives with
their feedback and documents.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload, selectinload

from webapp.access import owner_clause, require_role, scoped, scoped_statement, store_clause
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, sane_date, text_errors, text_problem
from webapp.labels import label
from webapp.sql import row_as, rows_as
from webapp.testdrive.models import (
    BookingStatus,
    LicenceCheck,
    SignedDocument,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.testdrive.services.cars import (
    ACTIVE_STATUSES,
    LONGEST_DRIVE,
    CarStatus,
    car_statuses,
    preparation_reasons,
)
from webapp.testdrive.services.licences import may_drive
from webapp.testdrive.services.routes import route_suits
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today, now

BOOKING_ROLES = cards.CARD_ROLES
# The licence copy and the signed agreement: the owning salesperson, the manager, admins.
DOCUMENT_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)

MAX_DAYS_AHEAD = 90
# A booking may start a little in the past: the form was opened a few minutes ago.
START_GRACE = timedelta(minutes=10)
BOOKING_LIST_LIMIT = 200


def _booking_scope(stmt: sa.Select, actor: User) -> sa.Select:
    """Store scope, and for a salesperson: bookings they own or drive."""
    stmt = stmt.where(store_clause(TestDriveBooking, actor))
    owner = owner_clause(TestDriveBooking, actor)
    if owner is None:
        return stmt
    if actor.has_role(Role.SALESPERSON):
        return stmt.where(
            sa.or_(TestDriveBooking.owner_id == actor.id, TestDriveBooking.driver_id == actor.id)
        )
    return stmt.where(sa.false())


def _booking_select() -> sa.Select:
    return sa.select(TestDriveBooking).options(
        joinedload(TestDriveBooking.owner).raiseload("*"),
        joinedload(TestDriveBooking.driver).raiseload("*"),
    )


# The lists (bookings of a day, "my day", the card's drives, the schedule) select the columns
# they show into small rows: loading six ORM entities a booking cost more than the SQL. The
# aliases and the joined base statements are built once: a fresh aliased() per call is costly.
BOOKING_OWNER = aliased(User, name="booking_owner")
BOOKING_DRIVER = aliased(User, name="booking_driver")


@dataclass(frozen=True, slots=True)
class BookingRow:
    """One booking as the lists show it: time, customer, car, route, salesperson, driver."""

    id: int
    card_id: int
    owner_id: int
    driver_id: int
    starts_at: datetime
    ends_at: datetime
    status: str
    cancel_reason: str
    customer_name: str
    plate: str
    model_zh: str
    model_en: str
    route_name: str
    owner_name: str
    driver_name: str


_BOOKING_ROWS = (
    sa.select(
        TestDriveBooking.id,
        TestDriveBooking.card_id,
        TestDriveBooking.owner_id,
        TestDriveBooking.driver_id,
        TestDriveBooking.starts_at,
        TestDriveBooking.ends_at,
        TestDriveBooking.status,
        TestDriveBooking.cancel_reason,
        CustomerCard.name.label("customer_name"),
        TestDriveCar.plate,
        VehicleModel.name_zh.label("model_zh"),
        VehicleModel.name_en.label("model_en"),
        TestDriveRoute.name.label("route_name"),
        BOOKING_OWNER.display_name.label("owner_name"),
        BOOKING_DRIVER.display_name.label("driver_name"),
    )
    .select_from(TestDriveBooking)
    .join(CustomerCard, CustomerCard.id == TestDriveBooking.card_id)
    .join(TestDriveCar, TestDriveCar.id == TestDriveBooking.car_id)
    .join(VehicleModel, VehicleModel.id == TestDriveCar.model_id)
    .join(TestDriveRoute, TestDriveRoute.id == TestDriveBooking.route_id)
    .join(BOOKING_OWNER, BOOKING_OWNER.id == TestDriveBooking.owner_id)
    .join(BOOKING_DRIVER, BOOKING_DRIVER.id == TestDriveBooking.driver_id)
)


def _booking_rows(stmt: sa.Select, params: dict[str, Any]) -> list[BookingRow]:
    return rows_as(BookingRow, db.session.connection().execute(stmt, params))


# Bookings starting in [start, end), by time; the caller adds the actor's scope.
_BOOKINGS_BETWEEN = _BOOKING_ROWS.where(
    TestDriveBooking.starts_at >= sa.bindparam("start"),
    TestDriveBooking.starts_at < sa.bindparam("end"),
).order_by(TestDriveBooking.starts_at, TestDriveBooking.id)

# "My day": the open ones the actor sells or drives.
_MY_BOOKINGS_BETWEEN = _BOOKINGS_BETWEEN.where(
    sa.or_(
        TestDriveBooking.owner_id == sa.bindparam("actor_id"),
        TestDriveBooking.driver_id == sa.bindparam("actor_id"),
    ),
    TestDriveBooking.status != BookingStatus.CANCELLED.value,
)

# A card's bookings, newest first.
_CARD_BOOKINGS = _BOOKING_ROWS.where(
    TestDriveBooking.card_id == sa.bindparam("card_id"),
    TestDriveBooking.store_id == sa.bindparam("store_id"),
).order_by(TestDriveBooking.starts_at.desc())


def _my_bookings_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """ "My day"'s bookings: the open ones of `[:start, :end)` that `:actor_id` sells or drives."""
    return scope(_MY_BOOKINGS_BETWEEN).limit(50)


def get_booking(actor: User, booking_id: int) -> TestDriveBooking:
    """A booking the actor may see (own or driven, or store-wide roles). Raises NotFound,
    then PermissionDenied for roles that do not work with customer cards."""
    stmt = _booking_scope(_booking_select().where(TestDriveBooking.id == booking_id), actor)
    booking = db.session.scalars(stmt).unique().first()
    if booking is None:
        raise NotFound()
    require_role(actor, *BOOKING_ROLES)
    return booking


def list_bookings(actor: User, day: date) -> list[BookingRow]:
    """The bookings of a Shanghai day in the actor's scope, by start time."""
    require_role(actor, *BOOKING_ROLES)
    start, end = local_day_bounds(day)
    stmt = _booking_scope(_BOOKINGS_BETWEEN, actor).limit(BOOKING_LIST_LIMIT)
    return _booking_rows(stmt, {"start": start, "end": end})


def todays_bookings(actor: User) -> list[BookingRow]:
    """ "My day": today's open bookings the actor sells or drives, by start time (one query)."""
    start, end = local_day_bounds(local_today())
    stmt, params = scoped_statement(
        TestDriveBooking,
        actor,
        _my_bookings_statement,
        store_only=True,  # the owner-or-driver rule is in the statement
    )
    return _booking_rows(stmt, {**params, "start": start, "end": end, "actor_id": actor.id})


def parse_local_start(raw: str) -> datetime | None:
    """'2026-11-27T14:30' on the form (Asia/Shanghai) → aware UTC; None when unreadable."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        return None
    if not sane_date(moment.date()):
        return None  # year 1 in Shanghai is before the first UTC instant Python can hold
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def _clash(car_id: int, starts: datetime, ends: datetime, exclude: int | None = None):
    stmt = sa.select(TestDriveBooking.starts_at, TestDriveBooking.ends_at).where(
        TestDriveBooking.car_id == car_id,
        TestDriveBooking.status.in_(ACTIVE_STATUSES),
        TestDriveBooking.starts_at > starts - LONGEST_DRIVE,
        TestDriveBooking.starts_at < ends,
        TestDriveBooking.ends_at > starts,
    )
    if exclude is not None:
        stmt = stmt.where(TestDriveBooking.id != exclude)
    return db.session.execute(stmt.order_by(TestDriveBooking.starts_at).limit(1)).first()


def _clash_error(car: TestDriveCar, found: Any) -> ValidationError:
    fmt = "%H:%M"
    return ValidationError(
        {
            "starts_at": _(
                "%(plate)s is booked from %(start)s to %(end)s. Choose another time or car.",
                plate=car.plate,
                start=found.starts_at.astimezone(SHANGHAI).strftime(fmt),
                end=found.ends_at.astimezone(SHANGHAI).strftime(fmt),
            )
        }
    )


def reason_text(reasons: tuple[str, ...]) -> str:
    """The translated reasons, joined for a sentence."""
    return "、".join(label("car_reason", r) for r in reasons)


def create_booking(actor: User, card_id: int, data: dict[str, Any]) -> TestDriveBooking:
    """Book a test drive for a card: car, route, start time (Asia/Shanghai) and driver.

    The salesperson is the card's owner. Refused with a message per field: a car that is
    not ready (with the reasons), a route not planned for the car's model, a start in the
    past, a driver without a valid licence covering the car (an unlicensed salesperson
    must name a qualified colleague), and a slot that overlaps another booking of the car.
    The overlap is checked again with the car row locked, so two tablets cannot both win.
    Raises NotFound / PermissionDenied (card), ValidationError.
    """
    card = cards.get_card(actor, card_id)
    errors: dict[str, str] = {}

    car_id = parse_id(data.get("car_id"))
    car = None
    if car_id is not None:
        car = db.session.scalar(
            sa.select(TestDriveCar).where(
                TestDriveCar.id == car_id,
                TestDriveCar.store_id == card.store_id,
                TestDriveCar.active,
            )
        )
    if car is None:
        errors["car_id"] = _("Choose a test-drive car.")

    route_id = parse_id(data.get("route_id"))
    route = None
    if route_id is not None:
        route = db.session.scalar(
            sa.select(TestDriveRoute)
            .options(selectinload(TestDriveRoute.models))
            .where(
                TestDriveRoute.id == route_id,
                TestDriveRoute.store_id == card.store_id,
                TestDriveRoute.active,
            )
        )
    if route is None:
        errors["route_id"] = _("Choose a route.")
    elif car is not None and not route_suits(route, car.model_id):
        errors["route_id"] = _(
            "This route is not planned for the %(model)s. Choose a route for this model.",
            model=car.model.name_zh,
        )

    starts = parse_local_start(data.get("starts_at") or "")
    moment = now()
    if starts is None:
        errors["starts_at"] = _("Enter the date and time of the test drive.")
    elif starts < moment - START_GRACE:
        errors["starts_at"] = _("The start time has passed. Choose a later time.")
    elif starts > moment + timedelta(days=MAX_DAYS_AHEAD):
        errors["starts_at"] = _("Book at most %(n)d days ahead.", n=MAX_DAYS_AHEAD)

    day = starts.astimezone(SHANGHAI).date() if starts else local_today()
    if car is not None:
        reasons = preparation_reasons(car, day)
        if reasons:
            errors["car_id"] = _(
                "This car is not ready: %(reasons)s. Ask the car keeper or choose another car.",
                reasons=reason_text(reasons),
            )

    driver = _clean_driver(card, car, day, data.get("driver_id"), errors)
    errors.update(text_errors(data, ("car_id", "route_id", "starts_at", "driver_id")))
    if errors:
        raise ValidationError(errors)
    assert car is not None and route is not None and starts is not None and driver is not None
    ends = starts + timedelta(minutes=route.duration_min)

    # Serialise bookings of this car: PostgreSQL locks the row (SQLite ignores FOR UPDATE
    # and serialises writers itself), then the overlap is checked inside the transaction.
    db.session.execute(
        sa.select(TestDriveCar.id).where(TestDriveCar.id == car.id).with_for_update()
    )
    found = _clash(car.id, starts, ends)
    if found is not None:
        db.session.rollback()
        raise _clash_error(car, found)
    booking = TestDriveBooking(
        store_id=card.store_id,
        card_id=card.id,
        owner_id=card.owner_id,
        driver_id=driver.id,
        car_id=car.id,
        route_id=route.id,
        starts_at=starts,
        ends_at=ends,
        status=BookingStatus.BOOKED.value,
    )
    db.session.add(booking)
    db.session.flush()
    found = _clash(car.id, starts, ends, exclude=booking.id)
    if found is not None:
        db.session.rollback()
        raise _clash_error(car, found)
    db.session.commit()
    return booking


def _clean_driver(
    card: CustomerCard,
    car: TestDriveCar | None,
    day: date,
    raw_driver: Any,
    errors: dict[str, str],
) -> User | None:
    """The driver: the salesperson unless another qualified colleague is named."""
    driver_id = parse_id(raw_driver) if raw_driver not in (None, "") else card.owner_id
    driver = db.session.scalar(
        sa.select(User).where(User.id == driver_id, User.store_id == card.store_id, User.active)
    )
    if driver is None:
        errors["driver_id"] = _("Choose a member of staff of this store as the driver.")
        return None
    if car is None:
        return driver
    if not may_drive(driver.id, card.store_id, car.transmission, day):
        if driver.id == card.owner_id:
            errors["driver_id"] = _(
                "%(name)s has no valid licence for this car on file: choose a qualified "
                "colleague as the driver.",
                name=driver.display_name,
            )
        else:
            errors["driver_id"] = _(
                "%(name)s has no valid licence for this car on file.", name=driver.display_name
            )
    return driver


def cancel_booking(actor: User, booking_id: int, reason: str) -> TestDriveBooking:
    """Cancel a booked test drive with the reason. Raises NotFound, PermissionDenied,
    ValidationError (no reason, or the drive has started, ended or was cancelled)."""
    booking = get_booking(actor, booking_id)
    problem = text_problem(reason or "")
    reason = (reason or "").strip()
    errors = {}
    if booking.status != BookingStatus.BOOKED.value:
        errors["reason"] = _("Only a booked test drive can be cancelled.")
    elif problem is not None:
        errors["reason"] = problem
    elif not reason:
        errors["reason"] = _("Write why the test drive is cancelled.")
    elif len(reason) > 200:
        errors["reason"] = _("At most %(n)d characters.", n=200)
    if errors:
        raise ValidationError(errors)
    booking.status = BookingStatus.CANCELLED.value
    booking.cancel_reason = reason
    db.session.commit()
    return booking


@dataclass(frozen=True)
class BookingOptions:
    """What the booking form offers: cars with their status now, routes, drivers."""

    cars: list[tuple[TestDriveCar, CarStatus]]
    routes: list[TestDriveRoute]
    drivers: list[tuple[int, str]]  # qualified today (the form's choice; checked on save)
    owner_may_drive: bool
    # What fits the card's model of interest: a car of that model (a ready one first) and
    # a route planned for it; None when nothing fits.
    suggested_car_id: int | None = None
    suggested_route_id: int | None = None


def _suggest(
    model_id: int | None,
    cars: list[TestDriveCar],
    statuses: dict[int, CarStatus],
    routes: list[TestDriveRoute],
) -> tuple[int | None, int | None]:
    """The car and route that fit the model: a ready car of the model before one that is
    not, and a route planned for the model."""
    if model_id is None:
        return None, None
    of_model = [c for c in cars if c.model_id == model_id]
    of_model.sort(key=lambda c: not statuses[c.id].ready)
    route = next((r for r in routes if any(m.id == model_id for m in r.models)), None)
    return (of_model[0].id if of_model else None), (route.id if route else None)


def booking_options(actor: User, card: CustomerCard) -> BookingOptions:
    """Cars, routes and qualified drivers of the card's store for the booking form."""
    cars = list(
        db.session.scalars(
            sa.select(TestDriveCar)
            .where(TestDriveCar.store_id == card.store_id, TestDriveCar.active)
            .order_by(TestDriveCar.plate)
        )
    )
    statuses = car_statuses(cars, now())
    routes = list(
        db.session.scalars(
            sa.select(TestDriveRoute)
            .options(selectinload(TestDriveRoute.models))
            .where(TestDriveRoute.store_id == card.store_id, TestDriveRoute.active)
            .order_by(TestDriveRoute.name)
        )
    )
    today = local_today()
    stmt = (
        sa.select(User.id, User.display_name, StaffLicence.licence_class)
        .join(StaffLicence, StaffLicence.user_id == User.id)
        .where(
            User.store_id == card.store_id,
            User.active,
            StaffLicence.store_id == card.store_id,
            StaffLicence.expires_on >= today,
        )
        .order_by(User.display_name)
    )
    drivers = [(r.id, f"{r.display_name} ({r.licence_class})") for r in db.session.execute(stmt)]
    car_id, route_id = _suggest(card.model_id, cars, statuses, routes)
    return BookingOptions(
        cars=[(c, statuses[c.id]) for c in cars],
        routes=routes,
        drivers=drivers,
        owner_may_drive=any(uid == card.owner_id for uid, _n in drivers),
        suggested_car_id=car_id,
        suggested_route_id=route_id,
    )


@dataclass(frozen=True)
class CardTestDrive:
    booking: BookingRow
    feedback: dict[str, Any] | None
    licence_check_ids: list[int]
    signed_document_ids: list[int]
    # Each signed document's kind (safety_agreement | feedback_form), by id.
    signed_documents: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CardHead:
    """What the card's test drives need of the card: its id, store, owner and name."""

    id: int
    store_id: int
    owner_id: int
    name: str


_CARD_HEAD = sa.select(
    CustomerCard.id, CustomerCard.store_id, CustomerCard.owner_id, CustomerCard.name
).where(CustomerCard.id == sa.bindparam("card_id"))


def card_test_drives(actor: User, card_id: int) -> tuple[CardHead, list[CardTestDrive], bool]:
    """The test drives of a card, newest first, with their feedback (CardEvent "test_drive")
    and the ids of the licence copy and signed agreement. The documents are offered only to
    the owning salesperson, managers and admins (the third value). Raises NotFound /
    PermissionDenied like the card itself."""
    # The rules of cards.get_card (scoped, then the card roles) on four columns, rather than
    # loading the card with its owner and model.
    head = db.session.execute(scoped(_CARD_HEAD, CustomerCard, actor), {"card_id": card_id})
    card = row_as(CardHead, head)
    if card is None:
        raise NotFound()
    require_role(actor, *cards.CARD_ROLES)
    bookings = _booking_rows(
        _CARD_BOOKINGS.limit(50), {"card_id": card.id, "store_id": card.store_id}
    )
    ids = [b.id for b in bookings]
    feedback: dict[int, dict[str, Any]] = {}
    checks: dict[int, list[int]] = {}
    docs: dict[int, list[int]] = {}
    doc_kinds: dict[int, str] = {}
    may_see = actor.has_role(Role.SALES_MANAGER, Role.ADMIN) or (
        actor.has_role(*DOCUMENT_ROLES) and card.owner_id == actor.id
    )
    if ids:
        events = db.session.execute(
            sa.select(CardEvent.data).where(
                CardEvent.card_id == card.id,
                CardEvent.store_id == card.store_id,
                CardEvent.kind == "test_drive",
            )
        )
        for (data,) in events:
            bid = parse_id((data or {}).get("booking_id"))
            if bid is not None:
                feedback[bid] = data
        if may_see:
            for bid, cid in db.session.execute(
                sa.select(LicenceCheck.booking_id, LicenceCheck.id)
                .where(LicenceCheck.booking_id.in_(ids), LicenceCheck.store_id == card.store_id)
                .order_by(LicenceCheck.id)
            ):
                checks.setdefault(bid, []).append(cid)
            for bid, did, document in db.session.execute(
                sa.select(SignedDocument.booking_id, SignedDocument.id, SignedDocument.document)
                .where(SignedDocument.booking_id.in_(ids), SignedDocument.store_id == card.store_id)
                .order_by(SignedDocument.id)
            ):
                docs.setdefault(bid, []).append(did)
                doc_kinds[did] = document
    lines = [
        CardTestDrive(
            b,
            feedback.get(b.id),
            checks.get(b.id, []),
            docs.get(b.id, []),
            {d: doc_kinds[d] for d in docs.get(b.id, [])},
        )
        for b in bookings
    ]
    return card, lines, may_see


def get_card_for_booking(actor: User, card_id: int) -> CustomerCard:
    """The card a booking is made for. Raises NotFound / PermissionDenied like the card page."""
    return cards.get_card(actor, card_id)
