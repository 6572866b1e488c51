"""Demo data of the vehicle stock: a dozen new cars of the demo store across the line-up, in
stock, in transit, in PDS and one delivered, with VINs whose check digit is right.

Idempotent: a store that has cars in stock gets nothing more.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.org.models import Store
from webapp.stock.models import Vehicle, VehicleStatus
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import local_today

# (model code, SFX index, colour index, status, location, days since arrival or None)
DEMO_STOCK: list[tuple[str, int, int, VehicleStatus, str, int | None]] = [
    ("COROLLA", 0, 0, VehicleStatus.IN_STOCK, "1号库 A-01", 21),
    ("COROLLA", 1, 1, VehicleStatus.IN_STOCK, "1号库 A-02", 14),
    ("COROLLA", 2, 0, VehicleStatus.PDS, "PDS工位 1", 9),
    ("COROLLA", 1, 2, VehicleStatus.IN_TRANSIT, "", None),
    ("CCROSS", 0, 0, VehicleStatus.IN_STOCK, "1号库 B-03", 30),
    ("CCROSS", 1, 1, VehicleStatus.IN_TRANSIT, "", None),
    ("CROWN", 0, 0, VehicleStatus.IN_STOCK, "2号库 A-12", 45),
    ("CROWN", 0, 1, VehicleStatus.IN_TRANSIT, "", None),
    ("RAV4", 0, 0, VehicleStatus.IN_STOCK, "2号库 B-05", 7),
    ("RAV4", 1, 1, VehicleStatus.IN_STOCK, "2号库 B-06", 3),
    ("AVALON", 0, 0, VehicleStatus.IN_TRANSIT, "", None),
    ("RAV4", 0, 2, VehicleStatus.DELIVERED, "", 60),
]


def demo_vin(serial: int) -> str:
    """A VIN of the demo stock, with its ISO 3779 check digit computed."""
    base = f"LFMA4RAE0R7{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(sa.select(Vehicle.id).where(Vehicle.store_id == store.id).limit(1)):
        return "Stock demo already present; nothing changed."
    today = local_today()
    by_code = {m.code: m for m in db.session.scalars(sa.select(VehicleModel))}
    added = 0
    for serial, (code, sfx_at, colour_at, status, location, days) in enumerate(DEMO_STOCK, start=1):
        model = by_code.get(code)
        if model is None or not model.sfx or not model.colours:
            continue
        db.session.add(
            Vehicle(
                store_id=store.id,
                vin=demo_vin(serial),
                model_id=model.id,
                sfx_id=model.sfx[min(sfx_at, len(model.sfx) - 1)].id,
                colour_id=model.colours[min(colour_at, len(model.colours) - 1)].id,
                status=status.value,
                location=location,
                arrived_on=today - timedelta(days=days) if days is not None else None,
            )
        )
        added += 1
    db.session.flush()
    return f"{added} cars in stock."
