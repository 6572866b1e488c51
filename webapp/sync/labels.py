"""Translated labels of the sync area's stored codes (entry kinds, quarantine reasons)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

SYNC_LABELS: dict[str, dict[str, object]] = {
    "entry_kind": {
        "testdrive.tick": _l("Checklist tick"),
        "testdrive.note": _l("Note"),
        "testdrive.consent": _l("Consent"),
        "testdrive.licence": _l("Licence check"),
        "testdrive.signature": _l("Signature"),
        "testdrive.feedback": _l("Feedback form"),
        "card.update": _l("Card change"),
        "reception.arrival": _l("Arrival"),
    },
    "payload_field": {
        "people": _l("Number of people"),
        "salesperson_id": _l("Salesperson"),
        "override_reason": _l("Reason for the override"),
        "title": _l("Title (称谓)"),
        "name": _l("Name"),
        "mobile": _l("Mobile"),
        "source": _l("Source"),
        "model_id": _l("Model of interest"),
        "booking_id": _l("Test drive (booking number)"),
        "template_id": _l("Checklist version"),
        "item_key": _l("Checklist item"),
        "value": _l("Value"),
        "field": _l("Kind of note"),
        "text": _l("Text"),
        "revises": _l("Corrects entry"),
        "purpose": _l("Purpose"),
        "notice_version": _l("Notice version"),
        "agreed": _l("Agreed"),
        "licence_class": _l("Licence class"),
        "expires_on": _l("Licence valid until"),
        "photo_sha256": _l("Licence photo"),
        "document": _l("Document"),
        "document_version": _l("Document version"),
        "signature_sha256": _l("Signature"),
        "intention": _l("Intention to buy"),
        "grade": _l("Grade"),
        "card_id": _l("Card number"),
        "base_version": _l("Card version on the tablet"),
        "seq": _l("Sequence number on the tablet"),
        "kind": _l("Kind of entry"),
        "device": _l("Tablet"),
        "payload": _l("Content"),
        "created_at": _l("Time on the tablet"),
        "answers": _l("Answers"),
    },
    "quarantine_reason": {
        "validation": _l("Invalid data"),
        "permission": _l("Not allowed"),
        "cancelled": _l("Test drive cancelled"),
        "no_consent": _l("Consent missing"),
        "unknown_kind": _l("Unknown kind of entry"),
        "duplicate_id": _l("Id already used by another tablet"),
    },
}


def sync_label(kind: str, code: object) -> str:
    """The translated label of a code; the code itself when unknown."""
    return str(SYNC_LABELS.get(kind, {}).get(str(code), code))


def field_label(name: str) -> str:
    """The label of a payload field of the fix form: 'answers.power' → 'answers · power'."""
    key, _dot, sub = name.partition(".")
    if sub:
        return f"{sync_label('payload_field', key)} · {sub}"
    return sync_label("payload_field", key)
