"""Access policy of the test-drive back office (step ⑤): cars, routes, bookings, schedule,
staff licences and checklist templates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.conftest import World
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.testdrive import services
from webapp.testdrive.models import (
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import local_today, now

# The matrix's vocabulary, repeated here: importing tests.test_access_matrix from a policy
# module would be circular (it imports every policy module while it loads).
OK, DENIED, HIDDEN, LOGIN = "ok", "403", "404", "login"
ROLES = [
    "anonymous",
    "greeter",
    "salesperson",
    "sales_manager",
    "service_advisor",
    "finance",
    "car_keeper",
    "admin",
]
RELATIONS = ("own", "colleague", "other_store")
CARD_WORK = ("salesperson", "sales_manager", "admin")
# Like the A-C card: scope first (404), then role (403).
CARD = {
    "anonymous": dict.fromkeys(RELATIONS, LOGIN),
    "greeter": {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN},
    "salesperson": {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN},
    "sales_manager": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "admin": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "service_advisor": dict.fromkeys(RELATIONS, HIDDEN),
    "finance": dict.fromkeys(RELATIONS, HIDDEN),
    "car_keeper": dict.fromkeys(RELATIONS, HIDDEN),
}


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


MANAGE = ("car_keeper", "sales_manager", "admin")
ROUTE_VIEW = (*MANAGE, "salesperson")

RECORD_KINDS = ("car", "route", "booking")


def _role_then_scope(*roles: str) -> dict[str, Any]:
    """Role first (403), then the store (404): records of the store, not owned by anyone."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in roles:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


STORE_STAFF = {
    role: (
        dict.fromkeys(RELATIONS, LOGIN)
        if role == "anonymous"
        else {"own": OK, "colleague": OK, "other_store": HIDDEN}
    )
    for role in ROLES
}


def vin(serial: int) -> str:
    """A VIN with a correct check digit."""
    base = f"LFMAP22C0N0{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def png_bytes(colour: tuple[int, int, int] = (200, 220, 240)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), colour).save(out, format="PNG")
    return out.getvalue()


def _build(world: World) -> dict[str, dict[str, Any]]:
    model = VehicleModel(code="TDPOL", name_zh="政策车", name_en="Policy car")
    db.session.add(model)
    db.session.flush()
    cars, routes = {}, {}
    stores = {"own": world.store_a, "colleague": world.store_a, "other_store": world.store_b}
    far = local_today() + timedelta(days=365)
    for n, (relation, store) in enumerate(stores.items(), start=1):
        car = TestDriveCar(
            store_id=store.id,
            plate=f"津T0000{n}",
            model_id=model.id,
            vin=vin(900 + n),
            insurance_expires=far,
            registration_expires=far,
        )
        route = TestDriveRoute(
            store_id=store.id,
            name=f"路线{n}",
            swap_point="加油站",
            demo_points=[{"at": "直道", "show": "加速"}],
        )
        route.models = [model]
        db.session.add_all([car, route])
        db.session.flush()
        admin = world.users["admin" if store is world.store_a else "other_manager"]
        route.map_sha256 = services.routes.store_route_map(
            png_bytes(), "image/png", store.id, admin
        )
        cars[relation], routes[relation] = car, route
    owners = {
        "own": (world.own_card, world.users["salesperson"]),
        "colleague": (world.colleague_card, world.users["colleague"]),
        "other_store": (world.other_store_card, world.users["other_salesperson"]),
    }
    start = now() + timedelta(days=1)
    for relation, (card, owner) in owners.items():
        booking = TestDriveBooking(
            store_id=card.store_id,
            card_id=card.id,
            owner_id=owner.id,
            driver_id=owner.id,
            car_id=cars[relation].id,
            route_id=routes[relation].id,
            starts_at=start,
            ends_at=start + timedelta(minutes=20),
        )
        db.session.add(booking)
        db.session.add(
            StaffLicence(
                user_id=owner.id, store_id=owner.store_id, licence_class="C1", expires_on=far
            )
        )
    services.checklists.ensure_default_templates()
    db.session.commit()
    return {"car": cars, "route": routes, "booking": bookings_of(world, owners)}


