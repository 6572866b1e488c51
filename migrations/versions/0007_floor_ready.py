"""Steps ②–⑤ on the showroom floor.

- visit: the greeting (迎接) time and who greeted, the purpose of the visit, companions, who
  influences the decision, whether drinks were offered;
- customer_card: address and occupation; the driving style and focus points of the test drive;
- display_car_check: who marked every item right ("All OK") and when;
- comparison_sheet: the like-for-like versions compared, the source and the as-of date;
- test-drive checklist options are stored as codes instead of bilingual words ("平稳 steady" →
  steady) in templates, entries, card events and quarantined entries; the focus points become
  a multiple choice of codes (a new version of the drive checklist) and the after-drive
  checklist is added.

The option mapping is a frozen copy of webapp/testdrive/legacy.py: a migration must keep doing
what it did when the app changes, so it does not import the app.

Revision ID: 0007_floor_ready
Revises: 0006_blob_links
Create Date: 2026-12-06
"""

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007_floor_ready"
down_revision = "0006_blob_links"
branch_labels = None
depends_on = None

# --- frozen copy of webapp/testdrive/legacy.py (generated, do not edit) ---
# Old stored option value → its code.
LEGACY_OPTIONS: dict[str, str] = {
    "平稳 steady": "steady",
    "稳健 assured": "assured",
    "激进 sporty": "sporty",
    "谨慎 cautious": "cautious",
    "马上购买 buy now": "buy_now",
    "近期购买 soon": "soon",
    "再考虑 still thinking": "thinking",
    "暂不购买 not now": "not_now",
}


def to_code(value: Any) -> Any:
    """The code of an old bilingual option value; anything else unchanged."""
    if isinstance(value, str):
        return LEGACY_OPTIONS.get(value.strip(), value)
    return value


def convert_items(items: Any) -> Any:
    """A checklist template's items with their options as codes."""
    if not isinstance(items, list):
        return items
    converted = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("options"), list):
            item = {**item, "options": [to_code(o) for o in item["options"]]}
        converted.append(item)
    return converted


def convert_entry_value(kind: str, value: Any) -> Any:
    """A TestDriveEntry's value with old option values as codes: a tick's value, or the
    feedback's answers and intention."""
    if kind == "feedback" and isinstance(value, dict):
        out = dict(value)
        if isinstance(out.get("answers"), dict):
            out["answers"] = {k: to_code(v) for k, v in out["answers"].items()}
        out["intention"] = to_code(out.get("intention"))
        return out
    if kind == "note":
        return value
    return to_code(value)


def convert_event_data(data: Any) -> Any:
    """A `test_drive` card event's data with its intention as a code."""
    if isinstance(data, dict) and "intention" in data:
        return {**data, "intention": to_code(data["intention"])}
    return data


# --- end of the copy ---


