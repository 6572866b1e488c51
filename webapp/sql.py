"""SQL pieces shared by the areas' prebuilt statements, and rows read into dataclasses."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, ClassVar, TypeVar

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Result
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.visitors import InternalTraversal

T = TypeVar("T")


def in_codes(column: Any, codes: Iterable[str]) -> sa.ColumnElement[bool]:
    """`column IN (:c1, :c2)` over fixed codes, for statements built once.

    An `in_()` over a Python list is an "expanding" parameter that SQLAlchemy rewrites into the
    SQL on every execution. Each code here is a literal of its own, a plain bound parameter
    that travels with the statement: the SQL text and SQLAlchemy's compiled form stay the same
    from one run to the next (PostgreSQL's prepared statements too), and no code is ever
    written into the SQL, whatever it holds.
    """
    return column.in_([sa.literal(code, column.type) for code in codes])


class InList(sa.ColumnElement[bool]):
    """`column IN (:name)` over a list given at execution; see in_list()."""

    inherit_cache = False
    _traverse_internals: ClassVar[list[tuple[str, Any]]] = [
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]
    type = sa.Boolean()
    _is_implicitly_boolean = True  # a comparison: SQLite takes it as is, not as "(…) = 1"

    def __init__(self, column: sa.ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def in_list(column: Any, name: str) -> InList:
    """`column` is one of the list given as the parameter `name` when the statement runs
    (ids of people, cards, stores), for statements built once.

    SQLAlchemy writes an IN over a list parameter ("expanding") into the SQL afresh on every
    run: a statement holding one costs 50–100 µs of string work each time before it is sent,
    and PostgreSQL prepares one statement per length of list. On PostgreSQL this is
    `column = ANY(:name)` instead, one array parameter in SQL that never changes; elsewhere
    (SQLite) the expanding IN. An empty list matches nothing either way.

    For lists of a handful to a few dozen ids (a store's salespeople, a page of cards). A
    group's hundred stores keep the expanding IN: PostgreSQL plans an array parameter
    without knowing its length, and the roll-ups' counts over every store's month then cost
    the server twice the CPU (17 → 36 ms a request for the funnel in bench/page_cpu.py).
    """
    return InList(column, name)


@compiles(InList)
def _in_list_expanding(element: InList, compiler: Any, **kw: Any) -> str:
    bind = sa.bindparam(element.name, expanding=True)
    return compiler.process(element.column.in_(bind), **kw)


@compiles(InList, "postgresql")
def _in_list_any(element: InList, compiler: Any, **kw: Any) -> str:
    bind = sa.bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column == sa.any_(bind), **kw)


def literal_int(value: int) -> sa.ColumnElement[int]:
    """An integer written into the SQL when the statement is built: the LIMIT of a statement
    built once per page size (a shape argument of access.scoped_statement, or a constant).

    The SQL is inline_int()'s (PostgreSQL sees the page's size and keeps one plan), but each
    size is its own statement, compiled once: inline_int() has SQLAlchemy rewrite the
    compiled SQL on every run (~45 µs a statement, four of them on "my day"). For sizes that
    are a handful of constants; a size that varies per request (an OFFSET) stays inline_int().
    """
    return sa.literal_column(str(int(value)), sa.Integer())


def inline_int(name: str) -> sa.BindParameter[int]:
    """A named integer parameter written into the SQL when the statement runs, for LIMIT and
    OFFSET of statements built once.

    PostgreSQL plans a prepared statement once for all its runs (a "generic" plan) only when
    that plan costs about what a plan for the given values does. With LIMIT as a parameter it
    cannot know a page is 26 rows, so it re-planned a list joining seven tables on every run
    (over a millisecond, more than running it). Each distinct value makes its own prepared
    statement; pages have a handful. An integer is all this renders, so nothing else can
    reach the SQL.
    """
    return sa.bindparam(name, type_=sa.Integer(), literal_execute=True)


@lru_cache(maxsize=512)
def _maker(cls: type[T], keys: tuple[str, ...], prefix: str, whole: bool) -> Callable[..., T]:
    wanted = tuple(prefix + field.name for field in dataclasses.fields(cls))
    missing = [name for name in wanted if name not in keys]
    extra = [key for key in keys if key not in wanted] if whole else []
    if missing or extra:
        raise LookupError(
            f"{cls.__name__} from columns {list(keys)}: missing {missing}, unexpected {extra}"
        )
    if keys == wanted:
        return lambda row: cls(*row)
    if len(wanted) == 1:
        at = keys.index(wanted[0])
        return lambda row: cls(row[at])
    pick = itemgetter(*(keys.index(name) for name in wanted))
    return lambda row: cls(*pick(row))


def row_maker(cls: type[T], keys: Iterable[str], prefix: str = "") -> Callable[[Sequence], T]:
    """A function that makes a `cls` dataclass of a row with these column names: each field
    from the column named `prefix` + the field's name, whatever its place; other columns are
    left out (a row holding several records, or extra figures). Raises LookupError naming the
    missing columns.

    The names are matched once per result, not per row; a row is then read by position.
    """
    return _maker(cls, tuple(keys), prefix, False)


def rows_as(cls: type[T], result: Result[Any]) -> list[T]:
    """The rows of `result` as `cls` dataclasses, each field from the column of its name.

    The columns must be the fields exactly, in any order: a missing, misnamed or extra column
    raises LookupError rather than shifting values into the wrong fields. Label the selected
    columns with the field names where they differ.
    """
    make = _maker(cls, tuple(result.keys()), "", True)
    return [make(row) for row in result]


def row_as(cls: type[T], result: Result[Any]) -> T | None:
    """The first row of `result` as a `cls` dataclass (as rows_as), or None without a row."""
    make = _maker(cls, tuple(result.keys()), "", True)
    row = result.first()
    return None if row is None else make(row)


def insert_rows(
    connection: sa.Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    returning: bool,
    skip_conflicts_on: tuple[str, ...] = (),
) -> list[int]:
    """Insert `rows` (dicts naming the same columns, every value given: Python-side column
    defaults are not applied) in one statement; with `returning`, their new ids in the rows'
    order. With `skip_conflicts_on` (the columns of a unique constraint), a row whose key
    exists already is left out (ON CONFLICT DO NOTHING), and only the new rows' ids return.

    SQLite takes an executemany. On PostgreSQL the rows travel as one JSON parameter read by
    `json_populate_recordset`: SQLAlchemy's "insertmanyvalues" would write a placeholder per
    value, and psycopg parses such a statement afresh each time (6 ms for 200 rows of 11
    columns, ~70 ms for a thousand follow-up tasks: more than the insert itself). The ids come
    back sorted: the SELECT's ORDER BY draws them from the sequence in the rows' order, as
    insertmanyvalues itself relies on.
    """
    if not rows:
        return []
    if connection.dialect.name != "postgresql":
        return _insert_rows_sqlite(connection, table, rows, returning, skip_conflicts_on)
    names = list(rows[0])
    text = _pg_insert_text(table.name, tuple(names), returning, skip_conflicts_on)
    payload = json.dumps(
        [{name: _json_value(table.c[name], row[name]) for name in names} for row in rows],
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    result = connection.exec_driver_sql(text, (payload,))
    return sorted(new_id for (new_id,) in result) if returning else []


def _insert_rows_sqlite(
    connection: sa.Connection,
    table: sa.Table,
    rows: list[dict[str, Any]],
    returning: bool,
    skip_conflicts_on: tuple[str, ...],
) -> list[int]:
    stmt = sa.insert(table)
    if skip_conflicts_on:
        stmt = sqlite.insert(table).on_conflict_do_nothing(index_elements=list(skip_conflicts_on))
    if not returning:
        connection.execute(stmt, rows)
        return []
    if skip_conflicts_on:  # skipped rows return nothing: ids cannot be matched to rows one to one
        return sorted(connection.execute(stmt.returning(table.c.id), rows).scalars())
    ordered = stmt.returning(table.c.id, sort_by_parameter_order=True)
    return list(connection.execute(ordered, rows).scalars())


@lru_cache(maxsize=64)
def _pg_insert_text(
    table: str, names: tuple[str, ...], returning: bool, skip_conflicts_on: tuple[str, ...]
) -> str:
    quote = _PG_QUOTE.quote  # quotes a name only when it must be ("user")
    # Names from the table's own metadata, never from a request.
    columns = ", ".join(quote(name) for name in names)
    picked = ", ".join(f"r.{quote(name)}" for name in names)
    conflict = ""
    if skip_conflicts_on:
        keys = ", ".join(quote(name) for name in skip_conflicts_on)
        conflict = f" ON CONFLICT ({keys}) DO NOTHING"
    return (
        f"INSERT INTO {quote(table)} ({columns}) SELECT {picked} "  # noqa: S608
        f"FROM json_populate_recordset(NULL::{quote(table)}, %s::json) WITH ORDINALITY AS r "
        f"ORDER BY r.ordinality{conflict}" + (" RETURNING id" if returning else "")
    )


_PG_QUOTE = postgresql.dialect().identifier_preparer


def _json_value(column: sa.Column, value: Any) -> Any:
    """A value as json_populate_recordset reads it into its column: a moment as naive UTC
    (the columns' UTCDateTime convention), a date as ISO, others as JSON has them."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timeutil.now()")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value
