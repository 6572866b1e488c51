"""The batch's fast path (facts and receipts written in bulk) answers and stores exactly what
the entry-by-entry path does, for a batch that mixes kinds, waits and refusals."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from tests.sync import support as s
from webapp.customers.models import CardEvent
from webapp.extensions import db
from webapp.sync import services
from webapp.sync.models import QuarantinedEntry, SyncReceipt
from webapp.testdrive.models import Consent, LicenceCheck, TestDriveEntry


def mixed_batch(p: s.Packet, photo_sha: str, missing_sha: str, ghost: str) -> list[dict]:
    """Ticks, a note and its revision in the same batch, a consent then a licence whose photo
    is held, a licence whose photo is missing (waits), a revision of an unknown note (waits),
    a tick of an item not on the checklist, an unknown kind (both rejected), the feedback
    with its grade (the card merge), and a tick after all of them."""
    first = s.note(p, 3, "客户关注油耗")
    return [
        s.tick(p, 1, "process"),
        s.tick(p, 2, "controls", False),
        first,
        s.note(p, 4, "客户关注油耗和后排空间", revises=first["id"]),
        s.consent(p, 5),
        s.licence(p, 6, photo_sha),
        s.licence(p, 7, missing_sha),
        s.note(p, 8, "改正", revises=ghost),
        s.tick(p, 9, "no_such_item"),
        s.entry("testdrive.unknown", {"booking_id": p.booking.id}, 10),
        s.feedback(p, 11, grade="H"),
        s.tick(p, 12, "process", False),
    ]


def shape(answer: dict[str, Any], facts: dict[int, Any]) -> dict[str, Any]:
    """An answer without what differs between two runs: ids of rows and entries, the
    booking's card (each run has its own), quarantine ids."""
    out = {k: v for k, v in answer.items() if k not in ("id", "quarantine_id")}
    result = out.get("result")
    if isinstance(result, dict):
        result = dict(result)
        if "entry_id" in result:
            result["entry_id"] = facts.get(result["entry_id"], "missing")
        for key in ("consent_id", "licence_check_id"):
            if key in result:
                result[key] = "row" if result[key] else None
        if isinstance(result.get("card"), dict):
            result["card"] = {k: v for k, v in result["card"].items() if k != "card_id"}
        out["result"] = result
    return out


def stored(p: s.Packet, device: str) -> dict[str, Any]:
    """What the run left in the database, without ids."""
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(TestDriveEntry)
        .where(TestDriveEntry.booking_id == p.booking.id)
        .order_by(TestDriveEntry.id)
    ).all()
    facts = {r.id: (r.kind, r.item_key, r.value, r.revises_uuid is not None) for r in rows}
    receipts = db.session.scalars(
        sa.select(SyncReceipt).where(SyncReceipt.device_id == device).order_by(SyncReceipt.seq)
    ).all()
    quarantined = db.session.scalars(
        sa.select(QuarantinedEntry)
        .where(QuarantinedEntry.device_id == device)
        .order_by(QuarantinedEntry.seq)
    ).all()
    events = db.session.scalars(
        sa.select(CardEvent.kind).where(CardEvent.card_id == p.card.id).order_by(CardEvent.id)
    ).all()
    return {
        "facts": list(facts.values()),
        "receipts": [(r.seq, r.kind, r.status, shape(r.result, facts)) for r in receipts],
        "quarantine": [(q.seq, q.kind, q.reason, q.errors) for q in quarantined],
        "consents": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(Consent)
            .where(Consent.booking_id == p.booking.id)
        ),
        "licences": db.session.scalar(
            sa.select(sa.func.count())
            .select_from(LicenceCheck)
            .where(LicenceCheck.booking_id == p.booking.id)
        ),
        "events": list(events),
        "card": (p.card.grade, p.card.version),
        "_facts": facts,
    }


def test_a_mixed_batch_gets_the_same_answers_and_rows_on_the_fast_path_as_entry_by_entry(
    app, world, make_card, sales, monkeypatch
):
    owner = world.users["salesperson"]
    fast = s.make_packet(owner, make_card(owner))
    slow = s.make_packet(owner, make_card(owner))
    ghost = str(uuid.uuid4())
    missing = s.sha(b"never uploaded")
    runs = {}
    for name, p in (("fast", fast), ("slow", slow)):
        photo = s.jpeg(seed=len(runs) + 11)
        assert s.put_blob(sales, photo).status_code == 201
        device = f"d-{name}"
        if name == "slow":
            # The entry-by-entry path is the batch's fallback when a unique key refuses a
            # row (a concurrent replay): refuse the fast path once to take it here.
            def refused(*_args: Any) -> None:
                raise sa.exc.IntegrityError("forced", None, Exception("forced"))

            monkeypatch.setattr(services, "_push_fast", refused)
        response = s.push(sales, mixed_batch(p, s.sha(photo), missing, ghost), device=device)
        assert response.status_code == 200, response.get_data(as_text=True)
        monkeypatch.undo()
        state = stored(p, device)
        facts = state.pop("_facts")
        answers = [shape(a, facts) for a in response.get_json()["results"]]
        runs[name] = (answers, state)

    fast_answers, fast_state = runs["fast"]
    slow_answers, slow_state = runs["slow"]
    assert [a["status"] for a in fast_answers] == [
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "applied",
        "waiting",
        "waiting",
        "rejected",
        "rejected",
        "applied",
        "applied",
    ]
    assert fast_answers == slow_answers
    assert fast_state == slow_state
    # Every applied entry has its receipt, every refused one its quarantine row, nothing else.
    assert [r[0] for r in fast_state["receipts"]] == [1, 2, 3, 4, 5, 6, 11, 12]
    assert [q[0] for q in fast_state["quarantine"]] == [9, 10]
    assert len(fast_state["facts"]) == 6  # 3 ticks, 2 notes, the feedback
    assert fast_state["card"][0] == "H"
