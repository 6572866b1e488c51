"""A licence copy or signature belongs to one record of one store: its hash is no key to it.

The attack: someone who learns a blob's hash (an access log, an outbox) links it to a
booking of their own and opens the copy. Every case runs in another store and between two
salespeople of one store, on both databases.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.privacy.conftest import login
from tests.sync import support as s
from webapp import blobs
from webapp.blobs.models import Blob
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.privacy import services as privacy
from webapp.sync.models import QuarantinedEntry
from webapp.testdrive.models import Consent, LicenceCheck, SignedDocument

ATTACKERS = {
    "another store's salesperson": ("other_salesperson", "bsales", "other_store_card"),
    "a colleague of the same store": ("colleague", "colleague", "colleague_card"),
}


@pytest.fixture(params=list(ATTACKERS))
def attacker(request, app, world):
    role_key, username, card_key = ATTACKERS[request.param]
    packet = s.make_packet(world.users[role_key], getattr(world, card_key))
    return login(app, username), packet


def test_a_licence_photo_hash_cannot_be_linked_from_another_booking(app, recorded, attacker):
    client, packet = attacker
    results = s.push(
        client, [s.consent(packet, 1), s.licence(packet, 2, recorded["photo"])]
    ).get_json()["results"]
    assert results[0]["status"] == "applied"
    assert results[1]["status"] == "rejected" and results[1]["reason"] == "permission"
    assert "photo_sha256" in results[1]["errors"]
    rows = db.session.scalars(
        sa.select(LicenceCheck).where(LicenceCheck.photo_sha256 == recorded["photo"])
    ).all()
    assert [r.id for r in rows] == [recorded["licence"]]


def test_a_signature_hash_cannot_be_linked_from_another_booking(app, recorded, attacker):
    client, packet = attacker
    (result,) = s.push(client, [s.signature(packet, 1, recorded["sig"])]).get_json()["results"]
    assert result["status"] == "rejected" and result["reason"] == "permission"
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SignedDocument)
            .where(SignedDocument.signature_sha256 == recorded["sig"])
        )
        == 1
    )


def test_uploading_the_same_bytes_again_gives_no_claim_on_the_blob(app, recorded, attacker):
    client, packet = attacker
    response = s.put_blob(client, recorded["photo_bytes"])
    assert response.status_code == 409 and response.get_json()["error"] == "held_elsewhere"
    assert client.head(f"/sync/blobs/{recorded['photo']}").status_code == 404
    blob = db.session.get(Blob, recorded["photo"])
    assert blob.uploaded_by_id != packet.booking.owner_id


def test_a_sensitive_blob_is_linked_to_one_record_only(app, world, recorded):
    """Even its own uploader cannot give a licence copy a second record."""
    sales = login(app, "sales")
    second = s.make_packet(world.users["salesperson"], world.own_card)
    results = s.push(
        sales, [s.consent(second, 10), s.licence(second, 11, recorded["photo"])]
    ).get_json()["results"]
    assert results[1]["status"] == "rejected" and results[1]["reason"] == "permission"
    (result,) = s.push(sales, [s.signature(second, 12, recorded["sig"])]).get_json()["results"]
    assert result["status"] == "rejected"


def test_a_blob_of_one_purpose_cannot_stand_for_another(app, world):
    packet = s.make_packet(world.users["salesperson"], world.own_card)
    sales = login(app, "sales")
    signature = s.png()
    assert s.put_blob(sales, signature, purpose="signature", mime="image/png").status_code == 201
    results = s.push(
        sales, [s.consent(packet, 1), s.licence(packet, 2, s.sha(signature))]
    ).get_json()["results"]
    assert results[1]["status"] == "rejected"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LicenceCheck)) == 0


def test_the_hash_is_never_shown_in_the_quarantine_form(app, recorded, attacker):
    client, packet = attacker
    s.push(client, [s.consent(packet, 1), s.licence(packet, 2, recorded["photo"])])
    q = db.session.scalar(sa.select(QuarantinedEntry))
    page = client.get(f"/sync/quarantine/{q.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert recorded["photo"] not in html and 'name="photo_sha256"' not in html
    listing = client.get("/sync/quarantine").get_data(as_text=True)
    assert recorded["photo"] not in listing


def test_the_fix_form_cannot_point_an_entry_at_another_blob(app, world, recorded):
    """A field the form does not show is ignored when posted."""
    colleague = login(app, "colleague")
    packet = s.make_packet(world.users["colleague"], world.colleague_card)
    mine = s.jpeg(seed=33)
    assert s.put_blob(colleague, mine).status_code == 201
    # Quarantined for a missing consent, with the colleague's own photo.
    (result,) = s.push(colleague, [s.licence(packet, 1, s.sha(mine))]).get_json()["results"]
    assert result["reason"] == "no_consent"
    s.push(colleague, [s.consent(packet, 2)])
    response = colleague.post(
        f"/sync/quarantine/{result['quarantine_id']}", data={"photo_sha256": recorded["photo"]}
    )
    assert response.status_code == 303
    check = db.session.scalar(
        sa.select(LicenceCheck).where(LicenceCheck.booking_id == packet.booking.id)
    )
    assert check.photo_sha256 == s.sha(mine)


def test_withdrawal_deletes_the_file_even_when_another_store_named_it(app, world, recorded):
    """A reference made elsewhere before blobs were bound to one record (written here
    directly) does not keep the customer's copy alive."""
    packet = s.make_packet(world.users["other_salesperson"], world.other_store_card)
    own = db.session.get(LicenceCheck, recorded["licence"])
    consent = Consent(
        store_id=packet.booking.store_id,
        card_id=packet.card.id,
        booking_id=packet.booking.id,
        purpose="licence_copy",
        notice_version="2026-11",
        recorded_by_id=packet.booking.owner_id,
        entry_uuid="00000000-0000-4000-8000-000000000003",
    )
    db.session.add(consent)
    db.session.flush()
    db.session.add(
        LicenceCheck(
            store_id=packet.booking.store_id,
            booking_id=packet.booking.id,
            card_id=packet.card.id,
            owner_id=packet.booking.owner_id,
            consent_id=consent.id,
            id_number_enc=own.id_number_enc,
            id_number_last4=own.id_number_last4,
            licence_class=own.licence_class,
            expires_on=own.expires_on,
            photo_sha256=recorded["photo"],
            checked_by_id=packet.booking.owner_id,
            purge_after=own.purge_after,
            entry_uuid="00000000-0000-4000-8000-000000000001",
        )
    )
    db.session.commit()
    path = blobs.blob_path(recorded["photo"])
    assert path.exists()
    privacy.withdraw_consent(world.users["sales_manager"], recorded["consent"])
    db.session.expire_all()
    assert not path.exists()
    assert db.session.get(Blob, recorded["photo"]) is None
    foreign = db.session.scalar(
        sa.select(LicenceCheck).where(LicenceCheck.store_id == packet.booking.store_id)
    )
    assert foreign.photo_sha256 is None


def test_another_store_cannot_open_a_copy_named_by_its_own_row(app, world, recorded, monkeypatch):
    """Defence in depth: a row of store B naming store A's blob still gets no bytes."""
    packet = s.make_packet(world.users["other_salesperson"], world.other_store_card)
    row = SignedDocument(
        store_id=packet.booking.store_id,
        booking_id=packet.booking.id,
        card_id=packet.card.id,
        owner_id=packet.booking.owner_id,
        document="safety_agreement",
        document_version="v1",
        signature_sha256=recorded["sig"],
        recorded_by_id=packet.booking.owner_id,
        purge_after=packet.booking.starts_at.date(),
        entry_uuid="00000000-0000-4000-8000-000000000002",
    )
    db.session.add(row)
    db.session.commit()
    actor = world.users["other_manager"]
    monkeypatch.setattr(privacy, "recent_login", lambda _actor: True)
    with pytest.raises(NotFound):
        privacy.view_signature(actor, row.id, with_image=True)
