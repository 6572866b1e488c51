"""The SQL helpers of prebuilt statements: fixed codes go in as bound literals (never written
into the SQL, never an expanding parameter), a list of ids is one array on PostgreSQL, and rows
become dataclasses by column name."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from sqlalchemy.engine.interfaces import CacheStats

from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.sql import in_codes, in_list, inline_int, literal_int, row_as, row_maker, rows_as

# Written into the SQL between quotes, this would read `stage IN ('x'OR'1'='1')`: every card.
QUOTED = "x'OR'1'='1"


def _compiled(stmt: sa.Select) -> sa.engine.Compiled:
    return stmt.compile(dialect=db.engine.dialect)


def test_codes_are_bound_literals_and_not_an_expanding_parameter(app):
    stmt = sa.select(CustomerCard.id).where(in_codes(CustomerCard.stage, ["prospect", "ordered"]))
    compiled = _compiled(stmt)
    sql = str(compiled)
    assert "prospect" not in sql and "POSTCOMPILE" not in sql
    assert not any(bind.expanding for bind in compiled.binds.values())
    assert sorted(compiled.params.values()) == ["ordered", "prospect"]


def test_a_statement_with_codes_is_compiled_once_and_then_served_from_the_cache(world):
    stmt = sa.select(sa.func.count()).where(
        CustomerCard.store_id == sa.bindparam("store_id"),
        in_codes(CustomerCard.stage, ["prospect", "ordered"]),
    )
    conn = db.session.connection()
    counts, hits = [], []
    for _ in range(3):
        result = conn.execute(stmt, {"store_id": world.store_a.id})
        hits.append(result.context.cache_hit)
        counts.append(result.scalar())
    assert hits[1:] == [CacheStats.CACHE_HIT] * 2
    assert counts == [2, 2, 2]


def test_a_code_with_a_quote_is_bound_not_written_into_the_sql(world):
    stmt = sa.select(CustomerCard.id).where(in_codes(CustomerCard.stage, [QUOTED]))
    compiled = _compiled(stmt)
    assert "OR" not in str(compiled) and "'1'" not in str(compiled)
    assert list(compiled.params.values()) == [QUOTED]
    assert list(db.session.scalars(stmt)) == []
    # The code is compared as it is: a card holding that very text is found, and only it.
    world.own_card.stage = QUOTED
    db.session.commit()
    assert list(db.session.scalars(stmt)) == [world.own_card.id]


@dataclass(frozen=True, slots=True)
class CardLine:
    id: int
    name: str
    owner_id: int


def _cards(*columns: sa.ColumnElement) -> sa.engine.Result:
    stmt = sa.select(*columns).where(CustomerCard.store_id.is_not(None)).order_by(CustomerCard.id)
    return db.session.connection().execute(stmt)


def test_rows_become_dataclasses_by_column_name_whatever_the_order(world):
    in_order = rows_as(CardLine, _cards(CustomerCard.id, CustomerCard.name, CustomerCard.owner_id))
    shuffled = rows_as(CardLine, _cards(CustomerCard.owner_id, CustomerCard.id, CustomerCard.name))
    assert in_order == shuffled
    assert CardLine(world.own_card.id, "自己客户", world.users["salesperson"].id) in in_order


@dataclass(frozen=True, slots=True)
class Customer:
    card_id: int
    customer: str


def test_labels_name_the_fields_a_column_fills(world):
    rows = rows_as(
        Customer, _cards(CustomerCard.name.label("customer"), CustomerCard.id.label("card_id"))
    )
    assert rows[0] == Customer(card_id=world.own_card.id, customer="自己客户")


def test_a_missing_or_misnamed_column_fails_loudly(world):
    with pytest.raises(LookupError, match="owner_id"):
        rows_as(CardLine, _cards(CustomerCard.id, CustomerCard.name))
    with pytest.raises(LookupError, match="owner_id"):
        rows_as(CardLine, _cards(CustomerCard.id, CustomerCard.name, CustomerCard.store_id))


def test_an_extra_column_fails_loudly_where_the_row_is_one_record(world):
    with pytest.raises(LookupError, match="title"):
        rows_as(
            CardLine,
            _cards(CustomerCard.id, CustomerCard.title, CustomerCard.name, CustomerCard.owner_id),
        )


def test_one_row_holding_several_records_is_split_by_prefix(world):
    result = _cards(
        CustomerCard.id.label("card_id"),
        CustomerCard.name.label("card_name"),
        CustomerCard.owner_id.label("card_owner_id"),
        CustomerCard.store_id,
    )
    keys = tuple(result.keys())
    row = result.first()
    assert row_maker(CardLine, keys, "card_")(row) == CardLine(
        world.own_card.id, "自己客户", world.users["salesperson"].id
    )
    with pytest.raises(LookupError):
        row_maker(CardLine, keys)


def test_one_row_becomes_a_dataclass_and_no_row_becomes_none(world):
    card = row_as(CardLine, _cards(CustomerCard.id, CustomerCard.name, CustomerCard.owner_id))
    assert card == CardLine(world.own_card.id, "自己客户", world.users["salesperson"].id)
    empty = db.session.connection().execute(
        sa.select(CustomerCard.id, CustomerCard.name, CustomerCard.owner_id).where(sa.false())
    )
    assert row_as(CardLine, empty) is None


def test_a_page_limit_is_written_into_the_sql_as_an_integer_and_nothing_else(app, world):
    stmt = sa.select(CustomerCard.id).order_by(CustomerCard.id).limit(inline_int("limit"))
    executed: list[str] = []

    def listen(conn, cursor, statement, *args):
        executed.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert len(db.session.execute(stmt, {"limit": 2}).all()) <= 2
        with pytest.raises(sa.exc.StatementError):
            db.session.execute(stmt, {"limit": "1; DELETE FROM customer_card"}).all()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
        db.session.rollback()
    assert "LIMIT 2" in executed[0]
    assert not any("DELETE" in sql for sql in executed)


def _ids_in(store_id: int, ids: list[int]) -> sa.CursorResult:
    stmt = (
        sa.select(CustomerCard.id)
        .where(CustomerCard.store_id == sa.bindparam("store_id"), in_list(CustomerCard.id, "ids"))
        .order_by(CustomerCard.id)
    )
    return db.session.connection().execute(stmt, {"store_id": store_id, "ids": ids})


def test_a_list_is_one_array_parameter_on_postgresql_and_an_in_list_elsewhere(app):
    stmt = sa.select(CustomerCard.id).where(in_list(CustomerCard.owner_id, "ids"))
    compiled = _compiled(stmt)
    sql = str(compiled)
    if db.engine.dialect.name == "postgresql":
        assert "= ANY (%(ids)s::INTEGER[])" in sql and "POSTCOMPILE" not in sql
        assert not any(bind.expanding for bind in compiled.binds.values())
    else:
        assert "IN (__[POSTCOMPILE_ids])" in sql and "= 1" not in sql
        assert compiled.binds["ids"].expanding


def test_a_list_finds_its_ids_whatever_its_length_and_an_empty_list_finds_nothing(world):
    own, colleague = world.own_card.id, world.colleague_card.id
    other_store, store = world.other_store_card.id, world.store_a.id
    assert list(_ids_in(store, [own]).scalars()) == [own]
    assert list(_ids_in(store, [colleague, own, other_store]).scalars()) == sorted([own, colleague])
    assert list(_ids_in(store, []).scalars()) == []


def test_lists_of_any_length_share_one_compiled_statement_and_on_postgresql_one_sql_text(world):
    store = world.store_a.id
    executed: list[str] = []

    def listen(conn, cursor, statement, *args):
        executed.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", listen)
    try:
        hits = [_ids_in(store, ids).context.cache_hit for ids in ([1], [1, 2], [1, 2, 3])]
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listen)
    assert hits[1:] == [CacheStats.CACHE_HIT] * 2
    if db.engine.dialect.name == "postgresql":
        assert len(set(executed)) == 1  # one prepared statement, not one per length


def test_a_fixed_page_size_is_written_into_the_sql_when_built_and_never_rewritten(app, world):
    def page(size: int) -> sa.Select:
        return sa.select(CustomerCard.id).order_by(CustomerCard.id).limit(literal_int(size))

    compiled = _compiled(page(2))
    assert "LIMIT 2" in str(compiled)
    assert not compiled.literal_execute_params and not compiled.post_compile_params
    assert len(db.session.execute(page(2)).all()) == 2
    assert len(db.session.execute(page(1)).all()) == 1  # another size, another statement
    with pytest.raises(ValueError):
        literal_int("1; DELETE FROM customer_card")  # type: ignore[arg-type]
