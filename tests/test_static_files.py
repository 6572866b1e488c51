"""Static files: versioned URLs cached for a year, and sent with brotli at its best level,
compressed once per process, while pages use the quick level of every request."""

from __future__ import annotations

from pathlib import Path

import brotli
import pytest

from webapp import assets


@pytest.fixture
def css_url(app) -> str:
    with app.test_request_context():
        return assets.static_url("css/app.css")


def test_a_static_file_comes_with_brotli_at_its_best_and_is_cached_for_a_year(app, client, css_url):
    raw = (Path(app.static_folder) / "css/app.css").read_bytes()
    answer = client.get(css_url, headers={"Accept-Encoding": "br, gzip"})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert answer.headers["Cache-Control"] == assets.IMMUTABLE
    assert brotli.decompress(answer.data) == raw
    assert answer.data == brotli.compress(raw, quality=assets.STATIC_BR_QUALITY)
    # compressed once: the second answer is the same bytes, from memory
    again = client.get(css_url, headers={"Accept-Encoding": "br"})
    assert again.data == answer.data


def test_a_static_file_revalidates_with_its_brotli_etag(client, css_url):
    first = client.get(css_url, headers={"Accept-Encoding": "br"})
    assert first.headers["ETag"].endswith(':br"')
    again = client.get(
        css_url, headers={"Accept-Encoding": "br", "If-None-Match": first.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""


def test_a_client_without_brotli_gets_the_file_as_it_is(app, client, css_url):
    raw = (Path(app.static_folder) / "css/app.css").read_bytes()
    answer = client.get(css_url, headers={"Accept-Encoding": "identity"})
    assert answer.headers.get("Content-Encoding") is None
    assert answer.data == raw
