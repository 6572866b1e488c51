"""Reception at tablet and phone size in headless Chromium: the greeter registers an arrival
through the outbox, the manager's "store today"; screenshots, CSP, 44 px targets."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, horizontal_overflow, login, shot, small_targets

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seeded(live_server):
    """The reception demo (roster, today's visits) on top of the browser suite's demo data."""
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.reception.demo import seed_demo

    with live_server.app.app_context():
        users = {u.username: u for u in db.session.scalars(sa.select(User))}
        seed_demo(users["sales1"].store, users)
        db.session.commit()
        db.session.remove()
    return live_server


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_greeter_registers_an_arrival_through_the_outbox(seeded, new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    login(page, "greeter")
    page.goto("/arrivals")
    page.locator("#proposal").wait_for()
    shot(page, "reception-arrivals")
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
    page.locator("label.seg:has(input[name=people][value='3'])").click()
    page.locator("label.seg:has(input[name=title][value='ms'])").click()
    page.fill("#f-name", "浏览器")
    # Everyone may be busy after the other viewport's arrival: choose, with a reason.
    zhang = page.locator("#f-salesperson_id option[value]:not([value=''])", has_text="张伟")
    zhang = zhang.first.get_attribute("value")
    page.select_option("#f-salesperson_id", value=zhang)
    page.fill("#f-override_reason", "顾客指定")
    page.locator(".arrival-submit").click()
    page.locator("#arrival-state:not([hidden])").wait_for(timeout=8000)
    state = page.locator("#arrival-state.is-synced")
    state.wait_for(timeout=8000)
    page.locator("#arrivals").get_by_text("浏览器").first.wait_for()
    shot(page, "reception-arrival-registered")
    assert csp_violations(page) == []


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_store_today_at_tablet_and_phone_size(seeded, new_context, viewport):
    page = new_context(viewport=viewport).new_page()
    login(page, "manager")
    page.goto("/store-today")
    page.locator("#store-live").wait_for()
    shot(page, "reception-store-today")
    assert csp_violations(page) == []
    assert small_targets(page) == []
