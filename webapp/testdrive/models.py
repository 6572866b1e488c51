"""Step ⑤ 试乘试驾: test-drive cars, routes (附表八), bookings, checklist templates and the
facts recorded in the car (试乘试驾记录表: licence check, consent, safety agreement; 附表九
feedback).

The facts recorded on the packet are insert-only: ticks, notes, feedback, signatures and
licence checks never conflict, so a replayed or reordered sync cannot lose or double them.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.catalog.models import Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class LicenceClass(enum.StrEnum):
    """Chinese driving-licence classes that may drive a passenger car."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"
    C1 = "C1"
    C2 = "C2"


class Transmission(enum.StrEnum):
    """Manual cars need C1 or higher; a C2 licence covers automatics only."""

    AUTOMATIC = "AT"
    MANUAL = "MT"


class BookingStatus(enum.StrEnum):
    """Life of a booking: booked → done, or cancelled."""

    BOOKED = "booked"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class ChecklistKind(enum.StrEnum):
    """The parts of the packet that are checklists or forms kept as data."""

    PREDRIVE = "predrive"  # before: process, route, controls briefed
    RIDE = "ride"  # salesperson drives and demonstrates
    SWAP = "swap"  # at the safe point: seat, mirrors, belt, reminder
    DRIVE = "drive"  # customer drives: style and focus points
    AFTER = "after"  # after: time enough, another drive, praise, back to the table, intention
    FEEDBACK = "feedback"  # 附表九 试乘试驾意见表


