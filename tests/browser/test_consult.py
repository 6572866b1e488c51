"""Steps ③ ④ at tablet size: the salesperson completes the needs analysis (the customer
confirms the summary on screen), records the recommended model and walks the six positions;
then the consult pages at 1024×768 and 390×844 with no CSP violation, no sideways scroll and
every tap target at least 44 px. Screenshots go to tests/artifacts/consult-*."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, Demo, LiveServer
from tests.browser.support import (
    ARTIFACTS,
    CSP_PROBE,
    ConsoleWatch,
    csp_violations,
    horizontal_overflow,
    login,
    small_targets,
)
from webapp.extensions import db

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def consult_demo(live_server: LiveServer, demo: Demo) -> dict[str, int]:
    """This area's demo data in the live server."""
    from webapp.auth.models import User
    from webapp.consult.demo import seed_demo
    from webapp.demo import DEMO_STORE
    from webapp.org.models import Store

    with live_server.app.app_context():
        try:
            store = db.session.scalar(sa.select(Store).where(Store.code == DEMO_STORE))
            users = {u.username: u for u in db.session.scalars(sa.select(User))}
            seed_demo(store, users)
            car = db.session.scalar(
                sa.text("SELECT id FROM display_car WHERE store_id = :s ORDER BY id LIMIT 1"),
                {"s": store.id},
            )
            return {"card": demo.sales1_card, "display_car": car}
        finally:
            db.session.remove()


def snap(page: Any, name: str) -> None:
    """Like support.shot, but without Playwright's caret-hiding stylesheet: the page's CSP
    blocks that injected style and Chromium logs it as a console error of the page."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")


def _layout_problems(page: Any) -> list[Any]:
    found: list[Any] = []
    overflow = horizontal_overflow(page)
    if overflow > 0:
        found.append(f"page scrolls sideways by {overflow}px")
    found += small_targets(page)
    return found


def test_salesperson_completes_needs_analysis_and_walkaround(
    new_context: Any, live_server: LiveServer, consult_demo: dict[str, int]
) -> None:
    context = new_context(TABLET)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")
    card_id = consult_demo["card"]

    page.goto(f"/customers/{card_id}")
    panel = page.locator("#consult-panel .consult-state")
    panel.wait_for()  # the consult panel was loaded into the card
    snap(page, "consult-01-card")

    page.goto(f"/consult/cards/{card_id}/needs")
    form = page.locator("#needs-form")
    form.locator("#f-model_id").select_option(label="荣放")
    for option in ("家庭出行", "长途自驾"):
        form.locator("label.chip", has_text=option).first.click()
    form.locator("label.chip", has_text="安全").click()
    form.locator("label.chip", has_text="空间").click()
    form.locator("#f-budget").fill("230000")
    form.locator("label.chip:has(input[name=payment][value=loan])").click()
    form.locator("#f-current_car").fill("老款思域")
    form.locator("#f-competitors").fill("本田CR-V")
    form.locator("#f-family").fill("夫妻和两个孩子")
    snap(page, "consult-02-needs-filled")
    form.locator("button[type=submit]").click()

    confirm = page.locator("#confirm-summary")
    confirm.wait_for()
    summary = page.locator("#needs-summary")
    expect(summary).to_contain_text("夫妻和两个孩子")
    expect(summary).to_contain_text("家庭出行")
    snap(page, "consult-03-summary")
    confirm.click()
    expect(summary.locator(".confirmed")).to_be_visible()

    summary.locator("#f-model_id").select_option(label="荣放")
    summary.locator("#f-recommendation_note").fill("两个孩子，空间和四驱安全最合适")
    summary.locator(".recommend-form button[type=submit]").click()
    expect(summary.locator(".recommended")).to_contain_text("荣放")
    snap(page, "consult-04-recommended")

    summary.locator(f"a[href$='/consult/cards/{card_id}/walkaround']").first.click()
    walk = page.locator("#walkaround")
    walk.wait_for()
    expect(walk.locator(".need-tag").first).to_be_visible()
    expect(walk.locator(".fab-match").first).to_be_visible()
    snap(page, "consult-05-walkaround")
    for number in range(6):
        walk.locator("button[aria-pressed=false]").first.click()
        expect(page.locator(".walk-position.done")).to_have_count(number + 1)
    expect(page.locator(".walk-next .confirmed")).to_be_visible()
    snap(page, "consult-06-walkaround-done")

    page.goto(f"/consult/cards/{card_id}/compare")
    expect(page.locator(".compare-table")).to_contain_text("E-Four")  # the CR-V sheet is offered
    snap(page, "consult-07-compare")

    page.goto(f"/customers/{card_id}")
    timeline = page.locator("#timeline")
    for kind in ("needs_confirmed", "model_recommended", "walkaround"):
        expect(timeline.locator(f".event-{kind}").first).to_be_visible()

    assert csp_violations(page) == []
    assert watch.errors == [], "\n".join(watch.errors)

    with live_server.app.app_context():
        try:
            from webapp.consult.models import NeedsAnalysis, WalkaroundRecord
            from webapp.customers.models import CustomerCard

            card = db.session.get(CustomerCard, card_id)
            assert card.competitors == "本田CR-V" and card.family == "夫妻和两个孩子"
            analysis = db.session.scalar(
                sa.select(NeedsAnalysis)
                .where(NeedsAnalysis.card_id == card_id)
                .order_by(NeedsAnalysis.id.desc())
            )
            assert analysis.confirmed_at is not None
            assert analysis.recommended_model.code == "RAV4"
            record = db.session.scalar(
                sa.select(WalkaroundRecord).where(WalkaroundRecord.card_id == card_id)
            )
            assert record.completed_at is not None
        finally:
            db.session.remove()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_consult_pages_fit_tablet_and_phone(
    new_context: Any, consult_demo: dict[str, int], viewport: dict[str, int]
) -> None:
    context = new_context(viewport)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    card_id = consult_demo["card"]
    problems: dict[str, list[Any]] = {}
    login(page, "manager")
    pages = {
        "consult-needs": f"/consult/cards/{card_id}/needs",
        "consult-walkaround": f"/consult/cards/{card_id}/walkaround",
        "consult-compare": f"/consult/cards/{card_id}/compare",
        "consult-card": f"/customers/{card_id}",
        "consult-display-cars": "/consult/display-cars",
        "consult-display-check": f"/consult/display-cars/{consult_demo['display_car']}/check",
    }
    for name, path in pages.items():
        response = page.goto(path)
        assert response is not None and response.ok, path
        if name == "consult-card":
            page.locator("#consult-panel .consult-state").wait_for()
        page.wait_for_load_state("load")
        snap(page, name)
        found = _layout_problems(page)
        if found:
            problems[name] = found
    assert csp_violations(page) == []
    assert problems == {}
