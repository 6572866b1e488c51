"""附表三 and 卡片箱检查 in the browser: the manager opens the Hot table and a salesperson's
cards at tablet size; a salesperson ticks cards in the audit at tablet size (an over-long
finding refused next to its field, the progress redrawn); both pages on a phone. The
screenshots go to tests/artifacts/ and /tmp/shots/ (pdca-hot-*, pdca-audit-*)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, horizontal_overflow, login, shot, small_targets

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 (where people look at the screenshots)


def keep(page, name: str) -> None:
    path = shot(page, f"pdca-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def buttons_too_small(page) -> list[dict]:
    return [t for t in small_targets(page) if "btn" in t["cls"] or "hot-count" in t["cls"]]


def test_the_manager_opens_the_hot_table_at_tablet_size(live_server, new_context):
    page = new_context(viewport=TABLET).new_page()
    violations = csp_violations(page)
    login(page, "manager")
    page.goto("/pdca/hot")
    rows = page.locator("#hot-sheet .hot-table tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3  # sales1-3 of the demo store
    assert "全店合计" in page.locator("#hot-sheet .hot-table tfoot").inner_text()
    keep(page, "hot-manager")
    assert horizontal_overflow(page) == 0
    assert buttons_too_small(page) == []
    # A salesperson's H cards open in place, below the table.
    page.locator("#hot-sheet .hot-table tbody tr").first.locator("a.hot-count").first.click()
    page.locator("#hot-cards h2").wait_for()
    assert "H级卡片" in page.locator("#hot-cards h2").inner_text()
    keep(page, "hot-manager-cards")
    # Last month, picked in place: counts as of its end.
    page.locator("a[aria-label='上个月']").click()
    page.get_by_text("截至月末").wait_for()
    keep(page, "hot-manager-last-month")
    assert violations == []


def test_a_salesperson_ticks_cards_in_the_audit_at_tablet_size(live_server, new_context):
    page = new_context(viewport=TABLET).new_page()
    violations = csp_violations(page)
    login(page, "sales3")
    page.goto("/pdca/audit")
    page.locator("#audit-sheet").wait_for()
    unchecked = page.locator(".audit-card:not(.is-checked)")
    unchecked.first.wait_for()
    first = unchecked.first
    card_id = first.get_attribute("id")
    before = page.locator("#audit-progress tbody td").nth(1).inner_text()
    # An over-long finding: the message stands next to the field, nothing is ticked.
    first.locator("input[name=finding]").fill("字" * 201)
    first.locator("button[type=submit]").click()
    error = page.locator(f"#{card_id} .field-error")
    error.wait_for()
    assert "200" in error.inner_text()
    keep(page, "audit-sales-error")
    # A short finding ticks the card; the progress is redrawn.
    page.locator(f"#{card_id} input[name=finding]").fill("信息不全")
    page.locator(f"#{card_id} button[type=submit]").click()
    page.locator(f"#{card_id}.is-checked").wait_for()
    assert "信息不全" in page.locator(f"#{card_id}").inner_text()
    page.wait_for_function(
        "before => document.querySelector('#audit-progress tbody td:nth-child(3)')"
        ".innerText !== before",
        arg=before,
    )
    keep(page, "audit-sales-ticked")
    assert horizontal_overflow(page) == 0
    assert buttons_too_small(page) == []
    assert violations == []


@pytest.mark.parametrize(("user", "path"), [("manager", "/pdca/hot"), ("sales1", "/pdca/audit")])
def test_both_pages_on_a_phone(live_server, new_context, user, path):
    page = new_context(viewport=PHONE).new_page()
    violations = csp_violations(page)
    login(page, user)
    page.goto(path)
    page.locator("#hot-sheet, #audit-sheet").first.wait_for()
    keep(page, f"{path.rsplit('/', 1)[-1]}-{user}-phone")
    assert horizontal_overflow(page) == 0
    assert buttons_too_small(page) == []
    assert violations == []
