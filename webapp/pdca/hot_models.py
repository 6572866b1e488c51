"""附表三 of a closed month, kept: each salesperson's open prospects by Hot grade as of the
month's end, and the month's movement. A month that has ended no longer changes on paper,
and rebuilding it from the cards' timelines costs more the further back it is (every card
re-graded or moved since its end is turned back), so the first reading after the month
ended writes it here and later readings take it as it is (webapp.pdca.hot)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class HotMonthClose(db.Model):
    """A store's Hot table of a closed month: {"grades": {owner id: {grade: count}} as of its
    end, "moves": {owner id: {"move|grade": count}} in it}.

    A store-level aggregate with no owner of its own: webapp.pdca.hot reads it for the
    actor's own store and keeps to the people the actor reaches."""

    __tablename__ = "hot_month_close"
    __table_args__ = (sa.UniqueConstraint("store_id", "month"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    month: Mapped[date]  # the first day of the month
    counts: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
