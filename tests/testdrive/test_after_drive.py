"""Step ⑤ after the drive: the after-drive checklist, the customer's signature on 附表九, the
driving style and focus points on the A card, option values stored as codes with labels in the
user's language, and the booking form's preselected car and route."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.helpers import HX, assert_fragment, assert_full_page
from tests.policies.packet import make_booking, make_templates
from tests.testdrive.conftest import make_car, make_route
from webapp.blobs.models import Blob
from webapp.customers.card import record_drive_feedback
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.testdrive import labels as td_labels
from webapp.testdrive import legacy, services
from webapp.testdrive.models import SignedDocument
from webapp.testdrive.services.checklists import DEFAULT_TEMPLATES, OPTION_CODE

CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
OPTION_TABLES = ("driving_style", "focus_point", "drive_time", "intention", "checklist_option")


@pytest.fixture
def packet(world):
    services.checklists.ensure_default_templates()
    db.session.commit()
    templates = make_templates()
    booking = make_booking(world.users["salesperson"], world.own_card)
    return booking, templates


# --- codes, not words ----------------------------------------------------------------------


def test_no_stored_option_value_holds_both_chinese_and_english():
    for kind, items in DEFAULT_TEMPLATES.items():
        for item in items:
            for option in item["options"]:
                assert OPTION_CODE.fullmatch(option), (kind, item["key"], option)
                assert not CJK.search(option), (kind, option)
    for table in OPTION_TABLES:
        for code in td_labels.TABLES[table]:
            assert OPTION_CODE.fullmatch(code), (table, code)


def test_every_default_option_has_a_label_in_the_option_tables():
    known = td_labels.TABLES["checklist_option"]
    for items in DEFAULT_TEMPLATES.values():
        for item in items:
            for option in item["options"]:
                assert option in known, option


def test_every_old_bilingual_value_maps_to_a_known_code():
    known = td_labels.TABLES["checklist_option"]
    for old, code in legacy.LEGACY_OPTIONS.items():
        assert CJK.search(old) and LATIN.search(old), old
        assert legacy.to_code(old) == code and code in known
    # Every option the old default templates offered is covered.
    old_defaults = [
        "平稳 steady", "稳健 assured", "激进 sporty", "谨慎 cautious",
        "马上购买 buy now", "近期购买 soon", "再考虑 still thinking", "暂不购买 not now",
    ]  # fmt: skip
    assert all(legacy.to_code(v) != v for v in old_defaults)
    assert legacy.to_code("两周内决定") == "两周内决定"  # free text stays as written
    assert legacy.to_code(3) == 3


def test_the_conversion_maps_templates_entries_and_events():
    items = [
        {"key": "driving_style", "type": "choice", "options": ["平稳 steady", "谨慎 cautious"]}
    ]
    assert legacy.convert_items(items)[0]["options"] == ["steady", "cautious"]
    assert legacy.convert_entry_value("drive", "激进 sporty") == "sporty"
    feedback = {"answers": {"intention": "近期购买 soon", "power": 5}, "intention": "近期购买 soon"}
    assert legacy.convert_entry_value("feedback", feedback) == {
        "answers": {"intention": "soon", "power": 5},
        "intention": "soon",
    }
    assert legacy.convert_entry_value("note", "平稳 steady") == "平稳 steady"
    assert legacy.convert_event_data({"intention": "暂不购买 not now"}) == {"intention": "not_now"}


def test_a_template_option_must_be_a_code(world):
    text = "style | 风格 | Style | choice | 平稳 steady / 激进 sporty"
    with pytest.raises(ValidationError) as exc:
        services.checklists.save_template(world.users["admin"], "drive", text)
    assert "第 1 行" in exc.value.errors["items"] and "代码" in exc.value.errors["items"]
    saved = services.checklists.save_template(
        world.users["admin"], "drive", "points | 关注点 | Focus | multi | power / space"
    )
    assert saved.items[0]["type"] == "multi" and saved.items[0]["options"] == ["power", "space"]


# --- the card's own write ------------------------------------------------------------------


def test_drive_feedback_sets_the_cards_fields_records_an_event_and_bumps_the_version(world):
    card = world.own_card
    version = card.version
    assert record_drive_feedback(card.owner_id, card, "steady", ["space", "power", "space"])
    db.session.commit()
    card = db.session.get(CustomerCard, card.id)
    assert card.driving_style == "steady" and card.focus_points == ["space", "power"]
    assert card.version == version + 1
    event = db.session.scalar(sa.select(CardEvent).where(CardEvent.kind == "drive_feedback"))
    assert event.data["driving_style"] == {"from": "", "to": "steady"}
    assert event.data["focus_points"]["to"] == ["space", "power"]
    # The same again, or nothing, changes nothing.
    assert not record_drive_feedback(card.owner_id, card, "steady", ["space", "power"])
    assert not record_drive_feedback(card.owner_id, card, "", [])


def test_the_card_shows_driving_style_and_focus_points_in_the_users_language(client, world):
    card = world.own_card
    record_drive_feedback(card.owner_id, card, "cautious", ["fuel_economy", "space"])
    db.session.commit()
    client.login("sales")
    html = assert_full_page(client.get(f"/customers/{card.id}"))
    assert re.search(r'id="card-driving-style">谨慎<', html)
    assert re.search(r'id="card-focus-points">油耗、空间<', html)
    assert "fuel_economy" not in html
    client.post("/language", data={"locale": "en"})
    html = client.get(f"/customers/{card.id}").get_data(as_text=True)
    assert re.search(r'id="card-driving-style">Cautious<', html)
    assert re.search(r'id="card-focus-points">Fuel economy、Space<', html)


# --- the packet ----------------------------------------------------------------------------


def signed_feedback_form(booking) -> SignedDocument:
    """The customer's signature on 附表九 of the booking, as the sync stores it."""
    blob = Blob(
        sha256="ab" * 32,
        store_id=booking.store_id,
        purpose="signature",
        sensitive=True,
        mime="image/png",
        size=10,
        stored_size=10,
        key_id="k",
        uploaded_by_id=booking.owner_id,
    )
    doc = SignedDocument(
        store_id=booking.store_id,
        booking_id=booking.id,
        card_id=booking.card_id,
        owner_id=booking.owner_id,
        document="feedback_form",
        document_version="2026-12",
        signature_sha256=blob.sha256,
        recorded_by_id=booking.owner_id,
        purge_after=booking.starts_at.date(),
        entry_uuid="00000000-0000-4000-8000-00000000f0f0",
    )
    db.session.add_all([blob, doc])
    db.session.commit()
    return doc


