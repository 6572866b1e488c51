"""Sync use cases: push a batch of outbox entries and pull what the tablet keeps offline (the
quarantine and conflicts are in webapp/sync/quarantine.py). Which kinds of entries exist,
and what they do, the areas declare (see webapp.sync.registry); nothing here knows an area.

`push` stores each entry together with its receipt, the whole batch in one transaction
(bulk-flushed; on a concurrent replay it falls back to one SAVEPOINT per entry and answers
the replays from their receipts). Replays get the stored result; the same id with another
body is refused for the whole request before anything is applied. See
docs/sync-protocol.md.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm.exc import StaleDataError

from webapp.access import require_role
from webapp.auth.models import User
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import MAX_ID, scrub_text, text_problem
from webapp.sql import insert_rows
from webapp.sync import registry
from webapp.sync.body import TOO_DEEP
from webapp.sync.merge import (
    Entry,
    Rejected,
    Waiting,
    apply_entry,
    device_time,
    prefetch,
    resolve,
    sealed_payload,
    write_staged,
)
from webapp.sync.models import EntryStatus, QuarantinedEntry, SyncReceipt
from webapp.timeutil import now

UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
DEVICE_RE = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
ATTEMPTS = 3
# Rows whose updated_at was set just before a checkpoint may commit just after it.
CHECKPOINT_OVERLAP = timedelta(minutes=2)


class BodyMismatch(Exception):
    """An entry id seen before with another body (hash): the request is refused (422)."""

    def __init__(self, ids: list[str]):
        super().__init__(ids)
        self.ids = ids


def reset_session() -> None:
    """Roll back after a database failure (the connection may be gone too)."""
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        db.session.remove()


def body_hash(kind: Any, payload: Any, seq: Any) -> str:
    """SHA-256 of the canonical JSON of {kind, payload, seq} (see the protocol)."""
    canonical = json.dumps(
        {"kind": kind, "payload": payload, "seq": seq},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    # surrogatepass: a lone surrogate (text cut inside an emoji) still hashes, so the entry
    # is refused on its own instead of failing the batch.
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def parse_batch(device: Any, raw: Any) -> list[Entry]:
    """Read the request body's envelope.

    Raises ValidationError (422) only when the batch itself is malformed (no device id, no
    list of entries, too many). A broken entry does not spoil the batch: it is read as an
    Entry whose `refused` says why, answered `rejected` on its own, and kept in quarantine
    when it has a UUID to be kept under (`keep`).
    """
    errors: dict[str, str] = {}
    if not isinstance(device, str) or not DEVICE_RE.match(device):
        errors["device"] = _("Missing or unreadable device id.")
    if not isinstance(raw, list) or not raw:
        errors["entries"] = _("No entries.")
    elif len(raw) > current_app.config["SYNC_MAX_ENTRIES"]:
        errors["entries"] = _(
            "At most %(n)d entries per request.", n=current_app.config["SYNC_MAX_ENTRIES"]
        )
    if errors:
        raise ValidationError(errors)
    seen: set[str] = set()
    return [_read_entry(device, item, seen) for item in raw]


def _read_entry(device: str, item: Any, seen: set[str]) -> Entry:
    """One entry of the batch, with its refusal when its envelope is broken."""
    if not isinstance(item, dict):
        return _unkeepable(None, {"entry": _("Not an entry.")})
    entry_id, seq, kind = item.get("id"), item.get("seq"), item.get("kind")
    if not isinstance(entry_id, str) or not UUID_RE.match(entry_id):
        return _unkeepable(entry_id, {"id": _("The id must be a UUID.")})
    entry_id = entry_id.lower()
    if entry_id in seen:
        return _unkeepable(entry_id, {"id": _("The same id twice in one request.")})
    seen.add(entry_id)
    if item.get("unreadable") == TOO_DEEP:
        return _unkeepable(entry_id, {"payload": _("The entry is nested too deeply to read.")})
    errors: dict[str, str] = {}
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_ID:
        errors["seq"] = _("The sequence number must be a whole number.")
    if not isinstance(kind, str) or len(kind) > 40 or text_problem(kind) is not None:
        errors["kind"] = _("Unknown kind of entry.")
    if item.get("device", device) != device:
        errors["device"] = _("The entry comes from another device.")
    payload = item.get("payload")
    if not isinstance(payload, dict):
        errors["payload"] = _("The entry has no readable content.")
    created = item.get("created_at")
    if created is not None and device_time(created) is None:
        errors["created_at"] = _("The tablet's clock gave an impossible time.")
    return Entry(
        id=entry_id,
        device=device,
        seq=0 if "seq" in errors else seq,
        kind=scrub_text(kind)[:40] if isinstance(kind, str) else "",
        payload=payload,  # type: ignore[arg-type]
        created_at=created if isinstance(created, str) and "created_at" not in errors else None,
        sha=body_hash(kind, payload, seq),
        refused=Rejected("validation", errors) if errors else None,
    )


def _unkeepable(entry_id: Any, errors: dict[str, str]) -> Entry:
    """An entry that can only be answered: nothing of it is stored."""
    shown = entry_id if isinstance(entry_id, str) and len(entry_id) <= 64 else None
    return Entry(
        id=shown,  # type: ignore[arg-type]
        device="",
        seq=0,
        kind="",
        payload={},
        refused=Rejected("validation", errors),
        keep=False,
    )


def _refused_answer(entry: Entry) -> dict[str, Any]:
    """The answer to an entry refused and not kept."""
    refused = entry.refused or Rejected("validation")
    return {
        "id": entry.id,
        "status": EntryStatus.REJECTED.value,
        "reason": refused.reason,
        "errors": refused.errors,
    }


def _receipt(actor: User, device: str, entry_id: str) -> SyncReceipt | None:
    """The actor's own receipt of an entry: another user or store replaying the same device
    and entry ids learns nothing of it."""
    return db.session.scalar(
        sa.select(SyncReceipt).where(
            SyncReceipt.device_id == device,
            SyncReceipt.entry_id == entry_id,
            SyncReceipt.user_id == actor.id,
            SyncReceipt.store_id == actor.store_id,
        )
    )


def _quarantined(actor: User, device: str, entry_id: str) -> QuarantinedEntry | None:
    """The actor's own quarantined copy of an entry (see _receipt)."""
    return db.session.scalar(
        sa.select(QuarantinedEntry).where(
            QuarantinedEntry.device_id == device,
            QuarantinedEntry.entry_id == entry_id,
            QuarantinedEntry.owner_id == actor.id,
            QuarantinedEntry.store_id == actor.store_id,
        )
    )


