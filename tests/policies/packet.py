"""Access policy of the test-drive packet, and the builders of packet data the tests share.

Scope first (another store's or, for a salesperson, a colleague's booking: 404), then role
(a greeter sees the store but has no packet work: 403).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.testdrive.models import (
    ChecklistTemplate,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import SHANGHAI, local_today

OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
RELATIONS = ("own", "colleague", "other_store")

PACKET = {
    "anonymous": dict.fromkeys(RELATIONS, LOGIN),
    "greeter": {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN},
    "salesperson": {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN},
    "sales_manager": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "admin": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "service_advisor": dict.fromkeys(RELATIONS, HIDDEN),
    "finance": dict.fromkeys(RELATIONS, HIDDEN),
    "car_keeper": dict.fromkeys(RELATIONS, HIDDEN),
}
# The matrix's routes have no map: where the packet opens, the map answers 404 (no map).
PACKET_MAP = {
    role: {rel: HIDDEN if outcome == OK else outcome for rel, outcome in cases.items()}
    for role, cases in PACKET.items()
}

POLICY = {
    "testdrive.packet": [("GET", "/testdrive/bookings/{packet_booking}/packet", PACKET, None)],
    "testdrive.packet_map": [
        ("GET", "/testdrive/bookings/{packet_booking}/packet/map", PACKET_MAP, None)
    ],
}
RECORD_KINDS = ("packet_booking",)

# The items of the packet's checklists and of 附表九, as the back office would set them up.
TEMPLATE_ITEMS: dict[str, list[dict[str, Any]]] = {
    "predrive": [
        {
            "key": "process",
            "label_zh": "说明试驾流程（销售顾问先开）",
            "label_en": "Process explained",
        },
        {"key": "route", "label_zh": "说明试驾路线", "label_en": "Route explained"},
        {"key": "controls", "label_zh": "介绍主要操作", "label_en": "Main controls briefed"},
    ],
    "ride": [
        {"key": "belts", "label_zh": "全员系好安全带", "label_en": "Everyone belted"},
        {"key": "acceleration", "label_zh": "演示加速", "label_en": "Acceleration shown"},
        {"key": "braking", "label_zh": "演示制动", "label_en": "Braking shown"},
    ],
    "swap": [
        {"key": "seat", "label_zh": "调整座椅", "label_en": "Seat adjusted"},
        {"key": "mirrors", "label_zh": "调整后视镜", "label_en": "Mirrors adjusted"},
        {"key": "belt", "label_zh": "确认安全带", "label_en": "Belt confirmed"},
        {"key": "reminder", "label_zh": "安全提醒", "label_en": "Safety reminder"},
    ],
    "drive": [
        {"key": "bends", "label_zh": "弯道前提醒", "label_en": "Warned before bends"},
    ],
    "feedback": [
        *(
            {"key": key, "label_zh": zh, "label_en": en, "type": "score", "required": True}
            for key, zh, en in (
                ("power", "动力", "Power"),
                ("handling", "操控", "Handling"),
                ("comfort", "舒适性", "Comfort"),
                ("overall", "总体评价", "Overall"),
            )
        ),
        {"key": "likes", "label_zh": "最满意的地方", "label_en": "Liked most", "type": "text"},
    ],
}


def make_templates() -> dict[str, ChecklistTemplate]:
    """The current template of every kind (created once per database)."""
    found = {
        t.kind: t
        for t in db.session.scalars(
            sa.select(ChecklistTemplate).where(ChecklistTemplate.current.is_(True))
        )
    }
    for kind, items in TEMPLATE_ITEMS.items():
        if kind not in found:
            rows = [{"type": "tick", "required": False, **item} for item in items]
            found[kind] = ChecklistTemplate(kind=kind, version=1, items=rows, current=True)
            db.session.add(found[kind])
    db.session.commit()
    return found


def _vin(serial: int) -> str:
    base = f"LFPKT53K0P{serial:07d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def make_booking(
    owner: User,
    card: CustomerCard,
    *,
    model: VehicleModel | None = None,
    transmission: str = "AT",
    map_sha256: str | None = None,
    hour: int = 10,
    driver: User | None = None,
) -> TestDriveBooking:
    """Today's booking of `owner` for `card`, with its own car and route in the owner's store."""
    if model is None:
        model = db.session.scalar(sa.select(VehicleModel).where(VehicleModel.code == "PKT-CAMRY"))
        if model is None:
            model = VehicleModel(code="PKT-CAMRY", name_zh="凯美瑞", name_en="Camry")
            db.session.add(model)
            db.session.flush()
    serial = db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveCar)) + 1
    today = local_today()
    car = TestDriveCar(
        store_id=owner.store_id,
        plate=f"津PK{serial:03d}",
        model_id=model.id,
        vin=_vin(serial),
        transmission=transmission,
        insurance_expires=today + timedelta(days=200),
        registration_expires=today + timedelta(days=300),
    )
    route = TestDriveRoute(
        store_id=owner.store_id,
        name="海河东路线",
        duration_min=20,
        distance_km=8,
        map_sha256=map_sha256,
        swap_point="大沽南路加油站前临时停车区",
        demo_points=[
            {"at": "津塘路直道", "show": "全力加速"},
            {"at": "海河大桥", "show": "静音与风噪"},
        ],
        welcome_text="欢迎参加试乘试驾活动！",
    )
    route.models.append(model)
    db.session.add_all([car, route])
    db.session.flush()
    start = datetime(today.year, today.month, today.day, hour, tzinfo=SHANGHAI)
    booking = TestDriveBooking(
        store_id=owner.store_id,
        card_id=card.id,
        owner_id=owner.id,
        driver_id=(driver or owner).id,
        car_id=car.id,
        route_id=route.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=45),
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def records(world: Any, relation: str) -> dict[str, Any]:
    """A booking of the salesperson (own), of a colleague, and of another store's salesperson.

    The acting salesperson is the named driver of the colleague's booking: the packet is its
    salesperson's, so the driver gets 404 like any colleague (and nothing of it in /sync/pull).
    """
    if "packet_bookings" not in world.extra:
        make_templates()
        users = world.users
        world.extra["packet_bookings"] = {
            "own": make_booking(users["salesperson"], world.own_card),
            "colleague": make_booking(
                users["colleague"], world.colleague_card, hour=11, driver=users["salesperson"]
            ),
            "other_store": make_booking(
                users["other_salesperson"], world.other_store_card, hour=12
            ),
        }
    return {"packet_booking": world.extra["packet_bookings"][relation]}
