"""Step ⑦ delivery day: the delivery of a contract (time, who comes, the service advisor, the
arrival and completion moments, the photo, the safe-arrival estimate), its three checklists as
versioned item lists (preparation, 附表十四, 附表十五) with the insert-only ticks and the
customer's signatures; the follow-up tasks of step ⑧ (safe-arrival call, thank-you); and the
scheduled jobs' record of what they sent, one row per notice, person and day.

Revision ID: 0011_delivery_day
Revises: 0010_contracts
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_delivery_day"
down_revision = "0010_contracts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "delivery_checklist",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_delivery_checklist_created_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_checklist")),
        sa.UniqueConstraint("kind", "version", name=op.f("uq_delivery_checklist_kind_version")),
    )
    op.create_table(
        "sent_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("ref", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_sent_notice_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_notice")),
        sa.UniqueConstraint(
            "kind", "user_id", "day", "ref", name=op.f("uq_sent_notice_kind_user_id_day_ref")
        ),
    )
    op.create_table(
        "followup_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("result", sa.String(length=500), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_followup_task_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["user.id"], name=op.f("fk_followup_task_done_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_followup_task_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_followup_task_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_task")),
        sa.UniqueConstraint("source", "kind", name=op.f("uq_followup_task_source_kind")),
    )
    with op.batch_alter_table("followup_task", schema=None) as batch_op:
        batch_op.create_index(
            "ix_followup_task_owner_due", ["owner_id", "done_at", "due_at"], unique=False
        )
        batch_op.create_index("ix_followup_task_store_due", ["store_id", "due_at"], unique=False)

    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("service_advisor_id", sa.Integer(), nullable=True),
        sa.Column("scheduled_at", sa.DateTime(), nullable=False),
        sa.Column("companions", sa.String(length=100), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("arrived_at", sa.DateTime(), nullable=True),
        sa.Column("arrived_by_id", sa.Integer(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("completed_by_id", sa.Integer(), nullable=True),
        sa.Column("photo_sha256", sa.String(length=64), nullable=True),
        sa.Column("home_eta", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["arrived_by_id"], ["user.id"], name=op.f("fk_delivery_arrived_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_delivery_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["completed_by_id"], ["user.id"], name=op.f("fk_delivery_completed_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["contract_id"],
            ["contract.id"],
            name=op.f("fk_delivery_contract_id_contract"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_delivery_owner_id_user")),
        sa.ForeignKeyConstraint(
            ["service_advisor_id"], ["user.id"], name=op.f("fk_delivery_service_advisor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_delivery_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
        sa.UniqueConstraint("contract_id", name=op.f("uq_delivery_contract_id")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_delivery_card_id"), ["card_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_delivery_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(
            "ix_delivery_store_scheduled", ["store_id", "scheduled_at"], unique=False
        )

    op.create_table(
        "delivery_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("item_key", sa.String(length=40), nullable=False),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.Column("entry_uuid", sa.String(length=36), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["delivery_checklist.id"],
            name=op.f("fk_delivery_entry_checklist_id_delivery_checklist"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_delivery_entry_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_delivery_entry_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_delivery_entry_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_entry")),
        sa.UniqueConstraint("entry_uuid", name=op.f("uq_delivery_entry_entry_uuid")),
    )
    with op.batch_alter_table("delivery_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_entry_delivery",
            ["delivery_id", "kind", "recorded_at", "id"],
            unique=False,
            postgresql_include=["item_key", "done"],
        )

    op.create_table(
        "delivery_signature",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.String(length=12), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("signature_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", sa.DateTime(), nullable=False),
        sa.Column("device_time", sa.DateTime(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("purge_after", sa.Date(), nullable=False),
        sa.Column("entry_uuid", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["delivery_checklist.id"],
            name=op.f("fk_delivery_signature_checklist_id_delivery_checklist"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_delivery_signature_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["user.id"], name=op.f("fk_delivery_signature_recorded_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["signature_sha256"],
            ["blob.sha256"],
            name=op.f("fk_delivery_signature_signature_sha256_blob"),
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_delivery_signature_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_signature")),
        sa.UniqueConstraint("entry_uuid", name=op.f("uq_delivery_signature_entry_uuid")),
    )
    with op.batch_alter_table("delivery_signature", schema=None) as batch_op:
        batch_op.create_index("ix_delivery_signature_delivery", ["delivery_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("delivery_signature", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_signature_delivery")

    op.drop_table("delivery_signature")
    with op.batch_alter_table("delivery_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_entry_delivery")

    op.drop_table("delivery_entry")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_store_scheduled")
        batch_op.drop_index(batch_op.f("ix_delivery_owner_id"))
        batch_op.drop_index(batch_op.f("ix_delivery_card_id"))

    op.drop_table("delivery")
    with op.batch_alter_table("followup_task", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_task_store_due")
        batch_op.drop_index("ix_followup_task_owner_due")

    op.drop_table("followup_task")
    op.drop_table("sent_notice")
    op.drop_table("delivery_checklist")
