"""How one outbox entry changes the server, whatever its kind: the entry, its refusals and the
helpers the areas' handlers share. The handlers themselves live with their areas (see
`webapp.sync.registry`): test-drive facts in `webapp/testdrive/offline.py`, the card merge in
`webapp/customers/`, arrivals in `webapp/reception/offline.py`.

`apply_entry` runs inside the caller's transaction and never commits or flushes by itself:
every handler validates first and writes only when the entry will apply, so a Waiting or
Rejected entry leaves nothing behind (no savepoint needed). It returns the per-entry result
(values that need the flush are `Deferred`, see `resolve`) or raises:
- `Waiting` — something the entry needs has not arrived (a blob, or the entry a note
  revises); nothing is stored and the tablet sends the entry again later;
- `Rejected` — the entry can never apply as it is (validation, permission); the caller
  keeps it in quarantine.

Facts (ticks, notes, consent, licence checks, signatures, feedback) are insert-only, keyed
by the entry's UUID (unique), so a replay can never double them. Only `card.update` can
conflict: a field changed on the server since the tablet's base is kept, and the tablet's
value is recorded in a SyncConflict row next to it. Device clocks are shown, never used to
order anything: the order is the order in which entries reach the server.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _

from webapp.blobs import BlobRefused, claim_blob, decrypt_text, encrypt_text
from webapp.extensions import db
from webapp.inputs import MIN_YEAR, parse_id, sane_date, text_problem
from webapp.sql import insert_rows
from webapp.sync import registry
from webapp.timeutil import SHANGHAI

UUID_CHARS = frozenset("0123456789abcdef-")
HEX_CHARS = frozenset("0123456789abcdef")


class Deferred:
    """A result value known only after the flush (a new row's id, the card's new version).

    Entries of a batch are flushed together; `resolve()` turns these into plain values.
    """

    __slots__ = ("get",)

    def __init__(self, get: Any):
        self.get = get


def resolve(value: Any) -> Any:
    """The result with every Deferred replaced by its value (call after the flush)."""
    if isinstance(value, Deferred):
        return value.get()
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


class Waiting(Exception):
    """The entry depends on something not yet on the server; `detail` goes to the client."""

    def __init__(self, detail: dict[str, Any]):
        super().__init__(detail)
        self.detail = detail


class Rejected(Exception):
    """The entry cannot apply: `reason` is a stable word, `errors` maps field → message."""

    def __init__(self, reason: str, errors: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}


@dataclass
class Entry:
    """One outbox entry as the server reads it."""

    id: str
    device: str
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: str | None = None
    # Set by the batch reader: the body's hash, and why the entry is refused before it is
    # applied (a broken envelope); `keep` says whether quarantine can keep it (a UUID id).
    sha: str = ""
    refused: Rejected | None = None
    keep: bool = True

    @property
    def device_time(self) -> datetime | None:
        """What the tablet's clock said, for display only (None when unreadable)."""
        return device_time(self.created_at)


