"""The test-drive packet (试乘试驾资料包): what the tablet needs in the car for one booking.

The packet is read-only on the server: everything entered in the car goes through the
tablet's outbox and `POST /sync/push`. Here we gather the booking with its welcome sheet
(附表八), car papers, the current checklist templates, and what the server already holds for
the booking, so a reopened packet shows the synced state. ID numbers are never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.access import get_scoped, require_role, scoped_statement
from webapp.auth.models import Role, User
from webapp.blobs import BlobMissing, read_blob
from webapp.catalog.models import Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.sql import row_maker, rows_as
from webapp.testdrive.models import (
    ChecklistKind,
    ChecklistTemplate,
    Consent,
    LicenceCheck,
    SignedDocument,
    TestDriveBooking,
    TestDriveCar,
    TestDriveEntry,
    TestDriveRoute,
)
from webapp.timeutil import local_today

# Who works with a packet: the owning salesperson (scoping keeps colleagues out), and the
# manager and admin of the store. A greeter sees store records but has no business here.
PACKET_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)

# The PIPL notice shown next to the separate consent tick, and the safety agreement text.
# A changed text (including the retention period, LICENCE_RETENTION_DAYS) must get a new
# version: the consent and the signature record the version.
LICENCE_NOTICE_VERSION = "2026-11"
SAFETY_AGREEMENT_VERSION = "2026-11"
# The feedback form 附表九 the customer signs after the drive (its items are the template's).
FEEDBACK_FORM_VERSION = "2026-12"

# The order of the packet's checklists, as the drive happens.
CHECKLIST_ORDER = (
    ChecklistKind.PREDRIVE,
    ChecklistKind.RIDE,
    ChecklistKind.SWAP,
    ChecklistKind.DRIVE,
    ChecklistKind.AFTER,
    ChecklistKind.FEEDBACK,
)

GRADES = ("H", "A", "B", "C")


# The page reads its data as columns into the small rows below: loading the booking with its
# card, car, model, SFX and route as ORM entities cost more than the SQL. The statements are
# built once, with parameters.


@dataclass(frozen=True, slots=True)
class PacketCard:
    """The customer as the packet shows them (no contact details)."""

    id: int
    name: str
    title: str
    version: int
    grade: str


@dataclass(frozen=True, slots=True)
class PacketCar:
    """The car's papers; `sfx_grade` is None for a car without an SFX."""

    plate: str
    vin: str
    transmission: str
    insurance_expires: date
    registration_expires: date
    model_zh: str
    model_en: str
    sfx_grade: str | None


@dataclass(frozen=True, slots=True)
class PacketRoute:
    """The route's welcome sheet (附表八)."""

    id: int
    name: str
    duration_min: int
    distance_km: int | None
    map_sha256: str | None
    swap_point: str
    demo_points: list[dict[str, str]]
    welcome_text: str


@dataclass(frozen=True, slots=True)
class PacketBooking:
    """The booking with its customer, car and route."""

    id: int
    starts_at: datetime
    ends_at: datetime
    card: PacketCard
    car: PacketCar
    route: PacketRoute


@dataclass(frozen=True, slots=True)
class Checklist:
    """The current version of a checklist kind: its id, version and items (as stored)."""

    id: int
    kind: str
    version: int
    items: list[dict[str, Any]]


def _labelled(prefix: str, columns: dict[str, Any]) -> list[Any]:
    """The columns labelled `prefix` + the name of the row field each one fills."""
    return [column.label(prefix + name) for name, column in columns.items()]


