"""Demo data for one store (and a second store, to show that stores do not see each other):
the dealer group, the stores, the staff and the vehicle catalogue here; each area's data in
its own `demo.py`, listed in SEEDERS.

`flask seed-demo` loads it once; running it again changes nothing.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.consult import demo as consult_demo
from webapp.customers import demo as customers_demo
from webapp.extensions import db
from webapp.org.models import DealerGroup, Store
from webapp.push import demo as push_demo
from webapp.reception import demo as reception_demo
from webapp.testdrive import demo as testdrive_demo

DEMO_STORE = "FTDEMO01"
OTHER_STORE = "FTDEMO02"

# Each area's seed_demo(demo store, users) -> a line saying what it did; idempotent. In the
# order their data depends on: the test drives are booked for the first cards of sales1 and
# sales3, before reception's visits and the inbox.
SEEDERS = (customers_demo, testdrive_demo, consult_demo, reception_demo, push_demo)

# (username, display name, roles, password, store code, group admin)
DEMO_USERS: list[tuple[str, str, tuple[Role, ...], str, str, bool]] = [
    ("admin", "系统管理员", (Role.ADMIN,), "demo-admin-2026", DEMO_STORE, True),
    ("manager", "刘建国", (Role.SALES_MANAGER,), "demo-manager-2026", DEMO_STORE, False),
    ("sales1", "王晓明", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("sales2", "李婷", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("sales3", "张伟", (Role.SALESPERSON,), "demo-sales-2026", DEMO_STORE, False),
    ("greeter", "陈静", (Role.GREETER,), "demo-greeter-2026", DEMO_STORE, False),
    ("service", "赵磊", (Role.SERVICE_ADVISOR,), "demo-service-2026", DEMO_STORE, False),
    ("finance", "孙丽", (Role.FINANCE,), "demo-finance-2026", DEMO_STORE, False),
    ("keeper", "周强", (Role.CAR_KEEPER,), "demo-keeper-2026", DEMO_STORE, False),
    ("other.sales", "吴昊", (Role.SALESPERSON,), "demo-sales-2026", OTHER_STORE, False),
    ("other.manager", "郑敏", (Role.SALES_MANAGER,), "demo-manager-2026", OTHER_STORE, False),
]

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


def _store(code: str, name: str, city: str, group: DealerGroup) -> Store:
    store = db.session.scalar(sa.select(Store).where(Store.code == code))
    if store is None:
        store = Store(code=code, name=name, city=city, group=group)
        db.session.add(store)
        db.session.flush()
    return store


def _catalogue() -> list[VehicleModel]:
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


def _users(stores: dict[str, Store]) -> dict[str, User]:
    users = {}
    hashes: dict[str, str] = {}
    for username, name, roles, password, store_code, group_admin in DEMO_USERS:
        user = db.session.scalar(sa.select(User).where(User.username == username))
        if user is None:
            if password not in hashes:
                hashes[password] = hash_password(password)
            user = User(
                username=username,
                display_name=name,
                password_hash=hashes[password],
                store=stores[store_code],
                group_admin=group_admin,
            )
            user.role_rows = [UserRole(role=r.value) for r in roles]
            db.session.add(user)
        users[username] = user
    db.session.flush()
    return users


def seed() -> str:
    """Load the demo data once; return a line saying what happened (one part an area)."""
    group = db.session.scalar(sa.select(DealerGroup).where(DealerGroup.name == "示范汽车集团"))
    if group is None:
        group = DealerGroup(name="示范汽车集团")
        db.session.add(group)
    stores = {
        DEMO_STORE: _store(DEMO_STORE, "一汽丰田示范店", "天津", group),
        OTHER_STORE: _store(OTHER_STORE, "一汽丰田二号店", "北京", group),
    }
    _catalogue()
    users = _users(stores)
    notes: list[str] = []
    for area in SEEDERS:
        notes.append(area.seed_demo(stores[DEMO_STORE], users))
        db.session.commit()
    return " ".join(notes)


def logins_text() -> str:
    """The demo logins, as `make run` prints them."""
    lines = ["Demo logins (username / password):"]
    for username, name, roles, password, store_code, _g in DEMO_USERS:
        role_names = ", ".join(r.value for r in roles)
        lines.append(f"  {username:<14} {password:<20} {role_names} · {name} · {store_code}")
    return "\n".join(lines)
