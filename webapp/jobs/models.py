"""What the scheduled jobs have done: one row per notice, person and day (`SentNotice`), and
one per daily job and store (`JobDay`).

The unique key (kind, user, day, ref) is the guarantee that a notice goes out once, however
many copies of `flask jobs run` run at the same moment: each inserts the row first and sends
only when its insert won (a lock held in memory would not hold across processes or hosts).
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class SentNotice(db.Model):
    """A scheduled notice sent to one person on one (store-local) day."""

    __tablename__ = "sent_notice"
    __table_args__ = (sa.UniqueConstraint("kind", "user_id", "day", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    day: Mapped[date]
    # What the notice is about when one person may get several a day (a task's id); 0 for a
    # digest, which is one a day.
    ref: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class JobDay(db.Model):
    """A store's daily job done on a (store-local) day: the follow-up planning and its
    notices run once per store and day, whatever runs at once (the row is claimed first, in
    the same transaction as the work, so a failed store is tried again)."""

    __tablename__ = "job_day"

    job: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"), primary_key=True)
    day: Mapped[date] = mapped_column(primary_key=True)
    done_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
