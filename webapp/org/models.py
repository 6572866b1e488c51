"""Dealer groups and stores."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class DealerGroup(db.Model):
    """A dealer group (经销商集团) owning several stores; optional for a single store."""

    __tablename__ = "dealer_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    stores: Mapped[list[Store]] = relationship(back_populates="group")


class Store(db.Model):
    """A FAW-Toyota dealership (经销店)."""

    __tablename__ = "store"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int | None] = mapped_column(sa.ForeignKey("dealer_group.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    city: Mapped[str] = mapped_column(sa.String(50), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    group: Mapped[DealerGroup | None] = relationship(back_populates="stores")
