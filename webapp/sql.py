"""SQL pieces shared by the areas' prebuilt statements, and rows read into dataclasses."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Result

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
