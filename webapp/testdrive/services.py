"""Rules of the test-drive back office (step ⑤ 试乘试驾): test-drive cars (试驾车) and their
readiness, routes (附表八 欢迎参加试乘试驾活动) with their map, bookings without clashes, the
staff licences that decide who may drive, and the versioned checklist templates (附表九 too).

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import io
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload, selectinload

from webapp.access import owner_clause, require_role, scoped, scoped_statement, store_clause
from webapp.auth.models import Role, User, UserRole
from webapp.blobs import BlobError, BlobMissing, read_blob, store_blob
from webapp.catalog.models import Sfx, VehicleModel
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import (
    parse_date,
    parse_id,
    sane_date,
    text_errors,
    text_problem,
    text_problem_in,
)
from webapp.sql import row_as, row_maker, rows_as
from webapp.testdrive.models import (
    BookingStatus,
    ChecklistKind,
    ChecklistTemplate,
    LicenceCheck,
    LicenceClass,
    SignedDocument,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
    Transmission,
)
from webapp.testdrive.validators import is_valid_vin, licence_covers, vin_check_digit
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today, now
from webapp.transactions import commit_unique

MANAGE_ROLES = (Role.CAR_KEEPER, Role.SALES_MANAGER, Role.ADMIN)
ROUTE_VIEW_ROLES = (*MANAGE_ROLES, Role.SALESPERSON)
SCHEDULE_ROLES = ROUTE_VIEW_ROLES
BOOKING_ROLES = cards.CARD_ROLES
LICENCE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
TEMPLATE_ROLES = (Role.ADMIN,)
# Who may be named keeper of a car.
KEEPER_ROLES = (Role.CAR_KEEPER, Role.SALES_MANAGER)
# The licence copy and the signed agreement: the owning salesperson, the manager, admins.
DOCUMENT_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)

ACTIVE_STATUSES = (BookingStatus.BOOKED.value, BookingStatus.IN_PROGRESS.value)
MIN_FUEL_EIGHTHS = 4  # the standard: at least half a tank
MAX_MILEAGE = 2_000_000
PLATE_RE = re.compile(r"^[\u4e00-\u9fff][A-Z][A-HJ-NP-Z0-9]{5,6}$")
MAX_DAYS_AHEAD = 90
# A booking may start a little in the past: the form was opened a few minutes ago.
START_GRACE = timedelta(minutes=10)
# A booking lasts its route's duration, which is at most this long. The queries for "which
# car is out now" and clashes use it as a lower bound on the start time, so they read a few
# bookings of a car instead of its whole history.
MAX_ROUTE_MINUTES = 180
LONGEST_DRIVE = timedelta(minutes=MAX_ROUTE_MINUTES)
SCHEDULE_DAYS = 3
BOOKING_LIST_LIMIT = 200

MAP_MAX_BYTES = 8 * 1024 * 1024
MAP_MAX_PIXELS = 40_000_000
MAP_MAX_EDGE = 1920  # the blob store's long edge
MAP_STORE_BYTES = 2 * 1024 * 1024  # what the blob store accepts
MAP_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
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
ROUTE_TEXT_FIELDS = (
    "name",
    "model_ids",  # one value, or a list: see _clean_route
    "duration_min",
    "distance_km",
    "swap_point",
    "demo_points",
    "welcome_text",
)


# ---------------------------------------------------------------------------------------
# Small parsing helpers (all return None and set an error on bad input)


def _int(
    data: dict[str, Any],
    name: str,
    errors: dict[str, str],
    lo: int,
    hi: int,
    required: bool = True,
) -> int | None:
    raw = str(data.get(name) if data.get(name) is not None else "").strip()
    if raw == "":
        if required:
            errors[name] = _("Enter a number.")
        return None
    try:
        value = int(raw)
    except ValueError:
        errors[name] = _("Enter a whole number.")
        return None
    if not lo <= value <= hi:
        errors[name] = _("Enter a number from %(lo)d to %(hi)d.", lo=lo, hi=hi)
        return None
    return value


def _date(
    data: dict[str, Any], name: str, errors: dict[str, str], required: bool = True
) -> date | None:
    raw = data.get(name)
    if isinstance(raw, date):
        return raw
    raw = (raw or "").strip()
    if not raw:
        if required:
            errors[name] = _("Enter a date.")
        return None
    value = parse_date(raw)
    if value is None:
        errors[name] = _("Enter a date.")
    return value


def _id(raw: Any) -> int | None:
    """A row id from a form, or None (also for a number no id column can hold)."""
    return parse_id(raw)


def _text(data: dict[str, Any], name: str, limit: int, errors: dict[str, str]) -> str:
    value = (data.get(name) or "").strip()
    if len(value) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    return value


# ---------------------------------------------------------------------------------------
# Cars (试驾车)


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
    TestDriveBooking.car_id.in_(sa.bindparam("car_ids", expanding=True)),
    TestDriveBooking.status.in_(ACTIVE_STATUSES),
    TestDriveBooking.starts_at > sa.bindparam("since"),
    TestDriveBooking.starts_at <= sa.bindparam("at"),
    TestDriveBooking.ends_at > sa.bindparam("at"),
)


def _car_status(car: TestDriveCar | ScheduleCar, in_use: bool, day: date) -> CarStatus:
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
    return {car.id: _car_status(car, car.id in running, day) for car in cars}


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

    model_id = _id(data.get("model_id"))
    model = db.session.get(VehicleModel, model_id) if model_id else None
    if model is None or not model.active:
        errors["model_id"] = _("Choose a model from the catalogue.")
    out["model_id"] = model_id

    sfx_id = _id(data.get("sfx_id"))
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

    out["fuel_eighths"] = _int(data, "fuel_eighths", errors, 0, 8)
    out["mileage_km"] = _int(data, "mileage_km", errors, 0, MAX_MILEAGE)
    out["insurance_expires"] = _date(data, "insurance_expires", errors)
    out["registration_expires"] = _date(data, "registration_expires", errors)
    out["cleaning_due_on"] = _date(data, "cleaning_due_on", errors, required=False)

    keeper_id = _id(data.get("keeper_id"))
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


# ---------------------------------------------------------------------------------------
# Routes (附表八) and their map


def list_routes(actor: User) -> list[TestDriveRoute]:
    """The store's routes with the models they suit. Raises PermissionDenied."""
    require_role(actor, *ROUTE_VIEW_ROLES)
    stmt = scoped(
        sa.select(TestDriveRoute).options(selectinload(TestDriveRoute.models)),
        TestDriveRoute,
        actor,
    )
    if not actor.has_role(*MANAGE_ROLES):
        stmt = stmt.where(TestDriveRoute.active)
    return list(
        db.session.scalars(stmt.order_by(TestDriveRoute.active.desc(), TestDriveRoute.name))
    )


