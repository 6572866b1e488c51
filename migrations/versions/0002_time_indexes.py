"""Indexes for the day views at dealer-group scale.

- card_event (actor_id, occurred_at): "my day" lists the customers the salesperson touched today.
- card_event (store_id, occurred_at) replaces (store_id): "store today" counts today's contacts.
- customer_card (store_id, purchased_on): the card box files owners (C cards) by purchase date.

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


def downgrade() -> None:
    op.drop_index("ix_customer_card_owners_box", table_name="customer_card")
    op.create_index("ix_card_event_store_id", "card_event", ["store_id"])
    op.drop_index("ix_card_event_store_time", table_name="card_event")
    op.drop_index("ix_card_event_actor_time", table_name="card_event")
