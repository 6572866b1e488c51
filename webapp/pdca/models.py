"""附表一 计划·实绩表: a salesperson's targets of a month and the store's plan of it. The
actuals are counted from the records (webapp.pdca.actuals), never stored here."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.auth.models import Role
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now

# The five measures of the sheet, in its order.
MEASURES = ("visits", "a_cards", "test_drives", "orders", "deliveries")


class SalesTarget(db.Model):
    """A salesperson's targets of a month, set by day N-3 of the month before."""

    __tablename__ = "sales_target"
    __table_args__ = (
        sa.UniqueConstraint("owner_id", "month"),
        sa.Index("ix_sales_target_store_month", "store_id", "month"),
    )
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    # The salesperson the targets are for (named owner_id so that webapp.access scopes it).
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    month: Mapped[date]  # the first day of the month
    visits: Mapped[int] = mapped_column(default=0)
    a_cards: Mapped[int] = mapped_column(default=0)
    test_drives: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    deliveries: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class StorePlan(db.Model):
    """The store's plan of a month, set by the sales manager, with the manager's comment on
    the month (read by the salespeople)."""

    __tablename__ = "store_plan"
    __table_args__ = (sa.UniqueConstraint("store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    month: Mapped[date]
    visits: Mapped[int] = mapped_column(default=0)
    a_cards: Mapped[int] = mapped_column(default=0)
    test_drives: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    deliveries: Mapped[int] = mapped_column(default=0)
    comment: Mapped[str] = mapped_column(sa.String(1000), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
