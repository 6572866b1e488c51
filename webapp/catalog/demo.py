"""Demo data of the vehicle catalogue: the current FAW-Toyota line-up, its SFX and colours."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db

# code, 中文, English, body, FAB line, [(sfx code, grade, engine, drivetrain, NEV, MSRP)]
CATALOGUE: list[tuple[str, str, str, str, str, list[tuple[str, str, str, str, bool, int]]]] = [
    (
        "COROLLA",
        "卡罗拉",
        "Corolla",
        "sedan",
        "全球销量冠军，TNGA架构，省油耐用保值",
        [
            ("ZRE211-P", "1.5L CVT 先锋版", "1.5L M15C", "FF", False, 109800),
            ("ZRE211-E", "1.5L CVT 精英版", "1.5L M15C", "FF", False, 125800),
            ("ZWE211-H", "双擎 1.8L E-CVT 精英版", "1.8L 混动", "FF", False, 139800),
        ],
    ),
    (
        "CCROSS",
        "锐放",
        "Corolla Cross",
        "suv",
        "城市SUV，双擎混动百公里油耗4升级",
        [
            ("MXGA10-L", "2.0L CVT 领先版", "2.0L M20C", "FF", False, 139800),
            ("MXGH10-H", "双擎 2.0L 豪华版", "2.0L 混动", "FF", False, 169800),
        ],
    ),
    (
        "CROWN",
        "皇冠",
        "Crown",
        "sedan",
        "六十余年旗舰传承，2.5L双擎静谧舒适",
        [
            ("AZSH35-E", "2.5L 双擎 精英版", "2.5L 混动", "FF", False, 259800),
            ("AZSH35-Z", "2.5L 双擎 尊享版", "2.5L 混动", "FF", False, 299800),
        ],
    ),
    (
        "CKLUGER",
        "皇冠陆放",
        "Crown Kluger",
        "suv",
        "7座大型SUV，E-Four智能电四驱",
        [
            ("AXUH85-E", "2.5L 双擎 E-Four 精英版", "2.5L 混动", "4WD", False, 339800),
            ("AXUH85-Z", "2.5L 双擎 E-Four 尊贵版", "2.5L 混动", "4WD", False, 399800),
        ],
    ),
    (
        "AVALON",
        "亚洲龙",
        "Avalon",
        "sedan",
        "TNGA-K中大型轿车，空间与驾控兼得",
        [
            ("AXXA50-J", "2.0L CVT 进取版", "2.0L M20C", "FF", False, 189800),
            ("AXXH50-H", "2.5L 双擎 豪华版", "2.5L 混动", "FF", False, 239800),
        ],
    ),
    (
        "RAV4",
        "荣放",
        "RAV4",
        "suv",
        "全球畅销SUV，全时四驱与双擎E+可选",
        [
            ("MXAA52-D", "2.0L CVT 两驱 都市版", "2.0L M20C", "FF", False, 175800),
            ("AXAH54-E", "2.5L 双擎 四驱 精英版", "2.5L 混动", "4WD", False, 229800),
            ("AXAP54-P", "双擎E+ 2.5L 插电混动 四驱", "2.5L 插混", "4WD", True, 259800),
        ],
    ),
    (
        "HARRIER",
        "凌放",
        "Harrier",
        "suv",
        "都市豪华SUV，优雅设计，静谧座舱",
        [
            ("MXUA80-H", "2.0L CVT 两驱 豪华版", "2.0L M20C", "FF", False, 209800),
            ("AXUH85-Z", "2.5L 双擎 四驱 尊贵版", "2.5L 混动", "4WD", False, 279800),
        ],
    ),
    (
        "PRADO",
        "普拉多",
        "Prado",
        "suv",
        "硬派越野传奇，2.4T双擎全时四驱",
        [
            ("TJA250-L", "2.4T 双擎 四驱 豪华版", "2.4T 混动", "4WD", False, 459800),
            ("TJA250-F", "2.4T 双擎 四驱 旗舰版", "2.4T 混动", "4WD", False, 529800),
        ],
    ),
    (
        "LC",
        "兰德酷路泽",
        "Land Cruiser",
        "suv",
        "陆地巡洋舰，无惧任何路况",
        [("VJA300-V", "3.5T V6 四驱 VX-R", "3.5T V35A", "4WD", False, 898000)],
    ),
    (
        "BZ3",
        "bZ3",
        "bZ3",
        "sedan",
        "纯电轿车，丰田品质与刀片电池",
        [
            ("BZ3-517", "517km 长续航 精英版", "纯电 135kW", "FF", True, 169800),
            ("BZ3-616", "616km 长续航 尊贵版", "纯电 180kW", "FF", True, 199800),
        ],
    ),
    (
        "BZ5",
        "bZ5",
        "bZ5",
        "suv",
        "智能纯电SUV，高阶智驾，舒适大空间",
        [
            ("BZ5-550", "550km Pro", "纯电 160kW", "FF", True, 139800),
            ("BZ5-630", "630km Max", "纯电 200kW", "FF", True, 165800),
        ],
    ),
]

COLOURS = [
    ("铂金珍珠白", "Platinum White Pearl", "#f4f4ef"),
    ("星耀黑", "Attitude Black", "#1b1b1d"),
    ("银色金属", "Silver Metallic", "#c3c7cb"),
    ("深红云母", "Emotional Red", "#9e1b2f"),
    ("灰色金属", "Gray Metallic", "#6c7075"),
]


def load_catalogue() -> list[VehicleModel]:
    """The current FAW-Toyota line-up with its SFX and colours (once; the models after)."""
    if db.session.scalar(sa.select(sa.func.count()).select_from(VehicleModel)):
        return list(db.session.scalars(sa.select(VehicleModel).order_by(VehicleModel.sort_order)))
    models = []
    for order, (code, zh, en, body, fab, specs) in enumerate(CATALOGUE):
        model = VehicleModel(
            code=code, name_zh=zh, name_en=en, body_type=body, fab=fab, sort_order=order
        )
        for sfx_code, grade, engine, drive, nev, price in specs:
            model.sfx.append(
                Sfx(
                    code=sfx_code,
                    grade=grade,
                    engine=engine,
                    drivetrain=drive,
                    new_energy=nev,
                    msrp=Decimal(price),
                    fab=fab,
                )
            )
        for zh_c, en_c, hex_c in COLOURS[: 3 + order % 3]:
            model.colours.append(Colour(name_zh=zh_c, name_en=en_c, hex=hex_c))
        db.session.add(model)
        models.append(model)
    db.session.flush()
    return models