def get_route(actor: User, route_id: int, *roles: Role) -> TestDriveRoute:
    """A route of the actor's store. Raises PermissionDenied (role) before NotFound (scope)."""
    require_role(actor, *(roles or MANAGE_ROLES))
    stmt = scoped(
        sa.select(TestDriveRoute)
        .options(selectinload(TestDriveRoute.models))
        .where(TestDriveRoute.id == route_id),
        TestDriveRoute,
        actor,
    )
    route = db.session.scalar(stmt)
    if route is None:
        raise NotFound()
    return route


def route_map_of(actor: User, route_id: int) -> tuple[bytes, str]:
    """The route map image (bytes, MIME) for any staff of the route's store. Raises NotFound."""
    stmt = scoped(
        sa.select(TestDriveRoute.map_sha256).where(TestDriveRoute.id == route_id),
        TestDriveRoute,
        actor,
    )
    sha = db.session.scalar(stmt)
    if not sha:
        raise NotFound()
    try:
        return read_blob(sha)
    except BlobMissing:
        raise NotFound() from None


def prepare_route_map(data: bytes) -> tuple[bytes, str]:
    """Check an uploaded route map and re-encode it (PNG or JPEG only, EXIF dropped).

    Raises ValidationError on "map" for anything that is not a sane PNG or JPEG: wrong
    magic bytes, SVG, oversize, a pixel bomb or a truncated file.
    """
    from PIL import Image, ImageOps

    if len(data) > MAP_MAX_BYTES:
        raise ValidationError({"map": _("The map is too large: at most 8 MB.")})
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise ValidationError({"map": _("Upload the map as a PNG or JPEG image.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in MAP_FORMATS:
                raise ValidationError({"map": _("Upload the map as a PNG or JPEG image.")})
            if image.width * image.height > MAP_MAX_PIXELS:
                raise ValidationError({"map": _("The map image has too many pixels.")})
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({"map": _("The map image has too many pixels.")}) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"map": _("The image could not be read. Try another file.")}
        ) from None
    fmt = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAP_MAX_EDGE, MAP_MAX_EDGE))
    if fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "P"):
            image = image.convert("RGBA")
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        if out.tell() <= MAP_STORE_BYTES:
            return out.getvalue(), MAP_FORMATS["PNG"]
    # A photo-like map stays small as JPEG; lower the quality until the store takes it.
    rgb = image.convert("RGB")
    for quality in (85, 70, 55):
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= MAP_STORE_BYTES:
            break
    return out.getvalue(), MAP_FORMATS["JPEG"]


