"""The customer at the door, on two tablets: the greeter registers an arrival, and the
salesperson's "my day" (open in a second browser context) shows the arrival banner with the
customer's 称谓, party size and model within seconds, without a reload; 迎接 records the
greeting, the A card opens from there and the visit is closed on the card. Screenshots at
tablet and phone size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, login, shot, small_targets

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 (where people look at the screenshots)


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


def keep(page, name: str) -> None:
    """The test's screenshot, also where a person looks at them."""
    path = shot(page, f"r1-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _visit(server, name: str):
    import sqlalchemy as sa

    from webapp.extensions import db
    from webapp.reception.models import Visit

    with server.app.app_context():
        try:
            visit = db.session.scalar(sa.select(Visit).where(Visit.name == name))
            db.session.expunge(visit)
            return visit
        finally:
            db.session.remove()


def register(greeter, name: str, salesperson: str, mobile: str) -> None:
    greeter.goto("/arrivals")
    greeter.locator("#proposal").wait_for()
    greeter.locator("label.seg:has(input[name=people][value='2'])").click()
    greeter.locator("label.seg:has(input[name=title][value='mr'])").click()
    greeter.fill("#f-mobile", mobile)
    greeter.fill("#f-name", name)
    greeter.locator("#f-model_id").select_option(label="卡罗拉")
    choose = greeter.locator("#f-salesperson_id")
    if choose.count():
        option = choose.locator("option[value]:not([value=''])", has_text=salesperson)
        choose.select_option(value=option.first.get_attribute("value"))
        greeter.fill("#f-override_reason", "顾客指定")
    else:  # everyone is with a customer: who is likely free first
        greeter.locator("label.choice", has_text=salesperson).click()
    greeter.locator(".arrival-submit").click()
    greeter.locator("#arrival-state.is-synced").wait_for()


@pytest.mark.parametrize(
    ("viewport", "size", "name", "mobile"),
    [(TABLET, "tablet", "高", "13912340081"), (PHONE, "phone", "欧阳", "13912340082")],
    ids=["tablet", "phone"],
)
def test_arrival_banner_greet_card_and_close(seeded, new_context, viewport, size, name, mobile):
    from playwright.sync_api import expect

    sales = new_context(viewport=viewport).new_page()
    login(sales, "sales3")
    sales.goto("/my-day")
    sales.locator("#my-day").wait_for()

    greeter = new_context(viewport=TABLET).new_page()
    login(greeter, "greeter")
    register(greeter, name, "张伟", mobile)

    # No reload on the salesperson's tablet: the banner polls every few seconds.
    arrival = sales.locator("#arrival-banner .arrival.is-waiting", has_text=f"{name}先生")
    expect(arrival).to_be_visible(timeout=5_000)
    expect(arrival.locator(".arrival-people")).to_have_text("2 人")
    expect(arrival.locator(".arrival-model")).to_have_text("卡罗拉")
    expect(arrival.locator(".arrival-since")).to_contain_text("已等候")
    keep(sales, f"banner-{size}")
    assert small_targets(sales) == []

    arrival.locator("button.arrival-greet").click()
    served = sales.locator("#arrival-banner .arrival.is-greeted", has_text=f"{name}先生")
    expect(served).to_be_visible()
    visit = _visit(seeded, name)
    assert visit.greeted_at is not None and visit.greeted_by_id == visit.owner_id
    keep(sales, f"banner-greeted-{size}")

    served.locator("a.arrival-card").click()
    sales.wait_for_url("**/customers/*")
    block = sales.locator("#card-visit")
    expect(block).to_contain_text("2 人")
    expect(block).to_contain_text("等候")
    keep(sales, f"card-{size}")
    assert small_targets(sales) == []

    form = sales.locator("#card-close-form")
    form.locator("button.btn-primary").click()  # no grade chosen: refused next to the field
    expect(form.locator("#f-grade-error")).to_be_visible()
    form.locator("label.seg:has(input[name=grade][value='A'])").click()
    form.locator("#f-result").select_option("follow_up")
    form.locator("button.btn-primary").click()
    expect(sales.locator("section#card-visit")).to_be_hidden()
    expect(sales.locator("#timeline .event-visit").first).to_be_visible()
    expect(served).to_be_hidden()
    assert _visit(seeded, name).time_out is not None
    keep(sales, f"card-closed-{size}")
    assert csp_violations(sales) == [] and csp_violations(greeter) == []
