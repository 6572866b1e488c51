"""The customer A-C card (附表六 A-C卡), its timeline, and the store's grade rules."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class Grade(enum.StrEnum):
    """Hot grade: how soon the customer is expected to buy."""

    H = "H"
    A = "A"
    B = "B"
    C = "C"


class Stage(enum.StrEnum):
    """Where the card stands: A card (prospect) → ordered → C card (owner), or lost."""

    PROSPECT = "prospect"
    ORDERED = "ordered"
    OWNER = "owner"
    LOST = "lost"


# Defaults from the domain spec: (purchase expected within days, follow-up every days).
DEFAULT_GRADE_RULES: dict[Grade, tuple[int, int]] = {
    Grade.H: (7, 2),
    Grade.A: (15, 3),
    Grade.B: (30, 7),
    Grade.C: (90, 14),
}


class GradeRule(db.Model):
    """A store's configuration of one hot grade (defaults in DEFAULT_GRADE_RULES)."""

    __tablename__ = "grade_rule"
    __table_args__ = (sa.UniqueConstraint("store_id", "grade"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    grade: Mapped[str] = mapped_column(sa.String(1))
    purchase_within_days: Mapped[int]
    follow_up_days: Mapped[int]


class CustomerCard(db.Model):
    """附表六 A-C卡: one customer from first contact (A card) to owner (C card)."""

    __tablename__ = "customer_card"
    __table_args__ = (
        # Unique per store; the index also serves mobile-prefix search on SQLite.
        sa.UniqueConstraint("store_id", "mobile"),
        # PostgreSQL only uses a btree for LIKE 'prefix%' with the pattern operator class.
        sa.Index(
            "ix_customer_card_mobile_prefix",
            "store_id",
            "mobile",
            postgresql_ops={"mobile": "text_pattern_ops"},
        ),
        sa.Index(
            "ix_customer_card_name_prefix",
            "store_id",
            "name",
            postgresql_ops={"name": "text_pattern_ops"},
        ),
        # Open cards by salesperson: "my day" (due follow-ups, counts) and "store today" read
        # only this index (grade, due date and id included, so no table lookups; SQLite's
        # indexes hold the id anyway, PostgreSQL's need it as a column).
        sa.Index(
            "ix_customer_card_stage_owner",
            "store_id",
            "stage",
            "owner_id",
            "next_follow_up_due",
            "grade",
            "id",
        ),
        # The day's and the month's new cards by owner (store today, 附表一): the owner in the
        # index, so the count reads no card.
        sa.Index("ix_customer_card_store_created", "store_id", "created_at", "owner_id"),
        # The card box: a month's cards by planned purchase (or purchase) date, kept by stage
        # and sorted by grade from the index alone; the owner and the audit's months last, so
        # the card box audit counts its progress and pages a month's section by salesperson
        # without reading a card.
        sa.Index(
            "ix_customer_card_box",
            "store_id",
            "planned_purchase_date",
            "stage",
            "grade",
            "id",
            "owner_id",
            "audit_owner_month",
            "audit_manager_month",
        ),
        sa.Index(
            "ix_customer_card_owners_box",
            "store_id",
            "purchased_on",
            "stage",
            "grade",
            "id",
            "owner_id",
            "audit_owner_month",
            "audit_manager_month",
        ),
    )

    # Read by webapp.access: a service advisor sees the cards handed to service.
    handed_roles = frozenset({Role.SERVICE_ADVISOR})
    handed_column = "handed_to_service_at"

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    # No index of its own: (store_id, stage, owner_id, …) serves the owner's lists, and a
    # bare owner_id index lured SQLite into scanning the whole table for "store today".
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))

    name: Mapped[str] = mapped_column(sa.String(50))
    title: Mapped[str] = mapped_column(sa.String(10))  # 称谓: mr / ms
    mobile: Mapped[str] = mapped_column(sa.String(11))
    other_contact: Mapped[str] = mapped_column(sa.String(100), default="")
    preferred_contact_time: Mapped[str] = mapped_column(sa.String(50), default="")
    family: Mapped[str] = mapped_column(sa.String(200), default="")
    hobbies: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str] = mapped_column(sa.String(20))

    model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    planned_purchase_date: Mapped[date | None]
    usage: Mapped[str] = mapped_column(sa.String(200), default="")
    budget: Mapped[Decimal | None] = mapped_column(sa.Numeric(12, 2))
    payment: Mapped[str] = mapped_column(sa.String(10), default="undecided")
    current_car: Mapped[str] = mapped_column(sa.String(100), default="")
    trade_in: Mapped[bool] = mapped_column(default=False)
    competitors: Mapped[str] = mapped_column(sa.String(200), default="")
    decision_makers: Mapped[str] = mapped_column(sa.String(200), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    occupation: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    # From the test drive (附表九), written through customers.card: a code and a list of codes.
    driving_style: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    focus_points: Mapped[list[str]] = mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )

    grade: Mapped[str] = mapped_column(sa.String(1), default=Grade.C.value)
    stage: Mapped[str] = mapped_column(sa.String(10), default=Stage.PROSPECT.value)
    next_follow_up_due: Mapped[date | None]
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    purchased_on: Mapped[date | None]
    # Step ⑧: the first maintenance hands the C card to the service department, whose advisor
    # then owns the 3-monthly contact (the salesperson keeps read access).
    first_maintenance_on: Mapped[date | None]
    service_advisor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    handed_to_service_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owner whose referral brought this customer (a new A card).
    referred_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="SET NULL")
    )

    # The card box audit (webapp.pdca.audit, 卡片箱检查): the month of the audit that last
    # ticked the card, for each check, written by the tick alone. The audit counts a month's
    # checked cards from the card box indexes with them, instead of matching the month's
    # ticks to its cards.
    audit_owner_month: Mapped[date | None]
    audit_manager_month: Mapped[date | None]

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    # Optimistic concurrency: edits carry the version they started from.
    version: Mapped[int] = mapped_column(default=1)

    owner: Mapped[User] = relationship(lazy="joined", foreign_keys=[owner_id])
    model: Mapped[VehicleModel | None] = relationship(lazy="joined")
    events: Mapped[list[CardEvent]] = relationship(
        back_populates="card", cascade="all, delete-orphan", order_by="CardEvent.occurred_at.desc()"
    )

    __mapper_args__ = {"version_id_col": version}


class CardEvent(db.Model):
    """One entry of a card's timeline: a contact, a change, or a later step's event."""

    __tablename__ = "card_event"
    __table_args__ = (
        sa.Index("ix_card_event_card_time", "card_id", "occurred_at"),
        # "My day" (today's customers) and "store today" (contacts today) read by time.
        sa.Index("ix_card_event_actor_time", "actor_id", "occurred_at"),
        sa.Index("ix_card_event_store_time", "store_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    card: Mapped[CustomerCard] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
