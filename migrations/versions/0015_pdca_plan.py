"""附表一 计划·实绩表: each salesperson's targets of a month (sales_target) and the store's
plan of it with the manager's comment (store_plan). The actuals are counted from the records;
the month's signed contracts, completed deliveries, walk-ins and new cards get indexes that
hold what the counts read (store, moment, person, state).

Revision ID: 0015_pdca_plan
Revises: 0014_followup
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0015_pdca_plan"
down_revision = "0014_followup"
branch_labels = None
depends_on = None

MEASURES = ("visits", "a_cards", "test_drives", "orders", "deliveries")


def _measures() -> list[sa.Column]:
    return [sa.Column(name, sa.Integer(), nullable=False) for name in MEASURES]


def upgrade():
    op.create_table(
        "sales_target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_measures(),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_sales_target_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_sales_target_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_sales_target_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sales_target")),
        sa.UniqueConstraint("owner_id", "month", name=op.f("uq_sales_target_owner_id_month")),
    )
    op.create_table(
        "store_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        *_measures(),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_store_plan_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_store_plan_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_plan")),
        sa.UniqueConstraint("store_id", "month", name=op.f("uq_store_plan_store_id_month")),
    )

    op.create_index("ix_sales_target_store_month", "sales_target", ["store_id", "month"])
    # The month's counts by person (webapp.pdca.actuals), each read from an index alone.
    op.create_index(
        "ix_contract_store_signed", "contract", ["store_id", "signed_at", "owner_id", "state"]
    )
    op.create_index(
        "ix_delivery_store_completed",
        "delivery",
        ["store_id", "completed_at", "owner_id", "state"],
    )
    op.create_index("ix_visit_store_day_kind", "visit", ["store_id", "day", "kind", "owner_id"])
    op.drop_index("ix_customer_card_store_created", table_name="customer_card")
    op.create_index(
        "ix_customer_card_store_created", "customer_card", ["store_id", "created_at", "owner_id"]
    )


def downgrade():
    op.drop_index("ix_customer_card_store_created", table_name="customer_card")
    op.create_index("ix_customer_card_store_created", "customer_card", ["store_id", "created_at"])
    op.drop_index("ix_visit_store_day_kind", table_name="visit")
    op.drop_index("ix_delivery_store_completed", table_name="delivery")
    op.drop_index("ix_contract_store_signed", table_name="contract")
    op.drop_index("ix_sales_target_store_month", table_name="sales_target")
    op.drop_table("store_plan")
    op.drop_table("sales_target")
