"""Translated labels of the sync area's stored codes: entry kinds and their payload fields
(declared by the areas, see webapp.sync.registry), the envelope's fields and the reasons
an entry is quarantined."""

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


def sync_label(table: str, code: object) -> str:
    """The translated label of an entry kind ("entry_kind") or a quarantine reason
    ("quarantine_reason"); the code itself when unknown."""
    if table == "entry_kind":
        found = registry.kind(code)
        return str(found.label) if found is not None else str(code)
    return str(QUARANTINE_REASONS.get(str(code), code))


def field_label(name: str, kind: object = None) -> str:
    """The label of a payload field of an entry of `kind` in the fix form:
    'answers.power' → 'Answers · power'."""
    found = registry.kind(kind)
    labels = {**ENVELOPE_FIELDS, **(found.field_labels if found is not None else {})}
    key, _dot, sub = name.partition(".")
    label = str(labels.get(key, key))
    return f"{label} · {sub}" if sub else label
