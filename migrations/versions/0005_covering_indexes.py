"""The card lists' indexes cover what the lists read, so they are read from the index alone.

- customer_card (store_id, planned_purchase_date) and (store_id, purchased_on) gain stage, grade
  and id: the box of a month keeps open cards (or owners), sorts them by grade and returns
  their ids; a busy store's month holds ~2,000 cards, each a table lookup before (SQLite,
  20,000 cards: 2.2 → 0.6 ms).
- customer_card (store_id, stage, owner_id, next_follow_up_due, grade) gains id: "my day"
  picks the page of due follow-ups by id; PostgreSQL fetched every due card's table row for
  it (a salesperson with 113 due cards: 0.48 ms). SQLite's indexes hold the id already.
- consent (booking_id): the test-drive packet asks on every load whether its booking has the
  licence-copy consent; without the index that read every consent of every store.

Revision ID: 0005_covering_indexes
Revises: 0004_reception_consult_push
Create Date: 2026-11-27
"""

from alembic import op

revision = "0005_covering_indexes"
down_revision = "0004_reception_consult_push"
branch_labels = None
depends_on = None

BEFORE = {
    "ix_customer_card_box": ["store_id", "planned_purchase_date"],
    "ix_customer_card_owners_box": ["store_id", "purchased_on"],
    "ix_customer_card_stage_owner": [
        "store_id",
        "stage",
        "owner_id",
        "next_follow_up_due",
        "grade",
    ],
}
AFTER = {
    "ix_customer_card_box": ["store_id", "planned_purchase_date", "stage", "grade", "id"],
    "ix_customer_card_owners_box": ["store_id", "purchased_on", "stage", "grade", "id"],
    "ix_customer_card_stage_owner": [*BEFORE["ix_customer_card_stage_owner"], "id"],
}


def _replace(indexes: dict[str, list[str]]) -> None:
    for name, columns in indexes.items():
        op.drop_index(name, table_name="customer_card")
        op.create_index(name, "customer_card", columns)


def upgrade() -> None:
    _replace(AFTER)
    op.create_index("ix_consent_booking", "consent", ["booking_id"])


def downgrade() -> None:
    op.drop_index("ix_consent_booking", table_name="consent")
    _replace(BEFORE)
