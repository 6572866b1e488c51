"""The log of every view, withdrawal and purge of sensitive personal data (PIPL)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


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
