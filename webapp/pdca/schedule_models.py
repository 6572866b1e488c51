"""The daily rhythm of step ①: 附表二 活动预订表 (each salesperson's activity schedule of a day,
built at the evening meeting 夕会 the day before), the manager's comment on it and the cases
marked for discussion, the manager's plan of a day read at the morning meeting 早会, and the
store's evening meeting hour.

Every row carries its store; the schedule, its lines and the marked cards carry the
salesperson as `owner_id`, so webapp.access scopes them (a salesperson reaches their own; the
sales manager and the admin the store's).
"""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now

# Who sees every salesperson's schedule of the store (the greeter does not).
SCHEDULE_WIDE_ROLES = frozenset({Role.SALES_MANAGER, Role.ADMIN})
DEFAULT_EVENING_AT = time(17, 30)


class MeetingSetting(db.Model):
    """A store's meeting settings: the hour of the evening meeting, from which the salespeople
    without tomorrow's schedule are reminded."""

    __tablename__ = "meeting_setting"

    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), primary_key=True)
    evening_at: Mapped[time] = mapped_column(default=DEFAULT_EVENING_AT)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class MeetingDay(db.Model):
    """The manager's plan of one day for the store, read out at the morning meeting."""

    __tablename__ = "meeting_day"
    __table_args__ = (sa.UniqueConstraint("store_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    day: Mapped[date]
    plan: Mapped[str] = mapped_column(sa.String(1000), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class ActivitySchedule(db.Model):
    """附表二: one salesperson's schedule of one day, with the sales manager's comment."""

    __tablename__ = "activity_schedule"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "day"),
        sa.Index("ix_activity_schedule_store_day", "store_id", "day"),
    )
    store_wide_roles = SCHEDULE_WIDE_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # the salesperson
    day: Mapped[date]
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    commented_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    lines: Mapped[list[ScheduleLine]] = relationship(
        back_populates="schedule",
        order_by="(ScheduleLine.at, ScheduleLine.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class ScheduleLine(db.Model):
    """One activity of a schedule: time, customer, purpose and note; afterwards its result.

    `source` names the record a suggested line was taken from ("followup:12", "testdrive:3",
    "delivery:5", "card:8"), so the suggestion is not offered twice; None for a line of the
    salesperson's own."""

    __tablename__ = "schedule_line"
    __table_args__ = (
        sa.UniqueConstraint("schedule_id", "source"),
        sa.Index("ix_schedule_line_schedule_at", "schedule_id", "at"),
    )
    store_wide_roles = SCHEDULE_WIDE_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    schedule_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activity_schedule.id", ondelete="CASCADE")
    )
    at: Mapped[time]
    card_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="SET NULL")
    )
    purpose: Mapped[str] = mapped_column(sa.String(20))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    source: Mapped[str | None] = mapped_column(sa.String(40))
    # "" (not recorded yet), "done" or "not_done"
    result: Mapped[str] = mapped_column(sa.String(10), default="")
    result_note: Mapped[str] = mapped_column(sa.String(200), default="")
    # Marked by the manager for discussion at the meeting.
    discuss: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    schedule: Mapped[ActivitySchedule] = relationship(back_populates="lines")
    card: Mapped[CustomerCard | None] = relationship()


class MeetingCase(db.Model):
    """A card the manager marked for discussion at the meeting of `day` (its follow-up
    failed), with the salesperson who owns it."""

    __tablename__ = "meeting_case"
    __table_args__ = (
        sa.UniqueConstraint("day", "card_id"),
        sa.Index("ix_meeting_case_store_day", "store_id", "day"),
    )
    store_wide_roles = SCHEDULE_WIDE_ROLES

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    day: Mapped[date]
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
