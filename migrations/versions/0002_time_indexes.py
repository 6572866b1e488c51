"""Indexes for the day views at dealer-group scale.

- card_event (actor_id, occurred_at): "my day" lists the customers the salesperson touched today.
- card_event (store_id, occurred_at) replaces (store_id): "store today" counts today's contacts.
- customer_card (store_id, purchased_on): the card box files owners (C cards) by purchase date.
- customer_card (store_id, stage, owner_id, next_follow_up_due, grade) replaces the two due-date
  indexes: open cards per salesperson, counted and listed from the index alone.
- customer_card (store_id, created_at): new cards today.
- customer_card (owner_id) goes: the composite index serves the owner's lists, and SQLite's
  planner chose a full scan through it for "store today" (47 ms instead of 5 ms at 20,000 cards).

Revision ID: 0002_time_indexes
Revises: 0001_initial
Create Date: 2026-11-27
"""

from alembic import op

revision = "0002_time_indexes"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_card_event_actor_time", "card_event", ["actor_id", "occurred_at"])
    op.create_index("ix_card_event_store_time", "card_event", ["store_id", "occurred_at"])
    op.drop_index("ix_card_event_store_id", table_name="card_event")
    op.create_index("ix_customer_card_owners_box", "customer_card", ["store_id", "purchased_on"])
    op.drop_index("ix_customer_card_owner_due", table_name="customer_card")
    op.drop_index("ix_customer_card_store_due", table_name="customer_card")
    op.create_index(
        "ix_customer_card_stage_owner",
        "customer_card",
        ["store_id", "stage", "owner_id", "next_follow_up_due", "grade"],
    )
    op.create_index("ix_customer_card_store_created", "customer_card", ["store_id", "created_at"])
    op.drop_index("ix_customer_card_owner_id", table_name="customer_card")


def downgrade() -> None:
    op.create_index("ix_customer_card_owner_id", "customer_card", ["owner_id"])
    op.drop_index("ix_customer_card_store_created", table_name="customer_card")
    op.drop_index("ix_customer_card_stage_owner", table_name="customer_card")
    op.create_index(
        "ix_customer_card_store_due", "customer_card", ["store_id", "next_follow_up_due"]
    )
    op.create_index(
        "ix_customer_card_owner_due",
        "customer_card",
        ["store_id", "owner_id", "next_follow_up_due"],
    )
    op.drop_index("ix_customer_card_owners_box", table_name="customer_card")
    op.create_index("ix_card_event_store_id", "card_event", ["store_id"])
    op.drop_index("ix_card_event_store_time", table_name="card_event")
    op.drop_index("ix_card_event_actor_time", table_name="card_event")
