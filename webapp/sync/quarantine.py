"""The quarantine (entries the server could not apply, kept for a person to fix and re-apply
or discard) and the conflicts (two edits of one field), per kind of entry as the areas
declare them (see webapp.sync.registry)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.sync import registry
from webapp.sync.merge import Entry, Rejected, Waiting, unsealed_payload
from webapp.sync.models import QuarantinedEntry, SyncConflict
from webapp.sync.services import apply_with_receipt, begin_batch
from webapp.timeutil import now

# Managers and admins see and fix the store's quarantined entries of every kind (also of
# kinds no area registers any more); the others the kinds whose `fix_roles` they hold, their
# own entries only when the access rules limit them to their own (a salesperson).
STORE_FIX_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
DISCARD_ROLES = (Role.SALES_MANAGER, Role.ADMIN)


def _fixable(stmt: sa.Select, actor: User) -> sa.Select:
    """`stmt` over QuarantinedEntry limited to the kinds the actor may see and fix."""
    if actor.has_role(*STORE_FIX_ROLES):
        return stmt
    return stmt.where(QuarantinedEntry.kind.in_(registry.fixable_kinds(actor)))


def may_fix(actor: User) -> bool:
    """Whether the actor may see and fix quarantined entries of some kind."""
    return actor.has_role(*STORE_FIX_ROLES) or bool(registry.fixable_kinds(actor))


def list_quarantine(actor: User, limit: int = 200) -> list[QuarantinedEntry]:
    """Open quarantined entries of the kinds the actor may fix: a salesperson's own, the
    store's for a greeter (arrivals), a manager or an admin.

    Raises PermissionDenied for roles that fix no kind.
    """
    if not may_fix(actor):
        raise PermissionDenied()
    stmt = _fixable(
        sa.select(QuarantinedEntry)
        .where(QuarantinedEntry.resolved_at.is_(None))
        .order_by(QuarantinedEntry.received_at.desc(), QuarantinedEntry.id.desc())
        .limit(limit),
        actor,
    )
    return list(db.session.scalars(scoped(stmt, QuarantinedEntry, actor)))


def get_quarantined(actor: User, quarantine_id: int) -> QuarantinedEntry:
    """One quarantined entry in the actor's scope. Raises NotFound / PermissionDenied."""
    q = get_scoped(QuarantinedEntry, quarantine_id, actor)
    if not may_fix(actor):
        raise PermissionDenied()
    if not actor.has_role(*STORE_FIX_ROLES) and q.kind not in registry.fixable_kinds(actor):
        raise PermissionDenied()
    return q


def _kind_of(q: QuarantinedEntry) -> registry.EntryKind | None:
    return registry.kind(q.kind)


def editable_fields(q: QuarantinedEntry) -> list[tuple[str, Any]]:
    """(form name, shown value) of each scalar payload field, one level of nesting flattened.

    A sensitive field (an ID number) shows only its last four characters; leaving it empty
    keeps it. The blobs the entry names are not shown: which photo or signature an entry
    links is not a person's to change, and a content hash is never shown in a form (see
    attachment_labels).
    """
    found = _kind_of(q)
    hidden = set(found.blobs) if found is not None else set()
    sensitive = found.sensitive if found is not None else frozenset()
    out: list[tuple[str, Any]] = []
    for key, value in (q.payload or {}).items():
        if key in hidden:
            continue
        if key in sensitive and isinstance(value, dict):
            out.append((key, ""))
        elif isinstance(value, dict):
            out.extend(
                (f"{key}.{sub}", v) for sub, v in value.items() if not isinstance(v, dict | list)
            )
        elif not isinstance(value, list):
            out.append((key, value))
    return out


def sealed_fields(q: QuarantinedEntry) -> frozenset[str]:
    """The entry's sensitive fields: the fix form shows them empty (empty keeps them)."""
    found = _kind_of(q)
    return found.sensitive if found is not None else frozenset()


def attachment_labels(q: QuarantinedEntry) -> list[str]:
    """What the entry links, in words ("licence photo"), in place of the hashes."""
    payload = q.payload or {}
    found = _kind_of(q)
    blobs = found.blobs if found is not None else {}
    return [str(label) for key, label in blobs.items() if payload.get(key)]


def masked_id(q: QuarantinedEntry) -> str | None:
    """'**************1234' for an entry with a sealed field (a licence check), else None."""
    for value in (q.payload or {}).values():
        if isinstance(value, dict) and set(value) == {"sealed", "last4"}:
            return "*" * 14 + str(value.get("last4", ""))
    return None


def _coerce(original: Any, raw: str, polymorphic: bool = False) -> Any:
    """A form string back to the type the payload had.

    A polymorphic field (a tick's or an answer's value: bool, 1–5 or text) takes whatever
    the string reads as: true/false, a whole number, else text.
    """
    raw = raw.strip()
    if polymorphic:
        if raw.lower() in ("true", "false"):
            return raw.lower() == "true"
        if raw.isdigit():
            return int(raw)
        return raw
    if isinstance(original, bool):
        return raw.lower() in ("1", "true", "on", "yes")
    if isinstance(original, int):
        try:
            return int(raw)
        except ValueError:
            return raw
    if original is None and raw == "":
        return None
    return raw