def store_route_map(data: bytes, mime: str, store_id: int, actor: User) -> str:
    """Put a prepared route map into the blob store (purpose route_map, not sensitive).

    Returns its content address. The blob store commits the blob row itself. Raises
    ValidationError on "map" when the store refuses the image.
    """
    try:
        blob = store_blob(data, mime, "route_map", store_id, actor)
    except BlobError as exc:
        raise ValidationError({"map": str(exc.message)}) from None
    return blob.sha256


def parse_demo_points(text: str, errors: dict[str, str]) -> list[dict[str, str]]:
    """One point a line, "where | what to show"; a line without "|" is what to show."""
    points = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        where, sep, show = line.partition("|")
        where, show = (where.strip(), show.strip()) if sep else ("", where.strip())
        if not show or len(where) > 100 or len(show) > 200:
            errors["demo_points"] = _(
                "One point a line: where | what to show (at most 100 and 200 characters)."
            )
            break
        points.append({"at": where, "show": show})
    if len(points) > 20:
        errors["demo_points"] = _("At most %(n)d demonstration points.", n=20)
    return points


def demo_points_text(points: list[dict[str, str]]) -> str:
    """The demonstration points back as the form's text."""
    return "\n".join(
        f"{p.get('at', '')} | {p.get('show', '')}" if p.get("at") else p.get("show", "")
        for p in points
    )