def _duplicate(receipt: SyncReceipt) -> dict[str, Any]:
    stored = dict(receipt.result or {})
    return {
        "id": receipt.entry_id,
        "status": EntryStatus.DUPLICATE.value,
        "was": receipt.status,
        **stored,
    }


def _rejected(q: QuarantinedEntry) -> dict[str, Any]:
    return {
        "id": q.entry_id,
        "status": EntryStatus.REJECTED.value,
        "reason": q.reason,
        "errors": q.errors or {},
        "quarantine_id": q.id,
    }


def _taken_elsewhere(entry: Entry) -> dict[str, Any]:
    """The answer to an entry id that another user's or store's entry already holds."""
    return {
        "id": entry.id,
        "status": EntryStatus.REJECTED.value,
        "reason": "duplicate_id",
        "errors": {"id": _("Another device already sent an entry with this id.")},
    }


def _check_bodies(actor: User, entries: list[Entry]) -> dict[str, Any]:
    """Refuse the actor's ids seen before with another body; return what the actor's
    earlier sends left of the others (id → its SyncReceipt or QuarantinedEntry), loaded in
    one query per table, so a replayed batch is answered without a query per entry."""
    kept = [e for e in entries if e.keep]
    if not kept:
        return {}
    ids = [e.id for e in kept]
    device = kept[0].device
    known: dict[str, Any] = {}
    for model, owner in (
        (QuarantinedEntry, QuarantinedEntry.owner_id),
        (SyncReceipt, SyncReceipt.user_id),  # a receipt wins over a quarantined copy
    ):
        rows = db.session.scalars(
            sa.select(model).where(
                model.device_id == device,
                model.entry_id.in_(ids),
                owner == actor.id,
                model.store_id == actor.store_id,
            )
        )
        known.update({row.entry_id: row for row in rows})
    mismatched = [e.id for e in kept if e.id in known and known[e.id].body_sha256 != e.sha]
    if mismatched:
        raise BodyMismatch(mismatched)
    return known


def begin_batch() -> None:
    """SQLite: take the write lock now (BEGIN IMMEDIATE). A deferred transaction that read
    first could not upgrade after another writer's commit; and pysqlite would let the first
    SAVEPOINT start (and its RELEASE commit) the transaction."""
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        db.session.execute(sa.text("BEGIN IMMEDIATE"))


