"""Fixtures of the push tests: VAPID keys in a temporary folder, a local push service, and a
scripted DNS (no push test asks the real one)."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.push.support import FakeDns, Receiver
from webapp.push.keys import init_keys


@pytest.fixture
def vapid(app, tmp_path) -> str:
    """The app with its VAPID key made by `init_keys` in tmp_path; returns the public key."""
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid_private.pem")
    app.config["VAPID_SUBJECT"] = "mailto:push-test@showroom.example"
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = True
    app.extensions.pop("push_vapid", None)
    public, created = init_keys()
    assert created
    return public


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDns:
    """Names resolve only as the test scripts them (`dns.answer(name, [addresses], …)`)."""
    fake = FakeDns(real=socket.getaddrinfo)
    monkeypatch.setattr(socket, "getaddrinfo", fake)
    return fake
