"""The register (附表五) with the standard's fields: purpose of the visit, companions, who
influences the decision, drinks offered, the greeting time and the waiting time; in the page,
its fragment and both exports. Visits still open at closing time: listed on the manager's
"store today" and marked in the register."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.reception.support import arrive, close, roster
from webapp.auth.models import Role
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.reception import services
from webapp.reception.models import Visit
from webapp.reception.services.register import last_closing, wait_minutes
from webapp.timeutil import SHANGHAI, local_today


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def greeted_visit(world) -> Visit:
    visit = arrive(world.users["greeter"], name="卫", purpose="test_drive", companions="妻子和女儿")
    visit.influencer = "妻子"
    visit.drinks_offered = True
    visit.greeted_at = visit.time_in + timedelta(minutes=3, seconds=20)
    visit.greeted_by_id = visit.owner_id
    db.session.commit()
    return visit


def test_the_greeter_records_purpose_and_companions_at_arrival(world, team):
    visit = arrive(world.users["greeter"], purpose="negotiate", companions="朋友")
    assert (visit.purpose, visit.companions) == ("negotiate", "朋友")


def test_an_unknown_purpose_is_refused_next_to_its_field_and_nothing_saved(client, world, team):
    with pytest.raises(ValidationError) as refused:
        arrive(world.users["greeter"], purpose="看车")
    assert "purpose" in refused.value.errors
    client.login("greeter")
    data = {"people": "1", "title": "mr", "source": "walk_in", "purpose": "x", "companions": "友"}
    html = assert_fragment(
        client.post("/reception/arrivals", data=data, headers=HX), "arrival-form", status=422
    )
    assert "purpose" in field_errors(html)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Visit)) == 0


def test_waiting_time_is_greeting_minus_time_in():
    start = datetime(2026, 12, 6, 1, 40, tzinfo=SHANGHAI)
    assert wait_minutes(start, None) is None
    assert wait_minutes(start, start + timedelta(minutes=4, seconds=59)) == 4


def test_register_lines_carry_the_standards_fields(world, team):
    visit = greeted_visit(world)
    flt = services.register.RegisterFilter(day=visit.day)
    line = services.register.register_lines(world.users["sales_manager"], flt)[0]
    assert (line.purpose, line.companions, line.influencer) == ("test_drive", "妻子和女儿", "妻子")
    assert line.drinks_offered and line.wait_minutes == 3 and line.greeted_hm


def test_register_page_and_fragment_show_purpose_companions_drinks_and_waiting(client, world, team):
    greeted_visit(world)
    client.login("manager")
    page = assert_full_page(client.get("/reception/register"))
    for text in ("来店目的", "试乘试驾", "同行：妻子和女儿", "影响决策：妻子", "等候 3 分钟"):
        assert text in page, text
    rows = assert_fragment(client.get("/reception/register", headers=HX), "register-rows")
    assert "等候 3 分钟" in rows


def test_exports_carry_purpose_companions_influencer_drinks_and_waiting(client, world, team):
    from openpyxl import load_workbook

    greeted_visit(world)
    client.login("manager")
    raw = client.get("/reception/register.csv").get_data().decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(raw)))
    row = dict(zip(table[0], table[1], strict=True))
    assert row["来店目的"] == "试乘试驾" and row["同行人员"] == "妻子和女儿"
    assert row["决策影响人"] == "妻子" and row["提供饮品"] == "是"
    assert row["等候(分钟)"] == "3" and row["迎接时间"]
    sheet = load_workbook(io.BytesIO(client.get("/reception/register.xlsx").get_data())).active
    values = list(sheet.values)
    cells = dict(zip(values[0], values[1], strict=True))
    assert cells["等候(分钟)"] == 3 and cells["来店目的"] == "试乘试驾"


def left_open_yesterday(world) -> Visit:
    """A walk-in of yesterday 16:00 nobody closed."""
    visit = arrive(world.users["greeter"], name="褚")
    yesterday = local_today() - timedelta(days=1)
    visit.time_in = datetime.combine(yesterday, datetime.min.time(), SHANGHAI) + timedelta(hours=16)
    visit.day = yesterday
    db.session.commit()
    return visit


def test_last_closing_is_todays_once_passed_else_yesterdays(app):
    with app.test_request_context():
        after = datetime(2026, 12, 6, 19, 0, tzinfo=SHANGHAI)
        before = datetime(2026, 12, 6, 10, 0, tzinfo=SHANGHAI)
        assert last_closing(after) == datetime(2026, 12, 6, 18, 0, tzinfo=SHANGHAI)
        assert last_closing(before) == datetime(2026, 12, 5, 18, 0, tzinfo=SHANGHAI)
        app.config["STORE_CLOSES_AT"] = "21:30"
        assert last_closing(after) == datetime(2026, 12, 5, 21, 30, tzinfo=SHANGHAI)


def test_visits_open_at_closing_are_listed_oldest_first_and_closed_ones_are_not(world, team):
    stale = left_open_yesterday(world)
    today_open = arrive(world.users["greeter"], name="蒋")
    midnight = datetime.combine(local_today(), datetime.min.time(), SHANGHAI)
    today_open.time_in = midnight + timedelta(hours=9)  # fixed, whatever the hour the test runs
    db.session.commit()
    closed = left_open_yesterday(world)
    close(closed.owner, closed)
    manager = world.users["sales_manager"]
    noon = midnight + timedelta(hours=12)  # before today's closing: yesterday's counts
    assert [v.id for v in services.register.open_at_closing(manager, noon)] == [stale.id]
    tonight = midnight + timedelta(hours=23)
    later = services.register.open_at_closing(manager, tonight)
    assert [v.id for v in later] == [stale.id, today_open.id]
    assert services.register.open_at_closing(world.users["other_manager"]) == []


def test_store_today_lists_visits_open_at_closing_with_salesperson_and_since_when(
    client, world, team
):
    stale = left_open_yesterday(world)
    client.login("manager")
    page = assert_full_page(client.get("/store-today"))
    assert 'id="open-at-closing"' in page and "闭店时仍未结束的接待" in page
    assert (
        stale.owner.display_name in page
        and stale.time_in.astimezone(SHANGHAI).strftime("%Y-%m-%d 16:00") in page
    )
    live = assert_fragment(
        client.get("/store-today", headers={**HX, "HX-Target": "store-live"}), "store-live"
    )
    assert 'id="open-at-closing"' in live


def test_store_today_shows_no_attention_list_when_every_visit_was_closed(client, world, team):
    arrive(world.users["greeter"])
    client.login("manager")
    assert 'id="open-at-closing"' not in client.get("/store-today").get_data(as_text=True)


def test_only_the_manager_sees_the_open_at_closing_list(client, world, team):
    left_open_yesterday(world)
    for who in ("greeter", "sales"):
        client.login(who)
        assert client.get("/store-today").status_code == 403


def test_the_register_marks_a_visit_left_open_at_closing(client, world, team):
    stale = left_open_yesterday(world)
    client.login("manager")
    page = client.get(f"/reception/register?day={stale.day.isoformat()}").get_data(as_text=True)
    assert "is-open-late" in page and "闭店未结束" in page
    today = client.get("/reception/register").get_data(as_text=True)
    assert "闭店未结束" not in today
