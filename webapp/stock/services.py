"""Rules of the vehicle stock (库存车): the list with counts per status, a car's record, the CSV
import of the dispatch list, and reserving a car for one contract.

Every query goes through webapp.access, by store; every use case commits once; bad input
raises ValidationError with a message per field, and an import with any bad row saves nothing.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date, parse_id, text_errors, text_problem
from webapp.stock.labels import TABLES
from webapp.stock.models import RESERVABLE, Vehicle, VehicleStatus
from webapp.testdrive.validators import is_valid_vin, vin_check_digit
from webapp.timeutil import now
from webapp.transactions import commit_unique

# Who looks after the stock, and who may look at it (a salesperson checks what is there).
MANAGE_ROLES = (Role.CAR_KEEPER, Role.SALES_MANAGER, Role.ADMIN)
VIEW_ROLES = (*MANAGE_ROLES, Role.SALESPERSON)
# Who reserves a car for a contract, and who may release any reservation.
RESERVE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
RELEASE_ANY_ROLES = (Role.SALES_MANAGER, Role.ADMIN)

# The statuses a person sets by hand; "reserved" comes only with a contract.
SETTABLE_STATUSES = tuple(s.value for s in VehicleStatus if s is not VehicleStatus.RESERVED)
STATUSES = tuple(s.value for s in VehicleStatus)
LIST_LIMIT = 500
MAX_LOCATION = 50
FORM_FIELDS = ("vin", "model_id", "sfx_id", "colour_id", "status", "location", "arrived_on")

MAX_IMPORT_BYTES = 1024 * 1024
MAX_IMPORT_ROWS = 5000
# The CSV's columns: header → field. The first five are required in every file.
COLUMNS = {
    "VIN": "vin",
    "车型代码": "model",
    "SFX代码": "sfx",
    "颜色": "colour",
    "状态": "status",
    "库位": "location",
    "到店日期": "arrived_on",
}
REQUIRED_COLUMNS = ("VIN", "车型代码", "SFX代码", "颜色", "状态")
_VIN_CHARS = re.compile(r"[^A-HJ-NPR-Z0-9]")


def normalise_vin(value: str) -> str:
    """'lfm ap22c0n0000019 ' → 'LFMAP22C0N0000019'."""
    return re.sub(r"\s", "", value or "").upper()


def vin_problem(vin: str) -> str | None:
    """The message for a VIN that is missing, malformed or has a wrong check digit."""
    if not vin:
        return _("Enter the VIN.")
    if len(vin) != 17 or _VIN_CHARS.search(vin):
        return _("A VIN has 17 letters and digits, without I, O or Q.")
    if not is_valid_vin(vin):
        return _(
            "The check digit (9th character) should be %(digit)s: look for a typo in the VIN.",
            digit=vin_check_digit(vin),
        )
    return None


# ---------------------------------------------------------------------------------------
# The list


@dataclass(frozen=True)
class StockList:
    """The cars shown, how many there are per status, and whether the list was cut short."""

    rows: list[Vehicle]
    counts: dict[str, int]
    total: int
    truncated: bool


def _list_statement(scope: Callable[[sa.Select], sa.Select], by_model: bool, current: bool) -> Any:
    stmt = scope(sa.select(Vehicle))
    if by_model:
        stmt = stmt.where(Vehicle.model_id == sa.bindparam("model_id"))
    if current:
        stmt = stmt.where(Vehicle.status != VehicleStatus.DELIVERED.value)
    else:
        stmt = stmt.where(Vehicle.status == sa.bindparam("status"))
    return (
        stmt.options(joinedload(Vehicle.model), joinedload(Vehicle.sfx), joinedload(Vehicle.colour))
        .order_by(Vehicle.model_id, Vehicle.sfx_id, Vehicle.colour_id, Vehicle.vin)
        .limit(LIST_LIMIT + 1)
    )


def _count_statement(scope: Callable[[sa.Select], sa.Select], by_model: bool) -> Any:
    stmt = scope(sa.select(Vehicle.status, sa.func.count()).select_from(Vehicle))
    if by_model:
        stmt = stmt.where(Vehicle.model_id == sa.bindparam("model_id"))
    return stmt.group_by(Vehicle.status)


def list_vehicles(actor: User, model_id: int | None = None, status: str = "") -> StockList:
    """The store's cars of one model (or all) and one status (or all not yet delivered),
    with the count of each status for the same model. Raises PermissionDenied."""
    require_role(actor, *VIEW_ROLES)
    status = status if status in STATUSES else "current"
    by_model = model_id is not None
    params: dict[str, Any] = {"model_id": model_id} if by_model else {}
    stmt, scope = scoped_statement(Vehicle, actor, _list_statement, by_model, status == "current")
    if status != "current":
        params["status"] = status
    rows = list(db.session.scalars(stmt, {**scope, **params}).unique())
    count_stmt, scope = scoped_statement(Vehicle, actor, _count_statement, by_model)
    counts = dict.fromkeys(STATUSES, 0)
    for code, n in db.session.execute(count_stmt, {**scope, **params}):
        counts[code] = n
    total = sum(n for code, n in counts.items() if code != VehicleStatus.DELIVERED.value)
    return StockList(rows[:LIST_LIMIT], counts, total, len(rows) > LIST_LIMIT)


def get_vehicle(actor: User, vehicle_id: int) -> Vehicle:
    """A car of the actor's store, for those who may see the stock. PermissionDenied/NotFound."""
    require_role(actor, *VIEW_ROLES)
    return get_scoped(
        Vehicle,
        vehicle_id,
        actor,
        joinedload(Vehicle.model),
        joinedload(Vehicle.sfx),
        joinedload(Vehicle.colour),
        joinedload(Vehicle.reserved_by),
    )


