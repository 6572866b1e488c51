"""Every registered route × every role × own / colleague's / other store's record, against policy.

The policy below is the written access table. A route missing from it fails the suite, so a
new endpoint cannot ship without someone deciding who may use it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import World
from tests.policies import area_modules
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db
from webapp.timeutil import local_today

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
STAFF = [r for r in ROLES if r != "anonymous"]


def everyone(outcome: str = OK, anonymous: str = LOGIN) -> dict[str, str]:
    return {role: (anonymous if role == "anonymous" else outcome) for role in ROLES}


def only(*roles: str) -> dict[str, str]:
    """Staff roles listed get OK, other staff 403, anonymous is sent to log in."""
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


# Who reaches which customer card (the A-C card routes): scope first (404), then role (403).
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
CARD_WORK = ("salesperson", "sales_manager", "admin")


# Admin screens over a user or store record: role first (403), then reach (404).
ADMIN_RECORD = {
    role: (
        dict.fromkeys(RELATIONS, LOGIN)
        if role == "anonymous"
        else {"own": OK, "colleague": OK, "other_store": HIDDEN}
        if role == "admin"
        else dict.fromkeys(RELATIONS, DENIED)
    )
    for role in ROLES
}


def card_body(world: World, card: Any) -> dict[str, str]:
    return {"name": "改名", "title": "mr", "mobile": card.mobile, "source": "walk_in"}


# The two forms the customer signs on delivery day (webapp.delivery.handover): the salesperson
# their own delivery, the store's managers, admin and service advisor; the greeter sees the
# store's deliveries (the board) but has no work on the forms.
HANDOVER_FORMS = {
    "anonymous": dict.fromkeys(RELATIONS, LOGIN),
    "greeter": {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN},
    "salesperson": {"own": OK, "colleague": HIDDEN, "other_store": HIDDEN},
    "sales_manager": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "admin": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "service_advisor": {"own": OK, "colleague": OK, "other_store": HIDDEN},
    "finance": dict.fromkeys(RELATIONS, HIDDEN),
    "car_keeper": dict.fromkeys(RELATIONS, HIDDEN),
}
HANDOVER_SIGNATURE = {
    **{
        role: {rel: HIDDEN if outcome == OK else outcome for rel, outcome in cases.items()}
        for role, cases in HANDOVER_FORMS.items()
    },
    "service_advisor": {"own": DENIED, "colleague": DENIED, "other_store": HIDDEN},
}


# endpoint → (method, path template, outcome per role [per relation], request body builder)
POLICY: dict[str, list[tuple[str, str, dict, Callable | None]]] = {
    "auth.login": [
        ("GET", "/login", everyone(OK, anonymous=OK), None),
        ("POST", "/login", everyone(OK, anonymous=OK), lambda w, r: {"username": "x"}),
    ],
    "auth.logout": [("POST", "/logout", everyone(LOGIN), None)],
    "auth.language": [
        ("POST", "/language", everyone(OK, anonymous=OK), lambda w, c: {"locale": "zh_CN"})
    ],
    "auth.password": [
        ("GET", "/account/password", everyone(OK), None),
        ("POST", "/account/password", everyone(OK), lambda w, c: {"current_password": "x"}),
    ],
    "home.index": [("GET", "/", everyone(OK), None)],
    "home.my_day": [("GET", "/my-day", only("salesperson", "sales_manager"), None)],
    "home.store_today": [("GET", "/store-today", only("sales_manager", "admin"), None)],
    "home.store_lines": [
        ("GET", "/store-today/by-salesperson", only("sales_manager", "admin"), None)
    ],
    "home.arrivals": [("GET", "/arrivals", only("greeter", "sales_manager", "admin"), None)],
    "home.welcome": [("GET", "/welcome", everyone(OK), None)],
    "home.ping": [("GET", "/ping", everyone(OK), None)],
    # Every member of staff may poll it (empty for roles without visits); no session: 401.
    "home.arrival_banner": [("GET", "/arrival-banner", everyone(OK, anonymous="401"), None)],
    "customers.search": [
        ("GET", "/customers/", only("greeter", *CARD_WORK), None),
        ("POST", "/customers/", only("greeter", *CARD_WORK), lambda w, c: {"q": "139"}),
    ],
    "customers.check_mobile": [
        (
            "POST",
            "/customers/check-mobile",
            only("greeter", *CARD_WORK),
            lambda w, c: {"mobile": "13900000001"},
        )
    ],
    "customers.box": [("GET", "/customers/box", only(*CARD_WORK), None)],
    "customers.new": [
        ("GET", "/customers/new", only(*CARD_WORK), None),
        ("POST", "/customers/new", only(*CARD_WORK), lambda w, c: {"name": "新客户"}),
    ],
    "customers.card": [("GET", "/customers/{card}", CARD, None)],
    "customers.edit": [
        ("GET", "/customers/{card}/edit", CARD, None),
        ("POST", "/customers/{card}/edit", CARD, card_body),
    ],
    "customers.change_stage": [
        (
            "POST",
            "/customers/{card}/stage",
            CARD,
            lambda w, c: {"stage": "lost", "stage_note": ""},
        )
    ],
    "customers.add_contact": [
        ("POST", "/customers/{card}/contacts", CARD, lambda w, c: {"kind": "visit", "note": "到店"})
    ],
    "admin.users": [("GET", "/admin/users", only("admin"), None)],
    "admin.new_user": [
        ("GET", "/admin/users/new", only("admin"), None),
        ("POST", "/admin/users/new", only("admin"), lambda w, r: {"username": "x"}),
    ],
    "admin.edit_user": [
        ("GET", "/admin/users/{user}/edit", ADMIN_RECORD, None),
        ("POST", "/admin/users/{user}/edit", ADMIN_RECORD, lambda w, r: {"display_name": ""}),
    ],
    "admin.disable_user": [("POST", "/admin/users/{user}/disable", ADMIN_RECORD, None)],
    "admin.enable_user": [("POST", "/admin/users/{user}/enable", ADMIN_RECORD, None)],
    "admin.reset_password": [
        ("POST", "/admin/users/{user}/password", ADMIN_RECORD, lambda w, r: {"password": "x"})
    ],
    "admin.stores": [("GET", "/admin/stores", only("admin"), None)],
    # Creating stores needs a group admin; the matrix's admin is a store admin.
    "admin.new_store": [
        ("GET", "/admin/stores/new", only(), None),
        ("POST", "/admin/stores/new", only(), lambda w, r: {"code": "X1"}),
    ],
    "admin.edit_store": [
        ("GET", "/admin/stores/{store}/edit", ADMIN_RECORD, None),
        ("POST", "/admin/stores/{store}/edit", ADMIN_RECORD, lambda w, r: {"name": ""}),
    ],
    "admin.grade_rules": [
        ("POST", "/admin/stores/{store}/grade-rules", ADMIN_RECORD, lambda w, r: {"H_days": "x"})
    ],
    "catalog.models": [("GET", "/catalog/", everyone(OK), None)],
    "catalog.model": [("GET", "/catalog/{model}", everyone(OK), None)],
    "catalog.new_model": [
        ("GET", "/catalog/new", only("admin"), None),
        ("POST", "/catalog/new", only("admin"), lambda w, r: {"code": ""}),
    ],
    "catalog.edit_model": [
        ("GET", "/catalog/{model}/edit", only("admin"), None),
        ("POST", "/catalog/{model}/edit", only("admin"), lambda w, r: {"code": ""}),
    ],
    "catalog.new_sfx": [
        ("GET", "/catalog/{model}/sfx/new", only("admin"), None),
        ("POST", "/catalog/{model}/sfx/new", only("admin"), lambda w, r: {"code": ""}),
    ],
    "catalog.edit_sfx": [
        ("GET", "/catalog/{model}/sfx/{sfx}/edit", only("admin"), None),
        ("POST", "/catalog/{model}/sfx/{sfx}/edit", only("admin"), lambda w, r: {"code": ""}),
    ],
    "catalog.new_colour": [
        ("GET", "/catalog/{model}/colours/new", only("admin"), None),
        ("POST", "/catalog/{model}/colours/new", only("admin"), lambda w, r: {"hex": "x"}),
    ],
    "catalog.edit_colour": [
        ("GET", "/catalog/{model}/colours/{colour}/edit", only("admin"), None),
        (
            "POST",
            "/catalog/{model}/colours/{colour}/edit",
            only("admin"),
            lambda w, r: {"hex": "x"},
        ),
    ],
    "pwa.manifest": [("GET", "/manifest.webmanifest", everyone(OK, anonymous=OK), None)],
    "pwa.service_worker": [("GET", "/sw.js", everyone(OK, anonymous=OK), None)],
    "pwa.offline": [("GET", "/offline", everyone(OK, anonymous=OK), None)],
    # 附表十四/十五 at the car: who works delivery day (scope first, then role).
    "delivery.checklists": [
        ("GET", "/delivery/{handover_delivery}/checklists", HANDOVER_FORMS, None)
    ],
    "delivery.print_forms": [
        ("GET", "/delivery/{handover_delivery}/forms/print", HANDOVER_FORMS, None)
    ],
    # The matrix's deliveries are not signed: where the image may be asked for, 404.
    "delivery.form_signature": [
        ("GET", "/delivery/{handover_delivery}/forms/process/signature", HANDOVER_SIGNATURE, None)
    ],
    "static": [("GET", "/static/css/app.css", everyone(OK, anonymous=OK), None)],
}


AREAS = area_modules()
for _area in AREAS:
    assert not POLICY.keys() & _area.POLICY.keys(), _area.__name__
    POLICY.update(_area.POLICY)
RECORD_KINDS = (
    "card",
    "user",
    "store",
    "handover_delivery",
    *(kind for area in AREAS for kind in getattr(area, "RECORD_KINDS", ())),
)


def classify(response: Any) -> str:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status in (301, 302, 303) and "/login" in location:
        return LOGIN
    if status in (200, 204, 301, 302, 303, 422):
        return OK
    return str(status)


def records_for(world: World, relation: str) -> dict[str, Any]:
    """The record of each kind that stands in the given relation to the acting user."""
    users = world.users
    records = {
        "card": {
            "own": world.own_card,
            "colleague": world.colleague_card,
            "other_store": world.other_store_card,
        }[relation],
        "user": {
            "own": users["colleague"],
            "colleague": users["service_advisor"],
            "other_store": users["other_salesperson"],
        }[relation],
        "store": {"own": world.store_a, "colleague": world.store_a, "other_store": world.store_b}[
            relation
        ],
    }
    for area in AREAS:
        if hasattr(area, "records"):
            records.update(area.records(world, relation))
    records["handover_delivery"] = _handover_deliveries(world)[relation]
    return records


def _handover_deliveries(world: World) -> dict[str, Any]:
    """A delivery per relation, on a balance-paid contract beside the contracts policy's own
    (built once per world)."""
    if "handover_deliveries" in world.extra:
        return world.extra["handover_deliveries"]
    from webapp.delivery.models import Delivery
    from webapp.negotiation.contract_models import Contract, ContractState
    from webapp.timeutil import now

    built = {}
    for n, relation in enumerate(RELATIONS, start=1):
        base = records_for_contract(world, relation)
        contract = Contract(
            number=f"HO-{n}",
            store_id=base.store_id,
            card_id=base.card_id,
            owner_id=base.owner_id,
            memo_version_id=base.memo_version_id,
            model_id=base.model_id,
            sfx_id=base.sfx_id,
            colour_id=base.colour_id,
            state=ContractState.BALANCE_PAID.value,
            contract_date=base.contract_date,
            delivery_date=base.delivery_date,
            total=base.total,
            deposit_due=base.deposit_due,
            balance_due=base.balance_due,
        )
        db.session.add(contract)
        db.session.flush()
        built[relation] = Delivery(
            store_id=base.store_id,
            contract_id=contract.id,
            card_id=base.card_id,
            owner_id=base.owner_id,
            scheduled_at=now(),
        )
        db.session.add(built[relation])
    db.session.commit()
    world.extra["handover_deliveries"] = built
    return built


def records_for_contract(world: World, relation: str) -> Any:
    """The contracts policy's approved contract in `relation` to the acting user."""
    for area in AREAS:
        if area.__name__.endswith(".contracts"):
            return area.records(world, relation)["contract"]
    raise LookupError("tests/policies/contracts.py is gone")


