"""Builders for the sync and privacy tests: a booked test drive, outbox entries, test images."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from PIL import Image

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.testdrive.models import (
    ChecklistTemplate,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.timeutil import local_day_bounds, local_today, now

# The fuzz tests (test_push_fuzz, test_schemathesis): a fixed sequence of examples in
# `make test`, so CI is repeatable; `make fuzz` sets FUZZ_RANDOM=1 and many more examples.
FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ_DERANDOMIZE = os.environ.get("FUZZ_RANDOM") != "1"

LAST_SLOT = timedelta(minutes=45)  # a 30-minute drive that ends before midnight

TEST_BLOB_KEY = base64.urlsafe_b64encode(b"k" * 32).decode()
VALID_ID = "11010519491231002X"  # GB 11643 example with a correct check character
PREDRIVE_ITEMS = [
    {"key": "process", "label_zh": "流程说明", "label_en": "Process explained", "type": "tick"},
    {"key": "controls", "label_zh": "操作说明", "label_en": "Controls explained", "type": "tick"},
]
FEEDBACK_ITEMS = [
    {"key": "power", "label_zh": "动力", "label_en": "Power", "type": "score"},
    {"key": "comfort", "label_zh": "舒适", "label_en": "Comfort", "type": "score"},
    {"key": "likes", "label_zh": "喜欢", "label_en": "Likes", "type": "text"},
    {"key": "concerns", "label_zh": "顾虑", "label_en": "Concerns", "type": "text"},
]


@dataclass
class Packet:
    """One booked test drive with everything its packet needs."""

    booking: TestDriveBooking
    card: CustomerCard
    car: TestDriveCar
    route: TestDriveRoute
    predrive: ChecklistTemplate
    feedback: ChecklistTemplate


_counter = iter(range(1, 1_000_000))


def templates() -> tuple[ChecklistTemplate, ChecklistTemplate]:
    """The current pre-drive checklist and feedback form (made once per database)."""
    found = {
        t.kind: t
        for t in db.session.scalars(db.select(ChecklistTemplate).where(ChecklistTemplate.current))
    }
    if "predrive" not in found:
        found["predrive"] = ChecklistTemplate(kind="predrive", version=1, items=PREDRIVE_ITEMS)
        db.session.add(found["predrive"])
    if "feedback" not in found:
        found["feedback"] = ChecklistTemplate(kind="feedback", version=1, items=FEEDBACK_ITEMS)
        db.session.add(found["feedback"])
    db.session.commit()
    return found["predrive"], found["feedback"]


def make_packet(
    owner: User,
    card: CustomerCard,
    *,
    transmission: str = "AT",
    day: date | None = None,
) -> Packet:
    """A car, a route and a booking today (or `day`) for `card`, owned by `owner`."""
    n = next(_counter)
    model = db.session.scalar(db.select(VehicleModel).where(VehicleModel.code == "SYNCTEST"))
    if model is None:
        model = VehicleModel(code="SYNCTEST", name_zh="卡罗拉", name_en="Corolla")
        db.session.add(model)
        db.session.flush()
    car = TestDriveCar(
        store_id=owner.store_id,
        plate=f"津S{uuid.uuid4().hex[:5].upper()}",
        model_id=model.id,
        vin=("SYNC" + uuid.uuid4().hex.upper())[:17],
        transmission=transmission,
        insurance_expires=local_today() + timedelta(days=300),
        registration_expires=local_today() + timedelta(days=300),
    )
    route = TestDriveRoute(store_id=owner.store_id, name=f"路线{n}", swap_point="加油站")
    db.session.add_all([car, route])
    db.session.flush()
    # An hour from now, but still today in Shanghai (late in the evening an hour ahead is
    # tomorrow, and "today's booking" would not be today's).
    start = min(now() + timedelta(hours=1), local_day_bounds(local_today())[1] - LAST_SLOT)
    if day is not None:
        start = start + timedelta(days=(day - local_today()).days)
    booking = TestDriveBooking(
        store_id=owner.store_id,
        card_id=card.id,
        owner_id=owner.id,
        driver_id=owner.id,
        car_id=car.id,
        route_id=route.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=30),
    )
    db.session.add(booking)
    db.session.commit()
    predrive, feedback = templates()
    return Packet(booking, card, car, route, predrive, feedback)


def entry(kind: str, payload: dict[str, Any], seq: int, **extra: Any) -> dict[str, Any]:
    """An outbox entry with a fresh UUID."""
    return {
        "id": extra.pop("id", str(uuid.uuid4())),
        "seq": seq,
        "kind": kind,
        "created_at": extra.pop("created_at", "2026-11-27T10:31:05+08:00"),
        "payload": payload,
        **extra,
    }


def tick(p: Packet, seq: int, key: str = "process", value: Any = True, **extra: Any) -> dict:
    payload = {
        "booking_id": p.booking.id,
        "template_id": p.predrive.id,
        "item_key": key,
        "value": value,
    }
    return entry("testdrive.tick", payload, seq, **extra)


def note(p: Packet, seq: int, text: str, revises: str | None = None, **extra: Any) -> dict:
    payload = {"booking_id": p.booking.id, "field": "remark", "text": text, "revises": revises}
    return entry("testdrive.note", payload, seq, **extra)


def consent(p: Packet, seq: int, **extra: Any) -> dict:
    payload = {
        "booking_id": p.booking.id,
        "purpose": "licence_copy",
        "notice_version": "2026-11",
        "agreed": True,
    }
    return entry("testdrive.consent", payload, seq, **extra)


def licence(p: Packet, seq: int, photo_sha: str, **overrides: Any) -> dict:
    payload = {
        "booking_id": p.booking.id,
        "id_number": VALID_ID,
        "licence_class": "C1",
        "expires_on": (local_today() + timedelta(days=700)).isoformat(),
        "photo_sha256": photo_sha,
    }
    payload.update(overrides)
    return entry("testdrive.licence", payload, seq)


def signature(p: Packet, seq: int, sha: str) -> dict:
    payload = {
        "booking_id": p.booking.id,
        "document": "safety_agreement",
        "document_version": "v1",
        "signature_sha256": sha,
    }
    return entry("testdrive.signature", payload, seq)


def feedback(p: Packet, seq: int, grade: str | None = "A") -> dict:
    payload = {
        "booking_id": p.booking.id,
        "template_id": p.feedback.id,
        "answers": {"power": 5, "comfort": 4, "likes": "安静", "concerns": "后排空间"},
        "intention": "两周内决定",
        "grade": grade,
    }
    return entry("testdrive.feedback", payload, seq)


def card_update(
    card_id: int, base_version: int, fields: dict, base: dict | None, seq: int, **extra: Any
) -> dict:
    payload: dict[str, Any] = {"card_id": card_id, "base_version": base_version, "fields": fields}
    if base is not None:
        payload["base"] = base
    return entry("card.update", payload, seq, **extra)


def jpeg(
    width: int = 640, height: int = 480, quality: int = 90, exif: bool = False, seed: int = 0
) -> bytes:
    """A JPEG with some texture (so its size is realistic)."""
    image = Image.effect_noise((width, height), 40 + seed % 20).convert("RGB")
    out = io.BytesIO()
    kwargs: dict[str, Any] = {"quality": quality}
    if exif:
        data = Image.Exif()
        data[0x010F] = "SecretCam"  # Make
        data[0x8825] = {2: (39.0, 7.0, 0.0)}  # GPS
        kwargs["exif"] = data
    image.save(out, "JPEG", **kwargs)
    return out.getvalue()


def png(width: int = 400, height: int = 160) -> bytes:
    image = Image.new("LA", (width, height), (255, 0))
    for x in range(20, width - 20):
        image.putpixel((x, height // 2 + (x % 30) - 15), (0, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def push(client: Any, entries: list[dict], device: str = "d-tablet-1", **kwargs: Any) -> Any:
    return client.post("/sync/push", json={"device": device, "entries": entries}, **kwargs)


def put_blob(
    client: Any,
    data: bytes,
    purpose: str = "licence",
    mime: str = "image/jpeg",
    digest: str | None = None,
) -> Any:
    return client.put(
        f"/sync/blobs/{digest or sha(data)}?purpose={purpose}",
        data=data,
        headers={"Content-Type": mime},
    )


def matrix_records(world: Any) -> dict[str, dict[str, Any]]:
    """For the access matrix: per relation (own / colleague / other_store) a quarantined
    entry, a consent, a licence check with its photo and a signed document. Built once per
    world; the blob store goes to a temporary folder with the test key."""
    if "sync_privacy" in world.extra:
        return world.extra["sync_privacy"]
    import tempfile

    from flask import current_app

    from webapp.blobs import encrypt_text, store_blob
    from webapp.sync.models import QuarantinedEntry
    from webapp.testdrive.models import Consent, LicenceCheck, SignedDocument

    current_app.config["BLOB_DIR"] = tempfile.mkdtemp(prefix="matrix-blobs-")
    current_app.config["BLOB_KEY"] = TEST_BLOB_KEY
    out: dict[str, dict[str, Any]] = {}
    owners = {
        "own": (world.users["salesperson"], world.own_card),
        "colleague": (world.users["colleague"], world.colleague_card),
        "other_store": (world.users["other_salesperson"], world.other_store_card),
    }
    for n, (relation, (owner, card)) in enumerate(owners.items()):
        packet = make_packet(owner, card)
        photo = store_blob(jpeg(320, 240, seed=n), "image/jpeg", "licence", owner.store_id, owner)
        sig = store_blob(png(200 + n, 80), "image/png", "signature", owner.store_id, owner)
        consent_row = Consent(
            store_id=owner.store_id,
            card_id=card.id,
            booking_id=packet.booking.id,
            purpose="licence_copy",
            notice_version="2026-11",
            recorded_by_id=owner.id,
            entry_uuid=str(uuid.uuid4()),
        )
        db.session.add(consent_row)
        db.session.flush()
        purge_after = local_today() + timedelta(days=180)
        check = LicenceCheck(
            store_id=owner.store_id,
            booking_id=packet.booking.id,
            card_id=card.id,
            owner_id=owner.id,
            consent_id=consent_row.id,
            id_number_enc=encrypt_text(VALID_ID),
            id_number_last4=VALID_ID[-4:],
            licence_class="C1",
            expires_on=local_today() + timedelta(days=500),
            photo_sha256=photo.sha256,
            checked_by_id=owner.id,
            purge_after=purge_after,
            entry_uuid=str(uuid.uuid4()),
        )
        doc = SignedDocument(
            store_id=owner.store_id,
            booking_id=packet.booking.id,
            card_id=card.id,
            owner_id=owner.id,
            document="safety_agreement",
            document_version="v1",
            signature_sha256=sig.sha256,
            recorded_by_id=owner.id,
            purge_after=purge_after,
            entry_uuid=str(uuid.uuid4()),
        )
        bad = tick(packet, 1, value="maybe")
        quarantined = QuarantinedEntry(
            store_id=owner.store_id,
            owner_id=owner.id,
            device_id=f"d-{relation}",
            entry_id=bad["id"],
            seq=1,
            kind=bad["kind"],
            body_sha256="0" * 64,
            payload=bad["payload"],
            reason="validation",
            errors={"value": "Tick or untick."},
        )
        db.session.add_all([check, doc, quarantined])
        db.session.commit()
        # Plain ids: a POST of the matrix may delete the row (consent withdrawal).
        out[relation] = {
            "quarantine": SimpleNamespace(id=quarantined.id),
            "consent": SimpleNamespace(id=consent_row.id),
            "licence_check": SimpleNamespace(id=check.id),
            "signed_document": SimpleNamespace(id=doc.id),
        }
    world.extra["sync_privacy"] = out
    return out
