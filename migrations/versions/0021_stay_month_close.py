"""The time in the showroom of a closed month, kept (stay_month_close): each salesperson's
walk-ins by length of stay, with the minutes, written the first time the month is read after
it ended with none of its walk-ins still open.

Revision ID: 0021_stay_month_close
Revises: 0020_card_box_owner
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0021_stay_month_close"
down_revision = "0020_card_box_owner"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "stay_month_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("closed_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_stay_month_close_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stay_month_close")),
        sa.UniqueConstraint("store_id", "month", name=op.f("uq_stay_month_close_store_id_month")),
    )


def downgrade():
    op.drop_table("stay_month_close")