def _clean_route(data: dict[str, Any], route: TestDriveRoute | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["name"] = _text(data, "name", 50, errors)
    if not out["name"] and "name" not in errors:
        errors["name"] = _("Enter the route's name.")
    raw_ids = data.get("model_ids") or []
    ids = {_id(v) for v in (raw_ids if isinstance(raw_ids, list | tuple) else [raw_ids])}
    ids.discard(None)
    models = []
    if ids:
        models = list(
            db.session.scalars(
                sa.select(VehicleModel).where(VehicleModel.id.in_(ids), VehicleModel.active)
            )
        )
    if not ids:
        errors["model_ids"] = _("Choose the models this route suits.")
    elif len(models) != len(ids):
        errors["model_ids"] = _("Choose models from the catalogue.")
    out["models"] = models
    out["duration_min"] = _int(data, "duration_min", errors, 5, MAX_ROUTE_MINUTES)
    out["distance_km"] = _int(data, "distance_km", errors, 1, 300, required=False)
    out["swap_point"] = _text(data, "swap_point", 200, errors)
    if not out["swap_point"] and "swap_point" not in errors:
        errors["swap_point"] = _("Describe the safe point where driver and customer swap.")
    out["demo_points"] = parse_demo_points(data.get("demo_points") or "", errors)
    if not out["demo_points"] and "demo_points" not in errors:
        errors["demo_points"] = _("Add at least one demonstration point.")
    out["welcome_text"] = _text(data, "welcome_text", 2000, errors)
    out["active"] = bool(data.get("active")) if route is not None else True
    errors.update(text_errors(data, ROUTE_TEXT_FIELDS))
    if isinstance(raw_ids, list | tuple) and (problem := text_problem_in(raw_ids)):
        errors["model_ids"] = problem
    if errors:
        raise ValidationError(errors)
    return out


def _map_from_upload(upload: bytes | None) -> tuple[bytes, str] | None:
    return prepare_route_map(upload) if upload else None


def create_route(actor: User, data: dict[str, Any], map_upload: bytes | None) -> TestDriveRoute:
    """Plan a route for the actor's store, with its map when one is uploaded.

    Raises PermissionDenied, ValidationError (fields and "map": nothing is saved).
    """
    require_role(actor, *MANAGE_ROLES)
    errors: dict[str, str] = {}
    try:
        clean = _clean_route(data, None)
    except ValidationError as exc:
        errors.update(exc.errors)
    prepared = None
    try:
        prepared = _map_from_upload(map_upload)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    # The blob store commits its own row (after writing the file), so it goes first: a
    # failure there leaves no route behind.
    sha = store_route_map(*prepared, actor.store_id, actor) if prepared is not None else None
    route = TestDriveRoute(store_id=actor.store_id, map_sha256=sha, **clean)
    db.session.add(route)
    db.session.commit()
    return route


def update_route(
    actor: User, route_id: int, data: dict[str, Any], map_upload: bytes | None
) -> TestDriveRoute:
    """Edit a route; a new map replaces the old one.

    Raises NotFound, PermissionDenied, ValidationError (nothing saved).
    """
    route = get_route(actor, route_id)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = _clean_route(data, route)
    except ValidationError as exc:
        errors.update(exc.errors)
    prepared = None
    try:
        prepared = _map_from_upload(map_upload)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if prepared is not None:
        route.map_sha256 = store_route_map(*prepared, route.store_id, actor)
    for key, value in clean.items():
        setattr(route, key, value)
    db.session.commit()
    return route


def route_suits(route: TestDriveRoute, model_id: int) -> bool:
    """Whether the route is planned for this model."""
    return any(m.id == model_id for m in route.models)


# ---------------------------------------------------------------------------------------
# Staff licences


def _valid_licences(store_id: int, day: date) -> dict[int, str]:
    """user id → licence class, for staff of the store whose licence is valid on `day`."""
    stmt = sa.select(StaffLicence.user_id, StaffLicence.licence_class).where(
        StaffLicence.store_id == store_id, StaffLicence.expires_on >= day
    )
    return {r.user_id: r.licence_class for r in db.session.execute(stmt)}


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
    user_id = _id(data.get("user_id"))
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
    expires = _date(data, "expires_on", errors)
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


# ---------------------------------------------------------------------------------------
# Bookings


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
_Owner = aliased(User, name="booking_owner")
_Driver = aliased(User, name="booking_driver")


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
        _Owner.display_name.label("owner_name"),
        _Driver.display_name.label("driver_name"),
    )
    .select_from(TestDriveBooking)
    .join(CustomerCard, CustomerCard.id == TestDriveBooking.card_id)
    .join(TestDriveCar, TestDriveCar.id == TestDriveBooking.car_id)
    .join(VehicleModel, VehicleModel.id == TestDriveCar.model_id)
    .join(TestDriveRoute, TestDriveRoute.id == TestDriveBooking.route_id)
    .join(_Owner, _Owner.id == TestDriveBooking.owner_id)
    .join(_Driver, _Driver.id == TestDriveBooking.driver_id)
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
    from webapp.labels import label

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

    car_id = _id(data.get("car_id"))
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

    route_id = _id(data.get("route_id"))
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
    driver_id = _id(raw_driver) if raw_driver not in (None, "") else card.owner_id
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
    return BookingOptions(
        cars=[(c, statuses[c.id]) for c in cars],
        routes=routes,
        drivers=drivers,
        owner_may_drive=any(uid == card.owner_id for uid, _n in drivers),
    )


