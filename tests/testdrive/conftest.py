"""Fixtures of the test-drive back office: a catalogue model, a ready car, a route, licences."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from tests.policies.testdrive import png_bytes, vin
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.testdrive.models import StaffLicence, TestDriveCar, TestDriveRoute
from webapp.timeutil import SHANGHAI, local_today, now


@pytest.fixture(autouse=True)
def blob_dir(app, tmp_path):
    """Blobs of this test in a folder of its own."""
    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    return tmp_path / "blobs"


@dataclass
class Fleet:
    model: VehicleModel
    other_model: VehicleModel
    car: TestDriveCar  # automatic, ready
    manual: TestDriveCar  # manual, ready
    route: TestDriveRoute  # suits `model`
    other_store_car: TestDriveCar
    other_store_route: TestDriveRoute

    def slot(self, days: int = 1, hour: int = 10, minute: int = 0) -> str:
        """A start on the form (Asia/Shanghai, datetime-local)."""
        day = local_today() + timedelta(days=days)
        return f"{day.isoformat()}T{hour:02d}:{minute:02d}"


def local(value: str) -> datetime:
    return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI)


def licence(user, cls: str = "C1", expires: date | None = None) -> StaffLicence:
    lic = StaffLicence(
        user_id=user.id,
        store_id=user.store_id,
        licence_class=cls,
        expires_on=expires or local_today() + timedelta(days=365),
    )
    db.session.add(lic)
    db.session.commit()
    return lic


def make_car(store, model, n: int, **fields: Any) -> TestDriveCar:
    far = local_today() + timedelta(days=365)
    values: dict[str, Any] = {
        "store_id": store.id,
        "plate": f"津A1{n:04d}",
        "model_id": model.id,
        "vin": vin(n),
        "insurance_expires": far,
        "registration_expires": far,
        "fuel_eighths": 8,
    }
    values.update(fields)
    car = TestDriveCar(**values)
    db.session.add(car)
    db.session.commit()
    return car


def make_route(store, models, name: str = "滨江路线", **fields: Any) -> TestDriveRoute:
    route = TestDriveRoute(
        store_id=store.id,
        name=name,
        duration_min=fields.pop("duration_min", 30),
        swap_point="滨江公园停车场",
        demo_points=[{"at": "滨江大道", "show": "加速"}, {"at": "减速带", "show": "悬挂"}],
        **fields,
    )
    route.models = list(models)
    db.session.add(route)
    db.session.commit()
    return route


@pytest.fixture
def fleet(world) -> Fleet:
    model = VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla")
    other = VehicleModel(code="CROWN", name_zh="皇冠", name_en="Crown", sort_order=1)
    db.session.add_all([model, other])
    db.session.commit()
    for who in ("salesperson", "colleague", "sales_manager", "other_salesperson"):
        licence(world.users[who])
    return Fleet(
        model=model,
        other_model=other,
        car=make_car(world.store_a, model, 1),
        manual=make_car(world.store_a, model, 2, transmission="MT"),
        route=make_route(world.store_a, [model]),
        other_store_car=make_car(world.store_b, model, 3),
        other_store_route=make_route(world.store_b, [model], name="外店路线"),
    )


__all__ = ["Fleet", "licence", "local", "make_car", "make_route", "now", "png_bytes"]
