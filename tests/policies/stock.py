"""Access policy of the vehicle stock (库存车): the car keeper, the sales manager and the
admin look after it; a salesperson may look at it (what is there for an SFX and colour);
greeters, finance and service advisors have no business with it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tests.conftest import World
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.stock.models import Vehicle
from webapp.testdrive.validators import vin_check_digit

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
MANAGE = ("car_keeper", "sales_manager", "admin")
VIEW = (*MANAGE, "salesperson")

RECORD_KINDS = ("vehicle",)


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def role_then_scope(*roles: str) -> dict[str, Any]:
    """Role first (403), then the store (404): cars belong to a store, not to a person."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        elif role in roles:
            table[role] = {"own": OK, "colleague": OK, "other_store": HIDDEN}
        else:
            table[role] = dict.fromkeys(RELATIONS, DENIED)
    return table


def _vin(serial: int) -> str:
    base = f"LFMA4RAE0R9{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def _build(world: World) -> dict[str, Any]:
    model = VehicleModel(code="STKPOL", name_zh="政策库存车", name_en="Policy stock car")
    model.sfx.append(Sfx(code="POL-1", grade="标准版", engine="1.5L", msrp=Decimal("100000")))
    model.colours.append(Colour(name_zh="白色", name_en="White"))
    db.session.add(model)
    db.session.flush()
    stores = {"own": world.store_a, "colleague": world.store_a, "other_store": world.store_b}
    built = {}
    for n, (relation, store) in enumerate(stores.items(), start=1):
        vehicle = Vehicle(
            store_id=store.id,
            vin=_vin(n),
            model_id=model.id,
            sfx_id=model.sfx[0].id,
            colour_id=model.colours[0].id,
            status="in_stock",
        )
        db.session.add(vehicle)
        built[relation] = vehicle
    db.session.commit()
    return built


def records(world: World, relation: str) -> dict[str, Any]:
    """The car of the stock standing in `relation` to the acting user (built once)."""
    if "stock" not in world.extra:
        world.extra["stock"] = _build(world)
    return {"vehicle": world.extra["stock"][relation]}


def vehicle_body(world: World, card: Any) -> dict[str, str]:
    return {"vin": "x"}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "stock.index": [("GET", "/stock/", only(*VIEW), None)],
    "stock.vehicle": [("GET", "/stock/{vehicle}", role_then_scope(*VIEW), None)],
    "stock.new": [
        ("GET", "/stock/new", only(*MANAGE), None),
        ("POST", "/stock/new", only(*MANAGE), vehicle_body),
    ],
    "stock.edit": [
        ("GET", "/stock/{vehicle}/edit", role_then_scope(*MANAGE), None),
        ("POST", "/stock/{vehicle}/edit", role_then_scope(*MANAGE), vehicle_body),
    ],
    "stock.import_csv": [
        ("GET", "/stock/import", only(*MANAGE), None),
        ("POST", "/stock/import", only(*MANAGE), lambda w, c: {}),
    ],
    "stock.import_template": [("GET", "/stock/import/template.csv", only(*MANAGE), None)],
}