# ---------------------------------------------------------------------------------------
# The keeper's schedule


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
        _Owner.display_name.label("owner_name"),
        _Driver.display_name.label("driver_name"),
    )
    .select_from(TestDriveBooking)
    .join(_Owner, _Owner.id == TestDriveBooking.owner_id)
    .join(_Driver, _Driver.id == TestDriveBooking.driver_id)
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
        cars.append((car, _car_status(car, row.in_use, today)))
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


# ---------------------------------------------------------------------------------------
# The card's test drives (timeline)


@dataclass(frozen=True)
class CardTestDrive:
    booking: BookingRow
    feedback: dict[str, Any] | None
    licence_check_ids: list[int]
    signed_document_ids: list[int]


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
            bid = _id((data or {}).get("booking_id"))
            if bid is not None:
                feedback[bid] = data
        if may_see:
            for bid, cid in db.session.execute(
                sa.select(LicenceCheck.booking_id, LicenceCheck.id)
                .where(LicenceCheck.booking_id.in_(ids), LicenceCheck.store_id == card.store_id)
                .order_by(LicenceCheck.id)
            ):
                checks.setdefault(bid, []).append(cid)
            for bid, did in db.session.execute(
                sa.select(SignedDocument.booking_id, SignedDocument.id)
                .where(SignedDocument.booking_id.in_(ids), SignedDocument.store_id == card.store_id)
                .order_by(SignedDocument.id)
            ):
                docs.setdefault(bid, []).append(did)
    lines = [
        CardTestDrive(b, feedback.get(b.id), checks.get(b.id, []), docs.get(b.id, []))
        for b in bookings
    ]
    return card, lines, may_see


# ---------------------------------------------------------------------------------------
# Checklist templates (versioned data)

ITEM_TYPES = ("tick", "score", "text", "choice")
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ITEMS = 60


def _item(
    key: str,
    zh: str,
    en: str,
    kind: str = "tick",
    options: list[str] | None = None,
    required: bool = False,
) -> dict[str, Any]:
    return {
        "key": key,
        "label_zh": zh,
        "label_en": en,
        "type": kind,
        "options": options or [],
        "required": required,
    }


