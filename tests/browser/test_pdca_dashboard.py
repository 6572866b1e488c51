"""The dashboards in the browser: the manager opens the funnel at tablet size, picks last
month in place, opens one salesperson's figures and plan against actual; a salesperson reads
the time in the showroom on a phone. The screenshots go to tests/artifacts/ and /tmp/shots/
(dashboard-*)."""

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
    path = shot(page, f"dashboard-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def test_the_manager_opens_the_funnel_and_plan_against_actual_at_tablet_size(
    live_server, new_context
):
    page = new_context(viewport=TABLET).new_page()
    violations = csp_violations(page)
    login(page, "manager")
    page.goto("/pdca/dashboard")
    bars = page.locator(".hbar-row")
    bars.first.wait_for()
    assert bars.count() == 5
    assert page.locator(".dash-table tbody tr").count() == 5
    assert page.locator(".dash-tab.active").inner_text() == "销售漏斗"
    keep(page, "manager-funnel")
    assert horizontal_overflow(page) == 0
    assert [t for t in small_targets(page) if "btn" in t["cls"] or "dash-tab" in t["cls"]] == []
    # Last month, picked in place: the demo's history is there.
    last = f"{add_months(local_today().replace(day=1), -1):%Y-%m}"
    page.locator("#f-dash-month").fill(last)
    page.locator("#f-dash-month").dispatch_event("change")
    page.wait_for_url(f"**month={last}**")
    visits = page.locator(".dash-table tbody tr").first.locator("td").first
    assert int(visits.inner_text()) > 0
    # One salesperson's funnel, then plan against actual keeps the filters.
    page.locator("#f-dash-owner").select_option(label="王晓明")
    page.wait_for_url("**owner=*")
    page.locator(".dash-tab", has_text="逐月计划与实绩").click()
    page.locator("svg.chart-svg rect.chart-actual").first.wait_for()
    assert f"month={last}" in page.url and "owner=" in page.url
    assert page.locator(".chart-legend").inner_text().split() == ["目标", "实绩"]
    keep(page, "manager-plan-by-month")
    assert violations == []


def test_a_salesperson_reads_the_time_in_the_showroom_on_a_phone(live_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    violations = csp_violations(page)
    login(page, "sales1")
    page.goto("/pdca/dashboard/showroom")
    page.locator(".hbar-row").first.wait_for()
    # Their own figures first; the store's total is the other choice, never a colleague.
    options = page.locator("#f-dash-owner option").all_inner_texts()
    assert options[0] == "全店合计" and len(options) == 2
    keep(page, "sales-showroom-phone")
    assert horizontal_overflow(page) == 0
    assert violations == []
