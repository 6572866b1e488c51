"""Step ⑧ 售后跟踪: the follow-up rules of a store, the tasks they make on a C card, the
store's follow-up settings (escalation, the thank-you letter 附表十六) and the monthly CR
activity plan (附表四).

A task's `source` names what made it (e.g. "delivery:12", "maintenance:7/2" for the second
3-monthly contact after the first maintenance): with `kind` it is unique, so a task made
twice by a rerun, a retried request or two job runs at once is one row.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class TaskKind(enum.StrEnum):
    """The default rules' codes; a store may add its own (any short code)."""

    SAFE_ARRIVAL = "safe_arrival"  # 致电确认安全到达, at the estimated arrival time
    THANK_YOU = "thank_you"  # 3 日内感谢信 (附表十六) and the thank-you call
    AGREED_CALL = "agreed_call"  # the call at the time agreed at the farewell
    FREE_INSPECTION = "free_inspection"  # 免费车检 reminder
    QUARTERLY = "quarterly"  # one contact every 3 months, by the salesperson
    SERVICE_QUARTERLY = "service_quarterly"  # every 3 months after the first maintenance (S/A)


class Trigger(enum.StrEnum):
    """What starts a rule's clock."""

    DELIVERY = "delivery"  # the car handed over (the delivery's local day)
    HOME_ETA = "home_eta"  # the estimated arrival home, a time (the safe-arrival call)
    AGREED_CALL = "agreed_call"  # the day agreed at the farewell for the first call
    FIRST_MAINTENANCE = "first_maintenance"  # the first maintenance recorded: service owns it


class Outcome(enum.StrEnum):
    """What came of a follow-up contact."""

    REACHED = "reached"
    NO_ANSWER = "no_answer"
    CALL_BACK = "call_back"
    DECLINED = "declined"


class FollowUpRule(db.Model):
    """One rule of a store: on `trigger`, after `offset_days` (again every `repeat_days`), a
    task of kind `code` for the card's salesperson or service advisor, with `message`."""

    __tablename__ = "followup_rule"
    __table_args__ = (sa.UniqueConstraint("store_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    code: Mapped[str] = mapped_column(sa.String(20))
    trigger: Mapped[str] = mapped_column(sa.String(20))
    offset_days: Mapped[int] = mapped_column(default=0)
    repeat_days: Mapped[int | None]
    owner_role: Mapped[str] = mapped_column(sa.String(20), default=Role.SALESPERSON.value)
    message: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class FollowUpSetting(db.Model):
    """A store's follow-up settings: after how many overdue days a task goes to the manager,
    and the thank-you letter's text (附表十六; empty: the default letter)."""

    __tablename__ = "followup_setting"

    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), primary_key=True)
    escalate_after_days: Mapped[int] = mapped_column(default=3)
    letter_body: Mapped[str] = mapped_column(sa.Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class FollowUpTask(db.Model):
    """A follow-up due on a card; done with a result, moved with a reason, or escalated."""

    __tablename__ = "followup_task"
    __table_args__ = (
        sa.UniqueConstraint("source", "kind"),
        sa.Index("ix_followup_task_owner_due", "owner_id", "done_at", "due_at"),
        sa.Index("ix_followup_task_store_due", "store_id", "due_at"),
        sa.Index("ix_followup_task_card", "card_id", "due_at"),
    )
    # Read by webapp.access: the manager and admin see the store's tasks; the owner (a
    # salesperson or, once the card is handed to service, a service advisor) theirs.
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})
    owner_roles = frozenset({Role.SALESPERSON, Role.SERVICE_ADVISOR})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(40))
    message: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    result: Mapped[str] = mapped_column(sa.String(500), default="")
    outcome: Mapped[str] = mapped_column(sa.String(20), default="", server_default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reschedules: Mapped[int] = mapped_column(default=0, server_default="0")
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalation_note: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])


class CrPlan(db.Model):
    """附表四 月度CR活动计划: a salesperson's planned owner contacts, events and referral
    requests of a month. What was done is counted from the records, never stored here."""

    __tablename__ = "cr_plan"
    __table_args__ = (sa.UniqueConstraint("owner_id", "month"),)
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    # The salesperson the plan is for (named owner_id so that webapp.access scopes it).
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    month: Mapped[date]  # the first day of the month
    contacts_planned: Mapped[int] = mapped_column(default=0)
    events_planned: Mapped[int] = mapped_column(default=0)
    referrals_planned: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
