"""Demo data of step ⑤: the demo store's test-drive cars (one short of fuel, one due for
cleaning), its two routes with drawn maps, staff licences (sales3 has none), version 1 of the
checklists and the feedback form, and today's bookings (sales3's driven by sales2).

Idempotent: a store that has test-drive cars gets nothing more.
"""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

import sqlalchemy as sa
from PIL import Image, ImageDraw, ImageFont

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard, Stage
from webapp.extensions import db
from webapp.org.models import Store
from webapp.testdrive.models import StaffLicence, TestDriveBooking, TestDriveCar, TestDriveRoute
from webapp.testdrive.services.checklists import ensure_default_templates
from webapp.testdrive.services.routes import store_route_map
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import SHANGHAI, local_today

# (plate, model code, transmission, fuel eighths, km, what is due)
DEMO_CARS: list[tuple[str, str, str, int, int, str]] = [
    ("津AT1001", "COROLLA", "AT", 8, 3200, ""),
    ("津AT1002", "CCROSS", "AT", 6, 5400, ""),
    ("津AT1003", "CROWN", "AT", 3, 8800, ""),  # below half a tank: needs preparation
    ("津AT1004", "AVALON", "AT", 7, 2100, "cleaning"),  # cleaning due today
    ("津AT1005", "RAV4", "AT", 8, 600, ""),
]
# Staff licences on file (username, class): sales3 has none and needs a driver.
DEMO_LICENCES = (("sales1", "C1"), ("sales2", "C2"), ("manager", "C1"))
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
    base = f"LFMKN5BF0P3{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def _route_map_png(seed: int) -> bytes:
    """A drawn route map (streets, the route in red, numbered demo points, X = swap point)."""
    rng = random.Random(seed)  # noqa: S311  (the same map on every load)
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


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened.

    Cars, routes with their maps, staff licences, checklist templates, today's bookings.
    """
    ensure_default_templates(users["admin"].id)
    if db.session.scalar(sa.select(TestDriveCar.id).where(TestDriveCar.store_id == store.id)):
        return "Test-drive demo already present; nothing changed."
    today = local_today()
    by_code = {m.code: m for m in db.session.scalars(sa.select(VehicleModel))}
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
    for who, cls in DEMO_LICENCES:
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
    return (
        f"Test-drive demo: {len(cars)} cars, {len(routes)} routes, "
        f"{len(DEMO_LICENCES)} staff licences, {made} bookings today."
    )
