"""Privacy tests: the blob store in a temporary folder with a known key."""

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


def login(app, username):
    """A fresh client logged in as `username`."""
    client = app.test_client()
    assert client.login(username).status_code == 303
    return client


@pytest.fixture
def recorded(app, world):
    """A test drive with consent, a licence check with its photo and a signed agreement."""
    packet = s.make_packet(world.users["salesperson"], world.own_card)
    sales = login(app, "sales")
    photo, signature = s.jpeg(seed=11), s.png()
    assert s.put_blob(sales, photo).status_code == 201
    assert s.put_blob(sales, signature, purpose="signature", mime="image/png").status_code == 201
    results = s.push(
        sales,
        [
            s.consent(packet, 1),
            s.licence(packet, 2, s.sha(photo)),
            s.signature(packet, 3, s.sha(signature)),
        ],
    ).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3
    return {
        "licence": results[1]["result"]["licence_check_id"],
        "signature": results[2]["result"]["signed_document_id"],
        "consent": results[0]["result"]["consent_id"],
        "photo": s.sha(photo),
        "photo_bytes": photo,
        "sig": s.sha(signature),
        "sig_bytes": signature,
    }
