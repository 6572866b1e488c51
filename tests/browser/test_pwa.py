"""The app as a progressive web app: installable, an offline page, the "update ready" prompt."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, TABLET, LiveServer
from tests.browser.support import login, shot

pytestmark = pytest.mark.browser

CONTROLLED = "() => navigator.serviceWorker.ready.then(() => !!navigator.serviceWorker.controller)"
SHELL_CACHES = "() => caches.keys().then(keys => keys.filter(k => k.startsWith('shell-')).sort())"


def _wait_until_controlled(page: Any) -> None:
    """The worker is active and controls this page (it claims clients on activation)."""
    page.wait_for_function(CONTROLLED)


def _worker_version(page: Any) -> str:
    text = page.evaluate("() => fetch('/sw.js', {cache: 'no-store'}).then(r => r.text())")
    match = re.search(r'const VERSION = "([0-9a-f]+)"', text)
    assert match, text[:200]
    return match.group(1)


def test_chromium_considers_the_app_installable(
    playwright: Any, chromium_path: str, live_server: LiveServer, tmp_path: Path
) -> None:
    # A throw-away profile on disk: in an incognito-like context Chromium always answers
    # "in-incognito", so installability can only be judged in a persistent one.
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path / "profile"),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=live_server.url,
        viewport=TABLET,
    )
    try:
        page = context.pages[0] if context.pages else context.new_page()
        page.goto("/login")
        _wait_until_controlled(page)
        page.reload()
        assert page.evaluate("() => !!navigator.serviceWorker.controller")
        cdp = context.new_cdp_session(page)
        manifest = cdp.send("Page.getAppManifest")
        assert manifest["url"].endswith("/manifest.webmanifest")
        assert manifest.get("errors") == []
        described = json.loads(manifest["data"])
        assert (described["id"], described["display"], described["lang"]) == (
            "/",
            "standalone",
            "zh-Hans",
        )
        assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []
    finally:
        context.close()


def test_offline_page_when_the_network_is_gone(page: Any, live_server: LiveServer) -> None:
    login(page, "greeter")
    _wait_until_controlled(page)
    # The offline page and the versioned shell are precached at install.
    cached = page.evaluate(
        "() => caches.keys().then(ks => Promise.all(ks.map(k => caches.open(k)"
        ".then(c => c.keys())))).then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )
    assert "/offline" in cached and "/static/css/app.css" in cached

    page.context.set_offline(True)
    try:
        page.goto("/customers/?q=139")  # never visited: only the worker can answer
        expect(page.locator("h1")).to_contain_text("网络不可用")
        expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
        # Styled from the cache, not a bare page: the stylesheet applied.
        assert page.evaluate(
            "() => getComputedStyle(document.querySelector('.panel')).borderRadius"
        )
        shot(page, "pwa-offline")
    finally:
        page.context.set_offline(False)
    with page.expect_navigation():
        page.click("a.btn-primary")  # 重试 · Retry
    assert page.url.endswith("/arrivals")


def test_update_ready_prompt_installs_the_new_worker(page: Any, live_server: LiveServer) -> None:
    navigations: list[str] = []
    page.on("framenavigated", lambda f: navigations.append(f.url) if f == page.main_frame else 0)
    page.goto("/login")
    _wait_until_controlled(page)
    # The very first worker claims the page without reloading it under the user's fingers.
    assert navigations == [live_server("/login")]
    login(page, "greeter")
    _wait_until_controlled(page)
    old = _worker_version(page)
    assert page.evaluate(SHELL_CACHES) == [f"shell-{old}"]
    banner = page.locator("#update-banner")
    expect(banner).to_be_hidden()

    live_server.app.config["SW_VERSION_SALT"] = f"update-test-{uuid.uuid4()}"
    try:
        new = _worker_version(page)
        assert new != old
        page.evaluate("() => navigator.serviceWorker.getRegistration().then(r => r.update())")
        expect(banner).to_be_visible()
        assert page.evaluate(
            "() => navigator.serviceWorker.getRegistration().then(r => !!r.waiting)"
        )
        shot(page, "pwa-update-ready")

        # Boosted navigation swaps <body>: the prompt comes back while the worker waits.
        page.click("nav.tabs a.tab[href='/customers/']")
        page.wait_for_url(re.compile(r"/customers/$"))
        expect(banner).to_be_visible()

        with page.expect_navigation():
            page.click("#update-reload")
        _wait_until_controlled(page)
        expect(banner).to_be_hidden()
        assert page.url.endswith("/customers/")
        assert page.evaluate(
            "() => navigator.serviceWorker.getRegistration()"
            ".then(r => !r.waiting && !r.installing && r.active.state === 'activated')"
        )
        # The new worker took over: its cache is the only shell cache left.
        page.wait_for_function(
            "(name) => caches.keys().then(ks => ks.filter(k => k.startsWith('shell-')))"
            ".then(ks => ks.length === 1 && ks[0] === name)",
            arg=f"shell-{new}",
        )
    finally:
        live_server.app.config.pop("SW_VERSION_SALT", None)
