"""Demo data for one store (and a second store, to show that stores do not see each other).

`flask seed-demo` loads it once; running it again changes nothing.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, Grade, GradeRule, Stage
from webapp.customers.services import CONTACT_KINDS, SOURCES, grade_rules, next_due
from webapp.extensions import db
from webapp.org.models import DealerGroup, Store
from webapp.timeutil import SHANGHAI, local_today, now

DEMO_STORE = "FTDEMO01"
OTHER_STORE = "FTDEMO02"

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

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞宇浩然晨阳欣怡子涵梓萱雨轩俊杰佳豪思远志强海燕红梅玉兰"
USAGES = ["上下班通勤", "周末家庭出游", "接送孩子上学", "商务接待", "长途自驾", "跑网约车"]
HOBBIES = ["钓鱼", "摄影", "露营", "羽毛球", "跑步", "自驾游", "茶艺", "篮球"]
FAMILIES = ["已婚，一个孩子", "已婚，两个孩子", "单身", "三代同堂", "新婚"]
COMPETITORS = [
    "本田雅阁",
    "大众帕萨特",
    "比亚迪汉",
    "日产天籁",
    "本田CR-V",
    "大众途观L",
    "比亚迪宋PLUS",
]
NOTES = [
    "电话沟通，客户周末带家人来看车",
    "客户关注油耗和保值率，已发送配置表",
    "邀约试驾，客户答应周六上午到店",
    "客户对比竞品，重点讲解了双擎系统",
    "客户询问贷款方案，已说明首付和月供",
    "微信发送了优惠活动信息",
    "客户到店看车，坐进展车体验空间",
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


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        mobile = rng.choice("3456789").join(["1", ""]) + "".join(rng.choices("0123456789", k=9))
        if mobile not in used:
            used.add(mobile)
            return mobile


def _customers(
    store: Store, owners: list[User], models: list[VehicleModel], count: int, seed: int
) -> int:
    if db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CustomerCard)
        .where(CustomerCard.store_id == store.id)
    ):
        return 0
    rng = random.Random(seed)
    today = local_today()
    moment = now()
    rules = grade_rules(store.id)
    used: set[str] = set()
    weights = [5, 3, 1][: len(owners)] or [1]
    for _i in range(count):
        owner = rng.choices(owners, weights=weights[: len(owners)])[0]
        stage = rng.choices(
            [Stage.PROSPECT, Stage.ORDERED, Stage.OWNER, Stage.LOST], weights=[70, 8, 15, 7]
        )[0]
        grade = rng.choices([Grade.H, Grade.A, Grade.B, Grade.C], weights=[10, 20, 30, 40])[0]
        window = rules[grade][0]
        created = _office_hours(moment - timedelta(days=rng.randint(1, 120)), rng)
        model = rng.choice(models)
        card = CustomerCard(
            store_id=store.id,
            owner_id=owner.id,
            name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
            title=rng.choice(["mr", "ms"]),
            mobile=_mobile(rng, used),
            family=rng.choice(FAMILIES),
            hobbies="、".join(rng.sample(HOBBIES, 2)),
            source=rng.choice(SOURCES),
            model_id=model.id,
            usage=rng.choice(USAGES),
            budget=Decimal(int(model.sfx[0].msrp * Decimal(rng.uniform(0.9, 1.3)) / 1000) * 1000),
            payment=rng.choice(["cash", "loan", "undecided"]),
            current_car=rng.choice(["", "", "大众朗逸 2015款", "本田飞度 2012款", "别克英朗"]),
            competitors=rng.choice(COMPETITORS),
            decision_makers=rng.choice(["本人", "本人和配偶", "父母"]),
            grade=grade.value,
            stage=stage.value,
            created_at=created,
        )
        card.trade_in = bool(card.current_car) and rng.random() < 0.5
        if stage in (Stage.PROSPECT, Stage.ORDERED):
            card.planned_purchase_date = today + timedelta(days=rng.randint(-10, window + 20))
        if stage == Stage.OWNER:
            card.purchased_on = today - timedelta(days=rng.randint(0, 90))
        db.session.add(card)
        db.session.flush()
        db.session.add(
            CardEvent(
                store_id=store.id,
                card_id=card.id,
                actor_id=owner.id,
                kind="created",
                occurred_at=created,
                data={"grade": card.grade},
            )
        )
        contacts = [
            created + timedelta(days=rng.randint(1, 12) * (j + 1)) for j in range(rng.randint(0, 4))
        ]
        open_card = stage in (Stage.PROSPECT, Stage.ORDERED)
        if open_card and rng.random() < 0.8:
            # Most open cards were followed up on time; the rest show up as overdue.
            contacts.append(moment - timedelta(days=rng.randint(0, rules[grade][1] - 1)))
        last = created
        for when in sorted(c for c in contacts if created < c <= moment):
            last = _office_hours(when, rng)
            db.session.add(
                CardEvent(
                    store_id=store.id,
                    card_id=card.id,
                    actor_id=owner.id,
                    kind=rng.choice(CONTACT_KINDS),
                    occurred_at=last,
                    note=rng.choice(NOTES),
                )
            )
        card.last_contact_at = last
        if stage is not Stage.LOST:
            card.next_follow_up_due = next_due(last.astimezone(SHANGHAI).date(), card.grade, rules)
    return count


def _office_hours(moment: datetime, rng: random.Random) -> datetime:
    """The same Shanghai day, moved into showroom hours (09:00-18:59), never in the future."""
    local = moment.astimezone(SHANGHAI)
    local = local.replace(hour=rng.randint(9, 18), minute=rng.randint(0, 59), second=0)
    return min(local.astimezone(UTC), now())


# Step ⑤: test-drive cars (plate, model code, transmission, fuel eighths, km, what is due)
DEMO_CARS: list[tuple[str, str, str, int, int, str]] = [
    ("津AT1001", "COROLLA", "AT", 8, 3200, ""),
    ("津AT1002", "CCROSS", "AT", 6, 5400, ""),
    ("津AT1003", "CROWN", "AT", 3, 8800, ""),  # below half a tank: needs preparation
    ("津AT1004", "AVALON", "AT", 7, 2100, "cleaning"),  # cleaning due today
    ("津AT1005", "RAV4", "AT", 8, 600, ""),
]
# name, model codes, minutes, km, swap point, demo points, welcome text, map points
DEMO_ROUTES: list[tuple[str, tuple[str, ...], int, int, str, list[tuple[str, str]], str]] = [
    (
        "市区标准路线",
        ("COROLLA", "CCROSS", "BZ3", "BZ5"),
        20,
        8,
        "卫津南路加油站北侧临时停车区",
        [
            ("友谊路直线段", "起步加速与双擎静音"),
            ("水上公园北路减速带", "悬挂过滤与乘坐舒适"),
            ("宾水道路口", "制动平顺与视野"),
            ("卫津南路", "换手后由客户体验操控"),
        ],
        "尊敬的客户，欢迎参加一汽丰田试乘试驾活动！请系好安全带，按规定路线行驶，祝您驾驶愉快。",
    ),
    (
        "滨海快速路线",
        ("CROWN", "CKLUGER", "AVALON", "RAV4", "HARRIER", "PRADO"),
        30,
        15,
        "津滨高速辅路服务区停车场",
        [
            ("津塘路", "全力加速与换挡平顺"),
            ("海河大桥", "高速静谧性与风噪"),
            ("津滨高速辅路弯道", "转向精准与车身稳定"),
            ("服务区出口", "四驱与驾驶辅助演示"),
        ],
        "欢迎体验一汽丰田旗舰车型。全程约30分钟，销售顾问先驾驶演示，换手后请您尽情体验。",
    ),
]


def _demo_vin(serial: int) -> str:
    from webapp.testdrive.validators import vin_check_digit

    base = f"LFMKN5BF0P3{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def _route_map_png(seed: int) -> bytes:
    """A drawn route map (streets, the route in red, numbered demo points, X = swap point)."""
    import io

    from PIL import Image, ImageDraw, ImageFont

    rng = random.Random(seed)
    image = Image.new("RGB", (1200, 800), (246, 244, 238))
    draw = ImageDraw.Draw(image)
    for x in range(60, 1200, 140):
        draw.line(
            [(x + rng.randint(-20, 20), 0), (x + rng.randint(-20, 20), 800)], (214, 214, 210), 9
        )
    for y in range(50, 800, 120):
        draw.line(
            [(0, y + rng.randint(-15, 15)), (1200, y + rng.randint(-15, 15))], (214, 214, 210), 9
        )
    draw.rectangle([(820, 90), (1090, 260)], fill=(206, 232, 204))  # a park
    draw.polygon([(0, 640), (1200, 560), (1200, 800), (0, 800)], fill=(196, 220, 240))  # river
    points = [
        (130, 170),
        (400, 170),
        (560, 330),
        (560, 470),
        (860, 470),
        (1000, 330),
        (700, 150),
        (130, 170),
    ]
    draw.line(points, (200, 16, 46), 14, joint="curve")
    try:
        font = ImageFont.load_default(size=34)
    except (TypeError, OSError):
        font = ImageFont.load_default()

    def marker(xy: tuple[int, int], text: str, fill: tuple[int, int, int]) -> None:
        x, y = xy
        draw.ellipse(
            [(x - 26, y - 26), (x + 26, y + 26)], fill=fill, outline=(255, 255, 255), width=4
        )
        draw.text((x, y), text, fill=(255, 255, 255), font=font, anchor="mm")

    marker(points[0], "S", (29, 33, 41))
    for number, xy in enumerate((points[1], points[2], points[4], points[5]), start=1):
        marker(xy, str(number), (11, 87, 208))
    marker(points[3], "X", (154, 103, 0))
    return_buf = io.BytesIO()
    image.save(return_buf, format="PNG", optimize=True)
    return return_buf.getvalue()


def _test_drives(store: Store, users: dict[str, User], models: list[VehicleModel]) -> int:
    """Cars, routes with their maps, staff licences, checklist templates, today's bookings."""
    from webapp.testdrive.models import (
        StaffLicence,
        TestDriveBooking,
        TestDriveCar,
        TestDriveRoute,
    )
    from webapp.testdrive.services import ensure_default_templates, store_route_map

    ensure_default_templates(users["admin"].id)
    if db.session.scalar(sa.select(TestDriveCar.id).where(TestDriveCar.store_id == store.id)):
        return 0
    today = local_today()
    by_code = {m.code: m for m in models}
    keeper = users["keeper"]
    cars = []
    for serial, (plate, code, gearbox, fuel, km, due) in enumerate(DEMO_CARS, start=1):
        model = by_code[code]
        car = TestDriveCar(
            store_id=store.id,
            plate=plate,
            model_id=model.id,
            sfx_id=model.sfx[-1].id if model.sfx else None,
            vin=_demo_vin(serial),
            transmission=gearbox,
            fuel_eighths=fuel,
            mileage_km=km,
            insurance_expires=today + timedelta(days=120 + 30 * serial),
            registration_expires=today + timedelta(days=300 + 30 * serial),
            cleaning_due_on=today if due == "cleaning" else today + timedelta(days=7),
            keeper_id=keeper.id,
        )
        db.session.add(car)
        cars.append(car)
    routes = []
    for name, codes, minutes, km, swap, points, welcome in DEMO_ROUTES:
        route = TestDriveRoute(
            store_id=store.id,
            name=name,
            duration_min=minutes,
            distance_km=km,
            swap_point=swap,
            demo_points=[{"at": at, "show": show} for at, show in points],
            welcome_text=welcome,
        )
        route.models = [by_code[c] for c in codes if c in by_code]
        routes.append(route)
    for who, cls in (("sales1", "C1"), ("sales2", "C2"), ("manager", "C1")):
        db.session.add(
            StaffLicence(
                user_id=users[who].id,
                store_id=store.id,
                licence_class=cls,
                expires_on=today + timedelta(days=900),
                checked_by_id=users["manager"].id,
            )
        )
    db.session.flush()
    # The blob store commits its own row; the routes follow with the map's address.
    for n, route in enumerate(routes):
        route.map_sha256 = store_route_map(_route_map_png(n), "image/png", store.id, users["admin"])
        db.session.add(route)
    db.session.flush()

    # Today's bookings: sales1 drives three; sales3 (no licence) has sales2 as the driver.
    def cards_of(user: User, count: int) -> list[CustomerCard]:
        return list(
            db.session.scalars(
                sa.select(CustomerCard)
                .where(
                    CustomerCard.owner_id == user.id,
                    CustomerCard.stage == Stage.PROSPECT.value,
                )
                .order_by(CustomerCard.id)
                .limit(count)
            )
        )

    plan = [
        (
            cards_of(users["sales1"], 3),
            users["sales1"],
            users["sales1"],
            [(10, 0), (14, 0), (16, 30)],
        ),
        (cards_of(users["sales3"], 1), users["sales3"], users["sales2"], [(11, 0)]),
    ]
    slot_car = {(10, 0): 0, (14, 0): 1, (16, 30): 4, (11, 0): 1}
    slot_route = {0: 0, 1: 0, 4: 1}
    made = 0
    for cards_list, owner, driver, slots in plan:
        for card, (hour, minute) in zip(cards_list, slots, strict=False):
            car = cars[slot_car[(hour, minute)]]
            route = routes[slot_route[slot_car[(hour, minute)]]]
            start = datetime(today.year, today.month, today.day, hour, minute, tzinfo=SHANGHAI)
            db.session.add(
                TestDriveBooking(
                    store_id=store.id,
                    card_id=card.id,
                    owner_id=owner.id,
                    driver_id=driver.id,
                    car_id=car.id,
                    route_id=route.id,
                    starts_at=start,
                    ends_at=start + timedelta(minutes=route.duration_min),
                )
            )
            made += 1
    return made


