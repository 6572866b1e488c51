"""Access policy of steps ③ ④: needs analysis on a card, walkaround, comparison sheets,
catalogue hand-over and invitation, the admins' editors, and the display-car checklist."""

from __future__ import annotations

from typing import Any

from tests.conftest import World
from tests.sync.support import matrix_records
from webapp.blobs import store_blob
from webapp.catalog.models import VehicleModel
from webapp.consult import services
from webapp.consult.models import ComparisonSheet, DisplayCar, DisplayCarCheck, NeedsAnalysis
from webapp.extensions import db
from webapp.timeutil import local_today

# The matrix's vocabulary, repeated here (importing tests.test_access_matrix would be circular).
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
DISPLAY = ("salesperson", "sales_manager", "admin", "car_keeper")
DISPLAY_MANAGE = ("sales_manager", "admin")

RECORD_KINDS = ("analysis", "sheet", "display_car", "display_check")


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


def scope_then_role(*roles: str) -> dict[str, Any]:
    """Store records: another store's is 404 for everyone, then the role decides (403)."""
    table: dict[str, Any] = {}
    for role in ROLES:
        if role == "anonymous":
            table[role] = dict.fromkeys(RELATIONS, LOGIN)
        else:
            outcome = OK if role in roles else DENIED
            table[role] = {"own": outcome, "colleague": outcome, "other_store": HIDDEN}
    return table


def national(*roles: str) -> dict[str, Any]:
    """Records shared by every store (comparison sheets): the role alone decides."""
    return {
        role: dict.fromkeys(
            RELATIONS, LOGIN if role == "anonymous" else OK if role in roles else DENIED
        )
        for role in ROLES
    }


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 24), (90, 120, 200)).save(out, format="PNG")
    return out.getvalue()


def _build(world: World) -> dict[str, dict[str, Any]]:
    # The sync area's records move the blob store to a temporary folder and key: build them
    # first, so the photos below land where the photo route will read them.
    matrix_records(world)
    model = VehicleModel(code="CSPOL", name_zh="对比车", name_en="Policy model")
    db.session.add(model)
    db.session.flush()
    questionnaire = services.questionnaire.ensure_default_questionnaire()
    sheet = ComparisonSheet(
        model_id=model.id,
        competitor="本田雅阁",
        aliases=["雅阁"],
        rows=[{"aspect": "油耗", "ours": "4L", "theirs": "5L"}],
    )
    db.session.add(sheet)
    cards = {
        "own": world.own_card,
        "colleague": world.colleague_card,
        "other_store": world.other_store_card,
    }
    analyses = {}
    for relation, card in cards.items():
        analysis = NeedsAnalysis(
            store_id=card.store_id,
            card_id=card.id,
            questionnaire_id=questionnaire.id,
            created_by_id=card.owner_id,
        )
        db.session.add(analysis)
        analyses[relation] = analysis
    stores = {"own": world.store_a, "colleague": world.store_a, "other_store": world.store_b}
    cars, checks = {}, {}
    for n, (relation, store) in enumerate(stores.items(), start=1):
        car = DisplayCar(store_id=store.id, model_id=model.id, colour="白", position=f"{n}号")
        db.session.add(car)
        db.session.flush()
        actor = world.users["salesperson" if store is world.store_a else "other_salesperson"]
        blob = store_blob(_png(), "image/png", "photo", store.id, actor)
        check = DisplayCarCheck(
            store_id=store.id,
            car_id=car.id,
            day=local_today(),
            items={
                key: {
                    "ok": key != "clean",
                    "note": "",
                    "photo": blob.sha256 if key == "clean" else None,
                }
                for key in services.display_cars.items_for(car)
            },
            ready=False,
            checked_by_id=actor.id,
        )
        db.session.add(check)
        cars[relation], checks[relation] = car, check
    db.session.commit()
    return {
        "analysis": analyses,
        "sheet": dict.fromkeys(RELATIONS, sheet),
        "display_car": cars,
        "display_check": checks,
    }


