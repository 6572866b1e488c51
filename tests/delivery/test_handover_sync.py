"""POST /sync/push for the two forms the customer signs at the car: `delivery.tick` and
`delivery.signature` (附表十四 交车过程及文件确认表, 附表十五 新车交接确认表)."""

# ruff: noqa: F811 - the fixtures imported from handover_fixtures are used as arguments

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.delivery.handover_fixtures import (  # noqa: F401
    catalogue,
    forms,
    handover_blobs,
    make_contract,
    new_delivery,
    other_store_delivery,
    own_delivery,
    required_keys,
    signature,
    tick,
)
from tests.sync import support as s
from webapp.blobs.models import Blob
from webapp.customers.models import CustomerCard
from webapp.delivery.models import DeliveryEntry, DeliverySignature, DeliveryState
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry
from webapp.timeutil import SHANGHAI


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def results(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]


def logged_in(app, username: str):
    client = app.test_client()
    client.login(username)
    return client


def test_ticks_of_both_forms_are_recorded_against_their_versions(app, world, own_delivery, forms):
    sales = logged_in(app, "sales")
    batch = [
        tick(own_delivery, forms["process"], "order_fees", 1),
        tick(own_delivery, forms["handover"], "paint_body", 2),
        tick(own_delivery, forms["handover"], "paint_body", 3, done=False),
    ]
    assert [r["status"] for r in results(s.push(sales, batch))] == ["applied"] * 3
    rows = db.session.scalars(sa.select(DeliveryEntry).order_by(DeliveryEntry.id)).all()
    assert [(r.kind, r.checklist_id, r.item_key, r.done) for r in rows] == [
        ("process", forms["process"].id, "order_fees", True),
        ("handover", forms["handover"].id, "paint_body", True),
        ("handover", forms["handover"].id, "paint_body", False),
    ]
    assert {r.entry_uuid for r in rows} == {e["id"] for e in batch}
    assert rows[0].store_id == world.store_a.id and rows[0].device_time is not None


def test_a_replayed_tick_is_recognised_and_not_doubled(app, own_delivery, forms):
    sales = logged_in(app, "sales")
    entry = tick(own_delivery, forms["handover"], "keys_count", 1)
    assert [r["status"] for r in results(s.push(sales, [entry]))] == ["applied"]
    assert [r["status"] for r in results(s.push(sales, [entry]))] == ["duplicate"]
    assert count(DeliveryEntry) == 1


def test_a_tick_for_another_stores_delivery_is_refused_and_nothing_is_saved(
    app, other_store_delivery, forms
):
    sales = logged_in(app, "sales")
    found = results(s.push(sales, [tick(other_store_delivery, forms["handover"], "paint_body", 1)]))
    assert [r["status"] for r in found] == ["rejected"]
    assert found[0]["reason"] == "permission"
    assert count(DeliveryEntry) == 0
    assert count(QuarantinedEntry) == 1


def test_a_colleagues_delivery_is_refused_to_a_salesperson(app, world, new_delivery, forms):
    delivery = new_delivery(world.colleague_card)
    found = results(
        s.push(logged_in(app, "sales"), [tick(delivery, forms["process"], "order_fees", 1)])
    )
    assert found[0]["status"] == "rejected" and found[0]["reason"] == "permission"
    assert count(DeliveryEntry) == 0


def test_the_service_advisor_and_the_manager_tick_the_stores_delivery(app, own_delivery, forms):
    for n, username in enumerate(("service", "manager"), start=1):
        found = results(
            s.push(
                logged_in(app, username),
                [tick(own_delivery, forms["process"], "warranty", n)],
                device=f"d-{username}",
            )
        )
        assert [r["status"] for r in found] == ["applied"]
    assert count(DeliveryEntry) == 2


def test_the_greeter_may_not_tick(app, own_delivery, forms):
    found = results(
        s.push(logged_in(app, "greeter"), [tick(own_delivery, forms["process"], "warranty", 1)])
    )
    assert found[0]["status"] == "rejected" and found[0]["reason"] == "permission"
    assert count(DeliveryEntry) == 0


