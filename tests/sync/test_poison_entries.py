"""Entries a careless tablet or a script sends: each is refused on its own, in JSON, and the
rest of the batch goes through. Also the named driver, templates of the wrong kind, image
decoding limits and receipts that answer only their own user and store."""

from __future__ import annotations

import io
import uuid

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.sync import support as s
from webapp.extensions import db, limiter
from webapp.sync.models import QuarantinedEntry, SyncReceipt
from webapp.testdrive.models import BookingStatus, TestDriveBooking, TestDriveEntry


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def results(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.is_json
    return response.get_json()["results"]


def with_intention(packet, seq: int, text: str) -> dict:
    entry = s.feedback(packet, seq)
    entry["payload"]["intention"] = text
    return entry


POISONS = {
    "seq at 2^63": lambda p: s.tick(p, 2**63),
    "seq at 2^31": lambda p: s.tick(p, 2**31),
    "booking id at 2^63": lambda p: {
        **s.tick(p, 1),
        "payload": {**s.tick(p, 1)["payload"], "booking_id": 2**63},
    },
    "template id at 2^31": lambda p: {
        **s.tick(p, 1),
        "payload": {**s.tick(p, 1)["payload"], "template_id": 2**31},
    },
    "created in year 1": lambda p: s.tick(p, 1, created_at="0001-01-01T00:00:00+08:00"),
    "created in year 9999": lambda p: s.tick(p, 1, created_at="9999-12-31T23:59:59-12:00"),
    "a list for a grade": lambda p: {
        **s.feedback(p, 1),
        "payload": {**s.feedback(p, 1)["payload"], "grade": ["A"]},
    },
    "a dict for a licence class": lambda p: s.licence(p, 1, "a" * 64, licence_class={"C1": 1}),
    "a NUL in the kind": lambda p: {**s.tick(p, 1), "kind": "testdrive.tick\x00"},
    "a lone surrogate in the intention": lambda p: with_intention(p, 1, "想买\ud83d"),
    "a vertical tab in a note": lambda p: s.note(p, 1, "第一行\x0b第二行"),
    "a NUL in a note": lambda p: s.note(p, 1, "a\x00b"),
    "a huge model id on the card": lambda p: s.card_update(
        p.card.id, 1, {"model_id": 10**30}, None, 1
    ),
    "a note revising a non-uuid": lambda p: s.note(p, 1, "改", revises="x" * 500),
}


@pytest.mark.parametrize("name", list(POISONS))
def test_a_poison_entry_is_rejected_alone_and_the_good_ones_apply(sales, packet, name):
    poison = POISONS[name](packet)
    good = [s.tick(packet, 101, "process"), s.note(packet, 102, "安静")]
    answers = results(s.push(sales, [good[0], poison, good[1]]))
    assert [a["status"] for a in answers] == ["applied", "rejected", "applied"], answers
    assert answers[1]["reason"] == "validation"
    assert count(TestDriveEntry) == 2
    assert count(SyncReceipt) == 2
    # The refused entry is kept for a person to fix, and its replay gets the same answer.
    assert count(QuarantinedEntry) == 1
    again = results(s.push(sales, [poison]))
    assert again[0]["status"] == "rejected" and count(QuarantinedEntry) == 1


def test_a_poison_entry_leaves_the_card_untouched(sales, packet):
    before = (packet.card.version, packet.card.model_id, packet.card.usage)
    answers = results(
        s.push(
            sales,
            [s.card_update(packet.card.id, packet.card.version, {"usage": "x\x00"}, None, 1)],
        )
    )
    assert answers[0]["status"] == "rejected"
    card = db.session.get(type(packet.card), packet.card.id)
    db.session.refresh(card)
    assert (card.version, card.model_id, card.usage) == before


def test_an_entry_nested_five_thousand_deep_is_refused_alone(sales, packet):
    good = s.tick(packet, 1)
    deep_id = str(uuid.uuid4())
    deep = "[" * 5000 + "]" * 5000
    body = (
        '{"device": "d-tablet-1", "entries": ['
        f'{{"id": "{deep_id}", "seq": 2, "kind": "testdrive.note", "payload": {{"x": {deep}}}}},'
        f"{__import__('json').dumps(good)}]}}"
    )
    response = sales.post("/sync/push", data=body, headers={"Content-Type": "application/json"})
    answers = results(response)
    assert answers[0]["id"] == deep_id and answers[0]["status"] == "rejected"
    assert answers[1]["status"] == "applied"
    assert count(TestDriveEntry) == 1


def test_nan_and_overflowing_numbers_are_unreadable_json(sales):
    for raw in ('{"device": "d", "entries": [NaN]}', '{"device": "d", "entries": [1e999]}'):
        response = sales.post("/sync/push", data=raw, headers={"Content-Type": "application/json"})
        assert response.status_code == 422 and response.get_json()["error"] == "invalid"


def test_errors_of_the_json_endpoints_are_json(sales):
    response = sales.put("/sync/blobs/" + "a" * 64 + "?purpose=licence", data=b"x" * 10)
    assert response.is_json and response.status_code in (415, 422)
    response = sales.get("/sync/pull?checkpoint=" + "%00" * 20)
    assert response.status_code == 200 and response.is_json
    for method, path, status in (
        ("get", "/sync/push", 405),
        ("get", "/sync/nothing-here", 404),
        ("post", "/sync/blobs/" + "a" * 64, 405),
    ):
        response = getattr(sales, method)(path)
        assert response.status_code == status and response.is_json, path
    # The pages for people stay pages.
    assert sales.get("/sync/quarantine/999999").mimetype == "text/html"


# --- the named driver ------------------------------------------------------------------------


@pytest.fixture
def driven(world, packet):
    """The salesperson's booking with the colleague named as the driver."""
    booking = db.session.get(TestDriveBooking, packet.booking.id)
    booking.driver_id = world.users["colleague"].id
    db.session.commit()
    return packet


def test_the_named_driver_gets_neither_the_packet_nor_its_data(app, world, driven):
    colleague = app.test_client()
    colleague.login("colleague")
    pulled = colleague.get("/sync/pull").get_json()
    assert pulled["bookings"] == [] and pulled["customers"] == []
    assert colleague.get(f"/testdrive/bookings/{driven.booking.id}/packet").status_code == 404
    (answer,) = results(s.push(colleague, [s.tick(driven, 1)]))
    assert answer["status"] == "rejected" and answer["reason"] == "permission"
    # The owner still has it all.
    owner = app.test_client()
    owner.login("sales")
    assert [b["id"] for b in owner.get("/sync/pull").get_json()["bookings"]] == [driven.booking.id]


def test_my_day_shows_the_driver_the_drive_without_the_packet_link(app, world, driven):
    colleague = app.test_client()
    colleague.login("colleague")
    html = colleague.get("/my-day").get_data(as_text=True)
    assert "You drive" in html or "您驾驶" in html
    assert f"/testdrive/bookings/{driven.booking.id}/packet" not in html
    owner = app.test_client()
    owner.login("sales")
    assert f"/testdrive/bookings/{driven.booking.id}/packet" in owner.get("/my-day").get_data(
        as_text=True
    )


# --- templates of the wrong kind ---------------------------------------------------------------


def test_feedback_on_the_checklist_template_is_refused_and_does_not_close_the_drive(sales, packet):
    entry = s.feedback(packet, 1)
    entry["payload"]["template_id"] = packet.predrive.id
    entry["payload"]["answers"] = {"process": True}
    (answer,) = results(s.push(sales, [entry]))
    assert answer["status"] == "rejected" and "template_id" in answer["errors"]
    booking = db.session.get(TestDriveBooking, packet.booking.id)
    db.session.refresh(booking)
    assert booking.status != BookingStatus.DONE.value
    assert count(TestDriveEntry) == 0


def test_a_tick_on_the_feedback_form_is_refused(sales, packet):
    entry = s.tick(packet, 1, key="power", value=True)
    entry["payload"]["template_id"] = packet.feedback.id
    (answer,) = results(s.push(sales, [entry]))
    assert answer["status"] == "rejected" and "template_id" in answer["errors"]
    assert count(TestDriveEntry) == 0


# --- image decoding ---------------------------------------------------------------------------


def big_png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_an_image_of_too_many_pixels_is_refused_before_it_is_decoded(sales):
    data = big_png(5000, 4000)  # 20 MP in a few KB
    assert len(data) < 100_000
    response = s.put_blob(sales, data, mime="image/png")
    assert response.status_code == 422 and response.get_json()["error"] == "pixel_bomb"


def test_a_phone_photo_of_twelve_megapixels_is_accepted_and_shrunk(app, sales):
    out = io.BytesIO()
    Image.linear_gradient("L").resize((4000, 3000)).convert("RGB").save(out, "JPEG")
    data = out.getvalue()
    response = s.put_blob(sales, data)
    assert response.status_code == 201
    from webapp import blobs

    image, _mime = blobs.read_blob(s.sha(data))
    assert max(Image.open(io.BytesIO(image)).size) == app.config["BLOB_LONG_EDGE"]


def test_a_person_may_decode_only_two_images_at_once(app, world, sales):
    user_id = world.users["salesperson"].id
    storage = limiter.storage
    storage.incr(f"blob-decode/{user_id}", 60, amount=2)  # two uploads of theirs running
    try:
        response = s.put_blob(sales, s.jpeg(seed=5))
        assert response.status_code == 429 and response.headers["Retry-After"]
        other = app.test_client()
        other.login("colleague")
        assert s.put_blob(other, s.jpeg(seed=6)).status_code == 201
    finally:
        storage.incr(f"blob-decode/{user_id}", 60, amount=-2)
    assert s.put_blob(sales, s.jpeg(seed=5)).status_code == 201


# --- receipts ----------------------------------------------------------------------------------


def test_another_store_replaying_an_entry_id_learns_nothing_of_it(app, world, sales, packet):
    entry = s.tick(packet, 1)
    (first,) = results(s.push(sales, [entry], device="d-shared"))
    assert first["status"] == "applied"
    other = app.test_client()
    other.login("bsales")
    theirs = s.make_packet(world.users["other_salesperson"], world.other_store_card)
    replay = s.tick(theirs, 1, id=entry["id"])
    (answer,) = results(s.push(other, [replay], device="d-shared"))
    assert answer["status"] == "rejected" and answer["reason"] == "duplicate_id"
    assert "result" not in answer and "entry_id" not in str(answer)
    assert count(TestDriveEntry) == 1


def test_a_huge_card_version_is_read_as_unknown_and_kept_as_a_conflict(sales, packet):
    entry = s.card_update(packet.card.id, 2**70, {"usage": "周末自驾"}, None, 1)
    (answer,) = results(s.push(sales, [entry]))
    assert answer["status"] == "conflict" and answer["conflicts"] == ["usage"]


def test_a_colleague_replaying_an_entry_id_learns_nothing_of_it(app, world, sales, packet):
    entry = s.tick(packet, 1)
    results(s.push(sales, [entry], device="d-shared"))
    colleague = app.test_client()
    colleague.login("colleague")
    (answer,) = results(s.push(colleague, [entry], device="d-shared"))
    assert answer["status"] == "rejected" and "result" not in answer
