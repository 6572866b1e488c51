"""The vehicle catalogue: models, SFX specification series and colours (national line-up)."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db


class VehicleModel(db.Model):
    """A model of the FAW-Toyota line-up, e.g. 卡罗拉 Corolla, with its selling point (FAB)."""

    __tablename__ = "vehicle_model"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name_zh: Mapped[str] = mapped_column(sa.String(50))
    name_en: Mapped[str] = mapped_column(sa.String(50))
    body_type: Mapped[str] = mapped_column(sa.String(20), default="sedan")
    fab: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    sort_order: Mapped[int] = mapped_column(default=0)

    sfx: Mapped[list[Sfx]] = relationship(
        back_populates="model", order_by="Sfx.msrp", cascade="all, delete-orphan"
    )
    colours: Mapped[list[Colour]] = relationship(
        back_populates="model", order_by="Colour.id", cascade="all, delete-orphan"
    )


class Sfx(db.Model):
    """One specification series (SFX) of a model: grade, engine, drivetrain and price."""

    __tablename__ = "sfx"
    __table_args__ = (sa.UniqueConstraint("model_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    grade: Mapped[str] = mapped_column(sa.String(50))
    engine: Mapped[str] = mapped_column(sa.String(50))
    drivetrain: Mapped[str] = mapped_column(sa.String(10), default="FF")
    new_energy: Mapped[bool] = mapped_column(default=False)
    msrp: Mapped[Decimal] = mapped_column(sa.Numeric(12, 2))
    fab: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)

    model: Mapped[VehicleModel] = relationship(back_populates="sfx")


class Colour(db.Model):
    """A body colour offered for a model."""

    __tablename__ = "colour"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(30))
    name_en: Mapped[str] = mapped_column(sa.String(30))
    hex: Mapped[str] = mapped_column(sa.String(7), default="#ffffff")

    model: Mapped[VehicleModel] = relationship(back_populates="colours")