def records(world: World, relation: str) -> dict[str, Any]:
    """The analysis, sheet, display car and checklist in `relation` to the acting user."""
    if "consult" not in world.extra:
        world.extra["consult"] = _build(world)
    built = world.extra["consult"]
    return {kind: built[kind][relation] for kind in RECORD_KINDS}


POLICY: dict[str, list[tuple[str, str, dict, Any]]] = {
    "consult.needs": [
        ("GET", "/consult/cards/{card}/needs", CARD, None),
        ("POST", "/consult/cards/{card}/needs", CARD, lambda w, c: {"budget": "很多"}),
    ],
    "consult.confirm": [("POST", "/consult/needs/{analysis}/confirm", CARD, None)],
    "consult.recommend": [
        ("POST", "/consult/needs/{analysis}/recommend", CARD, lambda w, c: {"model_id": ""})
    ],
    "consult.walkaround": [("GET", "/consult/cards/{card}/walkaround", CARD, None)],
    "consult.tick": [
        (
            "POST",
            "/consult/cards/{card}/walkaround/{model}/tick",
            CARD,
            lambda w, c: {"position": "roof"},
        )
    ],
    "consult.compare": [("GET", "/consult/cards/{card}/compare", CARD, None)],
    "consult.card_panel": [("GET", "/consult/cards/{card}/panel", CARD, None)],
    "consult.catalogue": [
        (
            "POST",
            "/consult/cards/{card}/catalogue",
            CARD,
            lambda w, c: {"catalogue_note": "x" * 600},
        )
    ],
    "consult.invite": [
        ("POST", "/consult/cards/{card}/invite", CARD, lambda w, c: {"invite_note": "x" * 600})
    ],
    "consult.questionnaire": [("GET", "/consult/questionnaire", only("admin"), None)],
    "consult.edit_questionnaire": [
        ("GET", "/consult/questionnaire/edit", only("admin"), None),
        ("POST", "/consult/questionnaire/edit", only("admin"), lambda w, c: {"items": ""}),
    ],
    "consult.sheets": [("GET", "/consult/comparisons", only(*CARD_WORK), None)],
    "consult.new_sheet": [
        ("GET", "/consult/comparisons/new", only("admin"), None),
        ("POST", "/consult/comparisons/new", only("admin"), lambda w, c: {"competitor": ""}),
    ],
    "consult.edit_sheet": [
        ("GET", "/consult/comparisons/{sheet}/edit", national("admin"), None),
        ("POST", "/consult/comparisons/{sheet}/edit", national("admin"), lambda w, c: {"rows": ""}),
    ],
    "consult.walkaround_models": [("GET", "/consult/walkarounds", only("admin"), None)],
    "consult.edit_points": [
        ("GET", "/consult/walkarounds/{model}/edit", only("admin"), None),
        (
            "POST",
            "/consult/walkarounds/{model}/edit",
            only("admin"),
            lambda w, c: {"points": "roof | a | b | c"},
        ),
    ],
    "consult.display_cars": [("GET", "/consult/display-cars", only(*DISPLAY), None)],
    "consult.new_display_car": [
        ("GET", "/consult/display-cars/new", only(*DISPLAY_MANAGE), None),
        ("POST", "/consult/display-cars/new", only(*DISPLAY_MANAGE), lambda w, c: {}),
    ],
    "consult.display_check": [
        ("GET", "/consult/display-cars/{display_car}/check", scope_then_role(*DISPLAY), None),
        (
            "POST",
            "/consult/display-cars/{display_car}/check",
            scope_then_role(*DISPLAY),
            lambda w, c: {"note_clean": "x" * 300},
        ),
    ],
    "consult.display_all_ok": [
        (
            "POST",
            "/consult/display-cars/{display_car}/all-ok",
            scope_then_role(*DISPLAY),
            lambda w, c: {},
        )
    ],
    "consult.manager_check": [
        (
            "POST",
            "/consult/display-cars/checks/{display_check}/manager",
            scope_then_role(*DISPLAY_MANAGE),
            lambda w, c: {"manager_note": "x" * 600},
        )
    ],
    "consult.check_photo": [
        (
            "GET",
            "/consult/display-cars/checks/{display_check}/photos/clean",
            scope_then_role(*DISPLAY),
            None,
        )
    ],
}
