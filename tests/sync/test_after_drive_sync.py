"""POST /sync/push for the end of the drive: the after-drive checklist, the customer's
signature on the feedback form 附表九, and the driving style and focus points reaching the
A card."""

from __future__ import annotations

import sqlalchemy as sa

from tests.sync import support as s
from webapp.blobs.models import Blob
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry
from webapp.testdrive.models import ChecklistTemplate, SignedDocument, TestDriveEntry
from webapp.testdrive.services.checklists import ensure_default_templates


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def results(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def current(kind: str) -> ChecklistTemplate:
    ensure_default_templates()
    db.session.commit()
    return db.session.scalar(
        sa.select(ChecklistTemplate).where(
            ChecklistTemplate.kind == kind, ChecklistTemplate.current
        )
    )


def tick(packet, template: ChecklistTemplate, key: str, value, seq: int) -> dict:
    payload = {
        "booking_id": packet.booking.id,
        "template_id": template.id,
        "item_key": key,
        "value": value,
    }
    return s.entry("testdrive.tick", payload, seq)


def feedback_signature(packet, seq: int, sha: str) -> dict:
    payload = {
        "booking_id": packet.booking.id,
        "document": "feedback_form",
        "document_version": "2026-12",
        "signature_sha256": sha,
    }
    return s.entry("testdrive.signature", payload, seq)


def test_the_after_drive_ticks_are_recorded_as_codes(sales, packet):
    after = current("after")
    batch = [
        tick(packet, after, "time_enough", "too_short", 1),
        tick(packet, after, "another_drive_offered", True, 2),
        tick(packet, after, "praised", True, 3),
        tick(packet, after, "back_to_table", True, 4),
        tick(packet, after, "intention_asked", True, 5),
    ]
    assert [r["status"] for r in results(s.push(sales, batch))] == ["applied"] * 5
    rows = db.session.scalars(sa.select(TestDriveEntry).order_by(TestDriveEntry.id)).all()
    assert {r.kind for r in rows} == {"after"}
    assert rows[0].item_key == "time_enough" and rows[0].value == "too_short"


def test_an_after_drive_value_outside_the_options_is_refused(sales, packet):
    after = current("after")
    drive = current("drive")
    batch = [
        tick(packet, after, "time_enough", "时间不够 too short", 1),
        tick(packet, drive, "focus_points", ["space", "space"], 2),
        tick(packet, drive, "focus_points", ["space", "boot"], 3),
        tick(packet, drive, "focus_points", "space", 4),
    ]
    found = results(s.push(sales, batch))
    assert [r["status"] for r in found] == ["rejected"] * 4
    assert all("value" in r["errors"] for r in found)
    assert count(TestDriveEntry) == 0


def test_focus_points_are_a_list_of_codes(sales, packet):
    drive = current("drive")
    response = s.push(sales, [tick(packet, drive, "focus_points", ["space", "safety"], 1)])
    assert [r["status"] for r in results(response)] == ["applied"]
    assert db.session.scalar(sa.select(TestDriveEntry.value)) == ["space", "safety"]


def test_the_customer_signs_the_feedback_form(sales, packet):
    image = s.png(300, 120)
    assert s.put_blob(sales, image, purpose="signature", mime="image/png").status_code == 201
    found = results(s.push(sales, [feedback_signature(packet, 1, s.sha(image))]))
    assert [r["status"] for r in found] == ["applied"]
    doc = db.session.scalar(sa.select(SignedDocument))
    assert doc.document == "feedback_form" and doc.document_version == "2026-12"
    assert doc.booking_id == packet.booking.id and doc.signature_sha256 == s.sha(image)
    assert db.session.get(Blob, s.sha(image)).linked_at is not None


def test_a_signature_for_another_stores_booking_is_refused_and_nothing_is_saved(app, world, sales):
    other = s.make_packet(world.users["other_salesperson"], world.other_store_card)
    image = s.png(310, 120)
    assert s.put_blob(sales, image, purpose="signature", mime="image/png").status_code == 201
    found = results(s.push(sales, [feedback_signature(other, 1, s.sha(image))]))
    assert found[0]["status"] == "rejected" and found[0]["reason"] == "permission"
    # The reason, in the user's language, next to the field that names the booking.
    assert found[0]["errors"] == {"booking_id": "您无权记录这次试驾。"}
    assert count(SignedDocument) == 0
    db.session.expire_all()
    assert db.session.get(Blob, s.sha(image)).linked_at is None


def test_another_stores_signature_blob_is_refused_for_own_booking(app, world, packet):
    image = s.png(320, 120)
    other = app.test_client()
    other.login("bsales")
    assert s.put_blob(other, image, purpose="signature", mime="image/png").status_code == 201
    sales = app.test_client()
    sales.login("sales")
    found = results(s.push(sales, [feedback_signature(packet, 1, s.sha(image))]))
    assert found[0]["status"] == "rejected" and found[0]["reason"] == "permission"
    assert "signature_sha256" in found[0]["errors"]
    assert count(SignedDocument) == 0 and count(QuarantinedEntry) == 1
    db.session.expire_all()
    blob = db.session.get(Blob, s.sha(image))
    assert blob.linked_at is None and blob.store_id == world.store_b.id


def test_an_unknown_document_is_refused(sales, packet):
    image = s.png(330, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    entry = feedback_signature(packet, 1, s.sha(image))
    entry["payload"]["document"] = "contract"
    found = results(s.push(sales, [entry]))
    assert found[0]["reason"] == "validation" and "document" in found[0]["errors"]
    assert count(SignedDocument) == 0


def test_feedback_writes_driving_style_and_focus_points_to_the_card(sales, packet):
    version = db.session.get(CustomerCard, packet.card.id).version
    entry = s.feedback(packet, 1, grade=None)
    entry["payload"].update(driving_style="sporty", focus_points=["power", "handling"])
    found = results(s.push(sales, [entry]))
    assert [r["status"] for r in found] == ["applied"]
    db.session.expire_all()
    card = db.session.get(CustomerCard, packet.card.id)
    assert card.driving_style == "sporty" and card.focus_points == ["power", "handling"]
    assert card.version == version + 1
    kinds = set(db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.card_id == card.id)))
    assert {"test_drive", "drive_feedback"} <= kinds


