"""Each card keeps the month of the audit that last ticked it, for each check.

The card box audit's progress counts, for each salesperson, the cards of the month's section
that each check has ticked. Matching a closed month's ticks (about two for each of a thousand
or two cards) to its section cost PostgreSQL 2–3 ms a page. With the month of each check's
latest tick on the card, at the end of both card box indexes, the progress is counted from the
section's index entries alone. The months are filled in from the ticks so far.

Revision ID: 0024_card_audit_months
Revises: 0023_audit_findings
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0024_card_audit_months"
down_revision = "0023_audit_findings"
branch_labels = None
depends_on = None

BOX_INDEXES = {
    "ix_customer_card_box": "planned_purchase_date",
    "ix_customer_card_owners_box": "purchased_on",
}
MONTHS = ("audit_owner_month", "audit_manager_month")
# The month of the card's latest tick of the kind (ticks in the order they were made).
LATEST = (
    "UPDATE customer_card SET {column} = ("
    "SELECT t.month FROM card_audit_tick t WHERE t.card_id = customer_card.id "
    "AND t.kind = '{kind}' ORDER BY t.created_at DESC, t.id DESC LIMIT 1) "
    "WHERE id IN (SELECT card_id FROM card_audit_tick WHERE kind = '{kind}')"
)


def _box_indexes(with_months: bool) -> None:
    for name, filed in BOX_INDEXES.items():
        op.drop_index(name, table_name="customer_card")
        columns = ["store_id", filed, "stage", "grade", "id", "owner_id"]
        op.create_index(name, "customer_card", columns + (list(MONTHS) if with_months else []))


def upgrade() -> None:
    for column in MONTHS:
        op.add_column("customer_card", sa.Column(column, sa.Date(), nullable=True))
    for column, kind in zip(MONTHS, ("owner", "manager"), strict=True):
        op.execute(LATEST.format(column=column, kind=kind))
    _box_indexes(with_months=True)


def downgrade() -> None:
    _box_indexes(with_months=False)
    # ALTER TABLE … DROP COLUMN on both databases (SQLite ≥ 3.35): a batch copy of the table
    # would drop the old one, and with it, through ON DELETE CASCADE, every card's timeline.
    for column in MONTHS:
        op.drop_column("customer_card", column)