def test_an_unknown_item_or_a_version_of_the_other_form_is_refused_with_a_reason(
    app, own_delivery, forms
):
    sales = logged_in(app, "sales")
    batch = [
        tick(own_delivery, forms["handover"], "no_such_item", 1),
        # 附表十五's version named as 附表十四
        tick(own_delivery, forms["handover"], "paint_body", 2, kind="process"),
        # the preparation list is not a signed form
        tick(own_delivery, forms["preparation"], "pds_done", 3),
        tick(own_delivery, forms["handover"], "paint_body", 4, done="yes"),
    ]
    found = results(s.push(sales, batch))
    assert [r["status"] for r in found] == ["rejected"] * 4
    assert all(r["reason"] == "validation" for r in found)
    assert "item_key" in found[0]["errors"]
    assert "checklist_id" in found[1]["errors"]
    assert "kind" in found[2]["errors"]
    assert "done" in found[3]["errors"]
    assert count(DeliveryEntry) == 0
    assert count(QuarantinedEntry) == 4


def test_a_cancelled_delivery_takes_no_tick(app, world, new_delivery, forms):
    delivery = new_delivery(world.own_card, state=DeliveryState.CANCELLED.value)
    found = results(
        s.push(logged_in(app, "sales"), [tick(delivery, forms["process"], "order_fees", 1)])
    )
    assert found[0]["status"] == "rejected"
    assert count(DeliveryEntry) == 0


def test_the_customer_signs_the_handover_form(app, own_delivery, forms, handover_blobs):
    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    assert s.put_blob(sales, image, purpose="signature", mime="image/png").status_code == 201
    entry = signature(own_delivery, forms["handover"], s.sha(image), 1)
    assert [r["status"] for r in results(s.push(sales, [entry]))] == ["applied"]
    row = db.session.scalar(sa.select(DeliverySignature))
    assert row.form == "handover" and row.checklist_id == forms["handover"].id
    assert row.signature_sha256 == s.sha(image) and row.entry_uuid == entry["id"]
    day = own_delivery.scheduled_at.astimezone(SHANGHAI).date()
    retention = timedelta(days=app.config["LICENCE_RETENTION_DAYS"])
    assert row.purge_after == day + retention
    blob = db.session.get(Blob, s.sha(image))
    assert blob.purge_after == row.purge_after and blob.linked_at is not None
    # The replay is recognised; nothing doubles.
    assert [r["status"] for r in results(s.push(sales, [entry]))] == ["duplicate"]
    assert count(DeliverySignature) == 1


def test_a_signature_waits_for_its_image(app, own_delivery, forms, handover_blobs):
    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    found = results(s.push(sales, [signature(own_delivery, forms["process"], s.sha(image), 1)]))
    assert found[0]["status"] == "waiting"
    assert count(DeliverySignature) == 0


def test_a_signature_image_is_claimed_once(app, world, new_delivery, forms, handover_blobs):
    first = new_delivery(world.own_card)
    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    batch = [
        signature(first, forms["process"], s.sha(image), 1),
        signature(first, forms["handover"], s.sha(image), 2),
    ]
    found = results(s.push(sales, batch))
    assert [r["status"] for r in found] == ["applied", "rejected"]
    assert found[1]["reason"] == "permission" and "signature_sha256" in found[1]["errors"]
    assert count(DeliverySignature) == 1


def test_a_signature_for_another_stores_delivery_is_refused(
    app, other_store_delivery, forms, handover_blobs
):
    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    found = results(
        s.push(sales, [signature(other_store_delivery, forms["handover"], s.sha(image), 1)])
    )
    assert found[0]["status"] == "rejected" and found[0]["reason"] == "permission"
    assert count(DeliverySignature) == 0


