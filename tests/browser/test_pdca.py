"""附表一 in the browser: the manager's month review at tablet size, and a salesperson setting
next month's targets on a phone (a target below zero refused next to its field). The
screenshots go to tests/artifacts/ and /tmp/shots/ (pdca-*)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, horizontal_overflow, login, shot, small_targets
from webapp.timeutil import add_months, local_today

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 (where people look at the screenshots)


def keep(page, name: str) -> None:
    path = shot(page, f"pdca-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_the_manager_reviews_the_month_at_tablet_size(live_server, new_context):
    page = new_context(viewport=TABLET).new_page()
    violations = csp_violations(page)
    login(page, "manager")
    page.goto("/pdca/plan")
    rows = page.locator("#plan-sheet tbody tr")
    rows.first.wait_for()
    assert rows.count() == 3  # sales1-3 of the demo store
    assert "全店合计" in page.locator("#plan-sheet tfoot").inner_text()
    assert page.locator("#store-plan-form").count() == 1
    keep(page, "manager-month")
    assert horizontal_overflow(page) == 0  # the wide table scrolls inside its frame
    assert [t for t in small_targets(page) if "btn" in t["cls"]] == []
    # Last month, picked in place: the figures are the records', the plan's comment shows.
    page.locator("a[aria-label='上个月']").click()
    page.locator("#plan-sheet tfoot").get_by_text("试乘试驾率偏低").wait_for()
    keep(page, "manager-last-month")
    # One salesperson's line opens their targets' form.
    page.locator("#plan-sheet a.cr-person").first.click()
    page.locator("#targets-form").wait_for()
    assert violations == []


def test_a_salesperson_sets_next_months_targets_on_a_phone(live_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    violations = csp_violations(page)
    login(page, "sales3")
    page.goto("/pdca/plan")
    page.locator("#plan-sheet").wait_for()
    following = f"{add_months(local_today().replace(day=1), 1):%Y-%m}"
    page.locator("a[aria-label='下个月']").click()
    # This month's form is on the page already: wait for next month's to replace it.
    page.locator(f"#targets-form input[name=month][value='{following}']").wait_for(state="attached")
    form = page.locator("#targets-form")
    for name, value in (
        ("visits", "-3"),
        ("a_cards", "20"),
        ("test_drives", "12"),
        ("orders", "6"),
        ("deliveries", "5"),
    ):
        form.locator(f"input[name={name}]").fill(value)
    form.locator("button[type=submit]").click()
    error = page.locator("#targets-form .field-error")
    error.first.wait_for()
    assert "0 到 9999" in error.first.inner_text()
    keep(page, "sales-targets-error")
    page.locator("#targets-form input[name=visits]").fill("36")
    page.locator("#targets-form button[type=submit]").click()
    page.get_by_text("目标已保存。").wait_for()
    assert "36" in page.locator("#plan-sheet tbody").inner_text()
    keep(page, "sales-targets-saved")
    assert horizontal_overflow(page) == 0
    assert violations == []
