"""The card box audit's findings have their own partial index.

A closed month's audit holds about two ticks for each card of the box's section, and a few in
a hundred carry a finding. The audit page counts the month's findings by salesperson and lists
the newest fifty; both read every tick of the month from the heap to keep those with a
finding. An index of the ticks with a finding alone (store, month, time, id, salesperson)
answers both from a few hundred entries.

Revision ID: 0023_audit_findings
Revises: 0022_actuals_covering
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_audit_findings"
down_revision = "0022_actuals_covering"
branch_labels = None
depends_on = None

WITH_FINDING = "finding <> ''"


def upgrade() -> None:
    op.create_index(
        "ix_card_audit_tick_findings",
        "card_audit_tick",
        ["store_id", "month", "created_at", "id", "owner_id"],
        postgresql_where=sa.text(WITH_FINDING),
        sqlite_where=sa.text(WITH_FINDING),
    )


def downgrade() -> None:
    op.drop_index("ix_card_audit_tick_findings", table_name="card_audit_tick")