def test_a_signature_naming_the_other_forms_version_is_refused(
    app, own_delivery, forms, handover_blobs
):
    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    bad = signature(own_delivery, forms["process"], s.sha(image), 1, form="handover")
    found = results(s.push(sales, [bad]))
    assert found[0]["status"] == "rejected" and "checklist_id" in found[0]["errors"]
    unknown = signature(own_delivery, forms["process"], s.sha(image), 2, form="preparation")
    found = results(s.push(sales, [unknown]))
    assert found[0]["status"] == "rejected" and "form" in found[0]["errors"]
    assert count(DeliverySignature) == 0


def test_the_tablet_pulls_the_days_deliveries_with_both_forms(app, world, new_delivery, forms):
    today = new_delivery(world.own_card)
    new_delivery(world.colleague_card)
    new_delivery(world.own_card, at=today.scheduled_at + timedelta(days=5))
    sales = logged_in(app, "sales")
    body = sales.get("/sync/pull").get_json()
    text = str(body)
    assert "delivery.day" in text or "deliveries" in text
    section = _find(body, "deliveries")
    assert [d["id"] for d in section] == [today.id]
    assert section[0]["name"] == world.own_card.name and "mobile" not in section[0]
    assert section[0]["model"]
    lists = _find(body, "checklists")
    assert {c["kind"] for c in lists} == {"process", "handover"}
    assert {c["id"] for c in lists} == {forms["process"].id, forms["handover"].id}
    assert "total" not in text and "120000" not in text


def test_the_service_advisor_pulls_the_stores_deliveries(app, world, new_delivery, forms):
    own = new_delivery(world.own_card)
    colleague = new_delivery(world.colleague_card)
    new_delivery(world.other_store_card)
    body = logged_in(app, "service").get("/sync/pull").get_json()
    assert sorted(d["id"] for d in _find(body, "deliveries")) == sorted([own.id, colleague.id])
    assert required_keys(forms["handover"])


def _find(body, key: str):
    """The list under `key` anywhere in the pull answer."""
    if isinstance(body, dict):
        if key in body and isinstance(body[key], list):
            return body[key]
        for value in body.values():
            found = _find(value, key)
            if found is not None:
                return found
    elif isinstance(body, list):
        for value in body:
            found = _find(value, key)
            if found is not None:
                return found
    return None


def test_the_days_pull_does_not_grow_with_the_number_of_deliveries(app, world, new_delivery, forms):
    owner = world.users["salesperson"]
    new_delivery(world.own_card)
    sales = logged_in(app, "sales")
    one = int(sales.get("/sync/pull").headers["X-SQL-Count"])
    for n in range(3):
        card = CustomerCard(
            store_id=owner.store_id,
            owner_id=owner.id,
            name=f"交车{n}",
            title="ms",
            mobile=f"1370000{n:04d}",
            source="walk_in",
            grade="A",
        )
        db.session.add(card)
        db.session.commit()
        new_delivery(card)
    response = sales.get("/sync/pull")
    assert len(_find(response.get_json(), "deliveries")) == 4
    assert int(response.headers["X-SQL-Count"]) == one


def test_a_signature_past_its_retention_is_purged_with_its_image_and_logged(
    app, own_delivery, forms, handover_blobs
):
    from webapp.blobs import blob_path
    from webapp.privacy.models import SensitiveAccessLog
    from webapp.privacy.services import purge_expired

    sales = logged_in(app, "sales")
    image = s.png(300, 120)
    s.put_blob(sales, image, purpose="signature", mime="image/png")
    s.push(sales, [signature(own_delivery, forms["process"], s.sha(image), 1)])
    row = db.session.scalar(sa.select(DeliverySignature))
    assert blob_path(s.sha(image)).exists()

    assert purge_expired(row.purge_after) == []  # kept through its last day
    lines = purge_expired(row.purge_after + timedelta(days=1))

    assert any(line.startswith(f"delivery_signature {row.id} ") for line in lines)
    assert count(DeliverySignature) == 0
    assert db.session.get(Blob, s.sha(image)) is None
    assert not blob_path(s.sha(image)).exists()
    logged = db.session.scalars(
        sa.select(SensitiveAccessLog).where(SensitiveAccessLog.subject == "delivery_signature")
    ).all()
    assert [(e.action, e.subject_id) for e in logged] == [("purge", row.id)]
