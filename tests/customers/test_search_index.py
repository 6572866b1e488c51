"""Customer search is index-backed: the planner can answer a prefix search from an index."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.extensions import db

# Every index of customer_card that starts with store_id, as PostgreSQL names them.
STORE_INDEXES = (
    "ix_customer_card_stage_owner",
    "ix_customer_card_store_created",
    "ix_customer_card_owners_box",
    "ix_customer_card_box",
    "ix_customer_card_mobile_prefix",
    "ix_customer_card_name_prefix",
)


def plan(sql: str, params: dict, keep: str) -> str:
    """The query plan of `sql`.

    On PostgreSQL every other store_id index is dropped inside a transaction that is rolled
    back (DDL is transactional there): on a tiny test table the planner would otherwise pick
    any of them. What remains to learn is whether `keep` is *usable* for LIKE 'prefix%',
    which is what its text_pattern_ops operator class decides.
    """
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("SET LOCAL enable_seqscan = off"))
        db.session.execute(
            sa.text("ALTER TABLE customer_card DROP CONSTRAINT uq_customer_card_store_id_mobile")
        )
        for name in STORE_INDEXES:
            if name != keep:
                db.session.execute(sa.text(f"DROP INDEX {name}"))
        rows = db.session.execute(sa.text("EXPLAIN " + sql), params)
    else:
        rows = db.session.execute(sa.text("EXPLAIN QUERY PLAN " + sql), params)
    text = "\n".join(" ".join(str(c) for c in row) for row in rows)
    db.session.rollback()
    return text


def assert_index_range(text: str, names: tuple[str, ...]) -> None:
    assert any(name in text for name in names), text
    if db.engine.dialect.name == "postgresql":
        # LIKE 'x%' became a range in the index condition, not only a filter on rows.
        assert any("Index Cond" in line and "~>=~" in line for line in text.splitlines()), text
    else:
        assert ">? AND" in text or "<?" in text, text  # SQLite: a range on the index


def test_mobile_prefix_search_uses_an_index(app, world):
    text = plan(
        "SELECT id FROM customer_card WHERE store_id = :s AND mobile LIKE :p",
        {"s": world.store_a.id, "p": "1390%"},
        keep="ix_customer_card_mobile_prefix",
    )
    assert_index_range(text, ("ix_customer_card_mobile_prefix", "uq_customer_card_store_id_mobile"))


def test_name_prefix_search_uses_an_index(app, world):
    text = plan(
        "SELECT id FROM customer_card WHERE store_id = :s AND name LIKE :p",
        {"s": world.store_a.id, "p": "王%"},
        keep="ix_customer_card_name_prefix",
    )
    assert_index_range(text, ("ix_customer_card_name_prefix",))
