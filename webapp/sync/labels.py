"""Translated labels of the sync area's stored codes: entry kinds and their payload fields
(declared by the areas, see webapp.sync.registry), the envelope's fields and the reasons
an entry is quarantined. The kinds and reasons are tables of `webapp.labels.label`; a
payload field's label depends on its kind, so the fix form asks `field_label`."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from webapp.sync import registry

# The fields of every entry, whatever its kind.
ENVELOPE_FIELDS = {
    "id": _l("Entry id"),
    "entry": _l("Entry"),
    "seq": _l("Sequence number on the tablet"),
    "kind": _l("Kind of entry"),
    "device": _l("Tablet"),
    "payload": _l("Content"),
    "created_at": _l("Time on the tablet"),
}
QUARANTINE_REASONS = {
    "validation": _l("Invalid data"),
    "permission": _l("Not allowed"),
    "cancelled": _l("Test drive cancelled"),
    "no_consent": _l("Consent missing"),
    "unknown_kind": _l("Unknown kind of entry"),
    "duplicate_id": _l("Id already used by another tablet"),
}


def _tables() -> dict[str, dict[str, object]]:
    """The entry kinds and the quarantine reasons, for `label("entry_kind", …)` and
    `label("quarantine_reason", …)`."""
    return {
        "entry_kind": {kind.name: kind.label for kind in registry.kinds()},
        "quarantine_reason": QUARANTINE_REASONS,
    }


# Called by webapp.labels.register, after the app factory has registered the offline kinds.
TABLES = _tables


def field_label(name: str, kind: object = None) -> str:
    """The label of a payload field of an entry of `kind` in the fix form:
    'answers.power' → 'Answers · power'."""
    found = registry.kind(kind)
    labels = {**ENVELOPE_FIELDS, **(found.field_labels if found is not None else {})}
    key, _dot, sub = name.partition(".")
    label = str(labels.get(key, key))
    return f"{label} · {sub}" if sub else label