def push(actor: User, device: Any, raw_entries: Any) -> list[dict[str, Any]]:
    """Apply a batch of outbox entries in order; one result per entry.

    One transaction per batch: the entries and their receipts commit together. The fast
    path applies every entry, flushes the rows in bulk and adds the receipts; if a unique
    key refuses a row (a concurrent replay committed it first) or a card changed under us,
    the transaction is rolled back and the batch runs again entry by entry, each in a
    SAVEPOINT, answering the replays as duplicates.

    An entry with a broken envelope (see parse_batch) is answered `rejected` on its own and
    the others go on. Raises ValidationError (malformed batch), BodyMismatch (an id of the
    actor's reused with another body: nothing of the request is applied), PermissionDenied
    (a role without the packet), and lets the database's OperationalError through (503:
    nothing of the batch is stored).
    """
    require_role(actor, *registry.push_roles())
    entries = parse_batch(device, raw_entries)
    begin_batch()
    known = _check_bodies(actor, entries)
    try:
        results = _push_fast(actor, entries, known)
        db.session.commit()
        return results
    except (sa.exc.IntegrityError, StaleDataError):
        db.session.rollback()
    begin_batch()
    cache: dict[Any, Any] = {}
    results = [push_one(actor, e, e.sha, cache) for e in entries]
    db.session.commit()
    return results


def _push_fast(actor: User, entries: list[Entry], known: dict[str, Any]) -> list[dict[str, Any]]:
    """Apply the batch without savepoints (see push); raises IntegrityError/StaleDataError
    when a concurrent writer got there first."""
    cache: dict[Any, Any] = {}
    prefetch(actor, [e for e in entries if e.refused is None], cache)
    out: list[Any] = []
    applied: list[tuple[Entry, dict[str, Any]]] = []
    for entry in entries:
        if not entry.keep:
            out.append(_refused_answer(entry))
            continue
        earlier = known.get(entry.id)
        if isinstance(earlier, SyncReceipt):
            out.append(_duplicate(earlier))
            continue
        if isinstance(earlier, QuarantinedEntry):
            out.append(_rejected(earlier))
            continue
        try:
            if entry.refused is not None:
                raise entry.refused
            result = apply_entry(actor, entry, None, cache)
        except Waiting as waiting:
            out.append({"id": entry.id, "status": EntryStatus.WAITING.value, **waiting.detail})
        except Rejected as rejected:
            q = _quarantine_row(actor, entry, entry.sha, rejected)
            db.session.add(q)
            out.append(q)
        else:
            applied.append((entry, result))
            out.append(entry)
    write_staged(cache)  # the facts of the whole batch, one INSERT per table
    db.session.flush()  # and what the handlers added as objects (events, card changes)
    answers: dict[str, dict[str, Any]] = {}
    receipts: list[dict[str, Any]] = []
    for entry, result in applied:
        values, answer = _receipt_values(actor, entry, entry.sha, resolve(result))
        receipts.append(values)
        answers[entry.id] = answer
    insert_rows(db.session.connection(), SyncReceipt.__table__, receipts, False)
    return [
        answers[item.id]
        if isinstance(item, Entry)
        else _rejected(item)
        if isinstance(item, QuarantinedEntry)
        else item
        for item in out
    ]


