"""The visitor register's walk-ins by (store, day, kind, salesperson) also hold their time in
and time out, so the time in the showroom of a month (the dashboards, and a group's roll-up
over a hundred stores) is read from the index alone, as the month's walk-in counts are.

Revision ID: 0018_visit_stay
Revises: 0017_card_audit
Create Date: 2026-12-06
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "0018_visit_stay"
down_revision = "0017_card_audit"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("visit") as batch_op:
        batch_op.drop_index("ix_visit_store_day_kind")
        batch_op.create_index(
            "ix_visit_store_day_kind",
            ["store_id", "day", "kind", "owner_id", "time_in", "time_out"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("visit") as batch_op:
        batch_op.drop_index("ix_visit_store_day_kind")
        batch_op.create_index(
            "ix_visit_store_day_kind", ["store_id", "day", "kind", "owner_id"], unique=False
        )
