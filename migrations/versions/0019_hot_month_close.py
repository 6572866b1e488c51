"""附表三 of a closed month, kept (hot_month_close): each salesperson's open prospects by Hot
grade as of the month's end, written the first time the month is read after it ended.

Revision ID: 0019_hot_month_close
Revises: 0018_visit_stay
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0019_hot_month_close"
down_revision = "0018_visit_stay"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "hot_month_close",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("closed_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_hot_month_close_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hot_month_close")),
        sa.UniqueConstraint("store_id", "month", name=op.f("uq_hot_month_close_store_id_month")),
    )


def downgrade():
    op.drop_table("hot_month_close")
