"""Sync bookkeeping: receipts of applied outbox entries, quarantine and conflicts."""

from __future__ import annotations

import enum
from datetime import datetime
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
