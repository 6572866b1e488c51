"""Browser fixtures: one live server on a seeded SQLite file and one headless Chromium per
session, a fresh browser context (tablet viewport) per test.

Chromium is the Debian package (`playwright install` cannot download browsers here), so it is
always launched by path. Missing Chromium skips loudly on a laptop and fails under CI.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from tests.conftest import IN_CI
from webapp import create_app
from webapp.demo import seed
from webapp.extensions import db

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/browser drives Chromium: mark it so `-m "not browser"` works."""
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


def _chromium_path() -> str:
    path = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not path:
        message = (
            "!!! Chromium NOT FOUND: the browser tests did not run. "
            "Install the Debian package `chromium` (make chromium) !!!"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class LiveServer:
    """The app served over real HTTP on 127.0.0.1."""

    app: Flask
    url: str
    _server: BaseWSGIServer = field(repr=False)

    def __call__(self, path: str = "/") -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("browser")
    app = create_app(
        {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/browser.sqlite3"}
    )
    with app.app_context():
        db.create_all()
        seed()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}", _server=server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return _chromium_path()


@pytest.fixture(scope="session")
def playwright(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as instance:
        yield instance


@pytest.fixture(scope="session")
def browser(playwright: Any, chromium_path: str) -> Iterator[Any]:
    chromium = playwright.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield chromium
    finally:
        chromium.close()


@pytest.fixture
def new_context(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """Factory for extra contexts (another user, another viewport); all closed afterwards."""
    contexts: list[Any] = []

    def factory(viewport: dict[str, int] | None = None, **kwargs: Any) -> Any:
        kwargs.setdefault("locale", "zh-CN")
        kwargs.setdefault("timezone_id", "Asia/Shanghai")
        context = browser.new_context(
            viewport=viewport or TABLET, base_url=live_server.url, **kwargs
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield factory
    for context in contexts:
        context.close()


@pytest.fixture
def context(new_context: Any) -> Any:
    return new_context(TABLET)


@pytest.fixture
def page(context: Any) -> Any:
    """A tablet-sized page (1024×768) in a fresh context: no cookies, no service worker."""
    return context.new_page()


@dataclass(frozen=True)
class Demo:
    """Ids in the seeded demo data that the tests open."""

    sales1_card: int  # sales1's card with the longest timeline
    sales1_mobile: str  # its mobile
    sales3_card: int  # sales3's card with the longest timeline
    sales1_memo: int  # a memo of sales1's whose card has a contract (step ⑥)
    sales1_memo_card: int  # its card
    sales1_contract: int  # that contract


def _memo_with_contract(username: str) -> tuple[Any, Any]:
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.negotiation.contract_models import Contract, Memo, MemoVersion

    owner = db.session.scalar(sa.select(User.id).where(User.username == username))
    row = db.session.execute(
        sa.select(Memo, Contract)
        .join(MemoVersion, MemoVersion.memo_id == Memo.id)
        .join(Contract, Contract.memo_version_id == MemoVersion.id)
        .where(Memo.owner_id == owner)
        .order_by(Contract.id.desc())
        .limit(1)
    ).first()
    assert row is not None, f"no demo contract for {username}"
    return row[0], row[1]


def _busiest_card(username: str) -> int:
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.customers.models import CardEvent, CustomerCard

    owner = db.session.scalar(sa.select(User.id).where(User.username == username))
    card_id = db.session.scalar(
        sa.select(CardEvent.card_id)
        .join(CustomerCard, CustomerCard.id == CardEvent.card_id)
        .where(CustomerCard.owner_id == owner)
        .group_by(CardEvent.card_id)
        .order_by(sa.func.count().desc(), CardEvent.card_id)
        .limit(1)
    )
    assert card_id is not None, f"no demo card for {username}"
    return card_id


@pytest.fixture(scope="session")
def demo(live_server: LiveServer) -> Demo:
    with live_server.app.app_context():
        try:
            from webapp.customers.models import CustomerCard

            card = db.session.get(CustomerCard, _busiest_card("sales1"))
            assert card is not None
            memo, contract = _memo_with_contract("sales1")
            return Demo(
                sales1_card=card.id,
                sales1_mobile=card.mobile,
                sales3_card=_busiest_card("sales3"),
                sales1_memo=memo.id,
                sales1_memo_card=memo.card_id,
                sales1_contract=contract.id,
            )
        finally:
            db.session.remove()