def model_choices() -> list[VehicleModel]:
    """Active catalogue models with their SFX and colours, in catalogue order."""
    stmt = (
        sa.select(VehicleModel)
        .where(VehicleModel.active)
        .options(selectinload(VehicleModel.sfx), selectinload(VehicleModel.colours))
        .order_by(VehicleModel.sort_order, VehicleModel.id)
    )
    return list(db.session.scalars(stmt))


# ---------------------------------------------------------------------------------------
# The form


def _vin_taken(vin: str, exclude: int | None) -> bool:
    """Whether another car (of any store: a VIN is unique in the world) has this VIN."""
    stmt = sa.select(Vehicle.id).where(Vehicle.vin == vin)
    if exclude is not None:
        stmt = stmt.where(Vehicle.id != exclude)
    return db.session.scalar(stmt) is not None


def _clean(data: dict[str, Any], vehicle: Vehicle | None) -> dict[str, Any]:
    errors: dict[str, str] = text_errors(data, FORM_FIELDS)
    out: dict[str, Any] = {}

    vin = normalise_vin(data.get("vin") or "")
    if "vin" not in errors and (problem := vin_problem(vin)):
        errors["vin"] = problem
    out["vin"] = vin

    model_id = parse_id(data.get("model_id"))
    model = db.session.get(VehicleModel, model_id) if model_id else None
    if model is None or not model.active:
        errors["model_id"] = _("Choose a model from the catalogue.")
    out["model_id"] = model_id

    sfx_id = parse_id(data.get("sfx_id"))
    sfx = db.session.get(Sfx, sfx_id) if sfx_id else None
    if sfx is None:
        errors["sfx_id"] = _("Choose the SFX.")
    elif model is not None and sfx.model_id != model.id:
        errors["sfx_id"] = _("This SFX is not one of the model's: choose an SFX of this model.")
    out["sfx_id"] = sfx_id

    colour_id = parse_id(data.get("colour_id"))
    colour = db.session.get(Colour, colour_id) if colour_id else None
    if colour is None:
        errors["colour_id"] = _("Choose the colour.")
    elif model is not None and colour.model_id != model.id:
        errors["colour_id"] = _("This colour is not offered for the model: choose one of its.")
    out["colour_id"] = colour_id

    status = data.get("status") or ""
    if vehicle is not None and vehicle.status == VehicleStatus.RESERVED.value:
        if status not in ("", VehicleStatus.RESERVED.value):
            errors["status"] = reserved_message()
        status = VehicleStatus.RESERVED.value
    elif status not in SETTABLE_STATUSES:
        errors["status"] = _("Choose the status.")
    out["status"] = status

    location = (data.get("location") or "").strip()
    if len(location) > MAX_LOCATION:
        errors["location"] = _("At most %(n)d characters.", n=MAX_LOCATION)
    out["location"] = location

    raw_day = (data.get("arrived_on") or "").strip()
    out["arrived_on"] = parse_date(raw_day) if raw_day else None
    if raw_day and out["arrived_on"] is None:
        errors["arrived_on"] = _("Enter the date like 2026-11-27.")

    if "vin" not in errors and _vin_taken(vin, vehicle.id if vehicle else None):
        errors["vin"] = _("A car with this VIN is already in the stock.")
    if errors:
        raise ValidationError(errors)
    return out