# Each row's fields by name (see webapp.sql.row_maker); the card's, car's and route's columns
# carry their prefix.
_PACKET_BOOKING = (
    sa.select(
        TestDriveBooking.id,
        TestDriveBooking.starts_at,
        TestDriveBooking.ends_at,
        *_labelled(
            "card_",
            {
                "id": CustomerCard.id,
                "name": CustomerCard.name,
                "title": CustomerCard.title,
                "version": CustomerCard.version,
                "grade": CustomerCard.grade,
            },
        ),
        *_labelled(
            "car_",
            {
                "plate": TestDriveCar.plate,
                "vin": TestDriveCar.vin,
                "transmission": TestDriveCar.transmission,
                "insurance_expires": TestDriveCar.insurance_expires,
                "registration_expires": TestDriveCar.registration_expires,
                "model_zh": VehicleModel.name_zh,
                "model_en": VehicleModel.name_en,
                "sfx_grade": Sfx.grade,
            },
        ),
        *_labelled(
            "route_",
            {
                "id": TestDriveRoute.id,
                "name": TestDriveRoute.name,
                "duration_min": TestDriveRoute.duration_min,
                "distance_km": TestDriveRoute.distance_km,
                "map_sha256": TestDriveRoute.map_sha256,
                "swap_point": TestDriveRoute.swap_point,
                "demo_points": TestDriveRoute.demo_points,
                "welcome_text": TestDriveRoute.welcome_text,
            },
        ),
    )
    .select_from(TestDriveBooking)
    .join(CustomerCard, CustomerCard.id == TestDriveBooking.card_id)
    .join(TestDriveCar, TestDriveCar.id == TestDriveBooking.car_id)
    .join(VehicleModel, VehicleModel.id == TestDriveCar.model_id)
    .outerjoin(Sfx, Sfx.id == TestDriveCar.sfx_id)
    .join(TestDriveRoute, TestDriveRoute.id == TestDriveBooking.route_id)
    .where(TestDriveBooking.id == sa.bindparam("booking_id"))
)

_CURRENT_CHECKLISTS = sa.select(
    ChecklistTemplate.id, ChecklistTemplate.kind, ChecklistTemplate.version, ChecklistTemplate.items
).where(ChecklistTemplate.current)

_ENTRIES = (
    sa.select(
        TestDriveEntry.kind,
        TestDriveEntry.template_id,
        TestDriveEntry.item_key,
        TestDriveEntry.value,
        TestDriveEntry.entry_uuid,
    )
    .where(TestDriveEntry.booking_id == sa.bindparam("booking_id"))
    .order_by(TestDriveEntry.recorded_at, TestDriveEntry.id)
)

# Consent given (and not withdrawn), the last licence check's last four, agreement signed,
# feedback form signed: one statement.
_FACTS = sa.select(
    sa.select(sa.func.count())
    .select_from(Consent)
    .where(
        Consent.booking_id == sa.bindparam("booking_id"),
        Consent.purpose == "licence_copy",
        Consent.withdrawn_at.is_(None),
    )
    .scalar_subquery(),
    sa.select(LicenceCheck.id_number_last4)
    .where(LicenceCheck.booking_id == sa.bindparam("booking_id"))
    .order_by(LicenceCheck.id.desc())
    .limit(1)
    .scalar_subquery(),
    sa.select(sa.func.count())
    .select_from(SignedDocument)
    .where(
        SignedDocument.booking_id == sa.bindparam("booking_id"),
        SignedDocument.document == "safety_agreement",
    )
    .scalar_subquery(),
    sa.select(sa.func.count())
    .select_from(SignedDocument)
    .where(
        SignedDocument.booking_id == sa.bindparam("booking_id"),
        SignedDocument.document == "feedback_form",
    )
    .scalar_subquery(),
)


@dataclass(frozen=True)
class SyncedState:
    """What the server already holds for the booking (shown as 已同步 on the packet)."""

    ticks: dict[str, Any] = field(default_factory=dict)  # "template_id:item_key" → value
    notes: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {text, entry}
    consent: bool = False
    licence_last4: str | None = None
    signed: bool = False
    feedback: dict[str, Any] | None = None
    feedback_signed: bool = False


