"""The test-drive packet page: who may open it, what it shows, and what it never shows."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.policies.packet import make_booking, make_templates
from webapp.extensions import db
from webapp.testdrive.models import Consent, LicenceCheck, TestDriveEntry
from webapp.timeutil import local_today

ID_NUMBER = "11010519491231002X"


@pytest.fixture
def packet(world):
    templates = make_templates()
    booking = make_booking(world.users["salesperson"], world.own_card)
    return booking, templates


def _page(client, username, booking):
    client.login(username)
    return client.get(f"/testdrive/bookings/{booking.id}/packet")


def test_owner_sees_the_whole_packet(client, world, packet):
    booking, _templates = packet
    response = _page(client, "sales", booking)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "no-store" in response.headers["Cache-Control"]
    # Welcome sheet, car papers, customer (name and 称谓 only).
    assert "附表八" in html and booking.route.name in html and booking.route.swap_point in html
    assert "全力加速" in html and "静音与风噪" in html
    assert booking.car.plate in html and booking.car.vin in html
    assert booking.car.insurance_expires.isoformat() in html
    assert world.own_card.name in html and "先生" in html
    assert world.own_card.mobile not in html
    # The PIPL notice with its version, and an unticked consent box.
    assert 'data-notice-version="2026-11"' in html
    consent = re.search(r'<input type="checkbox" id="f-consent"[^>]*>', html)
    assert consent and "checked" not in consent.group(0)
    assert 'accept="image/*" capture="environment"' in html


def test_checklist_items_carry_template_id_and_key(client, world, packet):
    booking, templates = packet
    html = _page(client, "sales", booking).get_data(as_text=True)
    for kind in ("predrive", "ride", "swap", "drive"):
        template = templates[kind]
        for item in template.items:
            assert (
                f'data-slot="tick:{template.id}:{item["key"]}" data-template-id="{template.id}" '
                f'data-item-key="{item["key"]}"'
            ) in html, (kind, item["key"])
            assert item["label_zh"] in html
    feedback = templates["feedback"]
    assert f'id="feedback-form" class="feedback-form" data-template-id="{feedback.id}"' in html
    assert html.count('name="fb-overall"') == 5  # a 1–5 score


def test_manager_and_admin_of_the_store_see_a_salespersons_packet(client, world, packet):
    booking, _ = packet
    for username in ("manager", "admin"):
        assert _page(client, username, booking).status_code == 200


@pytest.mark.parametrize("username", ["colleague", "bsales", "bmanager", "keeper"])
def test_a_colleague_or_another_store_gets_not_found(client, world, packet, username):
    booking, _ = packet
    assert _page(client, username, booking).status_code == 404


def test_greeter_is_denied(client, world, packet):
    booking, _ = packet
    assert _page(client, "greeter", booking).status_code == 403


def test_anonymous_is_sent_to_log_in(client, packet):
    booking, _ = packet
    response = client.get(f"/testdrive/bookings/{booking.id}/packet")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_synced_entries_show_as_synced_and_the_id_number_never_appears(client, world, packet):
    booking, templates = packet
    owner = world.users["salesperson"]
    predrive = templates["predrive"]
    consent = Consent(
        store_id=booking.store_id,
        card_id=booking.card_id,
        booking_id=booking.id,
        purpose="licence_copy",
        notice_version="2026-11",
        recorded_by_id=owner.id,
        entry_uuid="00000000-0000-4000-8000-000000000001",
    )
    db.session.add(consent)
    db.session.flush()
    db.session.add_all(
        [
            LicenceCheck(
                store_id=booking.store_id,
                booking_id=booking.id,
                card_id=booking.card_id,
                owner_id=owner.id,
                consent_id=consent.id,
                id_number_enc=b"\x01" + ID_NUMBER.encode(),  # stands for the ciphertext
                id_number_last4=ID_NUMBER[-4:],
                licence_class="C1",
                expires_on=local_today() + timedelta(days=900),
                checked_by_id=owner.id,
                purge_after=local_today() + timedelta(days=180),
                entry_uuid="00000000-0000-4000-8000-000000000002",
            ),
            TestDriveEntry(
                store_id=booking.store_id,
                booking_id=booking.id,
                kind="predrive",
                template_id=predrive.id,
                item_key="route",
                value=True,
                entry_uuid="00000000-0000-4000-8000-000000000003",
                recorded_by_id=owner.id,
            ),
            TestDriveEntry(
                store_id=booking.store_id,
                booking_id=booking.id,
                kind="note",
                item_key="driving_style",
                value={"text": "起步平稳"},
                entry_uuid="00000000-0000-4000-8000-000000000004",
                recorded_by_id=owner.id,
            ),
        ]
    )
    db.session.commit()
    for username in ("sales", "manager"):
        html = _page(client, username, booking).get_data(as_text=True)
        assert ID_NUMBER not in html and ID_NUMBER[:17] not in html
        assert re.search(r'id="licence-last4">[^<]*\b002X<', html)
        tick = re.search(rf'data-slot="tick:{predrive.id}:route"[^>]*>', html)
        assert tick and 'data-synced="1"' in tick.group(0)
        assert json.loads(re.search(r"data-value='([^']*)'", tick.group(0)).group(1)) is True
        assert "起步平稳" in html
        consent_box = re.search(r'<input type="checkbox" id="f-consent"[^>]*>', html).group(0)
        assert "checked" in consent_box and "disabled" in consent_box
        # No signature yet: the pad is shown, not hidden.
        assert re.search(r'<div class="signature-wrap" id="signature-wrap"\s*>', html)


def test_map_of_a_route_without_a_map_is_not_found(client, world, packet):
    booking, _ = packet
    client.login("sales")
    assert client.get(f"/testdrive/bookings/{booking.id}/packet/map").status_code == 404


def test_manual_car_marks_c2_as_not_covering(client, world):
    make_templates()
    booking = make_booking(world.users["salesperson"], world.own_card, transmission="MT")
    html = _page(client, "sales", booking).get_data(as_text=True)
    assert '<option value="C2" data-covers="0">' in html
    assert '<option value="C1" data-covers="1">' in html


def test_car_papers_show_the_model_with_its_sfx_grade_when_it_has_one(client, world):
    from decimal import Decimal

    from webapp.catalog.models import Sfx

    make_templates()
    booking = make_booking(world.users["salesperson"], world.own_card)
    html = _page(client, "sales", booking).get_data(as_text=True)
    assert "<dd>凯美瑞</dd>" in html
    sfx = Sfx(
        model_id=booking.car.model_id,
        code="PKT-25G",
        grade="2.5G 豪华版",
        engine="2.5L",
        msrp=Decimal("199800"),
    )
    db.session.add(sfx)
    db.session.flush()
    booking.car.sfx_id = sfx.id
    db.session.commit()
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    assert "<dd>凯美瑞 · 2.5G 豪华版</dd>" in html


def test_route_map_is_served_to_whoever_may_open_the_packet(app, client, world, tmp_path):
    import base64
    import io
    import os

    from PIL import Image

    from webapp.blobs import store_blob

    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    app.config["BLOB_KEY"] = base64.b64encode(os.urandom(32)).decode()
    picture = io.BytesIO()
    Image.new("RGB", (300, 200), "#c8102e").save(picture, "PNG")
    owner = world.users["salesperson"]
    route_map = store_blob(picture.getvalue(), "image/png", "route_map", owner.store_id, owner)
    make_templates()
    booking = make_booking(owner, world.own_card, map_sha256=route_map.sha256)

    client.login("sales")
    html = client.get(f"/testdrive/bookings/{booking.id}/packet").get_data(as_text=True)
    assert f'src="/testdrive/bookings/{booking.id}/packet/map"' in html
    response = client.get(f"/testdrive/bookings/{booking.id}/packet/map")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (300, 200)
    client.post("/logout")
    client.login("colleague")
    assert client.get(f"/testdrive/bookings/{booking.id}/packet/map").status_code == 404
