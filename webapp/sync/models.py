"""Sync bookkeeping: receipts of applied outbox entries, quarantine, conflicts, the blob
store's index and the log of every view or deletion of sensitive personal data.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class EntryStatus(enum.StrEnum):
    """Per-entry result of `POST /sync/push`."""

    APPLIED = "applied"
    DUPLICATE = "duplicate"
    CONFLICT = "conflict"
    WAITING = "waiting"  # a blob (or the entry it revises) has not arrived yet
    REJECTED = "rejected"  # kept in quarantine with its reason


class SyncReceipt(db.Model):
    """The server's memory of one applied entry, written in the same transaction as the data.

    A replay finds the receipt and gets the stored result back; the same id with a
    different body (another hash) is refused.
    """

    __tablename__ = "sync_receipt"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "entry_id"),
        sa.Index("ix_sync_receipt_entry", "entry_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_id: Mapped[str] = mapped_column(sa.String(64))
    entry_id: Mapped[str] = mapped_column(sa.String(36))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(40))
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    status: Mapped[str] = mapped_column(sa.String(12))
    result: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class QuarantinedEntry(db.Model):
    """An entry the server could not apply (validation, permission): kept, never dropped,
    shown to the salesperson and the manager, who can fix and re-apply it."""

    __tablename__ = "quarantined_entry"
    __table_args__ = (
        sa.UniqueConstraint("device_id", "entry_id"),
        sa.Index("ix_quarantined_entry_store_open", "store_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))  # who sent it
    device_id: Mapped[str] = mapped_column(sa.String(64))
    entry_id: Mapped[str] = mapped_column(sa.String(36))
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(40))
    body_sha256: Mapped[str] = mapped_column(sa.String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(40))
    errors: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    resolution: Mapped[str] = mapped_column(sa.String(20), default="")


class SyncConflict(db.Model):
    """Two edits of one field of a shared record that collided: both values kept for review."""

    __tablename__ = "sync_conflict"
    __table_args__ = (sa.Index("ix_sync_conflict_store_open", "store_id", "resolved_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    record_type: Mapped[str] = mapped_column(sa.String(30))
    record_id: Mapped[int]
    field: Mapped[str] = mapped_column(sa.String(40))
    base_version: Mapped[int]
    server_value: Mapped[Any] = mapped_column(sa.JSON)
    device_value: Mapped[Any] = mapped_column(sa.JSON)
    entry_id: Mapped[str] = mapped_column(sa.String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Blob(db.Model):
    """A content-addressed file in the blob store (instance/blobs), encrypted at rest.

    The sha256 is of the bytes the device sent; the stored file is the re-encoded,
    watermarked image, encrypted with AES-GCM under a key kept outside the database.
    """

    __tablename__ = "blob"
    __table_args__ = (sa.Index("ix_blob_purge", "purge_after"),)

    sha256: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    purpose: Mapped[str] = mapped_column(sa.String(20))  # licence, signature, route_map, photo
    sensitive: Mapped[bool] = mapped_column(default=False)
    mime: Mapped[str] = mapped_column(sa.String(30))
    size: Mapped[int]  # bytes received
    stored_size: Mapped[int]
    width: Mapped[int | None]
    height: Mapped[int | None]
    key_id: Mapped[str] = mapped_column(sa.String(20))
    uploaded_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    purge_after: Mapped[date | None]
    # When a record took this sensitive blob as its own (a licence check, a signed
    # document); a sensitive blob belongs to one record only (see blobs.claim_blob).
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SensitiveAccessLog(db.Model):
    """Every view, download or deletion of sensitive personal data (PIPL), who and when."""

    __tablename__ = "sensitive_access_log"
    __table_args__ = (sa.Index("ix_sensitive_access_log_store_time", "store_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))  # None: a CLI job
    action: Mapped[str] = mapped_column(sa.String(12))  # view, purge, withdraw
    subject: Mapped[str] = mapped_column(sa.String(30))  # licence_check, signed_document
    subject_id: Mapped[int]
    blob_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    detail: Mapped[str] = mapped_column(sa.String(200), default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
