"""The kinds of offline entries, declared by the areas that own them.

Sync keeps the protocol (receipts, order, quarantine, conflicts, pull checkpoints) and knows
no area: each area describes its offline kinds in its own `offline.py` with an `EntryKind`
per kind (and, if the tablet keeps its data offline, a `PullSection`), and the app factory
registers them from one explicit list (`webapp/__init__.py`). A new offline kind is one
`EntryKind` in its area's module plus its name in that list; the OpenAPI enum, the protocol
document and the labels are checked against this registry by tests/sync/test_registry.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from webapp.auth.models import Role

# apply(actor, entry, recorder_id, cache) -> result; see webapp.sync.merge.apply_entry.
Apply = Callable[[Any, Any, int, "dict | None"], dict[str, Any]]
# prefetch(actor, entries, cache): load what a batch of this kind needs in few queries.
Prefetch = Callable[[Any, list[Any], dict], None]


@dataclass(frozen=True)
class EntryKind:
    """One kind of outbox entry.

    - `roles`: who may send it (others get it back `rejected` with reason `permission`);
    - `fix_roles`: who may see and fix its quarantined entries (a salesperson or greeter
      sees their own, a manager or admin the store's);
    - `sensitive`: payload fields sealed in quarantine (encrypted, last 4 shown) and kept on
      the tablet only until acknowledged;
    - `blobs`: payload fields naming a blob (hash), with the words shown in their place;
    - `free_value`: payload fields (or nested dicts) whose values may be a tick, a score or
      text, read back from the fix form as such;
    - `card_result`: where the result holds a card merge (its conflicts make the entry a
      `conflict`): "" for none, "." for the result itself, else the key;
    - `field_labels`: labels of its payload fields in the fix form.
    """

    name: str
    label: Any
    apply: Apply
    roles: tuple[Role, ...]
    fix_roles: tuple[Role, ...]
    prefetch: Prefetch | None = None
    sensitive: frozenset[str] = frozenset()
    blobs: Mapping[str, Any] = field(default_factory=dict)
    free_value: frozenset[str] = frozenset()
    card_result: str = ""
    field_labels: Mapping[str, Any] = field(default_factory=dict)

    def card_merge(self, result: dict[str, Any]) -> dict[str, Any]:
        """The card merge inside this kind's result ({} when there is none)."""
        if self.card_result == ".":
            return result
        if self.card_result:
            found = result.get(self.card_result)
            return found if isinstance(found, dict) else {}
        return {}


@dataclass(frozen=True)
class PullSection:
    """Data the tablet keeps offline, built for `GET /sync/pull`.

    `build(actor, since)` returns {key: [rows…]} changed since `since` (everything for
    None); `roles` may pull it; `offline_paths` are the regular expressions of the pages the
    service worker keeps for offline use.
    """

    name: str
    build: Callable[[Any, datetime | None], dict[str, list[Any]]]
    roles: tuple[Role, ...]
    offline_paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConflictRecord:
    """A kind of record whose fields can conflict: `names(ids)` gives each record's name for
    the conflict list, `url(id)` its page."""

    record_type: str
    names: Callable[[set[int]], dict[int, str]]
    url: Callable[[int], str]


_KINDS: dict[str, EntryKind] = {}
_SECTIONS: dict[str, PullSection] = {}
_RECORDS: dict[str, ConflictRecord] = {}


def _add(table: dict[str, Any], name: str, item: Any) -> None:
    known = table.get(name)
    if known is not None and known is not item:
        raise ValueError(f"{name} is registered twice")
    table[name] = item


def register(
    kinds: Iterable[EntryKind] = (),
    sections: Iterable[PullSection] = (),
    records: Iterable[ConflictRecord] = (),
) -> None:
    """Add an area's kinds, pull sections and conflict records (the same objects again is a
    no-op: every app the process builds registers them)."""
    for kind in kinds:
        _add(_KINDS, kind.name, kind)
    for section in sections:
        _add(_SECTIONS, section.name, section)
    for record in records:
        _add(_RECORDS, record.record_type, record)


def kind(name: Any) -> EntryKind | None:
    """The registered kind of this name, or None."""
    return _KINDS.get(name) if isinstance(name, str) else None


def kinds() -> list[EntryKind]:
    """Every registered kind, by name."""
    return [_KINDS[name] for name in sorted(_KINDS)]


def sections() -> list[PullSection]:
    """Every registered pull section, by name."""
    return [_SECTIONS[name] for name in sorted(_SECTIONS)]


def conflict_record(record_type: str) -> ConflictRecord | None:
    """The registered conflict record of this type, or None."""
    return _RECORDS.get(record_type)


def push_roles() -> tuple[Role, ...]:
    """Everyone who may send some kind of entry."""
    return tuple(sorted({role for k in _KINDS.values() for role in k.roles}))


def blob_roles() -> tuple[Role, ...]:
    """Everyone who may send a kind that names blobs (and so upload them)."""
    return tuple(sorted({role for k in _KINDS.values() if k.blobs for role in k.roles}))


def fixable_kinds(actor: Any) -> list[str]:
    """The kinds whose quarantined entries the actor may see and fix."""
    return [k.name for k in kinds() if actor.has_role(*k.fix_roles)]


def conflict_roles() -> tuple[Role, ...]:
    """Everyone who may fix a kind that merges a card (and so review its conflicts)."""
    return tuple(sorted({r for k in _KINDS.values() if k.card_result for r in k.fix_roles}))


def sensitive_fields() -> list[str]:
    """Every payload field any kind seals (the outbox clears them once acknowledged)."""
    return sorted({name for k in _KINDS.values() for name in k.sensitive})


def offline_paths() -> list[str]:
    """The pages the service worker keeps for offline use (regular expressions)."""
    return [path for s in sections() for path in s.offline_paths]
