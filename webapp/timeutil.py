"""Clock and time zone helpers: store UTC, show Asia/Shanghai; tests patch `now`. And the
minutes between two stored moments in SQL (`Minutes`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TypeDecorator

SHANGHAI = ZoneInfo("Asia/Shanghai")


def now() -> datetime:
    """The current time, timezone-aware UTC. The single clock of the app."""
    return datetime.now(UTC)


def local_today() -> date:
    """Today's date in the showroom (Asia/Shanghai), which is what 'today' means to staff."""
    return now().astimezone(SHANGHAI).date()


def local_date_of(moment: datetime) -> date:
    """The showroom's calendar day of a UTC moment (naive means UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of a Shanghai calendar day."""
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    end = datetime.fromordinal(day.toordinal() + 1).replace(tzinfo=SHANGHAI)
    return start.astimezone(UTC), end.astimezone(UTC)


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after `month` (before, when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def local_month_bounds(month: date) -> tuple[datetime, datetime]:
    """The UTC start (inclusive) and end (exclusive) of the Shanghai calendar month of
    `month` (any day of it)."""
    start, _end = local_day_bounds(month.replace(day=1))
    end, _next = local_day_bounds(add_months(month, 1))
    return start, end


class UTCDateTime(TypeDecorator):
    """Stores naive UTC (portable across SQLite and PostgreSQL), returns aware UTC."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timeutil.now()")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Minutes(FunctionElement):
    """The minutes from one moment to another (a float), in each database's own words."""

    type = sa.Float()
    inherit_cache = True


@compiles(Minutes, "postgresql")
def _minutes_postgresql(element: Minutes, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    # float8: EXTRACT gives a numeric, slower to compare and sum over a group's month.
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)}))::float8 / 60.0)"
    )


@compiles(Minutes, "sqlite")
def _minutes_sqlite(element: Minutes, compiler: Any, **kw: Any) -> str:
    start, end = list(element.clauses)
    # julianday() is a float of days: rounded to the second, so 15 minutes are not 14.99.
    return (
        f"(round((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 86400.0) / 60.0)"
    )