def test_the_packet_has_the_after_drive_step_with_labelled_codes(client, world, packet):
    booking, templates = packet
    client.login("sales")
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    assert 'href="#after"' in html and 'id="after"' in html
    after = templates["after"]
    for item in after.items:
        assert f'data-slot="tick:{after.id}:{item["key"]}"' in html
    # Options are codes in the value, labels in the user's language on the button.
    assert 'value="too_short"><span>时间不够</span>' in html
    assert 'value="steady"><span>平稳</span>' in html
    assert (
        'type="checkbox" name="tick:{}:focus_points" value="space"><span>空间</span>'.format(
            templates["drive"].id
        )
        in html
    )
    assert 'value="soon"><span>近期购买</span>' in html
    assert "steady</span>" not in html and "平稳 steady" not in html
    # Every 1–5 scale has its anchors next to it.
    scales = html.count('value="5"><span>5</span>')
    assert (
        scales >= 8
        and html.count("1 = 很不满意") == scales
        and html.count("5 = 非常满意") == scales
    )


def test_the_packet_offers_the_feedback_signature_and_shows_it_synced(client, world, packet):
    booking, _templates = packet
    client.login("sales")
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    assert 'id="feedback-signature-pad"' in html and 'data-feedback-form-version="2026-12"' in html
    assert 'data-slot="signature:feedback_form"' in html
    assert '<p class="signed-done" id="feedback-signed-done" hidden>' in html
    signed_feedback_form(booking)
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    block = re.search(r'<fieldset[^>]*id="feedback-signature-block"[^>]*>', html).group(0)
    assert 'data-synced="1"' in block
    # The safety agreement is a separate document: still unsigned.
    assert '<p class="signed-done" id="signed-done" hidden>' in html