DEFAULT_TEMPLATES: dict[str, list[dict[str, Any]]] = {
    ChecklistKind.PREDRIVE.value: [
        _item(
            "process_explained",
            "说明试乘试驾流程（销售顾问先驾驶及原因）",
            "Process explained (salesperson drives first, and why)",
            required=True,
        ),
        _item(
            "route_explained",
            "说明试驾路线（须按路线行驶）",
            "Route explained (must be followed)",
            required=True,
        ),
        _item(
            "licence_checked",
            "查验驾驶证并留存复印件",
            "Driving licence checked and copy kept",
            required=True,
        ),
        _item(
            "agreement_signed",
            "签署安全协议及试乘试驾记录表",
            "Safety agreement and test-drive record signed",
            required=True,
        ),
        _item("controls_briefed", "介绍主要操作装置", "Main controls briefed", required=True),
    ],
    ChecklistKind.RIDE.value: [
        _item("passengers_back", "其他乘客坐后排", "Extra passengers in the back"),
        _item("belts_on", "全员系好安全带", "Everyone belted", required=True),
        _item("demo_acceleration", "演示加速性能", "Acceleration demonstrated"),
        _item("demo_braking", "演示制动性能", "Braking demonstrated"),
        _item("demo_quietness", "演示静谧性", "Quietness demonstrated"),
        _item("demo_handling", "演示操控与转向", "Handling and steering demonstrated"),
        _item("explained_features", "边驾驶边讲解车辆特点", "Features explained while driving"),
    ],
    ChecklistKind.SWAP.value: [
        _item(
            "safe_point", "在指定安全地点换手", "Swapped at the marked safe point", required=True
        ),
        _item("seat_adjusted", "协助调整座椅", "Seat adjusted with the customer", required=True),
        _item("mirrors_adjusted", "协助调整后视镜", "Mirrors adjusted", required=True),
        _item(
            "belt_confirmed", "确认舒适并系好安全带", "Comfort and belt confirmed", required=True
        ),
        _item("safety_reminder", "安全提醒", "Safety reminder given", required=True),
        _item(
            "walk_in_sight",
            "在客户视线内走到副驾驶座",
            "Moved to the passenger seat in the customer's sight",
        ),
        _item("music_offered", "询问是否播放音乐", "Music offered"),
    ],
    ChecklistKind.DRIVE.value: [
        _item(
            "driving_style",
            "客户驾驶风格",
            "Customer's driving style",
            "choice",
            ["平稳 steady", "稳健 assured", "激进 sporty", "谨慎 cautious"],
        ),
        _item("focus_points", "客户关注点", "What the customer focused on", "text"),
        _item("bends_warned", "弯道前提醒", "Warned before bends"),
        _item("prompted_feel", "提示客户体会车辆特点", "Prompted what to notice"),
    ],
    ChecklistKind.FEEDBACK.value: [
        _item("power", "动力性", "Power", "score", required=True),
        _item("handling", "操控性", "Handling", "score", required=True),
        _item("braking", "制动性", "Braking", "score", required=True),
        _item("comfort", "舒适性", "Comfort", "score", required=True),
        _item("quietness", "静谧性", "Quietness", "score", required=True),
        _item("visibility", "视野", "Visibility", "score", required=True),
        _item("audio", "音响", "Audio", "score", required=True),
        _item("overall", "综合评价", "Overall", "score", required=True),
        _item("likes", "满意之处", "What the customer liked", "text"),
        _item("concerns", "顾虑之处", "Concerns", "text"),
        _item(
            "intention",
            "购买意向",
            "Intention to buy",
            "choice",
            ["马上购买 buy now", "近期购买 soon", "再考虑 still thinking", "暂不购买 not now"],
            required=True,
        ),
    ],
}


def ensure_default_templates(created_by_id: int | None = None) -> int:
    """Add version 1 of every checklist kind that has no template yet; return how many.

    Used by the demo data and by tests. Flushes only: the caller commits.
    """
    existing = set(db.session.scalars(sa.select(ChecklistTemplate.kind).distinct()))
    added = 0
    for kind, items in DEFAULT_TEMPLATES.items():
        if kind in existing:
            continue
        db.session.add(
            ChecklistTemplate(
                kind=kind, version=1, items=items, current=True, created_by_id=created_by_id
            )
        )
        added += 1
    db.session.flush()
    return added


def current_templates() -> dict[str, ChecklistTemplate]:
    """The current version of each checklist kind."""
    stmt = sa.select(ChecklistTemplate).where(ChecklistTemplate.current)
    return {t.kind: t for t in db.session.scalars(stmt)}


def template_versions(actor: User) -> dict[str, list[ChecklistTemplate]]:
    """Every version of every kind, newest first (admins). Raises PermissionDenied."""
    require_role(actor, *TEMPLATE_ROLES)
    stmt = sa.select(ChecklistTemplate).order_by(
        ChecklistTemplate.kind, ChecklistTemplate.version.desc()
    )
    result: dict[str, list[ChecklistTemplate]] = {k.value: [] for k in ChecklistKind}
    for template in db.session.scalars(stmt):
        result.setdefault(template.kind, []).append(template)
    return result


