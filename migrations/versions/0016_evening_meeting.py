"""The evening and morning meetings of step ①: 附表二 活动预订表 (activity_schedule with its
schedule_line rows and the manager's comment), the cards marked for discussion
(meeting_case), the manager's plan of a day (meeting_day) and the store's evening meeting hour
(meeting_setting). A store without a setting meets at 17:30, so no rows are written here.

Revision ID: 0016_evening_meeting
Revises: 0015_pdca_plan
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

import webapp.timeutil

# revision identifiers, used by Alembic.
revision = "0016_evening_meeting"
down_revision = "0015_pdca_plan"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_setting",
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("evening_at", sa.Time(), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_meeting_setting_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_meeting_setting_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("store_id", name=op.f("pk_meeting_setting")),
    )
    op.create_table(
        "meeting_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("plan", sa.String(length=1000), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_meeting_day_store_id_store")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user.id"], name=op.f("fk_meeting_day_updated_by_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_day")),
        sa.UniqueConstraint("store_id", "day", name=op.f("uq_meeting_day_store_id_day")),
    )
    op.create_table(
        "activity_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("comment", sa.String(length=1000), nullable=False),
        sa.Column("commented_by_id", sa.Integer(), nullable=True),
        sa.Column("commented_at", webapp.timeutil.UTCDateTime(), nullable=True),
        sa.Column("created_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["commented_by_id"],
            ["user.id"],
            name=op.f("fk_activity_schedule_commented_by_id_user"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_activity_schedule_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_activity_schedule_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_schedule")),
        sa.UniqueConstraint("owner_id", "day", name=op.f("uq_activity_schedule_owner_id_day")),
    )
    op.create_index("ix_activity_schedule_store_day", "activity_schedule", ["store_id", "day"])
    op.create_table(
        "schedule_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Time(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=True),
        sa.Column("purpose", sa.String(length=20), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=True),
        sa.Column("result", sa.String(length=10), nullable=False),
        sa.Column("result_note", sa.String(length=200), nullable=False),
        sa.Column("discuss", sa.Boolean(), nullable=False),
        sa.Column("created_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.Column("updated_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_schedule_line_card_id_customer_card"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_schedule_line_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            ["activity_schedule.id"],
            name=op.f("fk_schedule_line_schedule_id_activity_schedule"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_schedule_line_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_line")),
        sa.UniqueConstraint(
            "schedule_id", "source", name=op.f("uq_schedule_line_schedule_id_source")
        ),
    )
    op.create_index("ix_schedule_line_schedule_at", "schedule_line", ["schedule_id", "at"])
    op.create_table(
        "meeting_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", webapp.timeutil.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_meeting_case_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["user.id"], name=op.f("fk_meeting_case_created_by_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_meeting_case_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_meeting_case_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_case")),
        sa.UniqueConstraint("day", "card_id", name=op.f("uq_meeting_case_day_card_id")),
    )
    op.create_index("ix_meeting_case_store_day", "meeting_case", ["store_id", "day"])


def downgrade():
    op.drop_index("ix_meeting_case_store_day", table_name="meeting_case")
    op.drop_table("meeting_case")
    op.drop_index("ix_schedule_line_schedule_at", table_name="schedule_line")
    op.drop_table("schedule_line")
    op.drop_index("ix_activity_schedule_store_day", table_name="activity_schedule")
    op.drop_table("activity_schedule")
    op.drop_table("meeting_day")
    op.drop_table("meeting_setting")
