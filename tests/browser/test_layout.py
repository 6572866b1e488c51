"""The main pages at tablet (1024×768) and phone (390×844) size: a screenshot of each into
tests/artifacts/, every visible tap target at least 44×44 CSS px, and no sideways scrolling
of the whole page, and status labels and badges at 4.5:1 contrast."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, Demo
from tests.browser.support import (
    back_to_chinese,
    horizontal_overflow,
    login,
    low_contrast,
    search,
    shot,
    small_targets,
)

pytestmark = pytest.mark.browser


class Survey:
    """Visits pages, photographs them and notes every layout problem found."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.problems: dict[str, list[Any]] = {}

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state("load")
        shot(page, f"page-{name}")
        found: list[Any] = []
        overflow = horizontal_overflow(page)
        if overflow > 0:
            found.append(f"page scrolls sideways by {overflow}px")
        found += small_targets(page)
        found += [f"low contrast {c}" for c in low_contrast(page)]
        if found:
            self.problems[name] = found

    def visit(self, name: str, path: str, then: Callable[[Any], None] | None = None) -> None:
        response = self.page.goto(path)
        assert response is not None and response.ok, f"{path}: {response and response.status}"
        if then:
            then(self.page)
        self.check(name)


def _search(page: Any, text: str) -> None:
    search(page, text)
    page.locator("#customer-results .card-row").first.wait_for()


def _submit_empty_card_form(page: Any) -> None:
    page.click("#card-form button[type=submit]")
    page.locator("#f-mobile-error").wait_for()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_main_pages_fit_and_are_easy_to_tap(
    new_context: Any, demo: Demo, viewport: dict[str, int]
) -> None:
    sales = Survey(new_context(viewport).new_page())
    sales.visit("login", "/login")
    login(sales.page, "sales1")
    sales.check("my-day")
    sales.visit("search-results", "/customers/", lambda p: _search(p, demo.sales1_mobile[:3]))
    sales.visit("new-card", "/customers/new")
    sales.visit("new-card-errors", "/customers/new", _submit_empty_card_form)
    sales.visit("card", f"/customers/{demo.sales1_card}")
    assert sales.page.locator("#timeline .event").count() >= 2
    sales.visit("card-box", "/customers/box")
    sales.visit("password", "/account/password")
    sales.visit("offline", "/offline")
    sales.visit("memo-form", f"/negotiation/cards/{demo.sales1_memo_card}/memo")
    sales.visit("memo", f"/negotiation/memos/{demo.sales1_memo}")
    sales.visit("contracts", "/negotiation/contracts")
    sales.visit("contract", f"/negotiation/contracts/{demo.sales1_contract}")

    manager = Survey(new_context(viewport).new_page())
    login(manager.page, "manager")
    manager.visit("store-today", "/store-today")
    manager.visit("roster", "/reception/roster")
    manager.visit("bookings", "/testdrive/bookings")
    manager.visit("approvals", "/negotiation/approvals")
    manager.visit("manager-contract", f"/negotiation/contracts/{demo.sales1_contract}")
    manager.visit("lost-sales", "/negotiation/lost")
    manager.visit("tact", "/negotiation/contracts/tact")

    finance = Survey(new_context(viewport).new_page())
    login(finance.page, "finance")
    finance.check("payments")
    finance.visit("finance-contract", f"/negotiation/contracts/{demo.sales1_contract}")

    greeter = Survey(new_context(viewport).new_page())
    login(greeter.page, "greeter")
    greeter.visit("arrivals", "/arrivals")
    greeter.visit("register", "/reception/register")

    keeper = Survey(new_context(viewport).new_page())
    login(keeper.page, "keeper")
    keeper.visit("test-drive-cars", "/testdrive/cars")
    keeper.visit("display-cars", "/consult/display-cars")

    admin = Survey(new_context(viewport).new_page())
    login(admin.page, "admin")
    admin.visit("admin-users", "/admin/users")
    admin.visit("admin-new-user", "/admin/users/new")
    admin.visit("admin-stores", "/admin/stores")
    admin.visit("admin-edit-store", "/admin/stores/1/edit")
    admin.visit("catalogue", "/catalog/")
    admin.visit("catalogue-model", "/catalog/1")
    admin.visit("sales-terms", "/negotiation/terms")

    # English, as another salesperson (the language is saved on the user).
    english = Survey(new_context(viewport).new_page())
    login(english.page, "sales3")
    english.page.goto(f"/customers/{demo.sales3_card}")
    english.page.click(".lang-form button[value=en]")
    try:
        expect(english.page.locator("html")).to_have_attribute("lang", "en")
        english.check("card-english")
        english.visit("my-day-english", "/my-day")
        english.visit("new-card-errors-english", "/customers/new", _submit_empty_card_form)
    finally:
        back_to_chinese(english.page)

    problems = {
        **sales.problems,
        **manager.problems,
        **greeter.problems,
        **keeper.problems,
        **finance.problems,
        **admin.problems,
        **english.problems,
    }
    assert problems == {}, "\n".join(
        f"{name} @ {viewport['width']}x{viewport['height']}: {found}"
        for name, found in problems.items()
    )


def test_the_probes_catch_small_targets_and_sideways_scrolling(new_context: Any) -> None:
    """The measuring code itself: a 30px button and a too-wide block are reported."""
    page = new_context(PHONE).new_page()
    page.goto("/offline")
    assert small_targets(page) == [] and horizontal_overflow(page) == 0
    page.evaluate(
        """() => {
          const b = document.createElement('button');
          b.textContent = 'x'; b.style.width = '30px'; b.style.height = '30px';
          b.style.minHeight = '0'; b.style.padding = '0';
          document.querySelector('main').appendChild(b);
          const inline = document.createElement('p');
          inline.innerHTML = 'Text with <a href="/">an inline link</a> inside.';
          document.querySelector('main').appendChild(inline);
        }"""
    )
    (small,) = small_targets(page)
    assert (small["tag"], small["width"], small["height"]) == ("button", 30, 30)
    page.evaluate(
        "() => { const d = document.createElement('div'); d.style.width = '800px';"
        " d.style.height = '10px'; document.body.appendChild(d); }"
    )
    assert horizontal_overflow(page) > 0


def test_the_contrast_probe_reports_a_pale_status_label(new_context: Any) -> None:
    page = new_context(PHONE).new_page()
    page.goto("/offline")
    page.evaluate(
        """() => {
          const b = document.createElement('span');
          b.className = 'badge'; b.textContent = '已同步';
          b.style.color = '#2a9d4b'; b.style.background = '#e6f4ea';
          document.querySelector('main').appendChild(b);
        }"""
    )
    (pale,) = low_contrast(page)
    assert pale["text"] == "已同步" and pale["ratio"] < 4.5
