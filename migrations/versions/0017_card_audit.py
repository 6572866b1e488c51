"""卡片箱检查, the card box audit: card_audit_tick, one row per tick on a card in the audit of
a month (the salesperson's own check or the manager's), with its finding; never updated.

附表三 月度Hot管理表 reads the cards' timelines by kind: a month's re-grades and stage changes
by (store, kind, time, card), and a card's first re-grade or stage change after a moment by
(card, kind, time). Without them a month of a store with 20,000 cards walked every event of
the month (or every event of each card) to find the few of those kinds.

Revision ID: 0017_card_audit
Revises: 0016_evening_meeting
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0017_card_audit"
down_revision = "0016_evening_meeting"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "card_audit_tick",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("finding", sa.String(length=200), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("created_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_card_audit_tick_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_card_audit_tick_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_card_audit_tick_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_card_audit_tick_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_audit_tick")),
    )
    op.create_index(
        "ix_card_audit_tick_store_month",
        "card_audit_tick",
        ["store_id", "month", "kind", "card_id"],
    )
    op.create_index("ix_card_audit_tick_card_month", "card_audit_tick", ["card_id", "month"])
    op.create_index(
        "ix_card_event_store_kind_time",
        "card_event",
        ["store_id", "kind", "occurred_at", "card_id"],
    )
    op.create_index(
        "ix_card_event_card_kind_time", "card_event", ["card_id", "kind", "occurred_at"]
    )


def downgrade():
    op.drop_index("ix_card_event_card_kind_time", table_name="card_event")
    op.drop_index("ix_card_event_store_kind_time", table_name="card_event")
    op.drop_index("ix_card_audit_tick_card_month", table_name="card_audit_tick")
    op.drop_index("ix_card_audit_tick_store_month", table_name="card_audit_tick")
    op.drop_table("card_audit_tick")
