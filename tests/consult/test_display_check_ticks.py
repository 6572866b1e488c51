"""The display-car checklist (展车设置) starts with nothing ticked; "All OK" is an explicit,
confirmed action that records who took it; every role that may fill it in reaches it from
the navigation."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.helpers import assert_fragment, assert_full_page
from webapp.auth.models import Role
from webapp.consult import services
from webapp.consult.models import DisplayCarCheck
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def checks() -> list[DisplayCarCheck]:
    return list(db.session.scalars(sa.select(DisplayCarCheck)))


def ticked(html: str) -> list[str]:
    return re.findall(r'name="ok" value="(\w+)" checked', html)


# Services


def test_saving_with_nothing_ticked_records_every_item_as_not_right(world, showroom):
    sales = world.users["salesperson"]
    check = services.display_cars.save_check(sales, showroom.car.id, set(), {}, {})
    keys = services.display_cars.items_for(showroom.car)
    assert set(check.items) == set(keys)
    assert not any(item["ok"] for item in check.items.values())
    assert not check.ready and check.all_ok_by_id is None and check.all_ok_at is None
    row = next(
        r for r in services.display_cars.display_cars_today(sales) if r.car.id == showroom.car.id
    )
    assert row.checked and not row.ready and row.failed_items == list(keys)
    assert row.all_ok_by is None


def test_all_ok_records_every_item_right_and_who_said_so(world, showroom):
    keeper = world.users["car_keeper"]
    check = services.display_cars.mark_all_ok(keeper, showroom.car.id, confirmed=True)
    db.session.expire_all()
    check = db.session.get(DisplayCarCheck, check.id)
    assert check.ready and all(item["ok"] for item in check.items.values())
    assert set(check.items) == set(services.display_cars.items_for(showroom.car))
    assert check.all_ok_by_id == keeper.id and check.all_ok_at is not None
    assert check.checked_by_id == keeper.id
    row = next(
        r for r in services.display_cars.display_cars_today(keeper) if r.car.id == showroom.car.id
    )
    assert row.ready and row.all_ok_by == keeper.display_name


def test_all_ok_replaces_failed_items_and_needs_the_manager_again(world, showroom):
    sales = world.users["salesperson"]
    first = services.display_cars.save_check(
        sales, showroom.car.id, set(), {"clean": "前挡有手印"}, {}
    )
    services.display_cars.manager_check(world.users["sales_manager"], first.id, "")
    check = services.display_cars.mark_all_ok(sales, showroom.car.id, confirmed=True)
    assert check.id == first.id and len(checks()) == 1
    assert check.items["clean"] == {"ok": True, "note": "", "photo": None}
    assert check.manager_checked_at is None and check.manager_checked_by_id is None


def test_saving_item_by_item_after_all_ok_clears_the_all_ok(world, showroom):
    sales = world.users["salesperson"]
    services.display_cars.mark_all_ok(sales, showroom.car.id, confirmed=True)
    keys = set(services.display_cars.items_for(showroom.car))
    check = services.display_cars.save_check(sales, showroom.car.id, keys - {"music"}, {}, {})
    assert check.all_ok_by_id is None and check.all_ok_at is None and not check.ready


def test_all_ok_without_the_confirmation_records_nothing(world, showroom):
    with pytest.raises(ValidationError) as raised:
        services.display_cars.mark_all_ok(
            world.users["salesperson"], showroom.car.id, confirmed=False
        )
    assert "all_ok" in raised.value.errors
    assert checks() == []


def test_all_ok_is_for_the_roles_that_check_and_stays_in_the_store(world, showroom):
    with pytest.raises(PermissionDenied):
        services.display_cars.mark_all_ok(world.users["greeter"], showroom.car.id, True)
    with pytest.raises(NotFound):
        services.display_cars.mark_all_ok(
            world.users["salesperson"], showroom.other_store_car.id, True
        )
    assert checks() == []


# Views


def test_the_checklist_starts_with_nothing_ticked(client, world, showroom):
    client.login("sales")
    url = f"/consult/display-cars/{showroom.car.id}/check"
    page = assert_full_page(client.get(url))
    assert page.count('name="ok"') == 17 and ticked(page) == []
    fragment = assert_fragment(client.get(url, headers=hx("check-form")), "check-form")
    assert ticked(fragment) == []
    assert 'name="confirm" value="yes"' in fragment  # the "All OK" confirmation


def test_posting_the_untouched_form_records_nothing_ticked(client, world, showroom):
    client.login("sales")
    url = f"/consult/display-cars/{showroom.car.id}/check"
    response = client.post(url, data={}, content_type="multipart/form-data")
    assert response.status_code == 303
    (check,) = checks()
    assert not check.ready and not any(item["ok"] for item in check.items.values())
    page = client.get(url).get_data(as_text=True)
    assert ticked(page) == []  # what was saved, not a fully ticked list
    listing = client.get("/consult/display-cars").get_data(as_text=True)
    assert "state-bad" in listing


def test_all_ok_button_records_the_actor_and_shows_it(client, world, showroom):
    client.login("keeper")
    url = f"/consult/display-cars/{showroom.car.id}/all-ok"
    response = client.post(url, data={"confirm": "yes"}, headers=hx("check-form"))
    assert response.status_code == 200
    assert response.headers["HX-Location"].startswith("/consult/display-cars")
    (check,) = checks()
    assert check.ready and check.all_ok_by_id == world.users["car_keeper"].id
    listing = client.get("/consult/display-cars").get_data(as_text=True)
    assert world.users["car_keeper"].display_name in listing
    page = client.get(f"/consult/display-cars/{showroom.car.id}/check").get_data(as_text=True)
    assert len(ticked(page)) == 17
    assert world.users["car_keeper"].display_name in page


def test_all_ok_without_confirming_comes_back_with_a_message(client, world, showroom):
    client.login("sales")
    url = f"/consult/display-cars/{showroom.car.id}/all-ok"
    html = assert_fragment(client.post(url, data={}, headers=hx("check-form")), "check-form", 422)
    assert 'id="f-all_ok-error"' in html and '<details class="all-ok has-error" open' in html
    page = client.post(url, data={})
    assert page.status_code == 422 and 'id="f-all_ok-error"' in page.get_data(as_text=True)
    assert checks() == []


def test_all_ok_of_another_store_or_by_a_greeter_is_refused(app, world, showroom):
    greeter = app.test_client()
    greeter.login("greeter")
    assert (
        greeter.post(
            f"/consult/display-cars/{showroom.car.id}/all-ok", data={"confirm": "yes"}
        ).status_code
        == 403
    )
    outsider = app.test_client()
    outsider.login("bsales")
    assert (
        outsider.post(
            f"/consult/display-cars/{showroom.car.id}/all-ok", data={"confirm": "yes"}
        ).status_code
        == 404
    )
    assert checks() == []


# Navigation

CHECKERS = {
    Role.SALESPERSON: "sales",
    Role.SALES_MANAGER: "manager",
    Role.ADMIN: "admin",
    Role.CAR_KEEPER: "keeper",
}
OTHERS = ("greeter", "service", "finance")


def test_every_role_that_checks_display_cars_has_them_in_its_navigation(app, world):
    assert set(services.display_cars.DISPLAY_CHECK_ROLES) == set(CHECKERS)
    for role, username in CHECKERS.items():
        client = app.test_client()
        assert client.login(username).status_code == 303
        page = client.get("/catalog/").get_data(as_text=True)
        nav = page[
            page.index('<nav class="tabs"') : page.index("</nav>", page.index('<nav class="tabs"'))
        ]
        assert 'href="/consult/display-cars"' in nav, role
        assert client.get("/consult/display-cars").status_code == 200, role


def test_roles_that_do_not_check_have_no_display_car_tab(app, world):
    for username in OTHERS:
        client = app.test_client()
        assert client.login(username).status_code == 303
        page = client.get("/catalog/").get_data(as_text=True)
        assert 'href="/consult/display-cars"' not in page, username


def test_the_tab_is_marked_active_on_the_checklist(client, world, showroom):
    client.login("keeper")
    page = client.get(f"/consult/display-cars/{showroom.car.id}/check").get_data(as_text=True)
    assert re.search(r'href="/consult/display-cars" class="tab active"', page)
