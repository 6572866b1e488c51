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


def choose_salesperson(page, name: str) -> None:
    """Give the arrival to `name`: from the select (with a reason, as an override) while
    someone is proposed, from the "who is free first" list when everyone is busy."""
    select = page.locator("#f-salesperson_id")
    if select.count():
        option = page.locator("#f-salesperson_id option[value]:not([value=''])", has_text=name)
        page.select_option("#f-salesperson_id", value=option.first.get_attribute("value"))
        page.fill("#f-override_reason", "顾客指定")
    else:
        page.locator("#proposal label.choice", has_text=name).click()


def _visits(server) -> int:
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.reception.models import Visit

    with server.app.app_context():
        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(Visit))
        finally:
            db.session.remove()


def _everyone_busy(server) -> None:
    """Walk-ins until nobody on duty is free."""
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.reception import services

    with server.app.app_context():
        try:
            greeter = db.session.scalar(sa.select(User).where(User.username == "greeter"))
            for _n in range(10):
                if services.arrivals.proposal(greeter).next is None:
                    break
                services.arrivals.register_arrival(
                    greeter, {"people": "1", "title": "mr", "source": "walk_in"}
                )
        finally:
            db.session.remove()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_everyone_busy_the_greeter_is_told_and_chooses_who_is_free_first(
    seeded, new_context, viewport
):
    _everyone_busy(seeded)
    page = new_context(viewport=viewport).new_page()
    login(page, "greeter")
    page.goto("/arrivals")
    busy = page.locator("#proposal .first-free")
    busy.wait_for()
    assert "全员接待中" in busy.inner_text() and "按建议" not in page.content()
    assert "接待中" in page.locator("#proposal label.choice").first.inner_text()
    shot(page, "reception-arrivals-everyone-busy")
    assert small_targets(page) == [] and horizontal_overflow(page) <= 0
    page.locator("label.seg:has(input[name=title][value='mr'])").click()
    page.locator("label.seg:has(input[name=purpose][value='browse'])").click()
    before = _visits(seeded)
    page.locator(".arrival-submit").click()
    message = page.locator("#proposal .field-error")
    message.wait_for()
    assert "都在接待客户" in message.inner_text()
    assert _visits(seeded) == before
    page.locator("#proposal label.choice").first.click()
    page.locator(".arrival-submit").click()
    page.locator("#arrival-state.is-synced").wait_for(timeout=8000)
    assert _visits(seeded) == before + 1
    assert csp_violations(page) == []


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
    # Everyone may be busy after the other viewport's arrival: choose.
    choose_salesperson(page, "张伟")
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


def _unread(server, username: str) -> int:
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.extensions import db
    from webapp.push.services import unread_count

    with server.app.app_context():
        try:
            return unread_count(db.session.scalar(sa.select(User).where(User.username == username)))
        finally:
            db.session.remove()


def test_arrival_reaches_the_salesperson_inbox_then_needs_analysis_and_walkaround(
    seeded, new_context
):
    """The flow: the greeter registers an arrival on one tablet; the salesperson's
    page, open in a second browser context, shows it in the inbox within 5 s without a
    reload; then the salesperson does the needs analysis and the walkaround at tablet size."""
    from playwright.sync_api import expect

    sales = new_context(viewport=TABLET).new_page()
    login(sales, "sales2")
    sales.goto("/my-day")
    badge = sales.locator("#inbox-count")
    before = _unread(seeded, "sales2")

    greeter = new_context(viewport=TABLET).new_page()
    login(greeter, "greeter")
    greeter.goto("/arrivals")
    greeter.locator("#proposal").wait_for()
    greeter.locator("label.seg:has(input[name=people][value='2'])").click()
    greeter.locator("label.seg:has(input[name=title][value='mr'])").click()
    greeter.fill("#f-mobile", "13912340077")
    greeter.fill("#f-name", "周到店")
    choose_salesperson(greeter, "李婷")
    greeter.locator(".arrival-submit").click()
    greeter.locator("#arrival-state.is-synced").wait_for(timeout=8000)
    shot(greeter, "flow-arrival-registered")

    # No reload on the salesperson's tablet: the badge polls the inbox count.
    expect(badge).to_contain_text(str(before + 1), timeout=5_000)
    shot(sales, "flow-inbox-badge")
    sales.click("#inbox-link")
    sales.locator(".inbox-row.unread .inbox-open").first.click()
    sales.wait_for_url("**/reception/visits/**")
    sales.locator("a.visit-card[href^='/customers/']").first.click()  # the visit's A card
    sales.wait_for_url("**/customers/*")
    card_id = sales.url.rstrip("/").rsplit("/", 1)[-1]

    sales.goto(f"/consult/cards/{card_id}/needs")
    form = sales.locator("#needs-form")
    form.locator("#f-model_id").select_option(label="荣放")
    form.locator("label.chip", has_text="家庭出行").first.click()
    form.locator("label.chip", has_text="安全").first.click()
    form.locator("#f-budget").fill("230000")
    form.locator("#f-family").fill("夫妻和一个孩子")
    form.locator("button[type=submit]").click()
    confirm = sales.locator("#confirm-summary")
    confirm.wait_for()
    confirm.click()
    summary = sales.locator("#needs-summary")
    expect(summary.locator(".confirmed")).to_be_visible()
    shot(sales, "flow-needs-confirmed")

    sales.goto(f"/consult/cards/{card_id}/walkaround")
    walk = sales.locator("#walkaround")
    walk.wait_for()
    for number in range(6):
        walk.locator("button[aria-pressed=false]").first.click()
        expect(sales.locator(".walk-position.done")).to_have_count(number + 1)
    shot(sales, "flow-walkaround-done")

    sales.goto(f"/customers/{card_id}")
    timeline = sales.locator("#timeline")
    for kind in ("needs_confirmed", "walkaround"):
        expect(timeline.locator(f".event-{kind}").first).to_be_visible()
    assert csp_violations(sales) == [] and csp_violations(greeter) == []
