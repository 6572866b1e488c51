"""卡片箱检查, the card box audit: each tick on a card in the audit of a month, by the
salesperson whose card it is or by the manager, with the finding if any (附表六 A-C卡 in
the card box). The trail is never edited in place: a new tick, or a tick with another
finding, is a new row, and a card's standing in an audit is its latest row of each kind."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from webapp.auth.models import Role
from webapp.customers.models import CardEvent
from webapp.extensions import db
from webapp.timeutil import UTCDateTime, now


class TickKind(enum.StrEnum):
    """Who checked: the card's salesperson (自查) or the manager (复查)."""

    OWNER = "owner"
    MANAGER = "manager"


FINDING_LIMIT = 200


class CardAuditTick(db.Model):
    """One tick on one card in the card box audit of a month: who, when, which check, and
    the finding ("" when the card was in order)."""

    __tablename__ = "card_audit_tick"
    __table_args__ = (
        # The month's progress by check and card, and its findings, read from the index.
        sa.Index("ix_card_audit_tick_store_month", "store_id", "month", "kind", "card_id"),
        # A card's trail in a month (the rows of the audit's page).
        sa.Index("ix_card_audit_tick_card_month", "card_id", "month"),
        # The month's findings, newest first, and their count by salesperson: a few in a
        # hundred ticks have one, read without the others.
        sa.Index(
            "ix_card_audit_tick_findings",
            "store_id",
            "month",
            "created_at",
            "id",
            "owner_id",
            postgresql_where=sa.text("finding <> ''"),
            sqlite_where=sa.text("finding <> ''"),
        ),
    )
    # Read by webapp.access: a salesperson sees the ticks on their own cards (the manager's
    # findings on them too), the store's managers every tick of the store.
    store_wide_roles = frozenset({Role.SALES_MANAGER, Role.ADMIN})

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(sa.ForeignKey("store.id"))
    card_id: Mapped[int] = mapped_column(sa.ForeignKey("customer_card.id", ondelete="CASCADE"))
    # The card's salesperson when it was ticked (named owner_id so that webapp.access scopes it).
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    month: Mapped[date]  # the first day of the audited month
    kind: Mapped[str] = mapped_column(sa.String(10))
    finding: Mapped[str] = mapped_column(sa.String(FINDING_LIMIT), default="")
    actor_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


# What 附表三 月度Hot管理表 (webapp.pdca.hot) reads of the cards' timelines, declared here with
# the area's other tables: a month's re-grades and stage changes by store, kind and time (and
# the ones since a month's end, to rebuild it), and a card's first re-grade after a moment.
ix_card_event_store_kind_time = sa.Index(
    "ix_card_event_store_kind_time",
    CardEvent.store_id,
    CardEvent.kind,
    CardEvent.occurred_at,
    CardEvent.card_id,
)
ix_card_event_card_kind_time = sa.Index(
    "ix_card_event_card_kind_time", CardEvent.card_id, CardEvent.kind, CardEvent.occurred_at
)
