"""Step ⑥ from the quotation to the paid car: the store's sales terms (fees, insurance
estimates, discount threshold, printed header), the negotiation memo (商谈memo, 附表十) in
versions, the contract (新车订购单, 附表十一) with its state log, payments and the contact plan
of a waiting customer.

Revision ID: 0010_contracts
Revises: 0009_lost_sale
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = "0010_contracts"
down_revision = "0009_lost_sale"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "store_sales_terms",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("plate_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("inspection_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("service_fee", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("compulsory_insurance", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("commercial_base", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("commercial_rate_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("discount_threshold", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("default_deposit", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("address", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_store_sales_terms_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_store_sales_terms_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_store_sales_terms")),
    )
    op.create_table(
        "memo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("latest_number", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_memo_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_memo_owner_id_user")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_memo_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo")),
        sa.UniqueConstraint("card_id", name=op.f("uq_memo_card_id")),
    )
    with op.batch_alter_table("memo", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_memo_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_memo_store_id"), ["store_id"], unique=False)

    op.create_table(
        "memo_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("memo_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sfx_id", sa.Integer(), nullable=False),
        sa.Column("colour_id", sa.Integer(), nullable=True),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("list_price", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("delivery_accepted", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("approval", sa.String(length=12), nullable=False),
        sa.Column("approval_note", sa.String(length=200), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("customer_questions", sa.String(length=500), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["colour_id"], ["colour.id"], name=op.f("fk_memo_version_colour_id_colour")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_memo_version_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_memo_version_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["memo_id"], ["memo.id"], name=op.f("fk_memo_version_memo_id_memo"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["sfx_id"], ["sfx.id"], name=op.f("fk_memo_version_sfx_id_sfx")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_memo_version_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memo_version")),
        sa.UniqueConstraint("memo_id", "number", name=op.f("uq_memo_version_memo_id_number")),
    )
    with op.batch_alter_table("memo_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_memo_version_store_approval", ["store_id", "approval"], unique=False
        )

    op.create_table(
        "contract",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=30), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("memo_version_id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("sfx_id", sa.Integer(), nullable=False),
        sa.Column("colour_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("contract_date", sa.Date(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("deposit_due", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("balance_due", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("loan_principal", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("paid_total", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("decision_note", sa.String(length=200), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("signature_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_at", sa.DateTime(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=200), nullable=False),
        sa.Column("exported_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_contract_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["colour_id"], ["colour.id"], name=op.f("fk_contract_colour_id_colour")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["user.id"], name=op.f("fk_contract_decided_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["memo_version_id"],
            ["memo_version.id"],
            name=op.f("fk_contract_memo_version_id_memo_version"),
        ),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_contract_model_id_vehicle_model")
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_contract_owner_id_user")),
        sa.ForeignKeyConstraint(["sfx_id"], ["sfx.id"], name=op.f("fk_contract_sfx_id_sfx")),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_contract_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["stock_vehicle.id"], name=op.f("fk_contract_vehicle_id_stock_vehicle")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract")),
        sa.UniqueConstraint("number", name=op.f("uq_contract_number")),
    )
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contract_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contract_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index("ix_contract_store_created", ["store_id", "created_at"], unique=False)
        batch_op.create_index("ix_contract_store_state", ["store_id", "state"], unique=False)

    op.create_table(
        "contract_contact",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("label", sa.String(length=30), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_contact_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_contract_contact_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_contract_contact_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_contact")),
    )
    with op.batch_alter_table("contract_contact", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_contract_contact_contract_id"), ["contract_id"], unique=False
        )
        batch_op.create_index(
            "ix_contract_contact_owner_due", ["owner_id", "done_at", "due_on"], unique=False
        )

    op.create_table(
        "contract_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_contract_event_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_contract_event_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_contract_event_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contract_event")),
    )
    with op.batch_alter_table("contract_event", schema=None) as batch_op:
        batch_op.create_index("ix_contract_event_contract", ["contract_id", "id"], unique=False)

    op.create_table(
        "payment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("reference", sa.String(length=50), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_payment_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_payment_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_payment_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment")),
    )
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payment_contract_id"), ["contract_id"], unique=False)
        batch_op.create_index(
            "ix_payment_store_received", ["store_id", "received_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_store_received")
        batch_op.drop_index(batch_op.f("ix_payment_contract_id"))

    op.drop_table("payment")
    with op.batch_alter_table("contract_event", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_event_contract")

    op.drop_table("contract_event")
    with op.batch_alter_table("contract_contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_contact_owner_due")
        batch_op.drop_index(batch_op.f("ix_contract_contact_contract_id"))

    op.drop_table("contract_contact")
    with op.batch_alter_table("contract", schema=None) as batch_op:
        batch_op.drop_index("ix_contract_store_state")
        batch_op.drop_index("ix_contract_store_created")
        batch_op.drop_index(batch_op.f("ix_contract_owner_id"))
        batch_op.drop_index(batch_op.f("ix_contract_card_id"))

    op.drop_table("contract")
    with op.batch_alter_table("memo_version", schema=None) as batch_op:
        batch_op.drop_index("ix_memo_version_store_approval")

    op.drop_table("memo_version")
    with op.batch_alter_table("memo", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_memo_store_id"))
        batch_op.drop_index(batch_op.f("ix_memo_owner_id"))

    op.drop_table("memo")
    op.drop_table("store_sales_terms")