def create_vehicle(actor: User, data: dict[str, Any]) -> Vehicle:
    """Add a car to the actor's store's stock. Raises PermissionDenied/ValidationError."""
    require_role(actor, *MANAGE_ROLES)
    clean = _clean(data, None)
    vehicle = Vehicle(store_id=actor.store_id, **clean)
    db.session.add(vehicle)
    commit_unique("vin", _("A car with this VIN is already in the stock."))
    return vehicle


def reserved_message() -> str:
    return _("This car is reserved for a contract: release it before changing its status.")


def status_choices_text() -> str:
    """The statuses an import may write, as this locale reads them: 在途、在库、…"""
    from webapp.labels import label

    return "、".join(label("stock_status", code) for code in SETTABLE_STATUSES)


def _stale() -> ValidationError:
    return ValidationError(
        {"version": _("Someone else changed this car meanwhile. Reload it and try again.")}
    )


def update_vehicle(
    actor: User, vehicle_id: int, data: dict[str, Any], version: int | None
) -> Vehicle:
    """Edit a car of the stock; a stale `version` is refused. A reserved car keeps its status.

    Raises PermissionDenied, NotFound, ValidationError.
    """
    require_role(actor, *MANAGE_ROLES)
    vehicle = get_scoped(Vehicle, vehicle_id, actor)
    if version is not None and version != vehicle.version:
        raise _stale()
    clean = _clean(data, vehicle)
    for key, value in clean.items():
        setattr(vehicle, key, value)
    try:
        commit_unique("vin", _("A car with this VIN is already in the stock."))
    except sa.orm.exc.StaleDataError:
        db.session.rollback()
        raise _stale() from None
    return vehicle


# ---------------------------------------------------------------------------------------
# Reservation for a contract


def _locked(actor: User, vehicle_id: int) -> Vehicle:
    """The car, its row locked until the transaction ends (SELECT … FOR UPDATE on PostgreSQL)."""
    stmt = scoped(sa.select(Vehicle).where(Vehicle.id == vehicle_id), Vehicle, actor)
    vehicle = db.session.scalars(
        stmt.with_for_update().execution_options(populate_existing=True)
    ).first()
    if vehicle is None:
        raise NotFound()
    return vehicle


def reserve_vehicle(actor: User, vehicle_id: int, contract_id: int) -> Vehicle:
    """Reserve an in-transit, in-stock or in-PDS car for one contract, and commit. A car
    already reserved (or delivered) is refused, also when two people reserve it at the same
    moment.

    Raises PermissionDenied, NotFound, ValidationError.
    """
    try:
        vehicle = hold_vehicle(actor, vehicle_id, contract_id)
    except ValidationError:
        db.session.rollback()
        raise
    db.session.commit()
    return vehicle


def hold_vehicle(actor: User, vehicle_id: int, contract_id: int) -> Vehicle:
    """reserve_vehicle's rules and writes in the caller's transaction, without committing
    (the contract's allocation commits the car and the contract together). The car's row
    stays locked until the caller's transaction ends; on ValidationError the caller rolls
    back."""
    require_role(actor, *RESERVE_ROLES)
    if parse_id(contract_id) is None:
        raise ValidationError({"contract_id": _("Choose the contract.")})
    vehicle = _locked(actor, vehicle_id)
    if vehicle.status == VehicleStatus.RESERVED.value:
        if vehicle.contract_id == contract_id:
            raise ValidationError(
                {"vehicle_id": _("This car is already reserved for the contract.")}
            )
        raise ValidationError(
            {"vehicle_id": _("This car is already reserved for another contract: choose another.")}
        )
    if vehicle.status not in RESERVABLE:
        raise ValidationError({"vehicle_id": _("This car has been delivered: choose another.")})
    vehicle.status = VehicleStatus.RESERVED.value
    vehicle.contract_id = contract_id
    vehicle.reserved_by_id = actor.id
    vehicle.reserved_at = now()
    return vehicle


def release_vehicle(actor: User, vehicle_id: int) -> Vehicle:
    """Give a reserved car back to the stock (in stock, or in transit when it has not arrived).

    The salesperson who reserved it, a sales manager or an admin may. Raises PermissionDenied,
    NotFound, ValidationError.
    """
    require_role(actor, *RESERVE_ROLES)
    vehicle = _locked(actor, vehicle_id)
    if vehicle.status != VehicleStatus.RESERVED.value:
        db.session.rollback()
        raise ValidationError({"vehicle_id": _("This car is not reserved.")})
    if vehicle.reserved_by_id != actor.id and not actor.has_role(*RELEASE_ANY_ROLES):
        db.session.rollback()
        require_role(actor, *RELEASE_ANY_ROLES)
    unhold_vehicle(vehicle)
    db.session.commit()
    return vehicle


