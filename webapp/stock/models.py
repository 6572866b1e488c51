"""The store's new cars for sale (库存车), from the factory's dispatch to delivery.

A car is in transit, in stock, in pre-delivery service (PDS), reserved for one contract, or
delivered. The contract a car is reserved for is kept as a plain id (`contract_id`): the
contract's own `vehicle_id` is the foreign key, and one of the two suffices for the database
(a key each way would make the two tables depend on each other).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.auth.models import User
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class VehicleStatus(enum.StrEnum):
    """Where a car of the stock stands."""

    IN_TRANSIT = "in_transit"
    IN_STOCK = "in_stock"
    PDS = "pds"
    RESERVED = "reserved"
    DELIVERED = "delivered"


# The statuses from which a car may be reserved for a contract.
RESERVABLE = (VehicleStatus.IN_TRANSIT, VehicleStatus.IN_STOCK, VehicleStatus.PDS)


class Vehicle(db.Model):
    """One new car of a store's stock, identified by its VIN."""

    __tablename__ = "stock_vehicle"
    __table_args__ = (
        sa.UniqueConstraint("vin"),
        sa.Index("ix_stock_vehicle_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), index=True)
    vin: Mapped[str] = mapped_column(sa.String(17))
    model_id: Mapped[int] = mapped_column(sa.ForeignKey("vehicle_model.id"), index=True)
    sfx_id: Mapped[int] = mapped_column(sa.ForeignKey("sfx.id"))
    colour_id: Mapped[int] = mapped_column(sa.ForeignKey("colour.id"))
    status: Mapped[str] = mapped_column(sa.String(20), default=VehicleStatus.IN_STOCK.value)
    location: Mapped[str] = mapped_column(sa.String(50), default="")
    arrived_on: Mapped[date | None]
    # The contract the car is reserved for; a foreign key follows with the contract table.
    contract_id: Mapped[int | None] = mapped_column(index=True)
    reserved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    reserved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    version: Mapped[int] = mapped_column(default=1)

    model: Mapped[VehicleModel] = relationship()
    sfx: Mapped[Sfx] = relationship()
    colour: Mapped[Colour] = relationship()
    reserved_by: Mapped[User | None] = relationship()

    __mapper_args__ = {"version_id_col": version}