def bookings_of(world: World, owners: dict) -> dict[str, Any]:
    import sqlalchemy as sa

    return {
        relation: db.session.scalar(
            sa.select(TestDriveBooking).where(TestDriveBooking.card_id == card.id)
        )
        for relation, (card, _owner) in owners.items()
    }


def records(world: World, relation: str) -> dict[str, Any]:
    """The car, route and booking standing in `relation` to the acting user (built once)."""
    if "testdrive" not in world.extra:
        world.extra["testdrive"] = _build(world)
    built = world.extra["testdrive"]
    return {kind: built[kind][relation] for kind in RECORD_KINDS}


def car_body(world: World, card: Any) -> dict[str, str]:
    return {"plate": "bad", "vin": "x"}


def booking_body(world: World, card: Any) -> dict[str, str]:
    return {"car_id": "", "route_id": "", "starts_at": ""}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "testdrive.cars": [("GET", "/testdrive/cars", only(*MANAGE), None)],
    "testdrive.new_car": [
        ("GET", "/testdrive/cars/new", only(*MANAGE), None),
        ("POST", "/testdrive/cars/new", only(*MANAGE), car_body),
    ],
    "testdrive.edit_car": [
        ("GET", "/testdrive/cars/{car}/edit", _role_then_scope(*MANAGE), None),
        ("POST", "/testdrive/cars/{car}/edit", _role_then_scope(*MANAGE), car_body),
    ],
    "testdrive.routes": [("GET", "/testdrive/routes", only(*ROUTE_VIEW), None)],
    "testdrive.new_route": [
        ("GET", "/testdrive/routes/new", only(*MANAGE), None),
        ("POST", "/testdrive/routes/new", only(*MANAGE), lambda w, c: {"name": ""}),
    ],
    "testdrive.edit_route": [
        ("GET", "/testdrive/routes/{route}/edit", _role_then_scope(*MANAGE), None),
        (
            "POST",
            "/testdrive/routes/{route}/edit",
            _role_then_scope(*MANAGE),
            lambda w, c: {"name": ""},
        ),
    ],
    "testdrive.welcome_sheet": [
        ("GET", "/testdrive/routes/{route}/welcome", _role_then_scope(*ROUTE_VIEW), None)
    ],
    "testdrive.route_map": [("GET", "/testdrive/routes/{route}/map", STORE_STAFF, None)],
    "testdrive.bookings": [("GET", "/testdrive/bookings", only(*CARD_WORK), None)],
    "testdrive.new_booking": [
        ("GET", "/testdrive/bookings/new?card_id={card}", CARD, None),
        ("POST", "/testdrive/bookings/new?card_id={card}", CARD, booking_body),
    ],
    "testdrive.booking": [("GET", "/testdrive/bookings/{booking}", CARD, None)],
    "testdrive.cancel_booking": [
        ("POST", "/testdrive/bookings/{booking}/cancel", CARD, lambda w, c: {"reason": ""})
    ],
    "testdrive.schedule": [("GET", "/testdrive/schedule", only(*ROUTE_VIEW), None)],
    "testdrive.card_drives": [("GET", "/testdrive/cards/{card}/drives", CARD, None)],
    "testdrive.licences": [
        ("GET", "/testdrive/licences", only("sales_manager", "admin"), None),
        ("POST", "/testdrive/licences", only("sales_manager", "admin"), lambda w, c: {}),
    ],
    "testdrive.templates": [("GET", "/testdrive/templates", only("admin"), None)],
    "testdrive.edit_template": [
        ("GET", "/testdrive/templates/feedback/edit", only("admin"), None),
        ("POST", "/testdrive/templates/feedback/edit", only("admin"), lambda w, c: {"items": ""}),
    ],
}
