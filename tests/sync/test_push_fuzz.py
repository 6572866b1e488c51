"""Fuzzing POST /sync/push: every field of every kind of entry, and the envelope, takes hostile
values (out-of-range numbers, surrogates, NULs, control characters, nesting, wrong types).

Whatever comes, the answer is 200 JSON with one known result per entry, the good entries of
the batch apply, and an entry that is rejected leaves nothing behind but its quarantine row.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.sync import support as s
from webapp.extensions import db
from webapp.reception.models import Visit
from webapp.sync.models import SyncConflict, SyncReceipt
from webapp.testdrive.models import Consent, LicenceCheck, SignedDocument, TestDriveEntry

UUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
STATUSES = {"applied", "duplicate", "conflict", "waiting", "rejected"}
FACTS = (TestDriveEntry, Consent, LicenceCheck, SignedDocument, Visit)


def nested(depth: int) -> Any:
    value: Any = "底"
    for n in range(depth):
        value = {"k": value} if n % 2 else [value]
    return value


HOSTILE_TEXT = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(categories=["Cc", "Cs", "Co", "Cn"]), min_size=1, max_size=5),
    st.sampled_from(
        ["\x00", "a\x0bb", "\ud83d", "想买\ud83d", "😀", "", " ", "H", "C1", "=1+1", "＝SUM(A1)"]
    ),
    st.sampled_from(["2026-02-30", "0001-01-01", "9999-12-31", "2026-12-05T10:00:00+08:00"]),
)
HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
    st.floats(allow_nan=False, allow_infinity=False),
    HOSTILE_TEXT,
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(HOSTILE_TEXT, st.integers(-5, 5), max_size=3),
    st.sampled_from([nested(25), nested(60)]),
)


def valid_payloads(p: s.Packet) -> dict[str, dict[str, Any]]:
    """A valid payload of every kind, whose fields the fuzzer replaces one by one or all."""
    return {
        "testdrive.tick": s.tick(p, 0)["payload"],
        "testdrive.note": s.note(p, 0, "安静")["payload"],
        "testdrive.consent": s.consent(p, 0)["payload"],
        "testdrive.licence": s.licence(p, 0, "a" * 64)["payload"],
        "testdrive.signature": s.signature(p, 0, "b" * 64)["payload"],
        "testdrive.feedback": s.feedback(p, 0)["payload"],
        "card.update": s.card_update(p.card.id, 1, {"usage": "上班", "grade": "A"}, None, 0)[
            "payload"
        ],
        "reception.arrival": {
            "people": 2,
            "title": "先生",
            "name": "高",
            "mobile": "13800138000",
            "source": "walk_in",
            "model_id": None,
            "salesperson_id": p.booking.owner_id,
            "proposed_id": p.booking.owner_id,
            "override_reason": "",
        },
    }


@st.composite
def fuzzed_entry(draw: st.DrawFn, payloads: dict[str, dict[str, Any]]) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(payloads)))
    payload: Any = {
        key: draw(st.one_of(st.just(value), HOSTILE)) for key, value in payloads[kind].items()
    }
    if draw(st.booleans()):
        payload[draw(HOSTILE_TEXT)] = draw(HOSTILE)  # a field nobody asked for
    if kind == "testdrive.feedback" and isinstance(payload.get("answers"), dict):
        payload["answers"] = {
            key: draw(st.one_of(st.just(value), HOSTILE))
            for key, value in payload["answers"].items()
        }
    if kind == "card.update" and isinstance(payload.get("fields"), dict):
        payload["fields"] = {
            key: draw(st.one_of(st.just(value), HOSTILE))
            for key, value in payload["fields"].items()
        }
    if draw(st.integers(0, 9)) == 0:
        payload = draw(HOSTILE)  # not an object at all
    return {
        "id": draw(st.one_of(st.just(str(uuid.uuid4())), st.just(str(uuid.uuid4())), HOSTILE)),
        "seq": draw(st.one_of(st.integers(0, 10**6), HOSTILE)),
        "kind": draw(st.one_of(st.just(kind), st.just(kind), HOSTILE)),
        "created_at": draw(st.one_of(st.just("2026-12-05T10:31:05+08:00"), HOSTILE)),
        "payload": payload,
    }


def rows_of(entry_id: str) -> int:
    total = 0
    for model in FACTS:
        total += db.session.scalar(
            sa.select(sa.func.count()).select_from(model).where(model.entry_uuid == entry_id)
        )
    total += db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SyncConflict)
        .where(SyncConflict.entry_id == entry_id)
    )
    return total


def receipts_of(entry_id: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SyncReceipt).where(SyncReceipt.entry_id == entry_id)
    )


@pytest.mark.parametrize("username", ["sales", "greeter"])
def test_fuzzed_entries_never_break_the_batch_and_rejected_ones_store_nothing(app, world, username):
    packet = s.make_packet(world.users["salesperson"], world.own_card)
    payloads = valid_payloads(packet)
    client = app.test_client()
    client.login(username)
    seq = iter(range(10**7, 10**8))

    @settings(
        max_examples=s.FUZZ_EXAMPLES,
        derandomize=s.FUZZ_DERANDOMIZE,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(entry=fuzzed_entry(payloads))
    def one_batch(entry: dict[str, Any]) -> None:
        before = s.tick(packet, next(seq))
        after = s.note(packet, next(seq), "好")
        response = s.push(client, [before, entry, after], device="d-fuzz")
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        assert response.is_json
        answers = response.get_json()["results"]
        assert len(answers) == 3 and all(a["status"] in STATUSES for a in answers)
        good = "applied" if username == "sales" else "rejected"  # a greeter has no packet
        assert answers[0]["status"] == good and answers[2]["status"] == good
        db.session.expire_all()
        fuzzed = answers[1]
        entry_id = str(entry["id"]).lower() if UUID.match(str(entry["id"])) else None
        if fuzzed["status"] in ("rejected", "waiting") and entry_id:
            assert rows_of(entry_id) == 0, (entry, fuzzed)
            assert receipts_of(entry_id) == 0, (entry, fuzzed)
        if fuzzed["status"] in ("applied", "conflict"):
            assert receipts_of(entry_id) == 1

    one_batch()
