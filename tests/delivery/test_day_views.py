"""The delivery-day pages: the board (page and polled fragment), the delivery page, the
schedule form with errors next to the fields, the ticks and the handover."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import field_errors
from tests.delivery.day_fixtures import (  # noqa: F401
    catalogue,
    later,
    make_contract,
    make_delivery,
    when,
)
from webapp.delivery.models import DeliveryEntry
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState
from webapp.timeutil import SHANGHAI

HX = {"HX-Request": "true", "HX-Target": "board-rows"}


def test_board_page_and_fragment_show_no_price(app, world, make_delivery):
    delivery = make_delivery(hours=1)
    client = app.test_client()
    client.login("greeter")
    page = client.get("/delivery/board").get_data(as_text=True)
    assert "交车看板" in page and "客" in page and 'hx-trigger="every 30s"' in page
    assert "120,000" not in page and "¥" not in page
    assert f"/delivery/{delivery.id}/arrived" in page
    assert f'href="/delivery/{delivery.id}"' not in page  # the greeter has no delivery page
    fragment = client.get("/delivery/board", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="board-rows"' in fragment


def test_a_coming_day_is_folded_and_opens_as_a_fragment_or_a_page(app, world, make_delivery):
    delivery = make_delivery(hours=24 * 2)
    day = delivery.scheduled_at.astimezone(SHANGHAI).date()
    client = app.test_client()
    client.login("greeter")
    page = client.get("/delivery/board").get_data(as_text=True)
    assert f'hx-get="/delivery/board/{day.isoformat()}"' in page
    assert "1 台交车" in page and "已准备好 0/1" in page
    assert f"/delivery/{delivery.id}/arrived" not in page  # folded: no row yet
    fragment = client.get(
        f"/delivery/board/{day.isoformat()}", headers={"HX-Request": "true", "HX-Target": "x"}
    ).get_data(as_text=True)
    assert "<html" not in fragment and "board-row" in fragment and "客" in fragment
    assert f"/delivery/{delivery.id}/arrived" not in fragment  # not today: no arrival
    whole = client.get(f"/delivery/board/{day.isoformat()}").get_data(as_text=True)
    assert "<html" in whole and "的交车" in whole and "¥" not in whole
    assert client.get("/delivery/board/2020-01-01").status_code == 404
    assert client.get("/delivery/board/not-a-day").status_code == 404


def test_delivery_page_for_the_service_advisor_has_no_money(app, world, make_delivery):
    delivery = make_delivery(hours=1)
    client = app.test_client()
    client.login("service")
    page = client.get(f"/delivery/{delivery.id}").get_data(as_text=True)
    assert "交车前的准备" in page or "PDS" in page
    assert "120,000" not in page and "¥" not in page
    assert "/complete" not in page  # the handover is the salesperson's


def test_schedule_form_shows_the_error_next_to_the_field(app, world, make_contract, make_card):
    card = make_card(world.users["salesperson"])
    contract = make_contract(card, ContractState.SIGNED)
    client = app.test_client()
    client.login("sales")
    assert client.get(f"/delivery/contracts/{contract.id}/schedule").status_code == 200
    past = when(later(-2))
    response = client.post(f"/delivery/contracts/{contract.id}/schedule", data=past)
    assert response.status_code == 422
    assert set(field_errors(response.get_data(as_text=True))) == {"time"}
    response = client.post(f"/delivery/contracts/{contract.id}/schedule", data=when(later(5)))
    assert response.status_code == 303
    assert client.get(f"/negotiation/contracts/{contract.id}").status_code == 200


def test_tick_through_htmx_returns_the_list(app, world, make_delivery):
    delivery = make_delivery(hours=1)
    client = app.test_client()
    client.login("sales")
    response = client.post(
        f"/delivery/{delivery.id}/tick",
        data={"item": "pds_done", "done": "1"},
        headers={"HX-Request": "true", "HX-Target": "prep-list"},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body and "1/12" in body
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryEntry)) == 1


def test_complete_form_refuses_a_past_eta_next_to_the_field(app, world, make_delivery):
    delivery = make_delivery(hours=1)
    client = app.test_client()
    client.login("sales")
    past = later(-1).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/delivery/{delivery.id}/complete", data={"home_eta": past})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html).get("home_eta") == "预计到家时间不能早于现在。"
    future = later(3).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/delivery/{delivery.id}/complete", data={"home_eta": future})
    assert response.status_code == 303


def test_complete_before_the_balance_shows_the_reason(app, world, make_delivery):
    delivery = make_delivery(state=ContractState.ALLOCATED, hours=1)
    client = app.test_client()
    client.login("sales")
    future = later(3).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/delivery/{delivery.id}/complete", data={"home_eta": future})
    assert response.status_code == 422
    assert "余款未付清，不能交车" in response.get_data(as_text=True)


def test_complete_with_a_ceremony_photo_keeps_it_on_the_delivery(
    app, world, make_delivery, tmp_path
):
    import io

    from PIL import Image

    from tests.sync import support as s
    from webapp.delivery.models import Delivery

    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    app.config["BLOB_KEY"] = s.TEST_BLOB_KEY
    delivery = make_delivery(hours=1)
    image = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(image, "PNG")
    client = app.test_client()
    client.login("sales")
    future = later(3).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        f"/delivery/{delivery.id}/complete",
        data={"home_eta": future, "photo": (io.BytesIO(image.getvalue()), "photo.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    db.session.expire_all()
    done = db.session.get(Delivery, delivery.id)
    assert done.state == "completed" and done.photo_sha256 and len(done.photo_sha256) == 64