def _receipt_values(
    actor: User,
    entry: Entry,
    sha: str,
    result: dict[str, Any],
    recorder_id: int | None = None,
    extra: dict | None = None,
    store_id: int | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The receipt of an applied entry (its column values) and the answer it stores. The
    receipt belongs to the person who recorded the entry, in their store (`recorder_id`,
    `store_id` when a manager re-applies it from quarantine)."""
    found = registry.kind(entry.kind)
    card = found.card_merge(result) if found is not None else {}
    conflict = bool(card.get("conflicts"))
    status = EntryStatus.CONFLICT if conflict else EntryStatus.APPLIED
    stored: dict[str, Any] = {"result": result}
    if conflict:
        stored["server"] = card.get("server", {})
        stored["conflicts"] = card.get("conflicts", [])
    if extra:
        stored.update(extra)
    values = {
        "store_id": store_id or actor.store_id,
        "user_id": recorder_id or actor.id,
        "device_id": entry.device,
        "entry_id": entry.id,
        "seq": entry.seq,
        "kind": entry.kind,
        "body_sha256": sha,
        "status": status.value,
        "result": stored,
        "received_at": now(),
    }
    return values, {"id": entry.id, "status": status.value, **stored}


def push_one(actor: User, entry: Entry, sha: str, cache: dict | None = None) -> dict[str, Any]:
    """Apply one entry with its receipt inside a SAVEPOINT of the batch (see push).

    A concurrent replay of the same entry that committed first makes the receipt's (or the
    fact's) unique key refuse ours: roll back to the savepoint and answer `duplicate`. An id
    held by another user's or store's entry is answered `rejected` (duplicate_id) and, when
    quarantine cannot keep it either, nothing is stored.
    """
    if not entry.keep:
        return _refused_answer(entry)
    for _attempt in range(ATTEMPTS):
        receipt = _receipt(actor, entry.device, entry.id)
        if receipt is not None:
            if receipt.body_sha256 != sha:
                raise BodyMismatch([entry.id])
            return _duplicate(receipt)
        quarantined = _quarantined(actor, entry.device, entry.id)
        if quarantined is not None:
            if quarantined.body_sha256 != sha:
                raise BodyMismatch([entry.id])
            return _rejected(quarantined)
        savepoint = db.session.begin_nested()
        try:
            if entry.refused is not None:
                raise entry.refused
            result = apply_with_receipt(actor, entry, sha, cache=cache)
            savepoint.commit()
            return result
        except Waiting as waiting:
            savepoint.rollback()
            return {"id": entry.id, "status": EntryStatus.WAITING.value, **waiting.detail}
        except Rejected as rejected:
            savepoint.rollback()
            try:
                return _quarantine(actor, entry, sha, rejected)
            except sa.exc.IntegrityError:
                pass  # quarantined by a concurrent replay: read it next turn
        except (sa.exc.IntegrityError, StaleDataError):
            # A concurrent replay of this entry committed first (its receipt or the fact's
            # entry_uuid), or another device edited the card meanwhile: look again.
            savepoint.rollback()
            if cache is not None:
                cache.clear()
    receipt = _receipt(actor, entry.device, entry.id)
    if receipt is not None:
        return _duplicate(receipt)
    try:
        return _quarantine(
            actor,
            entry,
            sha,
            Rejected(
                "duplicate_id", {"id": _("Another device already sent an entry with this id.")}
            ),
        )
    except sa.exc.IntegrityError:
        return _taken_elsewhere(entry)


def apply_with_receipt(
    actor: User,
    entry: Entry,
    sha: str,
    recorder_id: int | None = None,
    extra: dict | None = None,
    cache: dict | None = None,
    store_id: int | None = None,
) -> dict[str, Any]:
    """Apply one entry and add its receipt (flushed, not committed)."""
    result = apply_entry(actor, entry, recorder_id, cache)
    write_staged(cache)
    db.session.flush()
    values, answer = _receipt_values(
        actor, entry, sha, resolve(result), recorder_id, extra, store_id
    )
    db.session.add(SyncReceipt(**values))
    db.session.flush()
    return answer


def _quarantine_row(actor: User, entry: Entry, sha: str, rejected: Rejected) -> QuarantinedEntry:
    return QuarantinedEntry(
        store_id=actor.store_id,
        owner_id=actor.id,
        device_id=entry.device,
        entry_id=entry.id,
        seq=entry.seq,
        kind=str(entry.kind)[:40],
        body_sha256=sha,
        payload=sealed_payload(entry),
        reason=rejected.reason,
        errors=rejected.errors,
    )


def _quarantine(actor: User, entry: Entry, sha: str, rejected: Rejected) -> dict[str, Any]:
    """Keep a rejected entry (in a SAVEPOINT of the batch). Raises IntegrityError when a
    concurrent replay quarantined it first."""
    q = _quarantine_row(actor, entry, sha, rejected)
    savepoint = db.session.begin_nested()
    try:
        db.session.add(q)
        db.session.flush()
        savepoint.commit()
    except sa.exc.IntegrityError:
        savepoint.rollback()
        raise
    return _rejected(q)


# --- pull -----------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="sync-checkpoint")


def _since(actor: User, checkpoint: str | None) -> datetime | None:
    """The moment a checkpoint stands for; None (everything) for none or a foreign one."""
    if not checkpoint:
        return None
    try:
        data = _serializer().loads(checkpoint)
        if data.get("u") != actor.id:
            return None
        return datetime.fromisoformat(data["t"]) - CHECKPOINT_OVERLAP
    except (BadSignature, KeyError, TypeError, ValueError, AttributeError):
        return None


def pull(actor: User, checkpoint: str | None) -> dict[str, Any]:
    """What the tablet keeps offline: every registered pull section the actor's roles may
    have (today: the test-drive packets), with a new checkpoint. With a checkpoint, only rows
    changed since it. Raises PermissionDenied for a role no section serves.
    """
    sections = [s for s in registry.sections() if actor.has_role(*s.roles)]
    if not sections:
        raise PermissionDenied()
    issued = now()
    since = _since(actor, checkpoint)
    data: dict[str, Any] = {
        "checkpoint": _serializer().dumps({"t": issued.isoformat(), "u": actor.id}),
        "full": since is None,
    }
    for section in sections:
        data.update(section.build(actor, since))
    return data


__all__ = ["BodyMismatch", "body_hash", "pull", "push"]
