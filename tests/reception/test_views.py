"""Reception pages: full page and fragment of each, form errors next to fields, exports,
scoping, and the demo data."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.reception.support import arrive, roster
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.reception.models import DutyRoster, Visit
from webapp.timeutil import SHANGHAI, local_today


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def test_greeter_arrivals_page_and_its_fragments(client, world, team):
    client.login("greeter")
    page = assert_full_page(client.get("/arrivals"))
    assert "arrival-form" in page and team[0].display_name in page
    assert_fragment(client.get("/arrivals", headers=HX), "arrivals")
    assert_full_page(client.get("/reception/proposal"))
    fragment = assert_fragment(client.get("/reception/proposal", headers=HX), "proposal")
    assert team[0].display_name in fragment
    assert_full_page(client.get("/reception/today"))
    side = assert_fragment(client.get("/reception/today", headers=HX), "arrival-side")
    assert team[0].display_name in side


def test_phone_check_finds_a_repeat_customer(client, world, team):
    client.login("greeter")
    mobile = world.own_card.mobile
    found = assert_fragment(
        client.post("/reception/phone-check", data={"mobile": mobile}, headers=HX), "phone-check"
    )
    assert world.own_card.name in found and team[0].display_name in found
    assert_full_page(client.post("/reception/phone-check", data={"mobile": "1"}))


def test_register_arrival_by_plain_form_and_htmx(client, world, team):
    client.login("greeter")
    data = {
        "people": "2",
        "title": "ms",
        "source": "walk_in",
        "mobile": "13800139000",
        "name": "林",
    }
    plain = client.post("/reception/arrivals", data=data)
    assert plain.status_code == 303 and "/arrivals?registered=" in plain.headers["Location"]
    page = client.get(plain.headers["Location"]).get_data(as_text=True)
    assert team[0].display_name in page and "林" in page
    hx = client.post("/reception/arrivals", data={**data, "mobile": "", "name": ""}, headers=HX)
    assert hx.status_code == 200 and hx.headers["HX-Location"].startswith("/arrivals")


def test_arrival_form_errors_come_back_next_to_the_fields(client, world, team):
    client.login("greeter")
    bad = {"people": "0", "title": "", "source": "walk_in", "mobile": "555"}
    response = client.post("/reception/arrivals", data=bad, headers=HX)
    html = assert_fragment(response, "arrival-form", status=422)
    errors = field_errors(html)
    assert {"people", "title", "mobile"} <= set(errors)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0
    assert_full_page(client.post("/reception/arrivals", data=bad), status=422)


def test_roster_page_saves_and_refuses_an_empty_roster(client, world, team):
    client.login("manager")
    assert_full_page(client.get("/reception/roster"))
    assert_fragment(client.get("/reception/roster", headers=HX), "roster-form")
    empty = client.post("/reception/roster", data={}, headers=HX)
    html = assert_fragment(empty, "roster-form", status=422)
    assert "Nobody is on duty" in html or "无人" in html or "没有" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DutyRoster)) == 1
    saved = client.post("/reception/roster", data={f"position-{team[2].id}": "1"})
    assert saved.status_code == 303
    assert "saved=1" in saved.headers["Location"]


def test_visit_page_close_and_close_twice(client, world, team):
    visit = arrive(world.users["greeter"], mobile="13800139001", name="吴")
    client.login("sales")
    assert_full_page(client.get(f"/reception/visits/{visit.id}"))
    assert_fragment(client.get(f"/reception/visits/{visit.id}", headers=HX), "visit-body")
    bad = client.post(f"/reception/visits/{visit.id}/close", data={"grade": "Z"}, headers=HX)
    assert set(field_errors(assert_fragment(bad, "visit-body", status=422))) >= {"grade", "result"}
    done = client.post(
        f"/reception/visits/{visit.id}/close", data={"grade": "A", "result": "follow_up"}
    )
    assert done.status_code == 303
    twice = client.post(
        f"/reception/visits/{visit.id}/close", data={"grade": "H", "result": "ordered"}, headers=HX
    )
    html = assert_fragment(twice, "visit-body", status=422)
    assert 'id="f-visit-error"' in html
    assert db.session.get(Visit, visit.id).grade == "A"


def test_call_form_full_fragment_and_save(client, world, team):
    client.login("sales")
    assert_full_page(client.get("/reception/calls/new"))
    assert_fragment(client.get("/reception/calls/new", headers=HX), "call-form")
    bad = client.post(
        "/reception/calls/new", data={"kind": "phone_out", "mobile": "abc"}, headers=HX
    )
    assert "mobile" in field_errors(assert_fragment(bad, "call-form", status=422))
    ok = client.post(
        "/reception/calls/new",
        data={
            "kind": "phone_out",
            "mobile": world.own_card.mobile,
            "title": "mr",
            "minutes": "4",
            "prep_notes": "5W2H",
            "grade": "B",
            "result": "follow_up",
        },
    )
    assert ok.status_code == 303


def test_register_page_filters_and_fragment(client, world, team):
    greeter = world.users["greeter"]
    arrive(greeter, name="甲")
    arrive(greeter, name="乙", source="referral")
    client.login("manager")
    page = assert_full_page(client.get("/reception/register"))
    assert "甲" in page and "乙" in page
    rows = assert_fragment(
        client.get("/reception/register?source=referral", headers=HX), "register-rows"
    )
    assert "乙" in rows and "甲" not in rows
    by_person = client.get(f"/reception/register?owner_id={team[0].id}", headers=HX).get_data(
        as_text=True
    )
    assert "甲" in by_person and "乙" not in by_person
    client.login("sales")


def test_csv_export_has_bom_chinese_headers_and_rows(client, world, team):
    arrive(world.users["greeter"], mobile="13800139002", name="郑")
    client.login("manager")
    response = client.get("/reception/register.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][:3] == ["日期", "到店(来电)时间", "迎接时间"] and "销售顾问" in table[0]
    row = dict(zip(table[0], table[1], strict=True))
    assert row["顾客姓名"] == "郑" and row["电话"] == "13800139002"
    assert row["销售顾问"] == team[0].display_name


def test_xlsx_export_has_chinese_headers_and_rows(client, world, team):
    from openpyxl import load_workbook

    arrive(world.users["greeter"], name="冯")
    client.login("manager")
    response = client.get("/reception/register.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.values)
    assert values[0][0] == "日期" and "销售顾问" in values[0]
    row = dict(zip(values[0], values[1], strict=True))
    assert row["顾客姓名"] == "冯" and row["销售顾问"] == team[0].display_name


def test_other_store_visit_is_not_found(client, world, team):
    visit = arrive(world.users["greeter"])
    client.login("bmanager")
    assert client.get(f"/reception/visits/{visit.id}").status_code == 404
    assert (
        client.post(
            f"/reception/visits/{visit.id}/close", data={"grade": "A", "result": "follow_up"}
        ).status_code
        == 404
    )
    assert "访客" not in client.get("/reception/register").get_data(as_text=True)


def test_store_today_shows_who_is_with_whom_and_visits_without_card(client, world, team):
    greeter = world.users["greeter"]
    arrive(greeter, name="无卡")
    arrive(greeter, mobile="13800139003", name="有卡")
    client.login("manager")
    page = assert_full_page(client.get("/store-today"))
    assert team[0].display_name in page and "无卡" in page
    live = assert_fragment(client.get("/store-today", headers=HX), "store-live")
    assert "无卡" in live and "有卡" in live
    # Under "visits with no A card" (before the register table) only the visit without one.
    no_card = live.split("<h2>", 3)[3].split("register-table")[0]
    assert "无卡" in no_card and "有卡" not in no_card


def test_demo_seed_is_idempotent(app, world, make_user):
    from webapp.reception.demo import seed_demo

    users = {
        "sales1": world.users["salesperson"],
        "sales2": world.users["colleague"],
        "sales3": make_user(Role.SALESPERSON, store=world.store_a, username="s3"),
        "greeter": world.users["greeter"],
        "manager": world.users["sales_manager"],
    }
    # During opening hours (the demo places the register by the store's clock).
    moment = datetime.combine(local_today(), time(11, 30), SHANGHAI)
    first = seed_demo(world.store_a, users, moment)
    db.session.commit()
    assert "visits for today" in first
    assert "already" in seed_demo(world.store_a, users, moment)
    visits = list(db.session.scalars(sa.select(Visit)))
    assert any(v.is_open for v in visits) and any(not v.is_open for v in visits)
    assert any(v.kind == "phone_out" for v in visits)
    assert any(v.card_id is None for v in visits)