def unhold_vehicle(vehicle: Vehicle) -> None:
    """Put a reserved car back in stock (in transit when it has not arrived), in the caller's
    transaction: the contract's cancellation frees its car with the contract's own rules."""
    vehicle.status = (
        VehicleStatus.IN_STOCK.value if vehicle.arrived_on else VehicleStatus.IN_TRANSIT.value
    )
    vehicle.contract_id = None
    vehicle.reserved_by_id = None
    vehicle.reserved_at = None


def lock_vehicle(actor: User, vehicle_id: int) -> Vehicle:
    """The car of the actor's store, its row locked until the transaction ends."""
    return _locked(actor, vehicle_id)


# ---------------------------------------------------------------------------------------
# CSV import


@dataclass(frozen=True)
class RowError:
    """One problem of the file: its row as a spreadsheet numbers it (the header is row 1)."""

    row: int
    column: str
    message: str


@dataclass
class ImportReport:
    """What an import did: nothing when `errors` is not empty."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def saved(self) -> bool:
        return not self.errors and self.rows > 0


def template_csv() -> bytes:
    """The import template: the header row, UTF-8 with a byte order mark for Excel."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerow(list(COLUMNS))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _status_codes() -> dict[str, str]:
    """A status cell → its code: the code itself, or its label in either language."""
    from flask import current_app
    from flask_babel import force_locale

    codes = {code: code for code in STATUSES}
    for locale in current_app.config["LANGUAGES"]:
        with force_locale(locale):
            for code, text in TABLES["stock_status"].items():
                codes.setdefault(str(text).strip().lower(), code)
    return codes


def _read_file(raw: bytes) -> tuple[list[str], list[list[str]]]:
    """The header and rows of an upload, or ValidationError on `file` for a file that is too
    big, not UTF-8, empty or has too many rows."""
    if len(raw) > MAX_IMPORT_BYTES:
        raise ValidationError(
            {"file": _("The file is larger than 1 MB: split it into smaller files.")}
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            {"file": _("The file is not UTF-8: in Excel save it as “CSV UTF-8”.")}
        ) from None
    if problem := text_problem(text.replace("\r", "")):
        raise ValidationError({"file": problem})
    try:
        lines = [
            row for row in csv.reader(io.StringIO(text, newline="")) if any(c.strip() for c in row)
        ]
    except csv.Error:
        raise ValidationError({"file": _("The file is not a CSV file.")}) from None
    if not lines:
        raise ValidationError({"file": _("The file is empty.")})
    if len(lines) - 1 > MAX_IMPORT_ROWS:
        raise ValidationError(
            {
                "file": _(
                    "The file has %(n)d rows; at most %(max)d per import: split it.",
                    n=len(lines) - 1,
                    max=MAX_IMPORT_ROWS,
                )
            }
        )
    return lines[0], lines[1:]


def _columns(header: list[str]) -> dict[str, int]:
    """field → column index, or ValidationError naming the missing or unknown columns."""
    positions: dict[str, int] = {}
    known = {name.upper(): name for name in COLUMNS}
    for index, cell in enumerate(header):
        name = known.get(cell.strip().upper())
        if name is not None and COLUMNS[name] not in positions:
            positions[COLUMNS[name]] = index
    missing = [name for name in REQUIRED_COLUMNS if COLUMNS[name] not in positions]
    if missing:
        raise ValidationError(
            {
                "file": _(
                    "The first row must name the columns; missing: %(names)s. "
                    "Download the template.",
                    names="、".join(missing),
                )
            }
        )
    return positions


