"""Pages of the vehicle stock: the list in full and as the filter's fragment, a car, the form
with its errors next to the fields, the CSV import with its row report, and the template."""

from __future__ import annotations

import io

import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.stock.conftest import csv_bytes, form, make_vehicle, vin, wrong_vin
from webapp.extensions import db
from webapp.stock.models import Vehicle


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Vehicle))


def login(client, world, role: str) -> None:
    assert client.login(world.users[role].username).status_code == 303


def test_the_list_shows_the_stores_cars_and_counts(client, world, catalogue):
    make_vehicle(world.store_a, catalogue, 1)
    make_vehicle(world.store_a, catalogue, 2, status="in_transit")
    make_vehicle(world.store_b, catalogue, 3)
    login(client, world, "salesperson")
    html = assert_full_page(client.get("/stock/"))
    assert vin(1) in html and vin(2) in html and vin(3) not in html
    assert "库存车辆" in html and "在途" in html
    assert "导入 CSV" not in html  # a salesperson looks, does not import


def test_the_filter_answers_with_the_list_fragment(client, world, catalogue):
    make_vehicle(world.store_a, catalogue, 4)
    make_vehicle(world.store_a, catalogue, 5, status="in_transit")
    login(client, world, "car_keeper")
    response = client.get(
        f"/stock/?model_id={catalogue.corolla.id}&status=in_transit",
        headers={**HX, "HX-Target": "stock-list"},
    )
    html = assert_fragment(response, "stock-list")
    assert vin(5) in html and vin(4) not in html


def test_the_vehicle_page(client, world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 6, location="2号库 A-12")
    login(client, world, "salesperson")
    html = assert_full_page(client.get(f"/stock/{car.id}"))
    assert car.vin in html and "2号库 A-12" in html


def test_a_wrong_check_digit_shows_next_to_the_vin_and_saves_nothing(client, world, catalogue):
    login(client, world, "car_keeper")
    response = client.post("/stock/new", data=form(catalogue, vin=wrong_vin(7)))
    html = assert_full_page(response, 422)
    assert "校验位" in field_errors(html)["vin"]
    assert count() == 0


def test_the_form_fragment_shows_sfx_and_colour_errors(client, world, catalogue):
    login(client, world, "sales_manager")
    data = form(catalogue, sfx_id=str(catalogue.crown_sfx.id), colour_id=str(catalogue.red.id))
    response = client.post("/stock/new", data=data, headers={**HX, "HX-Target": "vehicle-form"})
    html = assert_fragment(response, "vehicle-form", 422)
    assert {"sfx_id", "colour_id"} <= field_errors(html).keys()


def test_a_good_form_adds_the_car(client, world, catalogue):
    login(client, world, "admin")
    response = client.post("/stock/new", data=form(catalogue))
    assert response.status_code == 303
    assert count() == 1


def test_edit_saves_and_returns_to_the_car(client, world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 8)
    login(client, world, "car_keeper")
    assert_full_page(client.get(f"/stock/{car.id}/edit"))
    data = {**form(catalogue, vin=car.vin, location="3号库"), "version": "1"}
    response = client.post(f"/stock/{car.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Vehicle, car.id).location == "3号库"


def upload(client, raw: bytes, **headers: str):
    return client.post(
        "/stock/import",
        data={"file": (io.BytesIO(raw), "stock.csv")},
        content_type="multipart/form-data",
        headers=headers,
    )


def test_import_page_and_a_good_file(client, world, catalogue):
    login(client, world, "car_keeper")
    assert_full_page(client.get("/stock/import"))
    raw = csv_bytes(f"{vin(9)},COROLLA,ZRE211-P,铂金珍珠白,在库,A-1,2026-11-01", bom=True)
    html = assert_full_page(upload(client, raw))
    assert "新增 1 辆" in html
    assert count() == 1


def test_a_bad_file_shows_the_row_report_in_the_fragment(client, world, catalogue):
    login(client, world, "car_keeper")
    raw = csv_bytes(
        f"{vin(10)},COROLLA,ZRE211-P,铂金珍珠白,在库,,",
        f"{wrong_vin(11)},COROLLA,ZRE211-P,铂金珍珠白,在库,,",
    )
    response = upload(client, raw, **{**HX, "HX-Target": "import-result"})
    html = assert_fragment(response, "import-result", 422)
    assert "未保存任何数据" in html
    assert '<td class="num">3</td>' in html and "校验位" in html
    assert count() == 0


def test_an_oversized_file_gets_a_message_next_to_the_field(client, world, catalogue):
    login(client, world, "admin")
    html = assert_full_page(upload(client, b"x" * (1024 * 1024 + 10)), 422)
    assert "1 MB" in field_errors(html)["file"]


def test_the_template_downloads_as_csv(client, world, catalogue):
    login(client, world, "sales_manager")
    response = client.get("/stock/import/template.csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.decode("utf-8-sig").startswith("VIN,车型代码")


def test_the_nav_has_the_stock_tab_for_those_who_may_see_it(client, world, catalogue):
    login(client, world, "salesperson")
    assert 'href="/stock/"' in client.get("/stock/").get_data(as_text=True)
    other = client.application.test_client()
    login(other, world, "greeter")
    assert 'href="/stock/"' not in other.get("/arrivals").get_data(as_text=True)
