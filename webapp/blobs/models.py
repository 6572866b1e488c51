"""The blob store's index: one row per stored file (webapp/blobs)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


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
