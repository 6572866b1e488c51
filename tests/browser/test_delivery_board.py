"""The delivery day on two devices: the greeter marks the delivery VIP arrived on the board,
and the salesperson's open page shows the notice within seconds (the inbox badge poll), the
inbox reading 交车贵宾到店. Screenshots of the board and the delivery page at tablet and
phone size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, horizontal_overflow, login, shot, small_targets

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 (where people look at the screenshots)


def keep(page, name: str) -> None:
    path = shot(page, f"d7-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _deliveries(server) -> list[tuple[int, str, str]]:
    """(id, state, owner's username) of the demo deliveries, by time."""
    import sqlalchemy as sa

    from webapp.auth.models import User
    from webapp.delivery.models import Delivery
    from webapp.extensions import db

    with server.app.app_context():
        try:
            rows = db.session.execute(
                sa.select(Delivery.id, Delivery.state, User.username)
                .join(User, User.id == Delivery.owner_id)
                .order_by(Delivery.scheduled_at)
            ).all()
            return [tuple(row) for row in rows]
        finally:
            db.session.remove()


def _small_buttons(page) -> list[dict]:
    """The page's own buttons and toggles under 44 px (the nav is checked elsewhere)."""
    return [t for t in small_targets(page) if "prep-toggle" in t["cls"] or "btn" in t["cls"]]


@pytest.mark.parametrize(("viewport", "size"), [(TABLET, "tablet"), (PHONE, "phone")])
def test_board_and_delivery_page_fit_the_screen(live_server, new_context, viewport, size):
    deliveries = _deliveries(live_server)
    assert deliveries
    greeter = new_context(viewport=viewport).new_page()
    login(greeter, "greeter")
    greeter.goto("/delivery/board")
    greeter.locator("#board-rows .board-row").first.wait_for()
    assert "¥" not in greeter.content()
    # Tomorrow is folded into one line; tapping it opens its rows in place.
    day = greeter.locator("details.board-day").first
    day.locator("summary").click()
    day.locator(".board-row").first.wait_for()
    assert day.locator(".board-row form").count() == 0  # no arrival before the day
    assert day.locator(".brand").count() == 0  # the rows alone, not a page in the page
    keep(greeter, f"board-greeter-{size}")
    assert horizontal_overflow(greeter) <= 0
    assert _small_buttons(greeter) == []
    assert greeter.locator("details.board-day summary").first.bounding_box()["height"] >= 44
    delivery_id, _state, owner = deliveries[0]
    sales = new_context(viewport=viewport).new_page()
    login(sales, owner)
    sales.goto(f"/delivery/{delivery_id}")
    sales.locator("#prep-list").wait_for()
    keep(sales, f"delivery-{size}")
    assert horizontal_overflow(sales) <= 0
    assert _small_buttons(sales) == []
    assert csp_violations(sales) == [] and csp_violations(greeter) == []


def test_greeter_marks_the_vip_arrived_and_the_salesperson_is_told(live_server, new_context):
    from playwright.sync_api import expect

    planned = [d for d in _deliveries(live_server) if d[1] == "planned"]
    assert planned, "no planned demo delivery"
    delivery_id, _state, owner = planned[0]
    sales = new_context(viewport=TABLET).new_page()
    login(sales, owner)
    sales.goto("/delivery/board")
    sales.locator("#inbox-count").wait_for(state="attached")
    before = sales.locator("#inbox-count").inner_text().strip()
    greeter = new_context(viewport=TABLET).new_page()
    login(greeter, "greeter")
    greeter.goto("/delivery/board")
    button = greeter.locator(f"form[action='/delivery/{delivery_id}/arrived'] button")
    button.click()
    expect(greeter.locator(".flash").first).to_be_visible()
    expect(sales.locator("#inbox-count")).not_to_have_text(before or "", timeout=5000)
    # The colleague's open page says it, without a reload.
    expect(sales.locator("#notice-toast")).to_contain_text("交车贵宾到店", timeout=5000)
    keep(sales, "vip-toast-tablet")
    sales.goto("/inbox/")
    expect(sales.locator("body")).to_contain_text("交车贵宾到店")
    keep(sales, "vip-inbox-tablet")
