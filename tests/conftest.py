"""Fixtures: the app on SQLite and on PostgreSQL, factories, a CSRF-aware client.

Every test that takes `app` runs twice, once per database. The schema is created once per
worker and backend; each test then starts from empty tables.
"""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from webapp import create_app
from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.org.models import DealerGroup, Store

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct-horse-battery"


def _pg_available() -> str | None:
    try:
        engine = sa.create_engine(PG_BASE, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:
        return str(exc).splitlines()[0]
    return None


def pg_schema_url(schema: str) -> str:
    """A URL whose connections use their own schema, so xdist workers never collide."""
    engine = sa.create_engine(PG_BASE)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{PG_BASE}?options=-csearch_path%3D{schema}"


def drop_pg_schema(schema: str) -> None:
    engine = sa.create_engine(PG_BASE)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


def require_postgres() -> None:
    """Skip loudly when PostgreSQL is missing; under CI that is a failure instead."""
    problem = _pg_available()
    if problem:
        message = f"PostgreSQL at 127.0.0.1:5432 is not reachable: {problem}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    """A test marked `postgres_only` runs on the PostgreSQL backend alone: its SQLite variant
    is deselected, not skipped, so the rule that CI runs no skipped test still holds."""
    keep, drop = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        on_sqlite = callspec is not None and callspec.params.get("database_url") == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_sep("!", f"{len(skipped)} TESTS SKIPPED - see the reasons above")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Under CI a skip is a failure: the PostgreSQL and browser tests must really run."""
    if not IN_CI or hasattr(session.config, "workerinput"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter and reporter.stats.get("skipped") and session.exitstatus == 0:
        session.exitstatus = 1


def base_config(url: str) -> dict[str, Any]:
    return {
        "ENV_NAME": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "SERVER_NAME": None,
        "SQL_COUNT_HEADER": True,  # X-SQL-Count on every response, for the N+1 guard
    }


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, worker_id: str
) -> Iterator[str]:
    """One schema per worker and backend, created from the models once."""
    schema = f"test_{worker_id}_{os.getpid()}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}"
    else:
        require_postgres()
        url = pg_schema_url(schema)
    app = create_app(base_config(url))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    if request.param == "postgresql":
        drop_pg_schema(schema)


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app(database_url: str) -> Iterator[Flask]:
    """The app on one backend, inside an app context, with empty tables afterwards."""
    application = create_app(base_config(database_url))
    application.test_client_class = CsrfClient
    with application.app_context():
        yield application
        db.session.remove()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token on state-changing requests.

    Pass `csrf=False` to send none, or `csrf="value"` to send a given (wrong) one.
    """

    def open(self, *args: Any, csrf: bool | str = True, **kwargs: Any) -> Any:
        method = (kwargs.get("method") or "GET").upper()
        if method not in ("GET", "HEAD", "OPTIONS") and csrf:
            token = csrf if isinstance(csrf, str) else self.csrf_token()
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", token)
            kwargs["headers"] = headers
        # Like production, each request gets its own app context and database session:
        # run it in an empty contextvars context, so the test's app context is not reused.
        if has_app_context():
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if has_app_context():
            db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        """The signed token Flask-WTF expects for this client's session."""
        app = self.application
        with self.session_transaction() as sess:
            raw = sess.get("csrf_token")
            if raw is None:
                raw = os.urandom(20).hex()
                sess["csrf_token"] = raw
        serializer = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)

    def login(self, username: str, password: str = PASSWORD) -> Any:
        return self.post("/login", data={"username": username, "password": password})


@pytest.fixture
def client(app: Flask) -> CsrfClient:
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def make_store(app: Flask) -> Callable[..., Store]:
    counter = iter(range(1, 10_000))

    def factory(name: str | None = None, group: DealerGroup | None = None) -> Store:
        n = next(counter)
        store = Store(code=f"S{n:03d}", name=name or f"测试店{n}", city="天津", group=group)
        db.session.add(store)
        db.session.commit()
        return store

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))
    hashed = {}

    def factory(
        *roles: Role,
        store: Store,
        username: str | None = None,
        password: str = PASSWORD,
        **fields: Any,
    ) -> User:
        if password not in hashed:
            hashed[password] = hash_password(password)
        n = next(counter)
        user = User(
            username=username or f"user{n}",
            display_name=fields.pop("display_name", f"员工{n}"),
            password_hash=hashed[password],
            store=store,
            **fields,
        )
        user.role_rows = [UserRole(role=r.value) for r in (roles or (Role.SALESPERSON,))]
        db.session.add(user)
        db.session.commit()
        return user

    return factory


@pytest.fixture
def make_card(app: Flask) -> Callable[..., CustomerCard]:
    counter = iter(range(1, 100_000))

    def factory(owner: User, **fields: Any) -> CustomerCard:
        n = next(counter)
        values: dict[str, Any] = {
            "store_id": owner.store_id,
            "owner_id": owner.id,
            "name": f"客户{n}",
            "title": "mr",
            "mobile": f"139{n:08d}",
            "source": "walk_in",
            "grade": "B",
        }
        values.update(fields)
        card = CustomerCard(**values)
        db.session.add(card)
        db.session.commit()
        return card

    return factory


@dataclass
class World:
    """Two stores of one group; staff of every role in store A; records for the matrix."""

    store_a: Store
    store_b: Store
    users: dict[str, User]
    own_card: CustomerCard  # owned by "salesperson"
    colleague_card: CustomerCard  # owned by "colleague" (another salesperson, same store)
    other_store_card: CustomerCard  # owned by "other_salesperson" in store B
    # The records of the access-matrix case being run (see tests/policies).
    current: dict[str, Any] = field(default_factory=dict)
    # Records that area policies build once per world (bookings, cars, …).
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture
def world(make_store, make_user, make_card) -> World:
    group = DealerGroup(name="测试集团")
    db.session.add(group)
    a = make_store("A店", group=group)
    b = make_store("B店", group=group)
    users = {
        "salesperson": make_user(Role.SALESPERSON, store=a, username="sales"),
        "colleague": make_user(Role.SALESPERSON, store=a, username="colleague"),
        "sales_manager": make_user(Role.SALES_MANAGER, store=a, username="manager"),
        "greeter": make_user(Role.GREETER, store=a, username="greeter"),
        "service_advisor": make_user(Role.SERVICE_ADVISOR, store=a, username="service"),
        "finance": make_user(Role.FINANCE, store=a, username="finance"),
        "car_keeper": make_user(Role.CAR_KEEPER, store=a, username="keeper"),
        "admin": make_user(Role.ADMIN, store=a, username="admin"),
        "other_salesperson": make_user(Role.SALESPERSON, store=b, username="bsales"),
        "other_manager": make_user(Role.SALES_MANAGER, store=b, username="bmanager"),
    }
    return World(
        store_a=a,
        store_b=b,
        users=users,
        own_card=make_card(users["salesperson"], name="自己客户"),
        colleague_card=make_card(users["colleague"], name="同事客户"),
        other_store_card=make_card(users["other_salesperson"], name="外店客户"),
    )


def field_errors(html: str) -> dict[str, str]:
    """Map field name → error message rendered next to it."""
    return dict(re.findall(r'id="f-([\w_]+)-error">([^<]+)<', html))