def test_feedback_without_style_keeps_the_cards_fields(sales, packet):
    card = db.session.get(CustomerCard, packet.card.id)
    card.driving_style, card.focus_points = "steady", ["space"]
    db.session.commit()
    assert [r["status"] for r in results(s.push(sales, [s.feedback(packet, 1, grade=None)]))] == [
        "applied"
    ]
    db.session.expire_all()
    card = db.session.get(CustomerCard, packet.card.id)
    assert card.driving_style == "steady" and card.focus_points == ["space"]


def test_feedback_with_a_bad_style_is_refused_and_nothing_is_saved(sales, packet):
    entry = s.feedback(packet, 1, grade=None)
    entry["payload"].update(driving_style="平稳 steady", focus_points=["power", 3])
    found = results(s.push(sales, [entry]))
    assert found[0]["status"] == "rejected"
    assert {"driving_style", "focus_points"} <= set(found[0]["errors"])
    assert count(TestDriveEntry) == 0
    card = db.session.get(CustomerCard, packet.card.id)
    assert card.driving_style == "" and card.focus_points == []


def test_grade_and_style_in_one_feedback_both_reach_the_card(sales, packet):
    entry = s.feedback(packet, 1, grade="H")
    entry["payload"].update(driving_style="cautious", focus_points=["safety"])
    found = results(s.push(sales, [entry]))
    assert found[0]["status"] == "applied", found
    db.session.expire_all()
    card = db.session.get(CustomerCard, packet.card.id)
    assert (card.grade, card.driving_style, card.focus_points) == ("H", "cautious", ["safety"])
