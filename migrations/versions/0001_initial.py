"""Initial schema: dealer groups and stores, staff with roles and server-side sessions,
the vehicle catalogue (models, SFX, colours), and the A-C card (附表六) with its timeline.

Datetimes are stored as naive UTC (webapp.timeutil.UTCDateTime adds the zone on read).
The two *_prefix indexes use text_pattern_ops on PostgreSQL so LIKE 'prefix%' can use them;
SQLite ignores the option and is told case_sensitive_like=ON at connect for the same effect.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dealer_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dealer_group")),
        sa.UniqueConstraint("name", name=op.f("uq_dealer_group_name")),
    )
    op.create_table(
        "vehicle_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name_zh", sa.String(length=50), nullable=False),
        sa.Column("name_en", sa.String(length=50), nullable=False),
        sa.Column("body_type", sa.String(length=20), nullable=False),
        sa.Column("fab", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_model")),
        sa.UniqueConstraint("code", name=op.f("uq_vehicle_model_code")),
    )
    op.create_table(
        "colour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("name_zh", sa.String(length=30), nullable=False),
        sa.Column("name_en", sa.String(length=30), nullable=False),
        sa.Column("hex", sa.String(length=7), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_colour_model_id_vehicle_model")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_colour")),
    )
    op.create_index(op.f("ix_colour_model_id"), "colour", ["model_id"], unique=False)
    op.create_table(
        "sfx",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("grade", sa.String(length=50), nullable=False),
        sa.Column("engine", sa.String(length=50), nullable=False),
        sa.Column("drivetrain", sa.String(length=10), nullable=False),
        sa.Column("new_energy", sa.Boolean(), nullable=False),
        sa.Column("msrp", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("fab", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_sfx_model_id_vehicle_model")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sfx")),
        sa.UniqueConstraint("model_id", "code", name=op.f("uq_sfx_model_id_code")),
    )
    op.create_index(op.f("ix_sfx_model_id"), "sfx", ["model_id"], unique=False)
    op.create_table(
        "store",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("city", sa.String(length=50), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"], ["dealer_group.id"], name=op.f("fk_store_group_id_dealer_group")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store")),
        sa.UniqueConstraint("code", name=op.f("uq_store_code")),
    )
    op.create_index(op.f("ix_store_group_id"), "store", ["group_id"], unique=False)
    op.create_table(
        "grade_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("purchase_within_days", sa.Integer(), nullable=False),
        sa.Column("follow_up_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_grade_rule_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_rule")),
        sa.UniqueConstraint("store_id", "grade", name=op.f("uq_grade_rule_store_id_grade")),
    )
    op.create_table(
        "user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=50), nullable=False),
        sa.Column("display_name", sa.String(length=50), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("group_admin", sa.Boolean(), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=True),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["store_id"], ["store.id"], name=op.f("fk_user_store_id_store")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user")),
        sa.UniqueConstraint("username", name=op.f("uq_user_username")),
    )
    op.create_index(op.f("ix_user_store_id"), "user", ["store_id"], unique=False)
    op.create_table(
        "customer_card",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("title", sa.String(length=10), nullable=False),
        sa.Column("mobile", sa.String(length=11), nullable=False),
        sa.Column("other_contact", sa.String(length=100), nullable=False),
        sa.Column("preferred_contact_time", sa.String(length=50), nullable=False),
        sa.Column("family", sa.String(length=200), nullable=False),
        sa.Column("hobbies", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("model_id", sa.Integer(), nullable=True),
        sa.Column("planned_purchase_date", sa.Date(), nullable=True),
        sa.Column("usage", sa.String(length=200), nullable=False),
        sa.Column("budget", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("payment", sa.String(length=10), nullable=False),
        sa.Column("current_car", sa.String(length=100), nullable=False),
        sa.Column("trade_in", sa.Boolean(), nullable=False),
        sa.Column("competitors", sa.String(length=200), nullable=False),
        sa.Column("decision_makers", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=1), nullable=False),
        sa.Column("stage", sa.String(length=10), nullable=False),
        sa.Column("next_follow_up_due", sa.Date(), nullable=True),
        sa.Column("last_contact_at", sa.DateTime(), nullable=True),
        sa.Column("purchased_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["model_id"], ["vehicle_model.id"], name=op.f("fk_customer_card_model_id_vehicle_model")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user.id"], name=op.f("fk_customer_card_owner_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_customer_card_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_card")),
        sa.UniqueConstraint("store_id", "mobile", name=op.f("uq_customer_card_store_id_mobile")),
    )
    op.create_index(
        "ix_customer_card_box", "customer_card", ["store_id", "planned_purchase_date"], unique=False
    )
    op.create_index(
        "ix_customer_card_mobile_prefix",
        "customer_card",
        ["store_id", "mobile"],
        unique=False,
        postgresql_ops={"mobile": "text_pattern_ops"},
    )
    op.create_index(
        "ix_customer_card_name_prefix",
        "customer_card",
        ["store_id", "name"],
        unique=False,
        postgresql_ops={"name": "text_pattern_ops"},
    )
    op.create_index(
        "ix_customer_card_owner_due",
        "customer_card",
        ["store_id", "owner_id", "next_follow_up_due"],
        unique=False,
    )
    op.create_index(op.f("ix_customer_card_owner_id"), "customer_card", ["owner_id"], unique=False)
    op.create_index(
        "ix_customer_card_store_due",
        "customer_card",
        ["store_id", "next_follow_up_due"],
        unique=False,
    )
    op.create_table(
        "user_role",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_role_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role", name=op.f("pk_user_role")),
    )
    op.create_table(
        "user_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("authenticated_at", sa.DateTime(), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_user_session_user_id_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    op.create_index(op.f("ix_user_session_user_id"), "user_session", ["user_id"], unique=False)
    op.create_table(
        "card_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("card_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["user.id"], name=op.f("fk_card_event_actor_id_user")
        ),
        sa.ForeignKeyConstraint(
            ["card_id"],
            ["customer_card.id"],
            name=op.f("fk_card_event_card_id_customer_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_card_event_store_id_store")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_card_event")),
    )
    op.create_index(
        "ix_card_event_card_time", "card_event", ["card_id", "occurred_at"], unique=False
    )
    op.create_index(op.f("ix_card_event_store_id"), "card_event", ["store_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_card_event_store_id"), table_name="card_event")
    op.drop_index("ix_card_event_card_time", table_name="card_event")
    op.drop_table("card_event")
    op.drop_index(op.f("ix_user_session_user_id"), table_name="user_session")
    op.drop_table("user_session")
    op.drop_table("user_role")
    op.drop_index("ix_customer_card_store_due", table_name="customer_card")
    op.drop_index(op.f("ix_customer_card_owner_id"), table_name="customer_card")
    op.drop_index("ix_customer_card_owner_due", table_name="customer_card")
    op.drop_index("ix_customer_card_name_prefix", table_name="customer_card")
    op.drop_index("ix_customer_card_mobile_prefix", table_name="customer_card")
    op.drop_index("ix_customer_card_box", table_name="customer_card")
    op.drop_table("customer_card")
    op.drop_index(op.f("ix_user_store_id"), table_name="user")
    op.drop_table("user")
    op.drop_table("grade_rule")
    op.drop_index(op.f("ix_store_group_id"), table_name="store")
    op.drop_table("store")
    op.drop_index(op.f("ix_sfx_model_id"), table_name="sfx")
    op.drop_table("sfx")
    op.drop_index(op.f("ix_colour_model_id"), table_name="colour")
    op.drop_table("colour")
    op.drop_table("vehicle_model")
    op.drop_table("dealer_group")
