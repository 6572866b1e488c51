"""Step ⑧'s work list: a follow-up task of a card (the call to confirm the customer got home
safely, the 3-day thank-you), with its owner, due time, where it came from and its result.

`source` names what made the task (e.g. "delivery:12"): with `kind` it is unique, so a task
made twice by a rerun, a retried request or two job runs at once is one row.
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import Role, User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class TaskKind(enum.StrEnum):
    SAFE_ARRIVAL = "safe_arrival"  # 致电确认安全到达, at the estimated arrival time
    THANK_YOU = "thank_you"  # 3 日内感谢信 (附表十六) and the thank-you call


class FollowUpTask(db.Model):
    """A follow-up due on a card; done with a result."""

    __tablename__ = "followup_task"
    __table_args__ = (
        sa.UniqueConstraint("source", "kind"),
        sa.Index("ix_followup_task_owner_due", "owner_id", "done_at", "due_at"),
        sa.Index("ix_followup_task_store_due", "store_id", "due_at"),
    )
    # Read by webapp.access: the manager and admin see the store's tasks; the owner theirs.
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(sa.String(40))
    result: Mapped[str] = mapped_column(sa.String(500), default="")
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    card: Mapped[CustomerCard] = relationship()
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