route_model = sa.Table(
    "route_model",
    db.metadata,
    sa.Column(
        "route_id", sa.ForeignKey("test_drive_route.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("model_id", sa.ForeignKey("vehicle_model.id"), primary_key=True),
)


class TestDriveCar(db.Model):
    """A dedicated test-drive car (试驾车) of a store, looked after by its keeper."""

    __test__ = False  # not a pytest class, despite the name

    __tablename__ = "test_drive_car"
    __table_args__ = (sa.UniqueConstraint("store_id", "plate"), sa.UniqueConstraint("vin"))

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    plate: Mapped[str] = mapped_column(sa.String(10))
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    sfx_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sfx.id"))
    vin: Mapped[str] = mapped_column(sa.String(17))
    transmission: Mapped[str] = mapped_column(sa.String(2), default=Transmission.AUTOMATIC.value)
    fuel_eighths: Mapped[int] = mapped_column(default=8)  # 0 (empty) … 8 (full)
    mileage_km: Mapped[int] = mapped_column(default=0)
    insurance_expires: Mapped[date]
    registration_expires: Mapped[date]
    cleaning_due_on: Mapped[date | None]
    keeper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    model: Mapped[VehicleModel] = relationship(lazy="joined")
    sfx: Mapped[Sfx | None] = relationship()
    keeper: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class TestDriveRoute(db.Model):
    """附表八 欢迎参加试乘试驾活动: a planned route with its map, swap point and demo points."""

    __test__ = False  # not a pytest class, despite the name

    __tablename__ = "test_drive_route"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    duration_min: Mapped[int] = mapped_column(default=20)
    distance_km: Mapped[int | None]
    # Content address of the route map image in the blob store (not personal data).
    map_sha256: Mapped[str | None] = mapped_column(sa.ForeignKey("blob.sha256"))
    swap_point: Mapped[str] = mapped_column(sa.String(200), default="")
    # Demonstration points along the route, in order: [{"at": "…", "show": "…"}, …]
    demo_points: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON, default=list)
    welcome_text: Mapped[str] = mapped_column(sa.Text, default="")
    active: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    models: Mapped[list[VehicleModel]] = relationship(secondary=route_model)


class StaffLicence(db.Model):
    """The driving licence a member of staff has on file (who may drive a test drive)."""

    __tablename__ = "staff_licence"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    licence_class: Mapped[str] = mapped_column(sa.String(2))
    expires_on: Mapped[date]
    checked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class TestDriveBooking(db.Model):
    """A test drive: customer, salesperson (owner), driver, car, route and time slot."""

    __test__ = False  # not a pytest class, despite the name

    __tablename__ = "test_drive_booking"
    __table_args__ = (
        sa.Index("ix_test_drive_booking_car_time", "car_id", "starts_at"),
        # 附表一 and the dashboards count a month's done test drives by salesperson from it alone.
        sa.Index("ix_test_drive_booking_store_time", "store_id", "starts_at", "status", "owner_id"),
        sa.Index("ix_test_drive_booking_owner_time", "owner_id", "starts_at"),
        sa.Index("ix_test_drive_booking_card", "card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # the salesperson
    driver_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # who drives first
    car_id: Mapped[int] = mapped_column(sa.ForeignKey("test_drive_car.id"))
    route_id: Mapped[int] = mapped_column(sa.ForeignKey("test_drive_route.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(12), default=BookingStatus.BOOKED.value)
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    card: Mapped[CustomerCard] = relationship(lazy="joined")
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    driver: Mapped[User] = relationship(foreign_keys=[driver_id])
    car: Mapped[TestDriveCar] = relationship(lazy="joined")
    route: Mapped[TestDriveRoute] = relationship(lazy="joined")

    __mapper_args__ = {"version_id_col": version}


class ChecklistTemplate(db.Model):
    """One version of a packet checklist or of the feedback form 附表九, kept as data.

    `items` is a list of {"key", "label_zh", "label_en", "type": tick|score|text|choice|multi,
    "options": [codes], "required": bool} (an option is a code; its label is in
    webapp.testdrive.labels; a `multi` answer is a list of codes). Editing makes a new
    version; entries record the version they were filled against, so old entries keep their
    meaning.
    """

    __tablename__ = "checklist_template"
    __table_args__ = (sa.UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    version: Mapped[int]
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    current: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class TestDriveEntry(db.Model):
    """An insert-only fact from the packet: a tick, a note or the feedback form 附表九.

    `entry_uuid` is the client's id of the outbox entry that wrote it; `device_time` is
    what the tablet's clock said (shown, never trusted for ordering).
    """

    __test__ = False  # not a pytest class, despite the name

    __tablename__ = "test_drive_entry"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        sa.Index("ix_test_drive_entry_booking", "booking_id", "recorded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_drive_booking.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(sa.String(12))  # ChecklistKind or "note"
    template_id: Mapped[int | None] = mapped_column(sa.ForeignKey("checklist_template.id"))
    item_key: Mapped[str] = mapped_column(sa.String(40), default="")
    value: Mapped[Any] = mapped_column(sa.JSON)
    # A later entry that revises an earlier one (a corrected note) names it here.
    revises_uuid: Mapped[str | None] = mapped_column(sa.String(36))
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    template: Mapped[ChecklistTemplate | None] = relationship()


class Consent(db.Model):
    """A customer's separate PIPL consent (e.g. to keep a licence copy), with its notice version."""

    __tablename__ = "consent"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        sa.Index("ix_consent_card", "card_id"),
        # The packet asks whether its booking has the licence-copy consent on every load.
        sa.Index("ix_consent_booking", "booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("test_drive_booking.id", ondelete="SET NULL")
    )
    purpose: Mapped[str] = mapped_column(sa.String(20))  # "licence_copy"
    notice_version: Mapped[str] = mapped_column(sa.String(20))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    consented_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))


class LicenceCheck(db.Model):
    """试乘试驾记录表, licence part: the customer's licence checked and its copy kept.

    The ID number is sensitive personal information: it is stored encrypted, with only its
    last four characters in clear for display. The photo is linked by content address once
    the blob is whole; until then the check waits.
    """

    __tablename__ = "licence_check"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        sa.Index("ix_licence_check_booking", "booking_id"),
        sa.Index("ix_licence_check_purge", "purge_after"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    booking_id: Mapped[int] = mapped_column(
        sa.ForeignKey("test_drive_booking.id", ondelete="CASCADE")
    )
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # the booking's salesperson
    consent_id: Mapped[int] = mapped_column(sa.ForeignKey("consent.id"))
    id_number_enc: Mapped[bytes] = mapped_column(sa.LargeBinary)
    id_number_last4: Mapped[str] = mapped_column(sa.String(4))
    licence_class: Mapped[str] = mapped_column(sa.String(2))
    expires_on: Mapped[date]
    photo_sha256: Mapped[str | None] = mapped_column(sa.ForeignKey("blob.sha256"))
    checked_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purge_after: Mapped[date]
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))


class SignedDocument(db.Model):
    """A document the customer signed on the tablet: the test-drive safety agreement or the
    feedback form 附表九."""

    __tablename__ = "signed_document"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        sa.Index("ix_signed_document_booking", "booking_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("test_drive_booking.id", ondelete="CASCADE")
    )
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    document: Mapped[str] = mapped_column(sa.String(30))  # safety_agreement | feedback_form
    document_version: Mapped[str] = mapped_column(sa.String(20))
    signature_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blob.sha256"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    purge_after: Mapped[date]
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))
