"""Step ⑥ at the negotiation table: the salesperson builds the 商谈memo (附表十) on a tablet,
watches the live total, saves, the customer confirms, and the customer's PDF copy is
downloaded; its first page is rendered to PNG and holds Chinese text. The memo pages at
1024×768 and 390×844 have no CSP violation, no sideways scroll and tap targets of 44 px.
Screenshots go to tests/artifacts/memo-*."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pypdfium2
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, LiveServer
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
from webapp.timeutil import local_today

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def memo_card(live_server: LiveServer) -> dict[str, Any]:
    """A card of sales1 in the demo store for a new memo, and the store's name."""
    from webapp.auth.models import User
    from webapp.customers.models import CustomerCard

    with live_server.app.app_context():
        try:
            sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
            card = CustomerCard(
                store_id=sales1.store_id,
                owner_id=sales1.id,
                name="柳女士",
                title="ms",
                mobile="13900007788",
                source="walk_in",
                grade="A",
            )
            db.session.add(card)
            db.session.commit()
            return {"card": card.id, "store": sales1.store.name}
        finally:
            db.session.remove()


def snap(page: Any, name: str) -> None:
    """A full-page screenshot without Playwright's caret-hiding style (the CSP blocks it)."""
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


def test_salesperson_builds_saves_confirms_and_downloads_the_memo(
    new_context: Any, live_server: LiveServer, memo_card: dict[str, Any]
) -> None:
    context = new_context(TABLET, accept_downloads=True)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")
    card_id = memo_card["card"]

    page.goto(f"/negotiation/cards/{card_id}/memo")
    form = page.locator("#memo-form")
    form.locator("#f-sfx_id").select_option(index=1)
    total = page.locator("#memo-preview-total")
    expect(total).to_contain_text("¥")
    before = total.inner_text()
    form.locator("#f-discount").fill("2000")
    form.locator("[name='accessories-0-name']").fill("全车脚垫")
    form.locator("[name='accessories-0-price']").fill("800")
    form.locator("label.check:has([name='accessories-0-is_gift'])").click()
    form.locator("[name='accessories-1-name']").fill("行车记录仪")
    form.locator("[name='accessories-1-price']").fill("1280")
    delivery = (local_today() + timedelta(days=20)).isoformat()
    form.locator("#f-delivery_date").fill(delivery)
    form.locator("label.check:has([name=delivery_accepted])").click()
    # The live total follows the discount and the accessory (the mats are a gift).
    expect(total).not_to_have_text(before)
    expect(page.locator("#memo-preview")).to_contain_text("精品")
    # Let the last live total arrive: saving while it is on its way would cancel it.
    page.wait_for_timeout(800)
    expect(page.locator("#memo-preview-slot.htmx-request")).to_have_count(0)
    snap(page, "memo-01-form")
    assert _layout_problems(page) == []

    form.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r"/negotiation/memos/\d+/v/1$"))
    version = page.locator("#memo-version")
    expect(version).to_contain_text("赠送")
    expect(version).to_contain_text("车辆购置税")
    expect(version.locator("#memo-total")).to_contain_text("¥")
    snap(page, "memo-02-version")

    version.locator("#f-questions").fill("上牌大概需要几天？")
    version.locator("#memo-confirm-button").click()
    expect(page.locator("#memo-version .memo-status")).to_contain_text("顾客已确认")
    expect(page.locator("#memo-versions")).to_contain_text("顾客已确认")
    snap(page, "memo-03-confirmed")
    assert _layout_problems(page) == []

    with page.expect_download() as info:
        page.locator("#memo-pdf-link").click()
    download = info.value
    pdf_path = ARTIFACTS / "memo-customer-copy.pdf"
    download.save_as(str(pdf_path))
    pdf = pypdfium2.PdfDocument(str(pdf_path))
    first = pdf[0]
    first.render(scale=1.5).to_pil().save(str(ARTIFACTS / "memo-04-pdf-page1.png"))
    text = first.get_textpage().get_text_range()
    assert "商谈" in text and memo_card["store"] in text
    assert "上牌大概需要几天？" in text and "车辆购置税" in text
    pdf.close()

    assert csp_violations(page) == []
    assert watch.csp_errors() == [] and watch.errors == []
    assert watch.unexpected_failures() == []


@pytest.fixture(scope="module")
def saved_memo(live_server: LiveServer, memo_card: dict[str, Any]) -> int:
    """A memo of sales1 with one version and three accessories, on a card of its own."""
    from webapp.auth.models import User
    from webapp.catalog.models import Sfx
    from webapp.customers.models import CustomerCard
    from webapp.negotiation import memos

    with live_server.app.app_context():
        try:
            sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
            card = CustomerCard(
                store_id=sales1.store_id,
                owner_id=sales1.id,
                name="周先生",
                title="mr",
                mobile="13900007799",
                source="walk_in",
                grade="B",
            )
            db.session.add(card)
            db.session.commit()
            sfx = db.session.scalar(sa.select(Sfx).where(Sfx.active).order_by(Sfx.id).limit(1))
            form = {
                "sfx_id": str(sfx.id),
                "discount": "1000",
                "accessories-0-name": "全车脚垫",
                "accessories-0-price": "800",
                "accessories-0-is_gift": "on",
                "accessories-1-name": "行车记录仪",
                "accessories-1-price": "1280",
                "one_stop_service": "on",
                "trade_in_value": "20000",
                "payment": "loan",
                "down_payment": "30",
                "down_payment_unit": "percent",
                "term_months": "36",
                "annual_rate_percent": "3.99",
            }
            return memos.save_version(sales1, card.id, form).memo_id
        finally:
            db.session.remove()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_memo_pages_fit_the_screen(
    new_context: Any, live_server: LiveServer, saved_memo: int, viewport: dict
) -> None:
    context = new_context(viewport)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")
    page.goto(f"/negotiation/memos/{saved_memo}")
    page.locator("#memo-version").wait_for()
    assert _layout_problems(page) == [], "memo page"
    snap(page, "memo-05-memo")
    page.locator("a[href$='/memo']", has_text="修改").click()
    page.locator("#memo-form").wait_for()
    expect(page.locator("#memo-preview")).to_contain_text("月供")
    assert _layout_problems(page) == [], "memo form"
    snap(page, "memo-06-form")
    page.goto(f"/negotiation/memos/{saved_memo}/v/1/print")
    page.locator("#memo-print-button").wait_for()
    assert horizontal_overflow(page) <= 0, "print page"
    snap(page, "memo-07-print")
    assert csp_violations(page) == []
    assert watch.csp_errors() == [] and watch.errors == []