@pytest.fixture
def catalogue(app):
    """One model with an SFX and a colour: the catalogue is national, not per store."""
    model = VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla", fab="省油")
    model.sfx.append(
        Sfx(code="ZRE-E", grade="精英版", engine="1.5L", msrp=Decimal("125800"), fab="")
    )
    model.colours.append(Colour(name_zh="白", name_en="White", hex="#ffffff"))
    db.session.add(model)
    db.session.commit()
    return {"model": model.id, "sfx": model.sfx[0].id, "colour": model.colours[0].id}


def row_counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_every_route_is_in_the_policy(app):
    registered = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert sorted(registered - POLICY.keys()) == [], "add these routes to POLICY"
    assert sorted(POLICY.keys() - registered) == [], "POLICY names routes that do not exist"


def test_every_method_of_every_route_is_exercised(app):
    for rule in app.url_map.iter_rules():
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        covered = {method for method, *_ in POLICY.get(rule.endpoint, [])}
        assert methods <= covered, f"{rule.endpoint}: {sorted(methods - covered)} not exercised"


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_exactly_what_the_policy_says(app, world, catalogue, role):
    mismatches = []
    before = row_counts()
    for endpoint, cases in POLICY.items():
        for method, template, outcomes, body in cases:
            relational = any(f"{{{kind}}}" in template for kind in RECORD_KINDS)
            relations = RELATIONS if relational else (None,)
            for relation in relations:
                client = app.test_client()
                if role != "anonymous":
                    assert client.login(world.users[role].username).status_code == 303
                records = records_for(world, relation) if relation else {}
                ids = {kind: record.id for kind, record in records.items()}
                # {today}: the day when the request is made (a run may cross midnight).
                path = template.format(**ids, **catalogue, today=local_today().isoformat())
                world.current = records
                data = body(world, records.get("card")) if body else {}
                response = client.open(path, method=method, data=data)
                expected = outcomes[role][relation] if relation else outcomes[role]
                actual = classify(response)
                if actual != expected:
                    mismatches.append(f"{method} {path} ({relation}): {actual} != {expected}")
                if method == "GET" and response.mimetype == "text/html":
                    csp = response.headers.get("Content-Security-Policy", "")
                    assert "unsafe-inline" not in csp and "script-src 'self'" in csp, path
                    assert response.headers.get("X-Content-Type-Options") == "nosniff"
                    assert "frame-ancestors 'none'" in csp
                    assert response.headers.get("Referrer-Policy")
        if endpoint == "home.ping":
            # No GET so far changed data (logins add a session row each; POSTs come later).
            after = row_counts()
            after.pop("user_session"), before.pop("user_session", None)
            assert {k: v for k, v in after.items()} == {
                k: v for k, v in before.items() if k != "user_session"
            }
    assert mismatches == []