def test_the_packet_labels_and_the_consent_notice_use_the_stores_words(client, world, packet):
    booking, _templates = packet
    client.login("sales")
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    assert "行驶证检验有效期至" in html and "行驶证有效期至" not in html
    assert "销售部长" in html and "销售经理" not in html


def test_the_card_drives_show_the_intention_label_page_and_fragment(client, world, packet):
    booking, _templates = packet
    db.session.add(
        CardEvent(
            store_id=booking.store_id,
            card_id=booking.card_id,
            kind="test_drive",
            data={"booking_id": booking.id, "scores": {"power": 5}, "intention": "soon"},
        )
    )
    db.session.commit()
    client.login("sales")
    url = f"/testdrive/cards/{booking.card_id}/drives"
    html = assert_full_page(client.get(url))
    assert "近期购买" in html and ">soon<" not in html
    fragment = assert_fragment(client.get(url, headers=HX), "card-drives")
    assert "近期购买" in fragment
    # The signed 附表九 is offered under its own name, next to the agreement's.
    signed_feedback_form(booking)
    fragment = client.get(url, headers=HX).get_data(as_text=True)
    assert "已签署的意见表" in fragment
    card_html = client.get(f"/customers/{booking.card_id}").get_data(as_text=True)
    assert "意向" in card_html and "近期购买" in card_html


# --- the booking form ----------------------------------------------------------------------


def test_booking_preselects_a_car_and_route_of_the_customers_model(client, world, fleet):
    card = world.own_card
    card.model_id = fleet.other_model.id
    db.session.commit()
    crown = make_car(world.store_a, fleet.other_model, 7)
    crown_route = make_route(world.store_a, [fleet.other_model], name="皇冠路线")
    options = services.bookings.booking_options(world.users["salesperson"], card)
    assert (options.suggested_car_id, options.suggested_route_id) == (crown.id, crown_route.id)
    client.login("sales")
    html = assert_full_page(client.get(f"/testdrive/bookings/new?card_id={card.id}"))
    assert f'<option value="{crown.id}" selected>' in html
    assert f'<option value="{crown_route.id}" selected>' in html
    # The heading says it once.
    assert re.search(r"<h1>预约试驾</h1>", html) and "预约试驾 <span" not in html
    fragment = assert_fragment(
        client.get(
            f"/testdrive/bookings/new?card_id={card.id}",
            headers={**HX, "HX-Target": "booking-form"},
        ),
        "booking-form",
    )
    assert f'<option value="{crown.id}" selected>' in fragment


def test_a_ready_car_of_the_model_comes_before_one_that_is_not(world, fleet):
    card = world.own_card
    card.model_id = fleet.model.id
    fleet.car.fuel_eighths = 1  # not ready: the manual one of the same model is
    db.session.commit()
    options = services.bookings.booking_options(world.users["salesperson"], card)
    assert options.suggested_car_id == fleet.manual.id
    assert options.suggested_route_id == fleet.route.id


def test_no_model_no_preselection(world, fleet):
    options = services.bookings.booking_options(world.users["salesperson"], world.own_card)
    assert options.suggested_car_id is None and options.suggested_route_id is None


def test_an_admin_edits_the_after_drive_checklist_page_and_fragment(client, world):
    services.checklists.ensure_default_templates()
    db.session.commit()
    client.login("admin")
    html = assert_full_page(client.get("/testdrive/templates"))
    assert "试驾之后" in html and "/testdrive/templates/after/edit" in html
    page = assert_full_page(client.get("/testdrive/templates/after/edit"))
    assert (
        "time_enough | 试驾时间是否充足 | Was the time enough? | choice | enough / too_short"
        in page
    )
    response = client.post(
        "/testdrive/templates/after/edit",
        data={"items": "time_enough | 时间 | Time | choice | 够 / 不够"},
        headers={**HX, "HX-Target": "template-form"},
    )
    fragment = assert_fragment(response, "template-form", status=422)
    assert "代码" in fragment
