"""Headless Chromium reports 0 Content-Security-Policy violations on every main page,
including after htmx swaps (search results, form errors, the contact form)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import Demo
from tests.browser.support import CSP_PROBE, ConsoleWatch, csp_violations, login, search

pytestmark = pytest.mark.browser


def _visit(page: Any, path: str, seen: dict[str, Any]) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp, f"{path}: {csp!r}"
    page.wait_for_load_state("load")
    # Give the service worker registration and htmx start-up a moment to complain.
    page.evaluate("navigator.serviceWorker ? navigator.serviceWorker.ready.then(() => 1) : 1")
    seen[path] = csp_violations(page)


def _check(seen: dict[str, Any], watch: ConsoleWatch) -> None:
    bad = {path: found for path, found in seen.items() if found}
    assert bad == {}, f"CSP violations: {bad}"
    assert watch.csp_errors() == [], watch.csp_errors()
    assert watch.errors == [], f"console errors: {watch.errors}"
    # 422 is the answer to the refused forms above; nothing else may fail (no 404 icon etc.).
    assert watch.unexpected_failures(allowed=(422,)) == []


def test_no_csp_violation_for_the_salesperson(new_context: Any, demo: Demo) -> None:
    context = new_context()
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    seen: dict[str, Any] = {}

    _visit(page, "/login", seen)
    login(page, "sales1")
    for path in (
        "/my-day",
        "/customers/",
        "/customers/new",
        f"/customers/{demo.sales1_card}",
        "/customers/box",
        "/account/password",
        "/offline",
    ):
        _visit(page, path, seen)

    # htmx swaps: typing a search, a refused form, a refused contact.
    _visit(page, "/customers/", seen)
    search(page, "138")
    page.locator("#q").fill("")
    search(page, demo.sales1_mobile[:5])
    page.locator(f"#customer-results a[href='/customers/{demo.sales1_card}']").wait_for()
    page.goto("/customers/new")
    page.click("#card-form button[type=submit]")
    page.locator("#f-name-error").wait_for()
    page.goto(f"/customers/{demo.sales1_card}")
    page.click("#timeline button[type=submit]")
    page.locator("#f-kind-error").wait_for()
    seen["htmx swaps"] = csp_violations(page)
    _check(seen, watch)


def test_no_csp_violation_for_the_manager(new_context: Any) -> None:
    context = new_context()
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    seen: dict[str, Any] = {}
    login(page, "manager")
    _visit(page, "/store-today", seen)
    # The lines by salesperson arrive after the page (htmx, on load): wait for them.
    page.locator("#store-lines table tbody tr").first.wait_for()
    assert page.locator("table.table tbody tr").count() >= 3
    _check(seen, watch)


def test_the_probe_sees_a_violation(page: Any, live_server: Any) -> None:
    """The listener works: an inline style, which the CSP forbids, is reported."""
    page.context.add_init_script(CSP_PROBE)
    page.goto("/offline")
    page.evaluate(
        "() => { const s = document.createElement('style');"
        " s.textContent = 'body{color:red}'; document.head.appendChild(s); }"
    )
    page.wait_for_function("() => window.__cspViolations.length > 0")
    assert csp_violations(page)[0]["directive"].startswith("style-src")
