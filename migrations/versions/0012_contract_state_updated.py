"""The contract index by store and state gains the update time and the id, so the approval
queue (a store's submitted contracts, oldest-updated first) reads its page from the index
without sorting every waiting contract.

Revision ID: 0012_contract_state_updated
Revises: 0011_delivery_day
Create Date: 2026-12-06
"""

from alembic import op

revision = "0012_contract_state_updated"
down_revision = "0011_delivery_day"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_store_state")
        batch_op.create_index(
            "ix_contract_store_state_updated",
            ["store_id", "state", "updated_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_store_state_updated")
        batch_op.create_index("ix_contract_store_state", ["store_id", "state"], unique=False)