def device_time(created_at: Any) -> datetime | None:
    """An entry's `created_at` as an aware datetime within sane years, else None."""
    if not isinstance(created_at, str) or len(created_at) > 40:
        return None
    try:
        moment = datetime.fromisoformat(created_at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
        utc = moment.astimezone(SHANGHAI)  # raises OverflowError at the ends of the calendar
    except (ValueError, OverflowError):
        return None
    return moment if sane_date(utc.date()) and utc.year >= MIN_YEAR else None


# --- helpers the areas' handlers share ------------------------------------------------------


def read_id(payload: dict[str, Any], key: str, errors: dict[str, str]) -> int:
    """A record id (1 ≤ id < 2^31) from the payload; 0 and an error when it is not one."""
    value = parse_id(payload.get(key))
    if value is None:
        errors[key] = _("Missing or not a number.")
        return 0
    return value


def read_text(payload: dict[str, Any], key: str, errors: dict[str, str], limit: int) -> str:
    """Text from the payload ("" when absent), stripped; an error for another type, more
    than `limit` characters or control characters."""
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Enter text.")
        return ""
    if len(value) > limit:
        errors[key] = _("At most %(n)d characters.", n=limit)
    elif (problem := text_problem(value)) is not None:
        errors[key] = problem
    return value.strip()


def is_hash(value: Any) -> bool:
    """Whether `value` reads as a SHA-256 in hex."""
    return isinstance(value, str) and len(value) == 64 and set(value.lower()) <= HEX_CHARS


def is_uuid(value: Any) -> bool:
    """Whether `value` reads as a UUID."""
    return isinstance(value, str) and len(value) == 36 and set(value.lower()) <= UUID_CHARS


def claim(
    sha: str, store_id: int, purpose: str, recorder_id: int, field: str, keep_until: date
) -> Any:
    """The blob the entry names, linked to its record in `store_id` and kept at least until
    `keep_until` (the record's own purge date; a later one already set stays); Waiting when
    it has not arrived, Rejected when this entry may not reference it (blobs.claim_blob)."""
    try:
        blob = claim_blob(sha, store_id=store_id, purpose=purpose, user_id=recorder_id)
    except BlobRefused:
        raise Rejected(
            "permission",
            {field: _("This photo or signature belongs to another record. Take it again.")},
        ) from None
    if blob is None:
        raise Waiting({"missing": [sha]})
    if blob.purge_after is None or blob.purge_after < keep_until:
        blob.purge_after = keep_until
    return blob


# --- insert-only facts, written in bulk --------------------------------------------------------

STAGED = "staged_rows"  # the batch cache's key of the rows waiting for write_staged


def insert_fact(cache: dict | None, model: Any, values: dict[str, Any]) -> Deferred:
    """Add an insert-only fact row (a tick, a note) and return its id as a Deferred.

    With a batch cache the row waits in it, and `write_staged` writes the rows of the whole
    batch with one INSERT … RETURNING per table: neither an ORM object nor the unit of work
    is needed for a row nobody edits. Without a cache it is written at once. Every row of a
    table must name the same columns. A handler that must see the facts added before it
    (a revision looking for its note) calls `write_staged` first.
    """
    holder: list[Any] = [None]
    if cache is None:
        write_rows(model, [(values, holder)])
    else:
        cache.setdefault(STAGED, {}).setdefault(model, []).append((values, holder))
    return Deferred(lambda: holder[0])


def write_staged(cache: dict | None) -> None:
    """Write the rows `insert_fact` staged in the batch cache (see there)."""
    staged = cache.pop(STAGED, None) if cache is not None else None
    for model, rows in (staged or {}).items():
        write_rows(model, rows)


def write_rows(model: Any, rows: list[tuple[dict[str, Any], list[Any]]]) -> None:
    """One INSERT … RETURNING id for the rows (values, id holder) of one table, in order."""
    ids = insert_rows(
        db.session.connection(), model.__table__, [values for values, _holder in rows], True
    )
    for (_values, holder), new_id in zip(rows, ids, strict=True):
        holder[0] = new_id


def apply_entry(
    actor: Any, entry: Entry, recorder_id: int | None = None, cache: dict | None = None
) -> dict[str, Any]:
    """Apply one entry in the current transaction (no commit). Returns the stored result.

    `cache` may be shared by the entries of one batch (scope answers per booking).

    Raises Waiting or Rejected (see the module docstring): `unknown_kind` for a kind no
    area registered, `permission` for a role the kind does not allow.
    """
    if not isinstance(entry.payload, dict):
        raise Rejected("validation", {"payload": _("The entry has no readable content.")})
    found = registry.kind(entry.kind)
    if found is None:
        raise Rejected("unknown_kind", {"kind": _("Unknown kind of entry.")})
    if not actor.has_role(*found.roles):
        raise Rejected("permission", {"kind": _("Your role does not allow this.")})
    return found.apply(actor, entry, recorder_id or actor.id, cache)


def prefetch(actor: Any, entries: list[Entry], cache: dict) -> None:
    """Let each kind's prefetch load what the batch's entries of that kind need, in few
    queries, before any row is added (the entries then flush together in bulk)."""
    groups: dict[Any, list[Entry]] = {}
    for entry in entries:
        found = registry.kind(entry.kind)
        if found is not None and found.prefetch is not None:
            groups.setdefault(found.prefetch, []).append(entry)
    for load, group in groups.items():
        load(actor, group, cache)


def _storable(value: Any) -> Any:
    """`value` with lone surrogates replaced by "?", so quarantine can store and show it
    (the entry's body hash, taken before, still answers the tablet's replays)."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def sealed_payload(entry: Entry) -> dict[str, Any]:
    """The payload as quarantine keeps it: the kind's sensitive fields (an ID number) are
    encrypted, their last 4 characters shown."""
    payload = dict(entry.payload) if isinstance(entry.payload, dict) else {"raw": entry.payload}
    payload = _storable(payload)
    found = registry.kind(entry.kind)
    for name in found.sensitive if found is not None else ():
        value = payload.get(name)
        if isinstance(value, str) and value:
            payload[name] = {
                "sealed": base64.b64encode(encrypt_text(value)).decode(),
                "last4": value[-4:],
            }
    return payload


def unsealed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Inverse of sealed_payload, to re-apply a quarantined entry."""
    out = dict(payload)
    for name, value in payload.items():
        if isinstance(value, dict) and set(value) == {"sealed", "last4"}:
            out[name] = decrypt_text(base64.b64decode(value["sealed"]))
    return out


__all__ = [
    "Deferred",
    "Entry",
    "Rejected",
    "Waiting",
    "apply_entry",
    "claim",
    "insert_fact",
    "is_hash",
    "is_uuid",
    "prefetch",
    "read_id",
    "read_text",
    "resolve",
    "write_staged",
]
