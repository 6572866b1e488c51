"""Tables of step ⑥: the lost-sale record (附表十三 未成交顾客记录表)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class LostReason(enum.StrEnum):
    """Why the customer bought elsewhere or not at all (stored codes, labels in `labels`)."""

    PRICE = "price"
    PRODUCT = "product"
    SERVICE = "service"
    FINANCING = "financing"
    TIMING = "timing"
    OTHER = "other"


class StageReached(enum.StrEnum):
    """How far the sale had come before it was lost."""

    NEEDS_ANALYSIS = "needs_analysis"
    TEST_DRIVE = "test_drive"
    QUOTATION = "quotation"
    NEGOTIATION = "negotiation"
    CONTRACT = "contract"


class LostSale(db.Model):
    """One lost sale of a card: a card reopened and lost again gets a record of its own."""

    __tablename__ = "lost_sale"
    # The month's lost sales by salesperson (附表一, the dashboards) from the index alone.
    __table_args__ = (
        sa.Index("ix_lost_sale_store_time", "store_id", "recorded_at", "salesperson_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer_card.id", ondelete="CASCADE"), index=True
    )
    model_id: Mapped[int | None] = mapped_column(sa.ForeignKey("vehicle_model.id"))
    competitor_brand: Mapped[str] = mapped_column(sa.String(30))
    competitor_model: Mapped[str] = mapped_column(sa.String(50), default="")
    reasons: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    reason_note: Mapped[str] = mapped_column(sa.String(200), default="")
    stage_reached: Mapped[str] = mapped_column(sa.String(20))
    salesperson_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    recorded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    manager_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    commented_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    commented_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    card: Mapped[CustomerCard] = relationship()
    model: Mapped[VehicleModel | None] = relationship()
    salesperson: Mapped[User] = relationship(foreign_keys=[salesperson_id])
    commented_by: Mapped[User | None] = relationship(foreign_keys=[commented_by_id])
