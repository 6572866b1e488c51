"""Catalogue screens: pages for all staff, edit forms for admins, fragments for htmx."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import BOOSTED, HX, assert_fragment, assert_full_page
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db


@pytest.fixture
def admin_client(client, staff):
    staff("admin")
    client.login("admin")
    return client


def page_urls(model):
    """Every GET endpoint of the catalogue with the id of its block's root element."""
    sfx, colour = model.sfx[0], model.colours[0]
    return {
        "/catalog/": "model-list",
        "/catalog/?body_type=sedan": "model-list",
        f"/catalog/{model.id}": "model-detail",
        "/catalog/new": "model-form",
        f"/catalog/{model.id}/edit": "model-form",
        f"/catalog/{model.id}/sfx/new": "sfx-form",
        f"/catalog/{model.id}/sfx/{sfx.id}/edit": "sfx-form",
        f"/catalog/{model.id}/colours/new": "colour-form",
        f"/catalog/{model.id}/colours/{colour.id}/edit": "colour-form",
    }


def test_every_catalogue_page_renders_in_full_for_an_admin(admin_client, corolla):
    for url in page_urls(corolla):
        assert_full_page(admin_client.get(url))


def test_every_catalogue_page_serves_its_block_to_htmx_and_the_page_when_boosted(
    admin_client, corolla
):
    for url, element_id in page_urls(corolla).items():
        assert_fragment(admin_client.get(url, headers=HX), element_id)
        assert "<html" in admin_client.get(url, headers=BOOSTED).get_data(as_text=True)


@pytest.mark.parametrize("role", ["salesperson", "greeter", "finance"])
def test_staff_may_view_but_not_open_edit_pages(client, staff, corolla, role):
    staff(role)
    client.login(role)
    for url, element_id in page_urls(corolla).items():
        expected = 200 if element_id in ("model-list", "model-detail") else 403
        assert client.get(url).status_code == expected, url


def test_catalogue_requires_login(client, corolla):
    response = client.get("/catalog/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_nav_has_a_catalogue_tab_for_everyone(client, staff):
    staff("car_keeper")
    client.login("car_keeper")
    html = client.get("/welcome").get_data(as_text=True)
    assert 'href="/catalog/"' in html


def test_model_page_shows_sfx_price_in_yuan_and_a_colour_swatch(client, staff, corolla):
    staff("salesperson")
    client.login("salesperson")
    html = assert_full_page(client.get(f"/catalog/{corolla.id}"))
    assert "ZRE211-E" in html and "1.5L M15C" in html and "省油耐用" in html
    assert "¥125,800.00" in html
    assert 'fill="#9e1b2f"' in html
    assert "深红云母" in html
    assert "OLD-1" not in html  # inactive SFX: admins only


def test_greeter_sees_the_catalogue_without_prices(client, staff, corolla):
    staff("greeter")
    client.login("greeter")
    for url in (f"/catalog/{corolla.id}", "/catalog/"):
        html = client.get(url).get_data(as_text=True)
        assert "ZRE211-E" in html or "卡罗拉" in html
        assert "¥" not in html


def test_staff_do_not_see_edit_links(client, staff, corolla):
    staff("salesperson")
    client.login("salesperson")
    html = client.get(f"/catalog/{corolla.id}").get_data(as_text=True)
    assert "/edit" not in html and "/sfx/new" not in html


def test_inactive_model_is_404_for_staff(client, staff, corolla):
    corolla.active = False
    db.session.commit()
    staff("salesperson")
    client.login("salesperson")
    assert client.get(f"/catalog/{corolla.id}").status_code == 404
    assert "卡罗拉" not in client.get("/catalog/").get_data(as_text=True)


def test_body_type_filter_fragment_lists_only_that_type(admin_client, corolla):
    html = assert_fragment(admin_client.get("/catalog/?body_type=suv", headers=HX), "model-list")
    assert "卡罗拉" not in html


def model_form(**overrides):
    data = {
        "code": "CROWN",
        "name_zh": "皇冠",
        "name_en": "Crown",
        "body_type": "sedan",
        "fab": "旗舰",
        "active": "1",
        "sort_order": "2",
    }
    data.update(overrides)
    return data


def model_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(VehicleModel))


def test_admin_adds_a_model_and_lands_on_its_page(admin_client):
    response = admin_client.post("/catalog/new", data=model_form())
    assert response.status_code == 303
    model = db.session.scalar(sa.select(VehicleModel).where(VehicleModel.code == "CROWN"))
    assert response.headers["Location"].endswith(f"/catalog/{model.id}")


def test_htmx_model_create_answers_with_hx_location(admin_client):
    response = admin_client.post("/catalog/new", data=model_form(), headers=HX)
    assert response.status_code == 200
    assert "/catalog/" in response.headers["HX-Location"]


def test_bad_model_comes_back_422_next_to_the_fields(admin_client, corolla):
    data = model_form(code="COROLLA", name_zh="", fab="长" * 201)
    html = assert_full_page(admin_client.post("/catalog/new", data=data), 422)
    assert {"code", "name_zh", "fab"} <= set(field_errors(html))
    html = assert_fragment(
        admin_client.post("/catalog/new", data=data, headers=HX), "model-form", 422
    )
    assert "code" in field_errors(html)
    assert model_count() == 1


