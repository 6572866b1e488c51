"""Versioned static URLs: `?v=<content hash>` so files can be cached for a year."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

import brotli
from flask import Flask, Response, current_app, has_request_context, request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"


@cache
def _digest(path: str, _mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


_VERSIONS: dict[str, str] = {}


def asset_version(filename: str) -> str:
    """The file's content hash; looked up once per process unless the app runs in debug mode."""
    if not current_app.debug and filename in _VERSIONS:
        return _VERSIONS[filename]
    path = Path(current_app.static_folder or "") / filename
    version = _digest(str(path), path.stat().st_mtime)
    _VERSIONS[filename] = version
    return version


_URLS: dict[tuple[str, str, str], str] = {}


def static_url(filename: str) -> str:
    """URL of a static file with its content hash; changes whenever the file changes.

    Remembered per (script root, file, version): a page links 7–10 files, and building each
    URL through Flask costs more than the rest of this function."""
    version = asset_version(filename)
    key = (request.script_root if has_request_context() else "", filename, version)
    url = _URLS.get(key)
    if url is None:
        url = _URLS[key] = url_for("static", filename=filename, v=version)
    return url


# The app shell the service worker precaches; also hashed into the worker's version.
SHELL_ASSETS = (
    "css/app.css",
    "vendor/htmx-2.0.11.min.js",
    "js/app.js",
    # The test-drive packet must open in the car without a network (see templates/pwa/sw.js).
    "vendor/idb-8.0.4.umd.js",
    "vendor/signature_pad-5.1.4.umd.min.js",
    "js/outbox.js",
    "js/packet.js",
    # The delivery forms 附表十四/十五 at the car, offline too.
    "js/delivery.js",
    "js/offline.js",
    "img/icon-192.png",
    "img/icon-512.png",
)


def shell_urls() -> list[str]:
    return [static_url(name) for name in SHELL_ASSETS]


# Static files change only with a deploy, and a browser fetches each version once: they are
# compressed once per process at brotli's best, while pages are compressed per request at the
# quick level of COMPRESS_BR_LEVEL (config.py). (path, ETag) → compressed bytes.
STATIC_BR_QUALITY = 11
_BROTLI: dict[tuple[str, str], bytes] = {}


def _static_brotli(response: Response) -> Response:
    """A static text file sent with brotli at STATIC_BR_QUALITY, from memory after the first
    time; Flask-Compress leaves a response that has its encoding already."""
    config = current_app.config
    if (
        request.endpoint != "static"
        or response.status_code != 200
        or not config["COMPRESS_REGISTER"]
        or response.mimetype not in config["COMPRESS_MIMETYPES"]
        or request.accept_encodings["br"] <= 0
    ):
        return response
    etag, _weak = response.get_etag()
    key = (request.path, etag or "")
    response.direct_passthrough = False
    body = _BROTLI.get(key)
    if body is None:
        body = _BROTLI[key] = brotli.compress(response.get_data(), quality=STATIC_BR_QUALITY)
    elif (close := getattr(response.response, "close", None)) is not None:
        response.call_on_close(close)  # the file send_file opened, unread
    response.set_data(body)
    response.headers["Content-Encoding"] = "br"
    response.vary.add("Accept-Encoding")
    if etag:
        response.set_etag(f"{etag}:br")
    return response.make_conditional(request)


def register(app: Flask) -> None:
    """Templates' static_url; the year-long cache of versioned files; their brotli. Register
    after Flask-Compress: after-request functions run last-registered first."""
    app.jinja_env.globals["static_url"] = static_url
    app.after_request(_static_brotli)

    @app.after_request
    def _long_cache(response: Response) -> Response:
        if request.endpoint == "static" and request.args.get("v") and response.status_code == 200:
            response.headers["Cache-Control"] = IMMUTABLE
        return response
