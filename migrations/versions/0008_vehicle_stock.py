"""Vehicle stock (库存车): the store's new cars with VIN, SFX, colour, status and location, and
the contract a car is reserved for (`contract_id`, a plain column until the contract table
exists).

Revision ID: 0008_vehicle_stock
Revises: 0007_floor_ready
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_vehicle_stock"
down_revision = "0007_floor_ready"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("vin", sa.String(length=17), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("sfx_id", sa.Integer(), nullable=False),
        sa.Column("colour_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("location", sa.String(length=50), nullable=False),
        sa.Column("arrived_on", sa.Date(), nullable=True),
        sa.Column("contract_id", sa.Integer(), nullable=True),
        sa.Column("reserved_by_id", sa.Integer(), nullable=True),
        sa.Column("reserved_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["colour_id"], ["colour.id"], name=op.f("fk_stock_vehicle_colour_id_colour")
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_stock_vehicle_model_id_vehicle_model")
        ),
        sa.ForeignKeyConstraint(
            ["reserved_by_id"], ["user.id"], name=op.f("fk_stock_vehicle_reserved_by_id_user")
        ),
        sa.ForeignKeyConstraint(["sfx_id"], ["sfx.id"], name=op.f("fk_stock_vehicle_sfx_id_sfx")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_stock_vehicle_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_vehicle")),
        sa.UniqueConstraint("vin", name=op.f("uq_stock_vehicle_vin")),
    )
    with op.batch_alter_table("stock_vehicle", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_stock_vehicle_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_stock_vehicle_model_id"), ["model_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_stock_vehicle_store_id"), ["store_id"], unique=False)
        batch_op.create_index("ix_stock_vehicle_store_status", ["store_id", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stock_vehicle", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_vehicle_store_status")
        batch_op.drop_index(batch_op.f("ix_stock_vehicle_store_id"))
        batch_op.drop_index(batch_op.f("ix_stock_vehicle_model_id"))
        batch_op.drop_index(batch_op.f("ix_stock_vehicle_contract_id"))

    op.drop_table("stock_vehicle")
