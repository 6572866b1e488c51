"""Ending transactions: a unique constraint lost to a concurrent save becomes a field error;
what a first reading keeps is written once whoever reads at the same time; a successful read
ends with COMMIT so PostgreSQL keeps its prepared statements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from flask import Flask, request

from webapp.errors import ValidationError, reset_session
from webapp.extensions import db


def commit_unique(field: str, message: str) -> None:
    """Commit; if a unique constraint refuses it (two people saving the same value at once),
    roll back and raise ValidationError with `message` on `field`: nothing is half-saved."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError({field: message}) from None


def keep_once(rows: Iterable[Any]) -> None:
    """Add `rows` in a savepoint and commit: what a first reading keeps (a closed month's
    counts, webapp.pdca.hot_counts and webapp.reception.stays). When a concurrent reading kept
    them first, their unique constraint refuses these: the savepoint is rolled back, nothing
    else is lost, and both readings show the same figures."""
    try:
        with db.session.begin_nested():
            db.session.add_all(rows)
        db.session.commit()
    except sa.exc.IntegrityError:
        pass


def register(app: Flask) -> None:
    """End a successful GET's read-only transaction with COMMIT on PostgreSQL.

    psycopg keeps server-side prepared statements for queries a connection runs again and
    again (after five runs), which spares PostgreSQL parsing and, once it settles on a generic
    plan, planning: the joins of the day views cost 0.2–2 ms to plan. But psycopg discards
    every prepared statement on ROLLBACK, and a session closed at the end of a request rolls
    back, so without this nothing stayed prepared from one request to the next. Only reads
    end this way: a request that failed, is not a GET/HEAD, or holds unsaved ORM changes is
    left to the usual rollback, so nothing is ever written by accident. A request that never
    used the database (the app shell) has no transaction and is not touched; and a teardown
    must never raise (the response is already chosen): a failed COMMIT is rolled back, or the
    session dropped when the connection is gone.
    """

    @app.teardown_request
    def _commit_read_transaction(exc: BaseException | None) -> None:
        if exc is not None or request.method not in ("GET", "HEAD"):
            return
        session = db.session()
        if db.engine.dialect.name != "postgresql" or not session.in_transaction():
            return
        if session.new or session.dirty or session.deleted:
            return
        try:
            session.commit()
        except sa.exc.SQLAlchemyError:
            reset_session()
