"""The test-drive packet (试乘试驾资料包): what the tablet needs in the car for one booking.

The packet is read-only on the server: everything entered in the car goes through the
tablet's outbox and `POST /sync/push`. Here we gather the booking with its welcome sheet
(附表八), car papers, the current checklist templates, and what the server already holds for
the booking, so a reopened packet shows the synced state. ID numbers are never read here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.access import get_scoped, require_role
from webapp.auth.models import Role, User
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.sync.blobs import BlobMissing, read_blob
from webapp.testdrive.models import (
    ChecklistKind,
    ChecklistTemplate,
    Consent,
    LicenceCheck,
    SignedDocument,
    TestDriveBooking,
    TestDriveEntry,
)
from webapp.testdrive.services import current_templates
from webapp.timeutil import local_today

# Who works with a packet: the owning salesperson (scoping keeps colleagues out), and the
# manager and admin of the store. A greeter sees store records but has no business here.
PACKET_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)

# The PIPL notice shown next to the separate consent tick, and the safety agreement text.
# A changed text (including the retention period, LICENCE_RETENTION_DAYS) must get a new
# version: the consent and the signature record the version.
LICENCE_NOTICE_VERSION = "2026-11"
SAFETY_AGREEMENT_VERSION = "2026-11"

# The order of the packet's checklists, as the drive happens.
CHECKLIST_ORDER = (
    ChecklistKind.PREDRIVE,
    ChecklistKind.RIDE,
    ChecklistKind.SWAP,
    ChecklistKind.DRIVE,
    ChecklistKind.FEEDBACK,
)

GRADES = ("H", "A", "B", "C")


@dataclass(frozen=True)
class SyncedState:
    """What the server already holds for the booking (shown as 已同步 on the packet)."""

    ticks: dict[str, Any] = field(default_factory=dict)  # "template_id:item_key" → value
    notes: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {text, entry}
    consent: bool = False
    licence_last4: str | None = None
    signed: bool = False
    feedback: dict[str, Any] | None = None


@dataclass(frozen=True)
class Packet:
    """Everything the packet page renders for one booking."""

    booking: TestDriveBooking
    templates: dict[str, ChecklistTemplate]
    synced: SyncedState
    today: date
    retention_days: int = 180
    notice_version: str = LICENCE_NOTICE_VERSION
    agreement_version: str = SAFETY_AGREEMENT_VERSION

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


def current_checklists() -> dict[str, ChecklistTemplate]:
    """The current version of each checklist kind (as the back office defines it)."""
    return current_templates()


def get_packet_booking(actor: User, booking_id: int) -> TestDriveBooking:
    """The booking, if the actor may work with its packet.

    Raises NotFound for a booking outside the actor's scope (another store, a colleague's
    booking for a salesperson) and PermissionDenied for a role without packet work.
    """
    booking = get_scoped(TestDriveBooking, booking_id, actor)
    require_role(actor, *PACKET_ROLES)
    return booking


def get_packet(actor: User, booking_id: int) -> Packet:
    """The packet of one booking with the current templates and the synced state.

    Raises NotFound / PermissionDenied as `get_packet_booking`.
    """
    booking = get_packet_booking(actor, booking_id)
    return Packet(
        booking=booking,
        templates=current_checklists(),
        synced=_synced_state(booking),
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


def _synced_state(booking: TestDriveBooking) -> SyncedState:
    entries = db.session.scalars(
        sa.select(TestDriveEntry)
        .where(TestDriveEntry.booking_id == booking.id)
        .order_by(TestDriveEntry.recorded_at, TestDriveEntry.id)
    ).all()
    ticks: dict[str, Any] = {}
    notes: dict[str, dict[str, str]] = {}
    feedback: dict[str, Any] | None = None
    for entry in entries:
        if entry.kind == "note":
            value = entry.value if isinstance(entry.value, dict) else {"text": entry.value}
            notes[entry.item_key] = {
                "text": str(value.get("text", "")),
                "entry": entry.entry_uuid,
            }
        elif entry.kind == ChecklistKind.FEEDBACK:
            feedback = entry.value if isinstance(entry.value, dict) else {"value": entry.value}
        else:
            ticks[f"{entry.template_id}:{entry.item_key}"] = entry.value
    consent = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Consent)
        .where(
            Consent.booking_id == booking.id,
            Consent.purpose == "licence_copy",
            Consent.withdrawn_at.is_(None),
        )
    )
    last4 = db.session.scalar(
        sa.select(LicenceCheck.id_number_last4)
        .where(LicenceCheck.booking_id == booking.id)
        .order_by(LicenceCheck.id.desc())
        .limit(1)
    )
    signed = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SignedDocument)
        .where(
            SignedDocument.booking_id == booking.id,
            SignedDocument.document == "safety_agreement",
        )
    )
    return SyncedState(
        ticks=ticks,
        notes=notes,
        consent=bool(consent),
        licence_last4=last4,
        signed=bool(signed),
        feedback=feedback,
    )
