"""Counts SQL statements per request: an N+1 guard for tests and benchmarks.

With SQL_COUNT_HEADER set, every response carries `X-SQL-Count`. The counter lives in
`flask.g`, so it is per request and costs one integer increment per statement.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine


@event.listens_for(Engine, "before_cursor_execute")
def _count(*_args: Any) -> None:
    if has_app_context():
        g.sql_count = g.get("sql_count", 0) + 1


def sql_count() -> int:
    """Statements run so far in the current app context."""
    return g.get("sql_count", 0)


def register(app: Flask) -> None:
    if not app.config.get("SQL_COUNT_HEADER"):
        return

    @app.after_request
    def _header(response: Response) -> Response:
        response.headers["X-SQL-Count"] = str(sql_count())
        return response
