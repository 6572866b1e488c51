"""The lost-sale record (未成交顾客记录表, 附表十三): the competitor chosen, the reasons, the
stage reached and the sales manager's comment, one record each time a card is lost.

Revision ID: 0009_lost_sale
Revises: 0008_vehicle_stock
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_lost_sale"
down_revision = "0008_vehicle_stock"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lost_sale",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("competitor_brand", sa.String(length=30), nullable=False),
        sa.Column("competitor_model", sa.String(length=50), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("reason_note", sa.String(length=200), nullable=False),
        sa.Column("stage_reached", sa.String(length=20), nullable=False),
        sa.Column("salesperson_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("manager_comment", sa.String(length=500), nullable=False),
        sa.Column("commented_by_id", sa.Integer(), nullable=True),
        sa.Column("commented_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_lost_sale_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["commented_by_id"], ["user.id"], name=op.f("fk_lost_sale_commented_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_lost_sale_model_id_vehicle_model")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_lost_sale_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["salesperson_id"], ["user.id"], name=op.f("fk_lost_sale_salesperson_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_lost_sale_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lost_sale")),
    )
    with op.batch_alter_table("lost_sale", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_lost_sale_card_id"), ["card_id"], unique=False)
        batch_op.create_index("ix_lost_sale_store_time", ["store_id", "recorded_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("lost_sale", schema=None) as batch_op:
        batch_op.drop_index("ix_lost_sale_store_time")
        batch_op.drop_index(batch_op.f("ix_lost_sale_card_id"))

    op.drop_table("lost_sale")
