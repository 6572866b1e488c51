"""The quarantine page: who sees what, fix and re-apply, discard with a reason; conflicts."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.sync import support as s
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry, SyncReceipt
from webapp.testdrive.models import LicenceCheck, TestDriveEntry


@pytest.fixture
def packet(world):
    return s.make_packet(world.users["salesperson"], world.own_card)


def login(app, username):
    client = app.test_client()
    client.login(username)
    return client


def bad_tick(packet, seq=1):
    return s.tick(packet, seq, key="process", value="maybe")  # a tick must be true/false


def test_salesperson_sees_own_quarantine_manager_the_stores_colleague_nothing(app, world, packet):
    sales = login(app, "sales")
    response = s.push(sales, [bad_tick(packet)])
    assert response.get_json()["results"][0]["status"] == "rejected"
    own = sales.get("/sync/quarantine").get_data(as_text=True)
    assert "Tick or untick." in own or "勾选" in own
    manager = login(app, "manager").get("/sync/quarantine").get_data(as_text=True)
    assert "/sync/quarantine/" in manager
    colleague = login(app, "colleague").get("/sync/quarantine").get_data(as_text=True)
    assert "/sync/quarantine/" not in colleague
    q = db.session.scalar(sa.select(QuarantinedEntry))
    assert login(app, "colleague").get(f"/sync/quarantine/{q.id}").status_code == 404
    assert login(app, "bmanager").get(f"/sync/quarantine/{q.id}").status_code == 404
    # The greeter fixes arrivals only: the list is hers, the salesperson's tick is not.
    greeter = login(app, "greeter")
    listing = greeter.get("/sync/quarantine")
    assert listing.status_code == 200 and f"/sync/quarantine/{q.id}" not in listing.get_data(
        as_text=True
    )
    assert greeter.get(f"/sync/quarantine/{q.id}").status_code == 403


def test_fix_and_reapply_applies_the_entry_and_a_replay_is_then_a_duplicate(app, world, packet):
    sales = login(app, "sales")
    original = bad_tick(packet)
    s.push(sales, [original])
    q = db.session.scalar(sa.select(QuarantinedEntry))
    page = sales.get(f"/sync/quarantine/{q.id}").get_data(as_text=True)
    assert 'name="value"' in page and 'name="booking_id"' in page
    wrong = sales.post(f"/sync/quarantine/{q.id}", data={"value": "maybe"})
    assert wrong.status_code == 422 and "value" in field_errors(wrong.get_data(as_text=True))
    fixed = sales.post(f"/sync/quarantine/{q.id}", data={"value": "true"})
    assert fixed.status_code == 303
    row = db.session.scalar(sa.select(TestDriveEntry))
    assert row.value is True and row.entry_uuid == original["id"]
    db.session.refresh(q)
    assert q.resolution == "reapplied" and q.resolved_at is not None
    replay = s.push(sales, [original]).get_json()["results"][0]
    assert replay["status"] == "duplicate"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SyncReceipt)) == 1


def test_a_licence_entry_in_quarantine_never_shows_the_id_number(app, world, packet):
    sales = login(app, "sales")
    photo = s.jpeg()
    s.put_blob(sales, photo)
    s.push(sales, [s.licence(packet, 1, s.sha(photo))])  # no consent yet
    q = db.session.scalar(sa.select(QuarantinedEntry))
    for path in ("/sync/quarantine", f"/sync/quarantine/{q.id}"):
        page = sales.get(path).get_data(as_text=True)
        assert s.VALID_ID not in page and s.VALID_ID[:6] not in page
        assert "002X" in page
    # Consent arrives; the manager re-applies without retyping the ID number.
    s.push(sales, [s.consent(packet, 2)])
    manager = login(app, "manager")
    assert manager.post(f"/sync/quarantine/{q.id}", data={"id_number": ""}).status_code == 303
    check = db.session.scalar(sa.select(LicenceCheck))
    assert check.id_number_last4 == "002X" and check.checked_by_id == world.users["salesperson"].id


def test_only_a_manager_discards_and_needs_a_reason(app, world, packet):
    sales = login(app, "sales")
    s.push(sales, [bad_tick(packet)])
    q = db.session.scalar(sa.select(QuarantinedEntry))
    page = sales.get(f"/sync/quarantine/{q.id}").get_data(as_text=True)
    assert "/discard" not in page
    assert sales.post(f"/sync/quarantine/{q.id}/discard", data={"reason": "x"}).status_code == 403
    manager = login(app, "manager")
    empty = manager.post(f"/sync/quarantine/{q.id}/discard", data={"reason": " "})
    assert empty.status_code == 422 and "reason" in field_errors(empty.get_data(as_text=True))
    assert (
        manager.post(f"/sync/quarantine/{q.id}/discard", data={"reason": "重复录入"}).status_code
        == 303
    )
    db.session.refresh(q)
    assert q.resolution == "discarded" and q.errors["discarded"] == "重复录入"
    assert "/sync/quarantine/" not in manager.get("/sync/quarantine").get_data(as_text=True)


def test_conflicts_list_shows_both_values(app, world):
    card = world.own_card
    sales = login(app, "sales")
    base, version = {"grade": card.grade}, card.version
    s.push(sales, [s.card_update(card.id, version, {"grade": "H"}, base, 1)], device="a")
    s.push(sales, [s.card_update(card.id, version, {"grade": "C"}, base, 1)], device="b")
    page = sales.get("/sync/conflicts").get_data(as_text=True)
    cells = re.findall(r"<td>([^<]*)</td>", page)
    assert "H" in cells and "C" in cells and card.name in page
    assert card.name not in login(app, "colleague").get("/sync/conflicts").get_data(as_text=True)