def test_other_store_records_never_show_in_lists_or_searches(app, world):
    outsider_card = world.other_store_card
    for role in ("greeter", "salesperson", "sales_manager", "admin"):
        client = app.test_client()
        client.login(world.users[role].username)
        for method, path, data in (
            ("POST", "/customers/", {"q": outsider_card.mobile[:8]}),
            ("POST", "/customers/", {"q": outsider_card.name}),
            ("POST", "/customers/check-mobile", {"mobile": outsider_card.mobile}),
            ("GET", "/customers/box", {}),
            ("GET", "/my-day", {}),
        ):
            page = client.open(path, method=method, data=data).get_data(as_text=True)
            page = re.sub(r'value="[^"]*"', "", page)  # the search box echoes the query
            assert outsider_card.name not in page and outsider_card.mobile not in page, (role, path)


def test_salesperson_search_shows_own_but_not_colleagues_cards(app, world):
    client = app.test_client()
    client.login("sales")
    page = client.post("/customers/", data={"q": "1390000000"}).get_data(as_text=True)
    assert world.own_card.name in page
    assert world.colleague_card.name not in page


def test_greeter_search_shows_store_customers_without_card_details(app, world):
    world.colleague_card.budget = 250000
    world.colleague_card.grade = "H"
    db.session.commit()
    client = app.test_client()
    client.login("greeter")
    page = client.post("/customers/", data={"q": "1390000000"}).get_data(as_text=True)
    assert world.own_card.name in page and world.colleague_card.name in page
    assert f"/customers/{world.colleague_card.id}" not in page  # no link to the full card
    assert "250,000" not in page and "grade-h" not in page


def test_every_state_changing_route_refuses_a_missing_or_wrong_csrf_token(app, world):
    changes = [
        (endpoint, method, template)
        for endpoint, cases in POLICY.items()
        for method, template, *_ in cases
        if method not in ("GET", "HEAD", "OPTIONS")
    ]
    assert changes
    own = {kind: record.id for kind, record in records_for(world, "own").items()}
    client = app.test_client()
    client.login("manager")
    before = row_counts()
    for endpoint, method, template in changes:
        path = template.format(**own, model=1, sfx=1, colour=1)
        for token in (False, "forged-token"):
            response = client.open(path, method=method, data={"name": "x", "note": "x"}, csrf=token)
            assert response.status_code == 400, (endpoint, method, token)
    assert row_counts() == before
