"""The card box's indexes end with the card's salesperson (owner_id).

The card box audit counts a month's section by salesperson and pages it; with the owner in
customer_card (store_id, planned_purchase_date, stage, grade, id) and (store_id, purchased_on,
stage, grade, id) both read the indexes alone: PostgreSQL read ~900 cards of a store's month
through a bitmap (5 ms for a page of 30), SQLite looked each one up in the table.

Revision ID: 0020_card_box_owner
Revises: 0019_hot_month_close
Create Date: 2026-12-06
"""

from alembic import op

revision = "0020_card_box_owner"
down_revision = "0019_hot_month_close"
branch_labels = None
depends_on = None

BEFORE = {
    "ix_customer_card_box": ["store_id", "planned_purchase_date", "stage", "grade", "id"],
    "ix_customer_card_owners_box": ["store_id", "purchased_on", "stage", "grade", "id"],
}
AFTER = {name: [*columns, "owner_id"] for name, columns in BEFORE.items()}


def _replace(indexes: dict[str, list[str]]) -> None:
    for name, columns in indexes.items():
        op.drop_index(name, table_name="customer_card")
        op.create_index(name, "customer_card", columns)


def upgrade() -> None:
    _replace(AFTER)


def downgrade() -> None:
    _replace(BEFORE)