def current_template(actor: User, kind: str) -> ChecklistTemplate | None:
    """The current version of one kind for the admin's editor. Raises PermissionDenied, NotFound."""
    require_role(actor, *TEMPLATE_ROLES)
    if kind not in {k.value for k in ChecklistKind}:
        raise NotFound()
    return db.session.scalar(
        sa.select(ChecklistTemplate).where(
            ChecklistTemplate.kind == kind, ChecklistTemplate.current
        )
    )


def items_text(items: list[dict[str, Any]]) -> str:
    """Items as the editor's text: key | 中文 | English | type | options | required."""
    lines = []
    for item in items:
        parts = [
            item["key"],
            item.get("label_zh", ""),
            item.get("label_en", ""),
            item.get("type", "tick"),
            " / ".join(item.get("options") or []),
        ]
        if item.get("required"):
            parts.append("required")
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def parse_items(text: str) -> list[dict[str, Any]]:
    """The editor's text → items. Raises ValidationError on "items" naming the bad line."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()

    def fail(number: int, message: str) -> ValidationError:
        return ValidationError({"items": _("Line %(n)d: %(problem)s", n=number, problem=message)})

    # Before splitting: splitlines() also breaks at a vertical tab or a form feed.
    if (problem := text_problem(text or "")) is not None:
        raise ValidationError({"items": problem})
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 3 or len(parts) > 6:
            raise fail(number, _("write key | 中文 | English | type | options | required."))
        parts += [""] * (6 - len(parts))
        key, zh, en, kind, options_raw, flag = parts
        kind = kind or "tick"
        if not KEY_RE.match(key):
            raise fail(number, _("the key is lower-case letters, digits and _ (e.g. belts_on)."))
        if key in seen:
            raise fail(number, _("the key %(key)s is used twice.", key=key))
        if not zh or not en or len(zh) > 100 or len(en) > 100:
            raise fail(
                number, _("give the Chinese and the English label (at most 100 characters).")
            )
        if kind not in ITEM_TYPES:
            raise fail(number, _("the type is tick, score, text or choice."))
        options = [o.strip() for o in re.split(r"[/,，、]", options_raw) if o.strip()]
        if kind == "choice" and len(options) < 2:
            raise fail(number, _("a choice needs at least two options, separated by /."))
        if kind != "choice" and options:
            raise fail(number, _("only a choice has options."))
        if flag not in ("", "required", "必填"):
            raise fail(number, _('the last column is empty or "required".'))
        seen.add(key)
        items.append(_item(key, zh, en, kind, options, required=bool(flag)))
    if not items:
        raise ValidationError({"items": _("Add at least one item.")})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("At most %(n)d items.", n=MAX_ITEMS)})
    return items


def save_template(actor: User, kind: str, text: str) -> ChecklistTemplate:
    """Save the edited items as a new version (which becomes current); old versions stay.

    Unchanged items make no new version. Raises PermissionDenied, NotFound, ValidationError.
    """
    current = current_template(actor, kind)
    items = parse_items(text)
    if current is not None and current.items == items:
        return current
    latest = db.session.scalar(
        sa.select(sa.func.max(ChecklistTemplate.version)).where(ChecklistTemplate.kind == kind)
    )
    db.session.execute(
        sa.update(ChecklistTemplate)
        .where(ChecklistTemplate.kind == kind, ChecklistTemplate.current)
        .values(current=False)
    )
    template = ChecklistTemplate(
        kind=kind, version=(latest or 0) + 1, items=items, current=True, created_by_id=actor.id
    )
    db.session.add(template)
    commit_unique("items", _("Someone saved this template meanwhile. Reload it and try again."))
    return template


def get_card_for_booking(actor: User, card_id: int) -> CustomerCard:
    """The card a booking is made for. Raises NotFound / PermissionDenied like the card page."""
    return cards.get_card(actor, card_id)