def _chunks(items: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def import_csv(actor: User, raw: bytes) -> ImportReport:
    """Import a dispatch list: new VINs become cars of the actor's store, VINs the store has
    already get their status, location and (when given) arrival day updated. All or nothing:
    any bad row saves nothing and the report lists every problem by row and column.

    Raises PermissionDenied; ValidationError on `file` for a file that cannot be read.
    """
    require_role(actor, *MANAGE_ROLES)
    header, lines = _read_file(raw)
    positions = _columns(header)
    if not lines:
        raise ValidationError({"file": _("The file has no rows under the header.")})
    report = ImportReport(rows=len(lines))

    models = {m.code.upper(): m for m in model_choices()}
    sfx_of = {(m.id, s.code.upper()): s for m in models.values() for s in m.sfx}
    colours_of: dict[tuple[int, str], Colour] = {}
    for m in models.values():
        for c in m.colours:
            colours_of.setdefault((m.id, c.name_zh.strip().lower()), c)
            colours_of.setdefault((m.id, c.name_en.strip().lower()), c)
    statuses = _status_codes()

    def cell(line: list[str], name: str) -> str:
        index = positions.get(name)
        return line[index].strip() if index is not None and index < len(line) else ""

    vins = [normalise_vin(cell(line, "vin")) for line in lines]
    mine: dict[str, Vehicle] = {}
    elsewhere: set[str] = set()
    for chunk in _chunks(sorted(set(vins))):
        stmt = scoped(sa.select(Vehicle).where(Vehicle.vin.in_(chunk)), Vehicle, actor)
        mine.update({v.vin: v for v in db.session.scalars(stmt)})
        taken = sa.select(Vehicle.vin).where(Vehicle.vin.in_(chunk))
        elsewhere.update(v for v in db.session.scalars(taken) if v not in mine)

    seen: dict[str, int] = {}
    new: list[Vehicle] = []
    changes: list[tuple[Vehicle, str, str, date | None]] = []

    def add(number: int, column: str, message: str) -> None:
        report.errors.append(RowError(number, column, message))

    for number, (line, vin) in enumerate(zip(lines, vins, strict=True), start=2):
        if problem := vin_problem(vin):
            add(number, "VIN", problem)
        elif vin in seen:
            add(number, "VIN", _("The same VIN is already on row %(row)d.", row=seen[vin]))
        elif vin in elsewhere:
            add(number, "VIN", _("A car with this VIN is already in the stock of another store."))
        else:
            seen[vin] = number

        status = statuses.get(cell(line, "status").lower())
        if status is None:
            add(number, "状态", _("Write one of: %(choices)s.", choices=status_choices_text()))
        elif status == VehicleStatus.RESERVED.value:
            add(number, "状态", _("A car is reserved from its contract, not by import."))

        location = cell(line, "location")
        if len(location) > MAX_LOCATION:
            add(number, "库位", _("At most %(n)d characters.", n=MAX_LOCATION))

        raw_day = cell(line, "arrived_on").replace("/", "-")
        arrived_on = parse_date(raw_day) if raw_day else None
        if raw_day and arrived_on is None:
            add(number, "到店日期", _("Enter the date like 2026-11-27."))

        existing = mine.get(vin)
        if existing is not None:
            if (
                existing.status == VehicleStatus.RESERVED.value
                and status is not None
                and status != existing.status
            ):
                add(
                    number,
                    "状态",
                    reserved_message(),
                )
            if status is not None and status != VehicleStatus.RESERVED.value:
                changes.append((existing, status, location, arrived_on))
            continue

        model = models.get(cell(line, "model").upper())
        if model is None:
            add(number, "车型代码", _("No active model has this code in the catalogue."))
            continue
        sfx = sfx_of.get((model.id, cell(line, "sfx").upper()))
        if sfx is None:
            add(number, "SFX代码", _("This SFX is not one of the model's."))
        colour = colours_of.get((model.id, cell(line, "colour").lower()))
        if colour is None:
            add(number, "颜色", _("This colour is not offered for the model."))
        if sfx is None or colour is None or status is None or status == "reserved":
            continue
        new.append(
            Vehicle(
                store_id=actor.store_id,
                vin=vin,
                model_id=model.id,
                sfx_id=sfx.id,
                colour_id=colour.id,
                status=status,
                location=location,
                arrived_on=arrived_on,
            )
        )

    if report.errors:
        db.session.rollback()
        return report
    for vehicle, status, location, arrived_on in changes:
        if vehicle.status != VehicleStatus.RESERVED.value:
            vehicle.status = status
        vehicle.location = location
        if arrived_on is not None:
            vehicle.arrived_on = arrived_on
    db.session.add_all(new)
    report.created, report.updated = len(new), len(changes)
    try:
        commit_unique("file", _("Someone saved some of these VINs meanwhile: import again."))
    except sa.orm.exc.StaleDataError:
        db.session.rollback()
        raise ValidationError(
            {"file": _("Someone changed some of these cars meanwhile: import again.")}
        ) from None
    return report
