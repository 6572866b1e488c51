"""Each delivery's preparation count kept beside its ticks (delivery_prep), so that the board
reads one row per delivery instead of replaying every tick of the week. The rows of existing
deliveries are computed here from their ticks and the current preparation list.

Revision ID: 0013_delivery_prep
Revises: 0012_contract_state_updated
Create Date: 2026-12-06
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0013_delivery_prep"
down_revision = "0012_contract_state_updated"
branch_labels = None
depends_on = None

CHUNK = 5000


def upgrade() -> None:
    op.create_table(
        "delivery_prep",
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("store_id", sa.Integer(), nullable=False),
        sa.Column("checklist_id", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("item_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["delivery_checklist.id"],
            name=op.f("fk_delivery_prep_checklist_id_delivery_checklist"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["delivery.id"],
            name=op.f("fk_delivery_prep_delivery_id_delivery"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["store_id"], ["store.id"], name=op.f("fk_delivery_prep_store_id_store")
        ),
        sa.PrimaryKeyConstraint("delivery_id", name=op.f("pk_delivery_prep")),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    """One row per existing delivery, counted as webapp.delivery.prep.refresh_prep does."""
    current = conn.execute(
        sa.text(
            "SELECT id, items FROM delivery_checklist "
            "WHERE kind = 'preparation' AND current ORDER BY version DESC LIMIT 1"
        )
    ).first()
    if current is None:  # no list yet: the first delivery adds it, and its row with it
        return
    items = current.items if not isinstance(current.items, str) else json.loads(current.items)
    keys = [item["key"] for item in items]
    deliveries = conn.execute(sa.text("SELECT id, store_id FROM delivery ORDER BY id")).all()
    prep = sa.table(
        "delivery_prep",
        sa.column("delivery_id"),
        sa.column("store_id"),
        sa.column("checklist_id"),
        sa.column("done"),
        sa.column("item_count"),
    )
    for start in range(0, len(deliveries), CHUNK):
        chunk = deliveries[start : start + CHUNK]
        first, last = chunk[0].id, chunk[-1].id
        latest: dict[int, dict[str, bool]] = {}
        ticks = conn.execute(
            sa.text(
                "SELECT delivery_id, item_key, done FROM delivery_entry "
                "WHERE kind = 'preparation' AND delivery_id BETWEEN :first AND :last "
                "ORDER BY recorded_at, id"
            ),
            {"first": first, "last": last},
        )
        for delivery_id, key, done in ticks:
            latest.setdefault(delivery_id, {})[key] = bool(done)
        conn.execute(
            prep.insert(),
            [
                {
                    "delivery_id": d.id,
                    "store_id": d.store_id,
                    "checklist_id": current.id,
                    "done": sum(1 for key in keys if latest.get(d.id, {}).get(key)),
                    "item_count": len(keys),
                }
                for d in chunk
            ],
        )


def downgrade() -> None:
    op.drop_table("delivery_prep")
