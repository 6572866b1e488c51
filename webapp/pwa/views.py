"""The web app manifest, the service worker (served from the root for scope /) and offline page.

These are the app shell: they must load while the database is down, so nothing here reads
the user (loading it reads, and now and then writes, the server-side session row).
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, Response, current_app, render_template, url_for
from flask_babel import gettext as _

from webapp.assets import shell_urls, static_url
from webapp.auth.loader import serve_without_user
from webapp.i18n import html_lang
from webapp.sync import registry

bp = Blueprint("pwa", __name__)


@bp.before_request
def _without_database() -> None:
    """Serve the shell as for a visitor: the language comes from the session."""
    serve_without_user()


@bp.get("/manifest.webmanifest")
def manifest() -> Response:
    """Installable app description; names follow the session's language (which the user
    loader keeps equal to the signed-in user's saved one)."""
    body = {
        # A stable identity, so a changed start_url never makes it "another app".
        "id": "/",
        "name": _("FTMS Showroom"),
        "short_name": _("Showroom"),
        "start_url": url_for("home.index"),
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#f4f5f7",
        "theme_color": "#c8102e",
        "lang": html_lang(),
        "dir": "ltr",
        "icons": [
            {"src": static_url("img/icon-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static_url("img/icon-512.png"), "sizes": "512x512", "type": "image/png"},
            {
                "src": static_url("img/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/sw.js")
def service_worker() -> Response:
    """The worker script. Its text changes with every shell asset, so browsers see updates.

    `SW_VERSION_SALT` (config, empty by default) also enters the version: a deployment can
    force a new worker without changing a file, and the browser tests use it for the
    "update ready" prompt.
    """
    shell = [url_for("pwa.offline"), *shell_urls()]
    salt = str(current_app.config.get("SW_VERSION_SALT", ""))
    # The pages the areas keep for offline use (the test-drive packet and its map).
    paths = registry.offline_paths()
    version = hashlib.sha256("\n".join([salt, *shell, *paths]).encode()).hexdigest()[:12]
    body = render_template(
        "pwa/sw.js", version=version, shell=json.dumps(shell), offline_paths=json.dumps(paths)
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    return response


@bp.get("/offline")
def offline() -> str:
    """Shown by the service worker when a page is needed and the network is not there."""
    return render_template("pwa/offline.html")
