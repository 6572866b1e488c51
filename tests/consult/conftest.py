"""Fixtures of steps ③ ④: a small catalogue with FAB points and a sheet, questionnaire v1,
display cars in both stores."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from webapp.catalog.models import VehicleModel
from webapp.consult import services
from webapp.consult.models import ComparisonSheet, DisplayCar, Questionnaire, WalkaroundPoint
from webapp.extensions import db


@pytest.fixture(autouse=True)
def blob_dir(app, tmp_path):
    """Blobs of this test in a folder of its own."""
    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    return tmp_path / "blobs"


@dataclass
class Showroom:
    model: VehicleModel  # with FAB points and a sheet against the Accord
    other_model: VehicleModel
    questionnaire: Questionnaire
    sheet: ComparisonSheet
    car: DisplayCar  # store A, with sunroof
    plain_car: DisplayCar  # store A, no sunroof
    other_store_car: DisplayCar


@pytest.fixture
def showroom(world) -> Showroom:
    model = VehicleModel(code="AVALON", name_zh="亚洲龙", name_en="Avalon", sort_order=1)
    other = VehicleModel(code="RAV4", name_zh="荣放", name_en="RAV4", sort_order=2)
    db.session.add_all([model, other])
    db.session.flush()
    db.session.add_all(
        [
            WalkaroundPoint(
                model_id=model.id,
                position="front45",
                feature="大气造型",
                advantage="稳重",
                benefit="商务有面子",
                tags=["business"],
                sort_order=0,
            ),
            WalkaroundPoint(
                model_id=model.id,
                position="front45",
                feature="智行安全",
                advantage="预碰撞",
                benefit="家人安心",
                tags=["safety"],
                sort_order=1,
            ),
            WalkaroundPoint(
                model_id=model.id,
                position="engine_bay",
                feature="双擎",
                advantage="省油",
                benefit="通勤省钱",
                tags=["economy"],
                sort_order=2,
            ),
        ]
    )
    sheet = ComparisonSheet(
        model_id=model.id,
        competitor="本田雅阁 Honda Accord",
        aliases=["雅阁", "Accord"],
        rows=[{"aspect": "隔音", "ours": "双层玻璃", "theirs": "单层"}],
    )
    db.session.add(sheet)
    questionnaire = services.questionnaire.ensure_default_questionnaire()
    car = DisplayCar(
        store_id=world.store_a.id, model_id=model.id, colour="白", position="1号", sunroof=True
    )
    plain = DisplayCar(store_id=world.store_a.id, model_id=other.id, colour="蓝", position="2号")
    outside = DisplayCar(store_id=world.store_b.id, model_id=model.id, colour="黑", position="B1")
    db.session.add_all([car, plain, outside])
    db.session.commit()
    return Showroom(model, other, questionnaire, sheet, car, plain, outside)


def answers(showroom: Showroom, **overrides) -> dict:
    """A complete, valid questionnaire submission."""
    data = {
        "model_id": str(showroom.model.id),
        "usage": ["上下班通勤", "家庭出行"],
        "priorities": ["安全", "省油"],
        "budget": "200000",
        "payment": "loan",
        "planned_purchase_date": "",
        "current_car": "老捷达",
        "trade_in": "yes",
        "competitors": "雅阁",
        "decision_makers": ["本人", "配偶"],
        "family": "夫妻和一个孩子",
        "hobbies": "钓鱼",
        "main_driver": "本人",
        "colour": "白色",
        "visit_purpose": "初次看车",
        "companions": ["配偶", "朋友"],
        "purchase_purpose": "换购",
        "occupation": "中学教师",
        "address": "朝阳区望京",
    }
    data.update(overrides)
    return data


def png_bytes(colour: tuple[int, int, int] = (200, 100, 50)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, format="PNG")
    return out.getvalue()
