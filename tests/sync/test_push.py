"""POST /sync/push: applied, duplicate, waiting, rejected, conflict; receipts and limits."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.sync import support as s
from webapp.auth.models import Role, UserSession
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry, SyncConflict, SyncReceipt
from webapp.testdrive.models import (
    Consent,
    LicenceCheck,
    SignedDocument,
    TestDriveBooking,
    TestDriveEntry,
)
from webapp.timeutil import local_today, now


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def statuses(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [r["status"] for r in response.get_json()["results"]]


def test_ticks_are_applied_with_a_receipt_each(sales, packet):
    batch = [s.tick(packet, 1, "process"), s.tick(packet, 2, "controls", False)]
    response = s.push(sales, batch)
    assert statuses(response) == ["applied", "applied"]
    result = response.get_json()["results"][0]["result"]
    row = db.session.get(TestDriveEntry, result["entry_id"])
    assert row.kind == "predrive" and row.value is True and row.template_id == packet.predrive.id
    assert count(SyncReceipt) == 2


def test_the_same_batch_replayed_five_times_leaves_one_row_per_entry(sales, packet):
    batch = [s.tick(packet, 1), s.note(packet, 2, "开得稳"), s.consent(packet, 3)]
    first = s.push(sales, batch).get_json()["results"]
    for _ in range(4):
        again = s.push(sales, batch).get_json()["results"]
        assert [r["status"] for r in again] == ["duplicate"] * 3
        assert [r["result"] for r in again] == [r["result"] for r in first]
    assert count(TestDriveEntry) == 2 and count(Consent) == 1 and count(SyncReceipt) == 3


def test_concurrent_replays_of_one_batch_leave_one_row_per_entry(app, world, packet):
    batch = [s.tick(packet, n, "process" if n % 2 else "controls") for n in range(1, 9)]
    clients = []
    for _ in range(5):
        client = app.test_client()
        client.login("sales")
        clients.append(client)
    db.session.commit()
    results: list = [None] * 5
    barrier = threading.Barrier(5)

    def run(i: int) -> None:
        with app.app_context():
            barrier.wait()
            results[i] = s.push(clients[i], batch)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for response in results:
        assert response.status_code == 200, response.get_data(as_text=True)
        assert {r["status"] for r in response.get_json()["results"]} <= {"applied", "duplicate"}
    applied = sum(r["status"] == "applied" for resp in results for r in resp.get_json()["results"])
    assert applied == len(batch)
    assert count(TestDriveEntry) == len(batch) and count(SyncReceipt) == len(batch)


def test_a_reused_id_with_another_body_gets_409_and_nothing_is_applied(sales, packet):
    first = s.tick(packet, 1, value=True)
    assert statuses(s.push(sales, [first])) == ["applied"]
    changed = {**first, "payload": {**first["payload"], "value": False}}
    fresh = s.tick(packet, 2)
    response = s.push(sales, [fresh, changed])
    assert response.status_code == 409
    assert response.get_json()["error"] == "id_reused" and response.get_json()["ids"] == [
        first["id"]
    ]
    assert count(TestDriveEntry) == 1  # the fresh entry was not applied either


def test_an_edit_delivered_before_its_create_waits_then_both_apply(sales, packet):
    create = s.note(packet, 1, "客户喜欢加速")
    edit = s.note(packet, 2, "客户喜欢加速和静音", revises=create["id"])
    response = s.push(sales, [edit])
    assert statuses(response) == ["waiting"]
    assert response.get_json()["results"][0]["waiting_for"] == create["id"]
    assert count(TestDriveEntry) == 0 and count(SyncReceipt) == 0
    assert statuses(s.push(sales, [create, edit])) == ["applied", "applied"]
    revision = db.session.scalar(
        sa.select(TestDriveEntry).where(TestDriveEntry.entry_uuid == edit["id"])
    )
    assert revision.revises_uuid == create["id"] and count(TestDriveEntry) == 2


def test_two_tablets_with_clocks_a_day_apart_record_a_conflict_and_lose_nothing(app, world, sales):
    card = world.own_card
    base = {"grade": card.grade, "usage": card.usage, "competitors": card.competitors}
    version = card.version
    tomorrow = "2026-11-28T09:00:00+08:00"
    yesterday = "2026-11-26T09:00:00+08:00"
    # Tablet A's clock runs a day ahead and its edit arrives first.
    a = s.card_update(
        card.id, version, {"grade": "H", "usage": "上班"}, base, 1, created_at=tomorrow
    )
    b = s.card_update(
        card.id, version, {"grade": "A", "competitors": "思域"}, base, 1, created_at=yesterday
    )
    assert statuses(s.push(sales, [a], device="tablet-a")) == ["applied"]
    other = app.test_client()
    other.login("sales")
    response = s.push(other, [b], device="tablet-b")
    assert statuses(response) == ["conflict"]
    result = response.get_json()["results"][0]
    assert result["conflicts"] == ["grade"] and result["server"] == {"grade": "H"}
    db.session.expire_all()
    card = db.session.get(CustomerCard, card.id)
    assert (card.grade, card.usage, card.competitors) == ("H", "上班", "思域")
    conflict = db.session.scalar(sa.select(SyncConflict))
    assert (conflict.field, conflict.server_value, conflict.device_value) == ("grade", "H", "A")
    assert conflict.record_id == card.id and conflict.entry_id == b["id"]


def test_feedback_marks_the_booking_done_writes_the_timeline_and_merges_the_grade(sales, packet):
    response = s.push(sales, [s.feedback(packet, 1, grade="H")])
    assert statuses(response) == ["applied"]
    db.session.expire_all()
    assert db.session.get(TestDriveBooking, packet.booking.id).status == "done"
    card = db.session.get(CustomerCard, packet.card.id)
    assert card.grade == "H"
    event = db.session.scalar(sa.select(CardEvent).where(CardEvent.kind == "test_drive"))
    assert event.data == {
        "booking_id": packet.booking.id,
        "scores": {"power": 5, "comfort": 4},
        "intention": "两周内决定",
        "likes": "安静",
        "concerns": "后排空间",
    }
    kinds = set(db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.card_id == card.id)))
    assert {"grade_changed", "test_drive"} <= kinds


def test_licence_is_refused_without_consent_and_kept_in_quarantine(sales, packet):
    photo = s.jpeg()
    assert s.put_blob(sales, photo).status_code == 201
    response = s.push(sales, [s.licence(packet, 1, s.sha(photo))])
    assert statuses(response) == ["rejected"]
    assert response.get_json()["results"][0]["reason"] == "no_consent"
    assert count(LicenceCheck) == 0
    q = db.session.scalar(sa.select(QuarantinedEntry))
    assert q.reason == "no_consent"
    # The ID number is not kept in clear in quarantine either.
    assert s.VALID_ID not in str(q.payload) and q.payload["id_number"]["last4"] == "002X"


def test_licence_waits_for_its_photo_then_applies_encrypted(sales, packet):
    photo = s.jpeg(seed=3)
    batch = [s.consent(packet, 1), s.licence(packet, 2, s.sha(photo))]
    response = s.push(sales, batch)
    assert statuses(response) == ["applied", "waiting"]
    assert response.get_json()["results"][1]["missing"] == [s.sha(photo)]
    assert s.put_blob(sales, photo).status_code == 201
    assert statuses(s.push(sales, batch)) == ["duplicate", "applied"]
    check = db.session.scalar(sa.select(LicenceCheck))
    assert check.id_number_last4 == "002X" and s.VALID_ID.encode() not in check.id_number_enc
    drive_day = local_today()
    assert check.purge_after == drive_day + timedelta(days=180)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"id_number": "110105194912310021"}, "id_number"),
        ({"licence_class": "C2"}, "licence_class"),
        ({"expires_on": "2020-01-01"}, "expires_on"),
    ],
)
def test_licence_checks_are_validated(app, world, sales, overrides, field):
    packet = s.make_packet(world.users["salesperson"], world.own_card, transmission="MT")
    photo = s.jpeg(seed=5)
    s.put_blob(sales, photo)
    response = s.push(
        sales, [s.consent(packet, 1), s.licence(packet, 2, s.sha(photo), **overrides)]
    )
    assert statuses(response) == ["applied", "rejected"]
    assert field in response.get_json()["results"][1]["errors"]
    assert count(LicenceCheck) == 0


def test_signature_waits_for_its_blob(sales, packet):
    image = s.png()
    response = s.push(sales, [s.signature(packet, 1, s.sha(image))])
    assert statuses(response) == ["waiting"]
    assert s.put_blob(sales, image, purpose="signature", mime="image/png").status_code == 201
    assert statuses(s.push(sales, [s.signature(packet, 2, s.sha(image))])) == ["applied"]
    assert count(SignedDocument) == 1


def test_a_colleagues_booking_is_rejected_for_permission(app, world, make_card):
    colleague_packet = s.make_packet(world.users["colleague"], world.colleague_card)
    client = app.test_client()
    client.login("sales")
    response = s.push(client, [s.tick(colleague_packet, 1)])
    assert statuses(response) == ["rejected"]
    assert response.get_json()["results"][0]["reason"] == "permission"
    assert count(TestDriveEntry) == 0 and count(QuarantinedEntry) == 1
    # A replay of a rejected entry gets the same answer, not a second quarantine row.
    assert statuses(
        s.push(client, [s.tick(colleague_packet, 1, id=response.get_json()["results"][0]["id"])])
    ) == ["rejected"]
    assert count(QuarantinedEntry) == 1


def test_limits_entries_and_bytes_give_413(app, sales, packet):
    limit = app.config["SYNC_MAX_ENTRIES"]
    too_many = [s.tick(packet, n) for n in range(limit + 1)]
    assert s.push(sales, too_many).status_code == 413
    big = [s.note(packet, n, "字" * 2000) for n in range(50)]
    response = s.push(sales, big)
    assert response.status_code == 413 and response.get_json()["error"] == "too_large"
    assert count(TestDriveEntry) == 0


def test_unreadable_requests_get_422_json(sales, packet):
    response = sales.post(
        "/sync/push", data="not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422 and response.get_json()["error"] == "invalid"
    response = sales.post("/sync/push", json={"device": "d-1", "entries": "all"})
    assert response.status_code == 422 and "entries" in response.get_json()["errors"]


def test_an_entry_without_a_uuid_is_refused_alone_and_not_stored(sales, packet):
    good = s.tick(packet, 2)
    response = s.push(sales, [s.tick(packet, 1, id="not-a-uuid"), good])
    assert response.status_code == 200
    bad_result, good_result = response.get_json()["results"]
    assert bad_result["status"] == "rejected" and "id" in bad_result["errors"]
    assert bad_result["id"] == "not-a-uuid"
    assert good_result["status"] == "applied"
    assert count(TestDriveEntry) == 1 and count(QuarantinedEntry) == 0


def test_an_expired_session_gets_401_json_not_a_redirect(app, packet):
    client = app.test_client()
    response = s.push(client, [s.tick(packet, 1)])
    assert response.status_code == 401 and response.is_json
    assert response.get_json()["error"] == "login"
    assert client.get("/sync/pull").status_code == 401


def test_a_bad_csrf_token_gets_400_json(sales, packet):
    response = s.push(sales, [s.tick(packet, 1)], csrf="forged")
    assert response.status_code == 400 and response.get_json()["error"] == "csrf"
    assert count(TestDriveEntry) == 0


def test_roles_without_the_outbox_get_403(app, world, packet):
    client = app.test_client()
    client.login("keeper")
    response = s.push(client, [s.tick(packet, 1)])
    assert response.status_code == 403 and response.is_json


def test_a_greeter_may_push_arrivals_but_not_packet_entries(app, world, packet):
    client = app.test_client()
    client.login("greeter")
    response = s.push(client, [s.tick(packet, 1)])
    assert response.status_code == 200
    (result,) = response.get_json()["results"]
    assert result["status"] == "rejected" and result["reason"] == "permission"


def test_a_manager_pushes_for_a_store_booking(app, world, packet):
    client = app.test_client()
    client.login("manager")
    assert statuses(s.push(client, [s.tick(packet, 1)])) == ["applied"]
    assert world.users["sales_manager"].has_role(Role.SALES_MANAGER)


def test_entries_queued_while_the_session_expired_go_through_after_logging_in_again(
    app, world, packet
):
    client = app.test_client()
    client.login("sales")
    batch = [s.tick(packet, 1), s.note(packet, 2, "两小时离线")]
    # Two hours offline, and the session's idle limit passed meanwhile.
    db.session.execute(
        sa.update(UserSession).values(
            last_seen_at=now() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(hours=2)
        )
    )
    db.session.commit()
    expired = s.push(client, batch)
    assert expired.status_code == 401 and expired.get_json()["error"] == "login"
    assert count(TestDriveEntry) == 0
    assert client.login("sales").status_code == 303
    assert statuses(s.push(client, batch)) == ["applied", "applied"]
    assert count(TestDriveEntry) == 2
