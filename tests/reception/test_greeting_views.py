"""The arrival banner, 迎接, the visit page and the A card's open visit, through the views:
full page and htmx fragment of each, errors next to their fields, the inbox row's details."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.reception.support import arrive, roster
from webapp.auth.models import Role
from webapp.catalog.models import VehicleModel
from webapp.extensions import db
from webapp.reception.models import Visit
from webapp.timeutil import SHANGHAI, local_today, now

BANNER_HX = {"HX-Request": "true", "HX-Target": "arrival-banner"}


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


@pytest.fixture
def corolla(app):
    model = VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla")
    db.session.add(model)
    db.session.commit()
    return model


def test_every_salesperson_page_has_the_banner_slot_and_the_greeter_none(app, client, world):
    client.login("sales")
    for path in ("/my-day", "/customers/box", f"/customers/{world.own_card.id}"):
        page = assert_full_page(client.get(path))
        assert 'id="arrival-banner"' in page and 'hx-get="/arrival-banner"' in page, path
    greeter = app.test_client()
    greeter.login("greeter")
    assert 'id="arrival-banner"' not in assert_full_page(greeter.get("/arrivals"))


def test_banner_full_page_and_fragment_show_who_how_many_which_model(client, world, team, corolla):
    arrive(world.users["greeter"], name="高", title="mr", people="2", model_id=str(corolla.id))
    client.login("sales")
    page = assert_full_page(client.get("/arrival-banner"))
    assert page.count('id="arrival-banner"') == 1  # the page's own, not a second in the slot
    html = assert_fragment(client.get("/arrival-banner", headers=BANNER_HX), "arrival-banner")
    assert "高先生" in html and "2 人" in html and "卡罗拉" in html
    assert "迎接" in html and "已等候 0 分钟" in html
    assert client.get("/arrival-banner", headers=BANNER_HX).headers["Cache-Control"] == "no-store"


def test_banner_answers_204_while_nothing_changed(client, world, team):
    arrive(world.users["greeter"], name="高")
    client.login("sales")
    html = client.get("/arrival-banner", headers=BANNER_HX).get_data(as_text=True)
    shown = re.search(r'hx-get="/arrival-banner\?shown=([^"]+)"', html).group(1)
    same = client.get(f"/arrival-banner?shown={shown}", headers=BANNER_HX)
    assert same.status_code == 204 and same.get_data() == b""
    arrive(
        world.users["greeter"], name="李", salesperson_id=str(team[0].id), override_reason="熟客"
    )
    assert client.get(f"/arrival-banner?shown={shown}", headers=BANNER_HX).status_code == 200


def test_banner_of_a_colleague_or_greeter_does_not_show_my_customer(app, world, team):
    arrive(world.users["greeter"], name="高")
    for username in ("colleague", "greeter"):
        client = app.test_client()
        client.login(username)
        html = client.get("/arrival-banner", headers=BANNER_HX).get_data(as_text=True)
        assert "高" not in html and "is-empty" in html


def test_banner_without_a_session_is_401_not_a_login_page(client):
    assert client.get("/arrival-banner", headers=BANNER_HX).status_code == 401


def test_greet_from_the_banner_records_the_time_and_offers_the_a_card(client, world, team):
    visit = arrive(world.users["greeter"], name="高")
    client.login("sales")
    response = client.post(f"/arrival-banner/{visit.id}/greet", headers=BANNER_HX)
    html = assert_fragment(response, "arrival-banner")
    assert response.headers["HX-Trigger"] == "visit-greeted"
    assert "接待中" in html and f"/reception/visits/{visit.id}/card" in html
    db.session.expire_all()
    greeted = db.session.get(Visit, visit.id)
    assert greeted.greeted_at is not None and greeted.greeted_by_id == team[0].id
    plain = client.post(f"/arrival-banner/{visit.id}/greet")  # again, without htmx
    assert plain.status_code == 303 and plain.headers["Location"].endswith(
        f"/reception/visits/{visit.id}"
    )


def test_greeting_someone_elses_visit_is_404_or_403(app, client, world, team):
    visit = arrive(world.users["greeter"], name="高")
    client.login("colleague")
    assert client.post(f"/arrival-banner/{visit.id}/greet").status_code == 404
    assert client.post(f"/reception/visits/{visit.id}/greet").status_code == 404
    greeter = app.test_client()
    greeter.login("greeter")
    assert greeter.post(f"/reception/visits/{visit.id}/greet").status_code == 403
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).greeted_at is None


def test_visit_page_greets_and_refuses_a_time_before_the_arrival(client, world, team):
    visit = arrive(world.users["greeter"], name="高")
    moment = now() - timedelta(minutes=10)
    if moment.astimezone(SHANGHAI).date() != local_today():
        pytest.skip("too close to midnight in Shanghai for an arrival minutes ago")
    visit.time_in = moment
    db.session.commit()
    client.login("sales")
    early = (moment - timedelta(minutes=5)).astimezone(SHANGHAI).strftime("%H:%M")
    url = f"/reception/visits/{visit.id}/greet"
    bad = client.post(url, data={"greeted_at": early}, headers=HX)
    errors = field_errors(assert_fragment(bad, "visit-body", status=422))
    assert "到店" in errors["greeted_at"]
    assert db.session.get(Visit, visit.id).greeted_at is None
    done = client.post(url, headers=HX)
    html = assert_fragment(done, "visit-body")
    assert "等候 10 分钟" in html and "已迎接" in html
    assert_full_page(client.get(f"/reception/visits/{visit.id}"))


def test_visit_page_leads_with_greeting_and_preselects_no_grade(client, world, team):
    card = world.own_card
    card.grade = "A"
    db.session.commit()
    visit = arrive(world.users["greeter"], mobile=card.mobile)
    client.login("sales")
    html = assert_full_page(client.get(f"/reception/visits/{visit.id}"))
    assert html.index("visit-greet") < html.index('id="close-form"')
    assert "至少三种饮品" in html
    assert not re.search(r'name="grade" value="[HABC]" checked', html)
    bad = client.post(f"/reception/visits/{visit.id}/close", data={"result": "follow_up"})
    assert "grade" in field_errors(assert_full_page(bad, status=422))
    assert db.session.get(Visit, visit.id).time_out is None


def test_drinks_tick_saves_as_it_changes(client, world, team):
    visit = arrive(world.users["greeter"], name="高")
    client.login("sales")
    html = assert_fragment(
        client.post(
            f"/reception/visits/{visit.id}/drinks", data={"drinks_offered": "1"}, headers=HX
        ),
        "visit-body",
    )
    assert 'name="drinks_offered" value="1" checked' in html
    assert db.session.get(Visit, visit.id).drinks_offered is True


def test_new_a_card_from_the_visit_is_prefilled_and_linked(client, world, team, corolla):
    visit = arrive(world.users["greeter"], name="高", title="mr", model_id=str(corolla.id))
    client.login("sales")
    url = f"/reception/visits/{visit.id}/card"
    page = assert_full_page(client.get(url))
    assert 'value="高"' in page and 'value="mr" selected' in page
    assert_fragment(client.get(url, headers={**HX, "HX-Target": "card-form"}), "card-form")
    bad = client.post(
        url, data={"name": "高", "title": "mr", "mobile": "1", "source": "walk_in"}, headers=HX
    )
    assert "mobile" in field_errors(assert_fragment(bad, "card-form", status=422))
    good = client.post(
        url,
        data={
            "name": "高",
            "title": "mr",
            "mobile": "13955557777",
            "source": "walk_in",
            "grade": "B",
            "payment": "undecided",
        },
    )
    assert good.status_code == 303
    db.session.expire_all()
    card_id = db.session.get(Visit, visit.id).card_id
    assert card_id and good.headers["Location"].endswith(f"/customers/{card_id}")
    again = client.get(url)  # the card exists: the page is the card
    assert again.status_code == 303 and again.headers["Location"].endswith(f"/customers/{card_id}")


def test_card_shows_the_open_visit_and_closes_it_there(client, world, team):
    card = world.own_card
    visit = arrive(world.users["greeter"], mobile=card.mobile, people="3")
    client.login("sales")
    page = assert_full_page(client.get(f"/customers/{card.id}"))
    assert f'hx-get="/reception/cards/{card.id}/visit"' in page
    url = f"/reception/cards/{card.id}/visit"
    block = assert_fragment(
        client.get(url, headers={**HX, "HX-Target": "card-visit"}), "card-visit"
    )
    assert "3 人" in block and "尚未迎接" in block and 'id="card-close-form"' in block
    assert not re.search(r'name="grade" value="[HABC]" checked', block)
    assert_full_page(client.get(url))
    close_url = f"/reception/visits/{visit.id}/close-on-card"
    bad = client.post(
        close_url, data={"result": "follow_up"}, headers={**HX, "HX-Target": "card-visit"}
    )
    assert "grade" in field_errors(assert_fragment(bad, "card-visit", status=422))
    done = client.post(
        close_url,
        data={"grade": "H", "result": "follow_up"},
        headers={**HX, "HX-Target": "card-visit"},
    )
    assert done.headers["HX-Location"] == f"/customers/{card.id}"
    assert db.session.get(Visit, visit.id).time_out is not None
    empty = client.get(url, headers={**HX, "HX-Target": "card-visit"})
    assert 'id="card-visit" hidden' in assert_fragment(empty, "card-visit")


def test_colleague_cannot_see_the_open_visit_of_my_card(client, world, team):
    card = world.own_card
    arrive(world.users["greeter"], mobile=card.mobile)
    client.login("colleague")
    assert client.get(f"/reception/cards/{card.id}/visit").status_code == 404


def test_inbox_row_names_the_customer_party_model_and_greeter(client, world, team, corolla):
    arrive(world.users["greeter"], name="高", title="mr", people="2", model_id=str(corolla.id))
    client.login("sales")
    html = assert_full_page(client.get("/inbox/"))
    assert re.search(r"客户到店.*高先生 · 2 人 · 卡罗拉 · 登记：", html)
