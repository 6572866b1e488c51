"""Login throttling by account and by address, and the client address behind a reverse proxy."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from limits import parse

from tests.conftest import PASSWORD, CsrfClient, base_config
from webapp import create_app
from webapp.extensions import db

PEER = "192.0.2.10"  # the address the app sees on the socket
PROXY = "10.0.0.2"  # a reverse proxy on the LAN


def attempt(
    client: CsrfClient,
    username: str,
    password: str = PASSWORD,
    *,
    peer: str = PEER,
    forwarded: str | None = None,
) -> Any:
    """POST the login form from `peer`, with an X-Forwarded-For header when given."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return client.post(
        "/login",
        data={"username": username, "password": password},
        headers=headers,
        environ_base={"REMOTE_ADDR": peer},
    )


def limit_of(app: Flask, setting: str) -> int:
    return parse(app.config[setting]).amount


def comparable(response: Any) -> str:
    """The page with its CSRF token (signed with a timestamp) and whitespace evened out."""
    body = re.sub(r'(value="|X-CSRFToken": ")[\w.-]+', r"\1TOKEN", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", body)


@pytest.fixture
def proxied(app: Flask, world: Any) -> Iterator[Flask]:
    """The app on the same database, configured behind one reverse proxy (PROXY_HOPS=1)."""
    behind = create_app({**base_config(app.config["SQLALCHEMY_DATABASE_URI"]), "PROXY_HOPS": 1})
    behind.test_client_class = CsrfClient
    yield behind
    with behind.app_context():
        db.session.remove()
        db.engine.dispose()


def test_made_up_usernames_from_one_address_never_refuse_a_real_users_right_password(
    app, client, world
):
    limit = limit_of(app, "LOGIN_LIMIT_UNKNOWN")
    statuses = [attempt(client, f"ghost{n}", "guess").status_code for n in range(limit + 1)]
    assert statuses == [401] * limit + [429]  # wrong guesses from the address are refused
    assert attempt(app.test_client(), "sales").status_code == 303
    assert attempt(app.test_client(), "colleague").status_code == 303


def test_wrong_passwords_beyond_the_address_limit_are_refused_but_the_right_one_passes(
    app, client, world
):
    app.config["LOGIN_LIMIT_ADDRESS"] = "3 per 15 minutes"
    for username in ("sales", "colleague", "manager"):  # each far below its own limit
        assert attempt(client, username, "typo").status_code == 401
    assert attempt(client, "greeter", "typo").status_code == 429
    assert attempt(app.test_client(), "greeter").status_code == 303


def test_an_account_over_its_limit_is_refused_the_right_password_while_a_colleague_logs_in(
    app, client, world
):
    for _ in range(limit_of(app, "LOGIN_LIMIT_ACCOUNT")):
        assert attempt(client, "sales", "guess").status_code == 401
    assert attempt(app.test_client(), "sales").status_code == 429
    assert attempt(app.test_client(), "colleague").status_code == 303


def test_guesses_refused_by_the_address_limit_still_count_against_the_account(app, client, world):
    app.config["LOGIN_LIMIT_UNKNOWN"] = "2 per 15 minutes"
    assert [attempt(client, f"ghost{n}", "guess").status_code for n in range(3)] == [401, 401, 429]
    for _ in range(limit_of(app, "LOGIN_LIMIT_ACCOUNT")):
        assert attempt(client, "sales", "guess").status_code == 429
    assert attempt(app.test_client(), "sales").status_code == 429
    assert attempt(app.test_client(), "colleague").status_code == 303


def test_made_up_and_real_usernames_cost_the_same_password_hashing(app, client, world, monkeypatch):
    verified: list[str] = []
    original = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str, password: str) -> bool:
        verified.append(password)
        return original(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    attempt(client, "sales", "guess-one")
    attempt(client, "no-such-person", "guess-two")
    assert verified == ["guess-one", "guess-two"]


def test_behind_one_proxy_each_forwarded_client_is_limited_separately(proxied, world):
    proxied.config["LOGIN_LIMIT_UNKNOWN"] = "2 per 15 minutes"
    first, second = proxied.test_client(), proxied.test_client()
    statuses = [
        attempt(first, f"ghost{n}", "guess", peer=PROXY, forwarded="198.51.100.7").status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]
    other = attempt(second, "ghost", "guess", peer=PROXY, forwarded="198.51.100.8")
    assert other.status_code == 401


def test_behind_one_proxy_a_forged_first_forwarded_entry_is_ignored(proxied, world):
    proxied.config["LOGIN_LIMIT_UNKNOWN"] = "2 per 15 minutes"
    client = proxied.test_client()
    for n in range(2):
        attempt(client, f"ghost{n}", "guess", peer=PROXY, forwarded="198.51.100.7")
    # The proxy appends the address it saw; what the client sent stays on the left.
    forged = attempt(client, "ghost", "guess", peer=PROXY, forwarded="198.51.100.8, 198.51.100.7")
    assert forged.status_code == 429
    honest = attempt(client, "ghost", "guess", peer=PROXY, forwarded="198.51.100.7, 198.51.100.8")
    assert honest.status_code == 401


def test_without_a_proxy_a_forged_forwarded_for_changes_nothing(app, client, world):
    assert app.config["PROXY_HOPS"] == 0
    app.config["LOGIN_LIMIT_UNKNOWN"] = "2 per 15 minutes"
    statuses = [
        attempt(client, f"ghost{n}", "guess", forwarded=f"203.0.113.{n}").status_code
        for n in range(3)
    ]
    assert statuses == [401, 401, 429]
    # The count belongs to the socket's address: another peer is not refused.
    assert attempt(client, "ghost", "guess", peer="192.0.2.11").status_code == 401


def test_the_429_page_is_the_same_for_existing_and_made_up_accounts(app, client, world):
    app.config["LOGIN_LIMIT_UNKNOWN"] = "1 per 15 minutes"
    attempt(client, "ghost0", "guess")
    by_address = [attempt(client, name, "guess") for name in ("sales", "ghost-account")]
    other_peer = "192.0.2.11"
    for _ in range(limit_of(app, "LOGIN_LIMIT_ACCOUNT")):
        attempt(client, "colleague", "guess", peer=other_peer)
    by_account = attempt(app.test_client(), "colleague", peer=other_peer)
    pages = {comparable(r) for r in [*by_address, by_account]}
    assert [r.status_code for r in [*by_address, by_account]] == [429, 429, 429]
    assert len(pages) == 1


def test_a_negative_proxy_hop_count_is_refused(database_url):
    with pytest.raises(RuntimeError):
        create_app({**base_config(database_url), "PROXY_HOPS": -1})
