"""Views of the A-C card: full pages, htmx fragments, inline validation."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import BOOSTED, HX, is_fragment, is_full_page
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.timeutil import local_today


def new_card_form(**overrides):
    data = {
        "name": "赵敏",
        "title": "ms",
        "mobile": "13912345678",
        "source": "walk_in",
        "planned_purchase_date": (local_today() + timedelta(days=10)).isoformat(),
        "budget": "180000",
    }
    data.update(overrides)
    return data


def card_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard))


def test_search_page_and_results_fragment(client, world):
    client.login("sales")
    assert is_full_page(client.get("/customers/"))
    page = client.post("/customers/", data={"q": "1390000000"})
    assert page.status_code == 200 and is_full_page(page)
    assert world.own_card.name in page.get_data(as_text=True)
    fragment = client.post("/customers/", data={"q": "1390000000"}, headers=HX)
    assert fragment.status_code == 200 and is_fragment(fragment)
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="customer-results"')
    assert world.own_card.name in body


def test_boosted_and_history_restore_requests_get_the_full_page(client, world):
    client.login("sales")
    assert is_full_page(client.post("/customers/", data={"q": "139"}, headers=BOOSTED))
    restore = {"HX-Request": "true", "HX-History-Restore-Request": "true"}
    assert is_full_page(client.get("/customers/", headers=restore))


def test_mobile_check_offers_the_existing_card(client, world):
    client.login("sales")
    page = client.post("/customers/check-mobile", data={"mobile": world.own_card.mobile})
    assert is_full_page(page)
    fragment = client.post(
        "/customers/check-mobile", data={"mobile": world.own_card.mobile}, headers=HX
    )
    assert is_fragment(fragment)
    assert f"/customers/{world.own_card.id}" in fragment.get_data(as_text=True)
    nothing = client.post("/customers/check-mobile", data={"mobile": "13700000000"}, headers=HX)
    assert "/customers/" not in nothing.get_data(as_text=True)


def test_new_card_page_then_create_redirects_to_the_card(client, world):
    client.login("sales")
    assert is_full_page(client.get("/customers/new"))
    response = client.post("/customers/new", data=new_card_form())
    assert response.status_code == 303
    card = db.session.scalar(sa.select(CustomerCard).where(CustomerCard.mobile == "13912345678"))
    assert response.headers["Location"] == f"/customers/{card.id}"
    assert card.owner_id == world.users["salesperson"].id


def test_create_through_htmx_answers_with_hx_location(client, world):
    client.login("sales")
    response = client.post("/customers/new", data=new_card_form(), headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Location"].startswith("/customers/")


def test_invalid_mobile_gets_a_message_next_to_the_field_and_nothing_is_saved(client, world):
    client.login("sales")
    before = card_count()
    response = client.post("/customers/new", data=new_card_form(mobile="12345"), headers=HX)
    assert response.status_code == 422 and is_fragment(response)
    errors = field_errors(response.get_data(as_text=True))
    assert errors["mobile"] == "大陆手机号为 11 位数字，以 1 开头。"
    assert card_count() == before
    # The typed values are kept so nothing is lost.
    assert 'value="赵敏"' in response.get_data(as_text=True)


def test_past_planned_date_gets_a_message_in_english_for_an_english_user(client, world):
    client.login("sales")
    client.post("/language", data={"locale": "en"})
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    response = client.post("/customers/new", data=new_card_form(planned_purchase_date=yesterday))
    assert response.status_code == 422 and is_full_page(response)
    assert field_errors(response.get_data(as_text=True))["planned_purchase_date"] == (
        "The planned purchase date cannot be in the past."
    )


def test_duplicate_mobile_offers_to_open_the_existing_card(client, world):
    client.login("sales")
    before = card_count()
    response = client.post(
        "/customers/new", data=new_card_form(mobile=world.own_card.mobile), headers=HX
    )
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "mobile" in field_errors(body)
    assert f"/customers/{world.own_card.id}" in body
    assert card_count() == before


def test_card_page_shows_fields_and_timeline(client, world):
    world.own_card.budget = 123456.5
    db.session.add(
        CardEvent(
            store_id=world.store_a.id, card_id=world.own_card.id, kind="visit", note="看了卡罗拉"
        )
    )
    db.session.commit()
    client.login("sales")
    page = client.get(f"/customers/{world.own_card.id}")
    body = page.get_data(as_text=True)
    assert is_full_page(page)
    assert "¥123,456.50" in body and "看了卡罗拉" in body
    fragment = client.get(f"/customers/{world.own_card.id}", headers=HX)
    assert is_fragment(fragment)
    assert (
        fragment.get_data(as_text=True).lstrip().startswith('<section class="panel" id="timeline"')
    )


def test_recording_a_contact_returns_the_timeline_with_an_event(client, world):
    client.login("sales")
    url = f"/customers/{world.own_card.id}/contacts"
    response = client.post(url, data={"kind": "phone_out", "note": "约周六到店"}, headers=HX)
    assert response.status_code == 200 and is_fragment(response)
    assert response.headers["HX-Trigger"] == "contact-recorded"
    assert "约周六到店" in response.get_data(as_text=True)
    full = client.post(url, data={"kind": "visit", "note": "到店看车"})
    assert full.status_code == 303


def test_contact_without_note_is_refused_next_to_the_field(client, world):
    client.login("sales")
    url = f"/customers/{world.own_card.id}/contacts"
    response = client.post(url, data={"kind": "visit", "note": ""}, headers=HX)
    assert response.status_code == 422
    assert "note" in field_errors(response.get_data(as_text=True))


def test_edit_page_and_save(client, world):
    client.login("sales")
    card = world.own_card
    assert is_full_page(client.get(f"/customers/{card.id}/edit"))
    data = new_card_form(mobile=card.mobile, name="新名字", version=str(card.version))
    response = client.post(f"/customers/{card.id}/edit", data=data)
    assert response.status_code == 303
    assert db.session.get(CustomerCard, card.id).name == "新名字"


def test_edit_with_a_stale_version_keeps_the_newer_data(client, world):
    client.login("sales")
    card = world.own_card
    started_from = str(card.version)  # both tablets opened the card at this version
    data = new_card_form(mobile=card.mobile, name="第一次", version=started_from)
    assert client.post(f"/customers/{card.id}/edit", data=data).status_code == 303
    stale = new_card_form(mobile=card.mobile, name="过期的编辑", version=started_from)
    response = client.post(f"/customers/{card.id}/edit", data=stale, headers=HX)
    assert response.status_code == 422 and is_fragment(response)
    assert db.session.get(CustomerCard, card.id).name == "第一次"


def test_card_box_page_fragment_and_overdue_marker(client, world, make_card):
    today = local_today()
    make_card(
        world.users["salesperson"],
        name="逾期客户",
        mobile="13600000009",
        planned_purchase_date=today + timedelta(days=1),
        next_follow_up_due=today - timedelta(days=2),
    )
    client.login("sales")
    month = (today + timedelta(days=1)).strftime("%Y-%m")
    page = client.get(f"/customers/box?month={month}")
    assert is_full_page(page)
    body = page.get_data(as_text=True)
    assert "逾期客户" in body and "due overdue" in body
    fragment = client.get(f"/customers/box?month={month}", headers=HX)
    assert is_fragment(fragment) and "逾期客户" in fragment.get_data(as_text=True)


def test_card_box_with_a_nonsense_month_is_not_found(client, world):
    client.login("sales")
    assert client.get("/customers/box?month=2026-13").status_code == 404
    assert client.get("/customers/box?month=abc").status_code == 404


def test_money_and_time_are_shown_for_shanghai(client, world):
    from datetime import UTC, datetime

    world.own_card.created_at = datetime(2026, 1, 1, 17, 30, tzinfo=UTC)  # 01:30 next day
    db.session.commit()
    client.login("sales")
    body = client.get(f"/customers/{world.own_card.id}").get_data(as_text=True)
    assert "2026-01-02 01:30" in body


def test_phone_numbers_never_travel_in_urls(client, world):
    """Search and the duplicate check post their query: no phone in logs, history or Referer."""
    client.login("sales")
    for path in ("/customers/", "/customers/new", "/my-day"):
        body = client.get(path).get_data(as_text=True)
        assert not re.search(r'hx-get="[^"]*check-mobile', body)
        assert 'method="get"' not in body
    assert client.get(f"/customers/check-mobile?mobile={world.own_card.mobile}").status_code == 405


def test_navigation_after_hx_location_gets_the_full_page(client, world):
    """htmx follows HX-Location with HX-Request but no target: that is a page, not a fragment."""
    client.login("sales")
    response = client.get(f"/customers/{world.own_card.id}", headers={"HX-Request": "true"})
    assert is_full_page(response)


def test_card_box_show_more_returns_only_the_next_rows(client, world, make_card):
    today = local_today()
    for i in range(55):
        make_card(
            world.users["salesperson"],
            name=f"箱中客户{i}",
            mobile=f"1360000{i:04d}",
            planned_purchase_date=today + timedelta(days=1),
        )
    client.login("sales")
    month = (today + timedelta(days=1)).strftime("%Y-%m")
    page = client.get(f"/customers/box?month={month}").get_data(as_text=True)
    assert page.count('class="card-row"') == 30
    more = re.search(r'hx-get="([^"]+after=[^"]+)"', page).group(1).replace("&amp;", "&")
    fragment = client.get(more, headers={"HX-Request": "true", "HX-Target": "card-box-more"})
    body = fragment.get_data(as_text=True)
    assert is_fragment(fragment) and body.count('class="card-row"') == 25
    assert "card-box-more" not in body  # the last page has no further button


def test_stage_form_on_the_card_moves_the_card_or_shows_the_error(client, world):
    client.login("sales")
    card = world.own_card
    page = client.get(f"/customers/{card.id}").get_data(as_text=True)
    assert 'name="stage"' in page
    refused = client.post(
        f"/customers/{card.id}/stage",
        data={"stage": "lost", "stage_note": "", "version": str(card.version)},
        headers=HX,
    )
    assert refused.status_code == 422 and is_fragment(refused)
    assert "stage_note" in field_errors(refused.get_data(as_text=True))
    moved = client.post(
        f"/customers/{card.id}/stage",
        data={"stage": "ordered", "version": str(card.version)},
        headers=HX,
    )
    assert moved.headers["HX-Location"] == f"/customers/{card.id}"
    assert db.session.get(CustomerCard, card.id).stage == "ordered"
