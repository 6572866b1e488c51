"""Models of reception (step ②): the duty roster (排班表), the visitor/caller register (附表五)
and the rotation's recorded skips."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import SHANGHAI, UTCDateTime, now


class VisitKind(enum.StrEnum):
    """How the customer reached us: walked in, phoned in, or we phoned them."""

    WALK_IN = "walk_in"
    PHONE_IN = "phone_in"
    PHONE_OUT = "phone_out"


class Assignment(enum.StrEnum):
    """Why this salesperson has the visit (the rotation counts only ROTATION and OVERRIDE)."""

    ROTATION = "rotation"  # the proposal of the rotation was taken
    OVERRIDE = "override"  # the greeter chose someone else, with a reason
    REPEAT_OWNER = "repeat_owner"  # a repeat customer went to their own salesperson
    DIRECT = "direct"  # a phone call logged by the salesperson who took or made it


class VisitResult(enum.StrEnum):
    """How the visit or call ended."""

    FOLLOW_UP = "follow_up"
    TEST_DRIVE_BOOKED = "test_drive_booked"
    ORDERED = "ordered"
    NO_INTEREST = "no_interest"


class DutyRoster(db.Model):
    """排班表: one store's roster for one day, set at the morning meeting."""

    __tablename__ = "duty_roster"
    __table_args__ = (sa.UniqueConstraint("store_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    day: Mapped[date]
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    entries: Mapped[list[RosterEntry]] = relationship(
        back_populates="roster", cascade="all, delete-orphan", order_by="RosterEntry.position"
    )


class RosterEntry(db.Model):
    """One salesperson on a day's roster: their place in the order, or absent."""

    __tablename__ = "roster_entry"
    __table_args__ = (sa.UniqueConstraint("roster_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    roster_id: Mapped[int] = mapped_column(sa.ForeignKey("duty_roster.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    position: Mapped[int]
    absent: Mapped[bool] = mapped_column(default=False)

    roster: Mapped[DutyRoster] = relationship(back_populates="entries")
    user: Mapped[User] = relationship(lazy="joined")


class Visit(db.Model):
    """附表五 来店(电)顾客登记表: one row per visit or call.

    `owner_id` is the salesperson who has the visit, so the ordinary owner scoping applies
    (a salesperson sees their own rows; greeter, manager and admin see the store's).
    """

    __tablename__ = "visit"
    __table_args__ = (
        sa.Index("ix_visit_store_day", "store_id", "day", "time_in"),
        # The month's walk-ins by salesperson (附表一) and their time in the showroom (the
        # dashboards), read from the index alone.
        sa.Index(
            "ix_visit_store_day_kind", "store_id", "day", "kind", "owner_id", "time_in", "time_out"
        ),
        sa.Index("ix_visit_store_open", "store_id", "time_out", "owner_id"),
        sa.Index("ix_visit_card", "card_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    day: Mapped[date]  # the Shanghai calendar day of time_in
    kind: Mapped[str] = mapped_column(sa.String(10), default=VisitKind.WALK_IN.value)
    time_in: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    time_out: Mapped[datetime | None] = mapped_column(UTCDateTime)
    people: Mapped[int] = mapped_column(default=1)
    repeat: Mapped[bool] = mapped_column(default=False)

    card_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="SET NULL")
    )
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(sa.String(50), default="")
    title: Mapped[str] = mapped_column(sa.String(10), default="")
    mobile: Mapped[str] = mapped_column(sa.String(11), default="")
    model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    source: Mapped[str] = mapped_column(sa.String(20), default="")

    test_drive: Mapped[bool] = mapped_column(default=False)
    # 迎接: when the salesperson greeted the customer at the door, and who did.
    greeted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    greeted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")  # a code
    companions: Mapped[str] = mapped_column(sa.String(100), default="", server_default="")
    influencer: Mapped[str] = mapped_column(  # who sways the decision
        sa.String(100), default="", server_default=""
    )
    drinks_offered: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    grade: Mapped[str | None] = mapped_column(sa.String(1))
    result: Mapped[str | None] = mapped_column(sa.String(20))
    next_step: Mapped[str] = mapped_column(sa.String(200), default="")
    prep_notes: Mapped[str] = mapped_column(sa.Text, default="")  # 5W2H for outgoing calls

    assignment: Mapped[str] = mapped_column(sa.String(15), default=Assignment.ROTATION.value)
    override_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    registered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The outbox entry that registered it (offline arrivals): a replay can never double it.
    entry_uuid: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    owner: Mapped[User] = relationship(foreign_keys=[owner_id], lazy="joined")
    card: Mapped[CustomerCard | None] = relationship()
    model: Mapped[VehicleModel | None] = relationship(lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.time_out is None

    @property
    def in_hm(self) -> str:
        """Time in, as the showroom's clock shows it (HH:MM)."""
        return self.time_in.astimezone(SHANGHAI).strftime("%H:%M")

    @property
    def out_hm(self) -> str:
        return self.time_out.astimezone(SHANGHAI).strftime("%H:%M") if self.time_out else ""

    def stay_minutes(self, at: datetime | None = None) -> int:
        """Minutes from time in to time out (or to `at` while the visit is open)."""
        end = self.time_out or at or now()
        return max(0, int((end - self.time_in).total_seconds() // 60))

    def wait_minutes(self, at: datetime | None = None) -> int | None:
        """Minutes the customer waited at the door: time in to the greeting (迎接), or to
        `at` (now) while nobody has greeted them; None for a visit closed ungreeted."""
        if self.greeted_at is None and self.time_out is not None:
            return None
        end = self.greeted_at or at or now()
        return max(0, int((end - self.time_in).total_seconds() // 60))


class RotationSkip(db.Model):
    """Someone the rotation passed over for a visit, and why (busy, or the greeter's reason)."""

    __tablename__ = "rotation_skip"
    __table_args__ = (sa.Index("ix_rotation_skip_store_day", "store_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    day: Mapped[date]
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    reason: Mapped[str] = mapped_column(sa.String(15))  # busy | override
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    user: Mapped[User] = relationship(lazy="joined")


class StayMonthClose(db.Model):
    """A store's time in the showroom of a closed month, kept: {owner id: [[visits, minutes]
    per bucket of webapp.reception.stays.STAY_BUCKETS]} over the month's walk-ins.

    Written the first time the month is read after it ended, and only when none of the
    month's walk-ins is still open: a closed visit never changes and new visits are today's,
    so the kept figures stay true. A store-level aggregate with no owner of its own: readers
    pick the owners the acting user reaches."""

    __tablename__ = "stay_month_close"
    __table_args__ = (sa.UniqueConstraint("store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    month: Mapped[date]  # the first day of the month
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