def upgrade() -> None:
    with op.batch_alter_table("comparison_sheet", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ours_version", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("theirs_version", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("source", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("as_of", sa.Date(), nullable=True))

    with op.batch_alter_table("customer_card", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("address", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("occupation", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("driving_style", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("focus_points", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )

    with op.batch_alter_table("display_car_check", schema=None) as batch_op:
        batch_op.add_column(sa.Column("all_ok_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("all_ok_at", sa.DateTime(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_display_car_check_all_ok_by_id_user"), "user", ["all_ok_by_id"], ["id"]
        )

    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.add_column(sa.Column("greeted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("greeted_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("purpose", sa.String(length=20), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("companions", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("influencer", sa.String(length=100), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("drinks_offered", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_visit_greeted_by_id_user"), "user", ["greeted_by_id"], ["id"]
        )

    _options_as_codes()


def _options_as_codes() -> None:
    """Test-drive options: bilingual words to codes (see the module docstring)."""

    bind = op.get_bind()
    # Lightweight table descriptions: the migration does not import the app's models.
    template = sa.table(
        "checklist_template",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("version", sa.Integer),
        sa.column("items", sa.JSON),
        sa.column("current", sa.Boolean),
        sa.column("created_by_id", sa.Integer),
        sa.column("created_at", sa.DateTime()),  # naive UTC, as timeutil.UTCDateTime stores
    )
    entry = sa.table(
        "test_drive_entry",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("value", sa.JSON),
    )
    event = sa.table(
        "card_event",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("data", sa.JSON),
    )
    quarantined = sa.table(
        "quarantined_entry",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
    )

    # 1. Options of every template version as codes.
    items_col = template.c["items"]  # `.c.items` is the collection's own method
    for row_id, old in bind.execute(sa.select(template.c.id, items_col)).all():
        items = convert_items(old)
        if items != old:
            bind.execute(template.update().where(template.c.id == row_id).values(items=items))

    # 2. Focus points become a list of codes: a new version of the current drive checklist.
    focus_item = {
        "key": "focus_points",
        "label_zh": "客户关注点",
        "label_en": "What the customer focused on",
        "type": "multi",
        "options": [
            "power",
            "handling",
            "comfort",
            "quietness",
            "space",
            "fuel_economy",
            "safety",
            "technology",
        ],
        "required": False,
    }
    drive = bind.execute(
        sa.select(template.c.id, items_col).where(
            template.c.kind == "drive", template.c.current.is_(True)
        )
    ).first()
    if drive is not None and any(
        i.get("key") == "focus_points" and i.get("type") != "multi" for i in drive[1]
    ):
        items = [focus_item if i.get("key") == "focus_points" else i for i in drive[1]]
        top = bind.execute(
            sa.select(sa.func.max(template.c.version)).where(template.c.kind == "drive")
        ).scalar()
        bind.execute(template.update().where(template.c.id == drive[0]).values(current=False))
        bind.execute(
            template.insert().values(
                kind="drive",
                version=top + 1,
                items=items,
                current=True,
                created_by_id=None,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )

    # 3. The after-drive step.
    has_after = bind.execute(
        sa.select(template.c.id).where(template.c.kind == "after").limit(1)
    ).first()
    if has_after is None:
        bind.execute(
            template.insert().values(
                kind="after",
                version=1,
                items=[
                    {
                        "key": "time_enough",
                        "label_zh": "试驾时间是否充足",
                        "label_en": "Was the time enough?",
                        "type": "choice",
                        "options": ["enough", "too_short"],
                        "required": True,
                    },
                    {
                        "key": "another_drive_offered",
                        "label_zh": "邀请客户再试驾一次",
                        "label_en": "Offered another drive",
                        "type": "tick",
                        "options": [],
                        "required": False,
                    },
                    {
                        "key": "praised",
                        "label_zh": "赞美客户的驾驶",
                        "label_en": "Praised the customer's driving",
                        "type": "tick",
                        "options": [],
                        "required": True,
                    },
                    {
                        "key": "back_to_table",
                        "label_zh": "引导客户回到洽谈桌",
                        "label_en": "Back to the negotiation table",
                        "type": "tick",
                        "options": [],
                        "required": True,
                    },
                    {
                        "key": "intention_asked",
                        "label_zh": "询问购买意向",
                        "label_en": "Asked about the purchase intention",
                        "type": "tick",
                        "options": [],
                        "required": True,
                    },
                ],
                current=True,
                created_by_id=None,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )

    # 4. Entries: ticks' option values, the feedback's answers and intention.
    rows = bind.execute(
        sa.select(entry.c.id, entry.c.kind, entry.c.value).where(entry.c.kind != "note")
    ).all()
    for row in rows:
        value = convert_entry_value(row.kind, row.value)
        if value != row.value:
            bind.execute(entry.update().where(entry.c.id == row.id).values(value=value))

    # 5. The card timeline's test-drive events.
    rows = bind.execute(
        sa.select(event.c.id, event.c.data).where(event.c.kind == "test_drive")
    ).all()
    for row in rows:
        data = convert_event_data(row.data)
        if data != row.data:
            bind.execute(event.update().where(event.c.id == row.id).values(data=data))

    # 6. Quarantined packet entries, so that fixing them validates against the codes.
    rows = bind.execute(
        sa.select(quarantined.c.id, quarantined.c.kind, quarantined.c.payload).where(
            quarantined.c.kind.in_(("testdrive.tick", "testdrive.feedback"))
        )
    ).all()
    for row in rows:
        payload = dict(row.payload or {})
        if row.kind == "testdrive.tick":
            payload["value"] = to_code(payload.get("value"))
        else:
            if isinstance(payload.get("answers"), dict):
                payload["answers"] = {k: to_code(v) for k, v in payload["answers"].items()}
            if "intention" in payload:
                payload["intention"] = to_code(payload["intention"])
        if payload != row.payload:
            bind.execute(
                quarantined.update().where(quarantined.c.id == row.id).values(payload=payload)
            )


def downgrade() -> None:
    """The columns go; option codes stay codes (the old words are not restored)."""
    op.execute(sa.text("DELETE FROM test_drive_entry WHERE kind = 'after'"))
    op.execute(sa.text("DELETE FROM checklist_template WHERE kind = 'after'"))
    with op.batch_alter_table("visit", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_visit_greeted_by_id_user"), type_="foreignkey")
        batch_op.drop_column("drinks_offered")
        batch_op.drop_column("influencer")
        batch_op.drop_column("companions")
        batch_op.drop_column("purpose")
        batch_op.drop_column("greeted_by_id")
        batch_op.drop_column("greeted_at")

    with op.batch_alter_table("display_car_check", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_display_car_check_all_ok_by_id_user"), type_="foreignkey"
        )
        batch_op.drop_column("all_ok_at")
        batch_op.drop_column("all_ok_by_id")

    with op.batch_alter_table("customer_card", schema=None) as batch_op:
        batch_op.drop_column("focus_points")
        batch_op.drop_column("driving_style")
        batch_op.drop_column("occupation")
        batch_op.drop_column("address")

    with op.batch_alter_table("comparison_sheet", schema=None) as batch_op:
        batch_op.drop_column("as_of")
        batch_op.drop_column("source")
        batch_op.drop_column("theirs_version")
        batch_op.drop_column("ours_version")
