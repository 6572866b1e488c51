"""Fixtures of the vehicle stock: a catalogue of two models with SFX and colours, and cars."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.org.models import Store
from webapp.stock.models import Vehicle
from webapp.testdrive.validators import vin_check_digit


def vin(serial: int) -> str:
    """A VIN with a correct check digit."""
    base = f"LFMA4RAE0R8{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def wrong_vin(serial: int) -> str:
    """A VIN whose check digit is wrong."""
    good = vin(serial)
    bad = "0" if good[8] != "0" else "1"
    return good[:8] + bad + good[9:]


@dataclass
class Catalogue:
    corolla: VehicleModel
    crown: VehicleModel
    corolla_sfx: Sfx
    crown_sfx: Sfx
    white: Colour  # of the Corolla
    red: Colour  # of the Crown


@pytest.fixture
def catalogue(world) -> Catalogue:
    corolla = VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla")
    crown = VehicleModel(code="CROWN", name_zh="皇冠", name_en="Crown", sort_order=1)
    corolla.sfx.append(Sfx(code="ZRE211-P", grade="先锋版", engine="1.5L", msrp=Decimal("109800")))
    crown.sfx.append(Sfx(code="AZSH35-L", grade="领先版", engine="2.5L", msrp=Decimal("299800")))
    corolla.colours.append(Colour(name_zh="铂金珍珠白", name_en="Platinum White"))
    crown.colours.append(Colour(name_zh="深红云母", name_en="Emotional Red"))
    db.session.add_all([corolla, crown])
    db.session.commit()
    return Catalogue(
        corolla, crown, corolla.sfx[0], crown.sfx[0], corolla.colours[0], crown.colours[0]
    )


def make_vehicle(store: Store, cat: Catalogue, serial: int, **fields: Any) -> Vehicle:
    values: dict[str, Any] = {
        "store_id": store.id,
        "vin": vin(serial),
        "model_id": cat.corolla.id,
        "sfx_id": cat.corolla_sfx.id,
        "colour_id": cat.white.id,
        "status": "in_stock",
        "location": "1号库 A-01",
    }
    values.update(fields)
    vehicle = Vehicle(**values)
    db.session.add(vehicle)
    db.session.commit()
    return vehicle


def form(cat: Catalogue, **overrides: str) -> dict[str, str]:
    data = {
        "vin": vin(500),
        "model_id": str(cat.corolla.id),
        "sfx_id": str(cat.corolla_sfx.id),
        "colour_id": str(cat.white.id),
        "status": "in_stock",
        "location": "2号库 A-12",
        "arrived_on": "2026-11-20",
    }
    data.update(overrides)
    return data


HEADER = "VIN,车型代码,SFX代码,颜色,状态,库位,到店日期"


def csv_bytes(*rows: str, header: str = HEADER, bom: bool = False) -> bytes:
    text = "\r\n".join([header, *rows]) + "\r\n"
    return (("\ufeff" if bom else "") + text).encode("utf-8")