@dataclass(frozen=True)
class Packet:
    """Everything the packet page renders for one booking."""

    booking: PacketBooking
    templates: dict[str, Checklist]
    synced: SyncedState
    today: date
    retention_days: int = 180
    notice_version: str = LICENCE_NOTICE_VERSION
    agreement_version: str = SAFETY_AGREEMENT_VERSION
    feedback_form_version: str = FEEDBACK_FORM_VERSION

    @property
    def papers_expired(self) -> list[str]:
        """Which car papers have expired by today: 'insurance', 'registration'."""
        car = self.booking.car
        return [
            name
            for name, expires in (
                ("insurance", car.insurance_expires),
                ("registration", car.registration_expires),
            )
            if expires < self.today
        ]


def current_checklists() -> dict[str, Checklist]:
    """The current version of each checklist kind (as the back office defines it)."""
    rows = db.session.connection().execute(_CURRENT_CHECKLISTS)
    return {checklist.kind: checklist for checklist in rows_as(Checklist, rows)}


def get_packet_booking(actor: User, booking_id: int) -> TestDriveBooking:
    """The booking, if the actor may work with its packet.

    Raises NotFound for a booking outside the actor's scope (another store, a colleague's
    booking for a salesperson) and PermissionDenied for a role without packet work.
    """
    booking = get_scoped(TestDriveBooking, booking_id, actor)
    require_role(actor, *PACKET_ROLES)
    return booking


def _packet_booking_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The booking `:booking_id` with its card, car and route, in the actor's scope."""
    return scope(_PACKET_BOOKING)


def _packet_booking(actor: User, booking_id: int) -> PacketBooking:
    """The booking as the packet shows it, scoped like `get_packet_booking`."""
    # Built once per kind of actor (scoped() on every request cost ~0.4 ms of cache key).
    stmt, params = scoped_statement(TestDriveBooking, actor, _packet_booking_statement)
    result = db.session.connection().execute(stmt, {**params, "booking_id": booking_id})
    keys = tuple(result.keys())
    row = result.first()
    if row is None:
        raise NotFound()
    require_role(actor, *PACKET_ROLES)
    return PacketBooking(
        id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        card=row_maker(PacketCard, keys, "card_")(row),
        car=row_maker(PacketCar, keys, "car_")(row),
        route=row_maker(PacketRoute, keys, "route_")(row),
    )


def get_packet(actor: User, booking_id: int) -> Packet:
    """The packet of one booking with the current templates and the synced state.

    Raises NotFound / PermissionDenied as `get_packet_booking`.
    """
    booking = _packet_booking(actor, booking_id)
    return Packet(
        booking=booking,
        templates=current_checklists(),
        synced=_synced_state(booking.id),
        today=local_today(),
        retention_days=int(current_app.config.get("LICENCE_RETENTION_DAYS", 180)),
    )


def route_map(actor: User, booking_id: int) -> tuple[bytes, str]:
    """The route map image of the booking's route, as (bytes, MIME type).

    Raises NotFound when the route has no map (or the store lost it), and as
    `get_packet_booking` for scope and role.
    """
    booking = get_packet_booking(actor, booking_id)
    sha256 = booking.route.map_sha256
    if not sha256:
        raise NotFound()
    try:
        return read_blob(sha256)
    except BlobMissing:
        raise NotFound() from None


def _synced_state(booking_id: int) -> SyncedState:
    params = {"booking_id": booking_id}
    ticks: dict[str, Any] = {}
    notes: dict[str, dict[str, str]] = {}
    feedback: dict[str, Any] | None = None
    for kind, template_id, item_key, value, entry_uuid in db.session.connection().execute(
        _ENTRIES, params
    ):
        if kind == "note":
            value = value if isinstance(value, dict) else {"text": value}
            notes[item_key] = {"text": str(value.get("text", "")), "entry": entry_uuid}
        elif kind == ChecklistKind.FEEDBACK:
            feedback = value if isinstance(value, dict) else {"value": value}
        else:
            ticks[f"{template_id}:{item_key}"] = value
    consent, last4, signed, feedback_signed = db.session.connection().execute(_FACTS, params).one()
    return SyncedState(
        ticks=ticks,
        notes=notes,
        consent=bool(consent),
        licence_last4=last4,
        signed=bool(signed),
        feedback=feedback,
        feedback_signed=bool(feedback_signed),
    )
