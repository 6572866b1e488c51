"""The display-car checklist (展车设置) in the browser: the car keeper reaches it from the
navigation, finds nothing ticked, confirms "All OK" in two taps and is recorded as the person
who did it; the toggles are at least 44 px on a phone and a tablet. Screenshots go to
tests/artifacts/display-check-*."""

from __future__ import annotations

from typing import Any

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
)
from webapp.extensions import db

pytestmark = pytest.mark.browser


def snap(page: Any, name: str) -> None:
    """A full-page screenshot without Playwright's caret-hiding style (the CSP blocks it)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size or {"width": 0, "height": 0}
    path = ARTIFACTS / f"{name}-{size['width']}x{size['height']}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")


def _new_car(live_server: LiveServer, position: str) -> tuple[int, str]:
    """A display car of the demo store with no check yet, and the keeper's name."""
    from webapp.auth.models import User
    from webapp.catalog.models import VehicleModel
    from webapp.consult.models import DisplayCar
    from webapp.demo import DEMO_STORE
    from webapp.org.models import Store

    with live_server.app.app_context():
        try:
            store = db.session.scalar(sa.select(Store).where(Store.code == DEMO_STORE))
            model = db.session.scalar(sa.select(VehicleModel).order_by(VehicleModel.id).limit(1))
            car = DisplayCar(
                store_id=store.id, model_id=model.id, colour="测试白", position=position
            )
            db.session.add(car)
            db.session.commit()
            keeper = db.session.scalar(sa.select(User).where(User.username == "keeper"))
            return car.id, keeper.display_name
        finally:
            db.session.remove()


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_keeper_marks_all_ok_from_the_navigation(
    new_context: Any, live_server: LiveServer, viewport: dict[str, int]
) -> None:
    car_id, keeper_name = _new_car(live_server, f"浏览器测试 {viewport['width']}")
    context = new_context(viewport)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "keeper")

    page.locator("nav.tabs a[href='/consult/display-cars']").click()
    page.wait_for_url("**/consult/display-cars")
    page.locator(f"a[href='/consult/display-cars/{car_id}/check']").click()
    page.wait_for_url(f"**/consult/display-cars/{car_id}/check")
    boxes = page.locator(".display-item input[type=checkbox]")
    expect(boxes.first).to_be_visible()
    assert page.locator(".display-item input[type=checkbox]:checked").count() == 0
    for index in range(boxes.count()):
        box = boxes.nth(index).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, box
    assert horizontal_overflow(page) <= 0
    snap(page, "display-check-empty")

    confirm = page.locator("#confirm-all-ok")
    expect(confirm).to_be_hidden()  # one tap opens the confirmation, a second one records
    page.locator(".all-ok > summary").click()
    expect(confirm).to_be_visible()
    snap(page, "display-check-confirm")
    confirm.click()
    page.wait_for_url("**/consult/display-cars")
    row = page.locator(".display-car", has=page.locator(f"a[href$='/{car_id}/check']"))
    expect(row.locator(".badge.state-ok")).to_be_visible()
    expect(row).to_contain_text(keeper_name)
    snap(page, "display-check-done")

    assert csp_violations(page) == []
    assert watch.errors == [], "\n".join(watch.errors)
    with live_server.app.app_context():
        try:
            from webapp.auth.models import User
            from webapp.consult.models import DisplayCarCheck

            check = db.session.scalar(
                sa.select(DisplayCarCheck).where(DisplayCarCheck.car_id == car_id)
            )
            keeper = db.session.scalar(sa.select(User).where(User.username == "keeper"))
            assert check.ready and check.all_ok_by_id == keeper.id
        finally:
            db.session.remove()
