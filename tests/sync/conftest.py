"""Sync tests: the blob store in a temporary folder with a known key."""

from __future__ import annotations

import pytest

from tests.sync import support as s
from tests.sync.support import TEST_BLOB_KEY


@pytest.fixture(autouse=True)
def blob_store(request, tmp_path):
    """Point BLOB_DIR at a temporary folder for tests that use the app."""
    if "app" not in request.fixturenames:
        yield None
        return
    app = request.getfixturevalue("app")
    app.config["BLOB_DIR"] = str(tmp_path / "blobs")
    app.config["BLOB_KEY"] = TEST_BLOB_KEY
    yield tmp_path / "blobs"


@pytest.fixture
def packet(world):
    """Today's test drive of the salesperson's own customer."""
    return s.make_packet(world.users["salesperson"], world.own_card)


@pytest.fixture
def sales(app, world):
    """A client logged in as the salesperson."""
    client = app.test_client()
    client.login("sales")
    return client
