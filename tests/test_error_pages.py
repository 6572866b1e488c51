"""Error pages work when the database does not: a failed flush gets the translated 500 page,
an unreachable database a translated 503 (JSON for scripts), and the app shell loads anyway."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_login import current_user

from tests.conftest import CsrfClient, base_config
from webapp import create_app
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.org.models import Store

# A primary key no database column takes: PostgreSQL refuses it ("integer out of range"),
# SQLite's driver cannot even bind it; either way the flush fails.
OUT_OF_RANGE_ID = 2**63
SHELL = ("/sw.js", "/offline", "/manifest.webmanifest", "/static/css/app.css")
UNREACHABLE_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:1/test"

ZH_500 = ("出错了", "尚未保存任何内容")
EN_500 = ("Something went wrong", "Nothing was saved")
ZH_503 = "服务器暂时连不上数据库，请过一分钟再试。您在平板上录入的内容不会丢失。"
EN_503 = "The server cannot reach its database. Try again in a minute"


def _failing_flush_routes(app: Flask) -> None:
    """Test-only routes: a write that the database refuses at flush time."""

    def _add_rows() -> None:
        db.session.add(Store(code="KEPT", name="先加的店", city="天津"))
        db.session.add(Store(id=OUT_OF_RANGE_ID, code="BAD", name="坏店", city="天津"))
        db.session.flush()

    @app.post("/_t/flush-after-reading-user")
    def flush_after_reading_user() -> str:
        assert current_user.is_authenticated
        _add_rows()
        return "saved"

    @app.post("/_t/flush-before-reading-user")
    def flush_before_reading_user() -> str:
        _add_rows()
        return "saved"

    app.config["PROPAGATE_EXCEPTIONS"] = False  # production's 500 path, not the test's raise


def _stores_named_kept() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).where(Store.code == "KEPT"))


@pytest.mark.parametrize("path", ["/_t/flush-after-reading-user", "/_t/flush-before-reading-user"])
def test_a_request_failing_in_a_flush_gets_the_chinese_500_page(
    app: Flask, client: CsrfClient, make_store, make_user, path: str
) -> None:
    _failing_flush_routes(app)
    make_user(Role.SALESPERSON, store=make_store(), username="sales")
    client.login("sales")

    response = client.post(path)

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert all(text in html for text in ZH_500)
    assert '<html lang="zh-Hans">' in html
    assert _stores_named_kept() == 0
    assert client.get("/my-day").status_code == 200  # the next request is unharmed


@pytest.mark.parametrize("path", ["/_t/flush-after-reading-user", "/_t/flush-before-reading-user"])
def test_an_english_user_gets_the_500_page_in_english(
    app: Flask, client: CsrfClient, make_store, make_user, path: str
) -> None:
    _failing_flush_routes(app)
    make_user(Role.SALESPERSON, store=make_store(), username="sales", locale="en")
    client.login("sales")

    response = client.post(path)

    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert all(text in html for text in EN_500)
    assert '<html lang="en">' in html
    assert _stores_named_kept() == 0


def test_the_500_page_still_shows_the_signed_in_users_top_bar(
    app: Flask, client: CsrfClient, make_store, make_user
) -> None:
    _failing_flush_routes(app)
    make_user(Role.SALESPERSON, store=make_store(), username="sales", display_name="王销售")
    client.login("sales")

    html = client.post("/_t/flush-before-reading-user").get_data(as_text=True)

    assert "王销售" in html


def test_the_app_shell_runs_no_sql_for_a_signed_in_user(
    client: CsrfClient, make_store, make_user
) -> None:
    make_user(Role.SALESPERSON, store=make_store(), username="sales")
    client.login("sales")

    for path in SHELL[:3]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["X-SQL-Count"] == "0", path


def test_the_app_shell_speaks_the_signed_in_users_saved_language(
    client: CsrfClient, make_store, make_user
) -> None:
    make_user(Role.SALESPERSON, store=make_store(), username="sales", locale="en")
    client.login("sales")
    client.get("/my-day")

    manifest = client.get("/manifest.webmanifest").get_json()

    assert manifest["lang"] == "en"
    assert manifest["name"] == "FTMS Showroom"


# --- the database cannot be reached ------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def down_client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CsrfClient]:
    """A client of an app whose database cannot be reached, holding a signed-in cookie.

    SQLite: a file in a folder that does not exist. PostgreSQL: a port nothing listens on.
    """
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'missing' / 'showroom.sqlite3'}"
    else:
        url = UNREACHABLE_POSTGRESQL
    app = create_app(base_config(url))
    app.test_client_class = CsrfClient
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "token-of-a-session-the-server-cannot-check"
        session["_fresh"] = True
    yield client  # type: ignore[misc]
    with app.app_context():
        db.engine.dispose()


def _choose_english(client: CsrfClient) -> None:
    with client.session_transaction() as session:
        session["locale"] = "en"


def test_a_page_answers_503_in_chinese_when_the_database_is_down(
    down_client: CsrfClient,
) -> None:
    response = down_client.get("/my-day")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert ZH_503 in html
    assert '<html lang="zh-Hans">' in html
    assert 'href="/my-day"' in html  # try again


def test_the_503_page_speaks_the_language_chosen_in_the_session(
    down_client: CsrfClient,
) -> None:
    _choose_english(down_client)

    response = down_client.get("/my-day")

    assert response.status_code == 503
    assert EN_503 in response.get_data(as_text=True)


def test_a_form_sent_while_the_database_is_down_gets_the_503_page(
    down_client: CsrfClient,
) -> None:
    with down_client.session_transaction() as session:
        session.clear()  # nobody signed in: the login itself needs the database

    response = down_client.post("/login", data={"username": "sales", "password": "x" * 12})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    assert ZH_503 in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/inbox/subscriptions", {"json": {"endpoint": "https://push.example/x"}}),
        ("GET", "/sync/pull", {}),
        ("GET", "/my-day", {"headers": {"Accept": "application/json"}}),
    ],
)
def test_a_script_gets_a_json_503_when_the_database_is_down(
    down_client: CsrfClient, method: str, path: str, kwargs: dict
) -> None:
    response = down_client.open(path, method=method, **kwargs)

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    body = response.get_json()
    assert body["error"] == "unavailable"
    assert body["message"]


def test_the_app_shell_loads_with_the_database_down(down_client: CsrfClient) -> None:
    for path in SHELL:
        assert down_client.get(path).status_code == 200, path


def test_a_not_found_page_renders_with_the_database_down(down_client: CsrfClient) -> None:
    _choose_english(down_client)

    response = down_client.get("/no-such-page")

    assert response.status_code == 404
    assert "This page or record does not exist." in response.get_data(as_text=True)