def fixed_payload(q: QuarantinedEntry, form: dict[str, str]) -> dict[str, Any]:
    """The quarantined payload with the form's edits applied (types kept). Only the fields
    the form shows are taken; anything else in the form is ignored."""
    payload = unsealed_payload(q.payload or {})
    editable = {name for name, _value in editable_fields(q)}
    found = _kind_of(q)
    sensitive = found.sensitive if found is not None else frozenset()
    free = found.free_value if found is not None else frozenset()
    for name, raw in form.items():
        if name not in editable:
            continue
        if name in sensitive:
            if raw.strip():
                payload[name] = raw.strip()
            continue
        key, _dot, sub = name.partition(".")
        if key not in payload:
            continue
        if sub:
            if isinstance(payload[key], dict) and sub in payload[key]:
                polymorphic = key in free
                payload[key] = {**payload[key], sub: _coerce(payload[key][sub], raw, polymorphic)}
        elif not isinstance(payload[key], dict | list):
            payload[key] = _coerce(payload[key], raw, key in free)
    return payload


def reapply(actor: User, quarantine_id: int, form: dict[str, str]) -> dict[str, Any]:
    """Fix a quarantined entry's payload and run the merge again.

    The receipt keeps the original body hash, so the tablet's replay of the original entry
    is answered as a duplicate. Raises ValidationError (with the field errors, or the
    reason it still cannot apply), NotFound, PermissionDenied.
    """
    q = get_quarantined(actor, quarantine_id)
    if q.resolved_at is not None:
        raise ValidationError({"_": _("This entry was already dealt with.")})
    entry = Entry(
        id=q.entry_id, device=q.device_id, seq=q.seq, kind=q.kind, payload=fixed_payload(q, form)
    )
    q_id, owner_id, store_id, sha = q.id, q.owner_id, q.store_id, q.body_sha256
    begin_batch()
    try:
        result = apply_with_receipt(
            actor,
            entry,
            sha,
            recorder_id=owner_id,
            extra={"reapplied_by": actor.id},
            store_id=store_id,
        )
    except Rejected as rejected:
        db.session.rollback()
        raise ValidationError(rejected.errors or {"_": rejected.reason}) from None
    except Waiting as waiting:
        db.session.rollback()
        if "missing" in waiting.detail:
            raise ValidationError(
                {"_": _("The photo or signature has not reached the server yet.")}
            ) from None
        raise ValidationError(
            {"revises": _("The note it corrects has not reached the server yet.")}
        ) from None
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError({"_": _("This entry was already applied.")}) from None
    q = db.session.get(QuarantinedEntry, q_id)
    q.resolved_at = now()  # type: ignore[union-attr]
    q.resolved_by_id = actor.id  # type: ignore[union-attr]
    q.resolution = "reapplied"  # type: ignore[union-attr]
    db.session.commit()
    return result


def discard(actor: User, quarantine_id: int, reason: str) -> None:
    """The manager drops a quarantined entry for good, with a reason (kept on the row).

    Raises ValidationError (no reason), NotFound, PermissionDenied (not a manager/admin).
    """
    q = get_quarantined(actor, quarantine_id)
    require_role(actor, *DISCARD_ROLES)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the entry is discarded.")})
    if len(reason) > 200:
        raise ValidationError({"reason": _("At most %(n)d characters.", n=200)})
    if q.resolved_at is not None:
        raise ValidationError({"reason": _("This entry was already dealt with.")})
    q.resolved_at = now()
    q.resolved_by_id = actor.id
    q.resolution = "discarded"
    q.errors = {**(q.errors or {}), "discarded": reason}
    db.session.commit()


def list_conflicts(actor: User, limit: int = 200) -> list[SyncConflict]:
    """Open conflicts: a salesperson's own cards, the store's for a manager or admin.

    Raises PermissionDenied for roles that fix no kind that merges a card.
    """
    require_role(actor, *registry.conflict_roles())
    stmt = (
        sa.select(SyncConflict)
        .where(SyncConflict.resolved_at.is_(None))
        .order_by(SyncConflict.created_at.desc(), SyncConflict.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(scoped(stmt, SyncConflict, actor)))


def record_names(rows: list[SyncConflict]) -> dict[tuple[str, int], str]:
    """(record type, id) → the record's name, for the conflict list (rows already scoped)."""
    ids: dict[str, set[int]] = {}
    for row in rows:
        ids.setdefault(row.record_type, set()).add(row.record_id)
    names: dict[tuple[str, int], str] = {}
    for record_type, record_ids in ids.items():
        record = registry.conflict_record(record_type)
        if record is not None:
            for record_id, name in record.names(record_ids).items():
                names[(record_type, record_id)] = name
    return names


def record_url(row: SyncConflict) -> str | None:
    """The page of a conflict's record, when its area registered one."""
    record = registry.conflict_record(row.record_type)
    return record.url(row.record_id) if record is not None else None