def seed() -> str:
    """Load the demo data once; return a line saying what happened."""
    group = db.session.scalar(sa.select(DealerGroup).where(DealerGroup.name == "示范汽车集团"))
    if group is None:
        group = DealerGroup(name="示范汽车集团")
        db.session.add(group)
    stores = {
        DEMO_STORE: _store(DEMO_STORE, "一汽丰田示范店", "天津", group),
        OTHER_STORE: _store(OTHER_STORE, "一汽丰田二号店", "北京", group),
    }
    for grade, (window, every) in {Grade.H: (7, 2), Grade.A: (15, 3)}.items():
        exists = db.session.scalar(
            sa.select(GradeRule.id).where(
                GradeRule.store_id == stores[DEMO_STORE].id, GradeRule.grade == grade.value
            )
        )
        if exists is None:
            db.session.add(
                GradeRule(
                    store_id=stores[DEMO_STORE].id,
                    grade=grade.value,
                    purchase_within_days=window,
                    follow_up_days=every,
                )
            )
    models = _catalogue()
    users = _users(stores)
    created = _customers(
        stores[DEMO_STORE], [users["sales1"], users["sales2"], users["sales3"]], models, 200, 2026
    )
    created += _customers(stores[OTHER_STORE], [users["other.sales"]], models, 20, 7)
    db.session.flush()
    bookings = _test_drives(stores[DEMO_STORE], users, models)
    db.session.commit()
    # Steps ② – ④ and the inbox: each area seeds its own part (idempotent), in process order.
    from webapp.consult import demo as consult_demo
    from webapp.push import demo as push_demo
    from webapp.reception import demo as reception_demo

    area_notes = [
        note
        for area in (consult_demo, reception_demo, push_demo)
        if (note := area.seed_demo(stores[DEMO_STORE], users))
    ]
    db.session.commit()
    created_note = f" {bookings} test-drive bookings today." if bookings else ""
    if created or bookings:
        return " ".join([f"Demo data loaded: {created} customer cards.{created_note}", *area_notes])
    return " ".join(["Demo data already present; nothing changed.", *area_notes])


def logins_text() -> str:
    """The demo logins, as `make run` prints them."""
    lines = ["Demo logins (username / password):"]
    for username, name, roles, password, store_code, _g in DEMO_USERS:
        role_names = ", ".join(r.value for r in roles)
        lines.append(f"  {username:<14} {password:<20} {role_names} · {name} · {store_code}")
    return "\n".join(lines)
