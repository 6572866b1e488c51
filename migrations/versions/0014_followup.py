"""Step ⑧ follow-up: the stores' follow-up rules and settings (escalation, the thank-you
letter), the monthly CR plan (附表四), the task's message, outcome, reschedules and
escalation, the delivery's agreed call day, and the card's hand-over to service (first
maintenance, service advisor) and referral link, and the daily jobs' marks (job_day). A store without rules uses the defaults
(webapp.followup.rules), so no rows are written here.

Revision ID: 0014_followup
Revises: 0013_delivery_prep
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0014_followup"
down_revision = "0013_delivery_prep"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_day",
        sa.Column("job", sa.String(length=40), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("done_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_job_day_store_id_store")),
        sa.PrimaryKeyConstraint("job", "store_id", "day", name=op.f("pk_job_day")),
    )
    op.create_table(
        "followup_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("trigger", sa.String(length=20), nullable=False),
        sa.Column("offset_days", sa.Integer(), nullable=False),
        sa.Column("repeat_days", sa.Integer(), nullable=True),
        sa.Column("owner_role", sa.String(length=20), nullable=False),
        sa.Column("message", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_followup_rule_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_followup_rule")),
        sa.UniqueConstraint("store_id", "code", name=op.f("uq_followup_rule_store_id_code")),
    )
    op.create_table(
        "followup_setting",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("escalate_after_days", sa.Integer(), nullable=False),
        sa.Column("letter_body", sa.Text(), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_followup_setting_store_id_store")
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_followup_setting")),
    )
    op.create_table(
        "cr_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("contacts_planned", sa.Integer(), nullable=False),
        sa.Column("events_planned", sa.Integer(), nullable=False),
        sa.Column("referrals_planned", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["user.id"], name=op.f("fk_cr_plan_owner_id_user")),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_cr_plan_store_id_store")),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_cr_plan_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cr_plan")),
        sa.UniqueConstraint("owner_id", "month", name=op.f("uq_cr_plan_owner_id_month")),
    )
    with op.batch_alter_table("customer_card", schema=None) as batch_op:
        batch_op.add_column(sa.Column("first_maintenance_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("service_advisor_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("handed_to_service_at", webapp.timeutil.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("referred_by_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_card_service_advisor_id_user"),
            "user",
            ["service_advisor_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_customer_card_referred_by_id_customer_card"),
            "customer_card",
            ["referred_by_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agreed_call_on", sa.Date(), nullable=True))

    with op.batch_alter_table("followup_task", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("message", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("outcome", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("reschedules", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(sa.Column("escalated_at", webapp.timeutil.UTCDateTime(), nullable=True))
        batch_op.add_column(
            sa.Column("escalation_note", sa.String(length=500), server_default="", nullable=False)
        )
        batch_op.create_index("ix_followup_task_card", ["card_id", "due_at"], unique=False)


def downgrade():
    with op.batch_alter_table("followup_task", schema=None) as batch_op:
        batch_op.drop_index("ix_followup_task_card")
        batch_op.drop_column("escalation_note")
        batch_op.drop_column("escalated_at")
        batch_op.drop_column("reschedules")
        batch_op.drop_column("outcome")
        batch_op.drop_column("message")

    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_column("agreed_call_on")

    with op.batch_alter_table("customer_card", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_customer_card_referred_by_id_customer_card"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_customer_card_service_advisor_id_user"), type_="foreignkey"
        )
        batch_op.drop_column("referred_by_id")
        batch_op.drop_column("handed_to_service_at")
        batch_op.drop_column("service_advisor_id")
        batch_op.drop_column("first_maintenance_on")

    op.drop_table("job_day")
    op.drop_table("cr_plan")
    op.drop_table("followup_setting")
    op.drop_table("followup_rule")
