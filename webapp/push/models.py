"""Models of push subscriptions, the notification outbox and the inbox.

A `Notification` is the inbox row (the truth); a `PushDelivery` is one pending or finished
Web Push attempt of that notification to one subscription (the hint).
"""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class DeliveryStatus(enum.StrEnum):
    """Where one push delivery stands."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry, or refused (400/403/413)
    GONE = "gone"  # the push service answered 404/410: the subscription was deleted


class PushSubscription(db.Model):
    """One browser's push subscription, of one user on one device (re-saved at app start)."""

    __tablename__ = "push_subscription"
    __table_args__ = (sa.Index("ix_push_subscription_user", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    device_id: Mapped[str] = mapped_column(sa.String(64))
    endpoint: Mapped[str] = mapped_column(sa.String(1024), unique=True)
    p256dh: Mapped[str] = mapped_column(sa.String(200))
    auth: Mapped[str] = mapped_column(sa.String(64))
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Notification(db.Model):
    """An inbox row: what happened (kind + record id), where to go, read or not.

    It stores no personal data and no free text: the title is a code translated at display.
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_user_created", "user_id", "created_at"),
        sa.Index("ix_notification_user_unread", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(40))
    ref_id: Mapped[int | None]
    url: Mapped[str] = mapped_column(sa.String(300))
    title_code: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushDelivery(db.Model):
    """The outbox of Web Push: one notification to one subscription, drained by the sender."""

    __tablename__ = "push_delivery"
    __table_args__ = (sa.Index("ix_push_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(
        sa.ForeignKey("notification.id", ondelete="CASCADE")
    )
    # NULL once the subscription is gone (404/410): the row stays as the record of the attempt.
    subscription_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("push_subscription.id", ondelete="SET NULL")
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=DeliveryStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    last_status: Mapped[int | None]
    last_error: Mapped[str] = mapped_column(sa.String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    notification: Mapped[Notification] = relationship(lazy="joined")
    subscription: Mapped[PushSubscription | None] = relationship(lazy="joined")