def test_salesperson_cannot_post_a_model(client, staff):
    staff("salesperson")
    client.login("salesperson")
    assert client.post("/catalog/new", data=model_form()).status_code == 403
    assert model_count() == 0


def test_admin_edits_a_model(admin_client, corolla):
    data = model_form(code="COROLLA", name_zh="卡罗拉新款")
    response = admin_client.post(f"/catalog/{corolla.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(VehicleModel, corolla.id).name_zh == "卡罗拉新款"


def test_bad_model_edit_comes_back_422_and_changes_nothing(admin_client, corolla):
    data = model_form(code="", sort_order="x")
    html = assert_full_page(admin_client.post(f"/catalog/{corolla.id}/edit", data=data), 422)
    assert {"code", "sort_order"} <= set(field_errors(html))
    db.session.expire_all()
    assert db.session.get(VehicleModel, corolla.id).code == "COROLLA"


def sfx_form(**overrides):
    data = {
        "code": "ZWE211-H",
        "grade": "双擎 精英版",
        "engine": "1.8L 混动",
        "drivetrain": "FF",
        "new_energy": "",
        "msrp": "139800",
        "fab": "",
        "active": "1",
    }
    data.update(overrides)
    return data


def test_admin_adds_an_sfx(admin_client, corolla):
    response = admin_client.post(f"/catalog/{corolla.id}/sfx/new", data=sfx_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/catalog/{corolla.id}")
    sfx = db.session.scalar(sa.select(Sfx).where(Sfx.code == "ZWE211-H"))
    assert sfx.msrp == Decimal("139800.00")


def test_bad_sfx_price_comes_back_next_to_the_field_and_saves_nothing(admin_client, corolla):
    for msrp in ("0", "10000001", "1.001"):
        response = admin_client.post(f"/catalog/{corolla.id}/sfx/new", data=sfx_form(msrp=msrp))
        html = assert_full_page(response, 422)
        assert "msrp" in field_errors(html)
    html = assert_fragment(
        admin_client.post(
            f"/catalog/{corolla.id}/sfx/new", data=sfx_form(code="ZRE211-E"), headers=HX
        ),
        "sfx-form",
        422,
    )
    assert "code" in field_errors(html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Sfx)) == 2


def test_admin_edits_an_sfx(admin_client, corolla):
    sfx = corolla.sfx[0]
    data = sfx_form(code=sfx.code, msrp="119800.5")
    assert (
        admin_client.post(f"/catalog/{corolla.id}/sfx/{sfx.id}/edit", data=data).status_code == 303
    )
    db.session.expire_all()
    assert db.session.get(Sfx, sfx.id).msrp == Decimal("119800.50")


def test_bad_sfx_edit_comes_back_422(admin_client, corolla):
    sfx = corolla.sfx[0]
    data = sfx_form(code=sfx.code, drivetrain="", grade="")
    url = f"/catalog/{corolla.id}/sfx/{sfx.id}/edit"
    html = assert_full_page(admin_client.post(url, data=data), 422)
    assert {"drivetrain", "grade"} <= set(field_errors(html))
    assert_fragment(admin_client.post(url, data=data, headers=HX), "sfx-form", 422)


def test_sfx_of_another_model_is_404(admin_client, corolla):
    other = VehicleModel(code="X", name_zh="X", name_en="X")
    db.session.add(other)
    db.session.commit()
    url = f"/catalog/{other.id}/sfx/{corolla.sfx[0].id}/edit"
    assert admin_client.get(url).status_code == 404


def colour_form(**overrides):
    data = {"name_zh": "铂金珍珠白", "name_en": "Platinum White Pearl", "hex": "#f4f4ef"}
    data.update(overrides)
    return data


def test_admin_adds_a_colour(admin_client, corolla):
    response = admin_client.post(f"/catalog/{corolla.id}/colours/new", data=colour_form())
    assert response.status_code == 303
    assert db.session.scalar(sa.select(Colour).where(Colour.hex == "#f4f4ef")) is not None


def test_bad_colour_comes_back_next_to_the_field(admin_client, corolla):
    url = f"/catalog/{corolla.id}/colours/new"
    html = assert_full_page(admin_client.post(url, data=colour_form(hex="white")), 422)
    assert "hex" in field_errors(html)
    html = assert_fragment(
        admin_client.post(url, data=colour_form(name_en=""), headers=HX), "colour-form", 422
    )
    assert "name_en" in field_errors(html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Colour)) == 1


def test_admin_edits_a_colour(admin_client, corolla):
    colour = corolla.colours[0]
    url = f"/catalog/{corolla.id}/colours/{colour.id}/edit"
    assert admin_client.post(url, data=colour_form(hex="#000000")).status_code == 303
    db.session.expire_all()
    assert db.session.get(Colour, colour.id).hex == "#000000"


def test_bad_colour_edit_comes_back_422_and_changes_nothing(admin_client, corolla):
    colour = corolla.colours[0]
    url = f"/catalog/{corolla.id}/colours/{colour.id}/edit"
    html = assert_full_page(admin_client.post(url, data=colour_form(hex="#zzzzzz")), 422)
    assert "hex" in field_errors(html)
    assert_fragment(
        admin_client.post(url, data=colour_form(hex=""), headers=HX), "colour-form", 422
    )
    db.session.expire_all()
    assert db.session.get(Colour, colour.id).hex == "#9e1b2f"
