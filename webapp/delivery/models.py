"""Step ⑦ 车辆交付 as data: the delivery appointment of a contract, its three checklists kept
as versioned item lists (the salesperson's preparation list, 附表十四 交车过程及文件确认表 and
附表十五 新车交接确认表), the insert-only facts ticked against them (on the tablet, offline
too), and the customer's signatures on the two forms.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract
from webapp.timeutil import UTCDateTime, now


class DeliveryState(enum.StrEnum):
    """Where the delivery stands on the day."""

    PLANNED = "planned"  # date and time agreed, preparation under way
    ARRIVED = "arrived"  # the customer is at the store: the VIP notice went out
    COMPLETED = "completed"  # handed over, "delivery complete" recorded, the card is a C card
    CANCELLED = "cancelled"  # the contract was cancelled


class ChecklistKind(enum.StrEnum):
    """The three lists of the day; each is a versioned item list an admin edits."""

    PREPARATION = "preparation"  # 交车前的准备: PDS, re-confirmations, the call, the car
    PROCESS = "process"  # 附表十四 交车过程及文件确认表 (the customer signs)
    HANDOVER = "handover"  # 附表十五 新车交接确认表 (the customer signs)


# The two forms the customer signs on the tablet.
SIGNED_FORMS = (ChecklistKind.PROCESS, ChecklistKind.HANDOVER)


class DeliveryChecklist(db.Model):
    """One version of a delivery checklist (see webapp.itemlists): `items` is a list of
    {"key", "label_zh", "label_en", "type": "tick", "required": bool, "part": code}, `part`
    grouping the items on the page (e.g. the service advisor's introduction)."""

    __tablename__ = "delivery_checklist"
    __table_args__ = (sa.UniqueConstraint("kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    version: Mapped[int]
    items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    current: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Delivery(db.Model):
    """The handover of one contract's car: when, who comes, who is involved, and the day's
    moments (arrival, completion) with the photo and the safe-arrival estimate."""

    __tablename__ = "delivery"
    __table_args__ = (
        sa.UniqueConstraint("contract_id"),
        sa.Index("ix_delivery_store_scheduled", "store_id", "scheduled_at"),
        # The month's deliveries (webapp.pdca.actuals): completed in the month, by owner.
        sa.Index("ix_delivery_store_completed", "store_id", "completed_at", "owner_id", "state"),
    )
    # Read by webapp.access: who sees every delivery of the store (the greeter only through
    # the board, which reads no price); the salesperson sees their own.
    store_wide_roles = frozenset(
        {Role.SALES_MANAGER, Role.ADMIN, Role.SERVICE_ADVISOR, Role.GREETER}
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    contract_id: Mapped[int] = mapped_column(sa.ForeignKey("contract.id", ondelete="CASCADE"))
    card_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    service_advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Who comes with the customer, as confirmed on the call (e.g. "夫妻二人").
    companions: Mapped[str] = mapped_column(sa.String(100), default="")
    state: Mapped[str] = mapped_column(sa.String(12), default=DeliveryState.PLANNED.value)
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    arrived_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The ceremony photo: a blob of the store (webapp.blobs), not sensitive.
    photo_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    # When the customer should be home: the safe-arrival call is due then.
    home_eta: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The day agreed at the farewell for the first call about the car (empty: the store's
    # rule decides, a week after the delivery by default).
    agreed_call_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    contract: Mapped[Contract] = relationship()
    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    service_advisor: Mapped[User | None] = relationship(foreign_keys=[service_advisor_id])

    __mapper_args__ = {"version_id_col": version}


class DeliveryEntry(db.Model):
    """An insert-only fact against a delivery checklist: an item ticked or unticked.

    Written online (the preparation list) or through the outbox (`delivery.tick`); the
    latest entry of an item is its state. `entry_uuid` is the outbox entry's id, so a
    replay is recognised; `device_time` is the tablet's clock, shown, never trusted.
    """

    __tablename__ = "delivery_entry"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        # The board and the pages read an item's latest tick per delivery from the index
        # alone (PostgreSQL keeps the key and the tick in it).
        sa.Index(
            "ix_delivery_entry_delivery",
            "delivery_id",
            "kind",
            "recorded_at",
            "id",
            postgresql_include=["item_key", "done"],
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(sa.String(12))  # ChecklistKind
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery_checklist.id"))
    item_key: Mapped[str] = mapped_column(sa.String(40))
    done: Mapped[bool]
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class DeliveryPrep(db.Model):
    """How far one delivery's preparation list is: the items of the list version
    `checklist_id` whose latest tick is done, of `item_count`. Kept beside the insert-only
    ticks (rewritten with every tick, the row locked, and for every open delivery when the
    list gets a new version) so that the board does not replay a busy week's thousand ticks
    on every load; the delivery page reads the ticks themselves."""

    __tablename__ = "delivery_prep"

    delivery_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delivery.id", ondelete="CASCADE"), primary_key=True
    )
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery_checklist.id"))
    done: Mapped[int] = mapped_column(default=0)
    item_count: Mapped[int] = mapped_column(default=0)


class DeliverySignature(db.Model):
    """The customer's signature on 附表十四 or 附表十五, signed on the tablet (online or
    through the outbox as `delivery.signature`). The image is an encrypted sensitive blob
    (webapp.blobs), kept until `purge_after`."""

    __tablename__ = "delivery_signature"
    __table_args__ = (
        sa.UniqueConstraint("entry_uuid"),
        sa.Index("ix_delivery_signature_delivery", "delivery_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery.id", ondelete="CASCADE"))
    form: Mapped[str] = mapped_column(sa.String(12))  # ChecklistKind.PROCESS | HANDOVER
    checklist_id: Mapped[int] = mapped_column(sa.ForeignKey("delivery_checklist.id"))
    signature_sha256: Mapped[str] = mapped_column(sa.ForeignKey("blob.sha256"))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    device_time: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    purge_after: Mapped[date]
    entry_uuid: Mapped[str] = mapped_column(sa.String(36))
