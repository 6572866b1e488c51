"""The salesperson's main flow on a tablet: log in, my day, new A card, find it, open it,
switch to English. Plus the bad-input path of the new-card form."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import LiveServer
from tests.browser.support import back_to_chinese, login, search, shot
from webapp.auth.models import User
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db

pytestmark = pytest.mark.browser


def _cards(live_server: LiveServer, *criteria: Any) -> list[CustomerCard]:
    with live_server.app.app_context():
        try:
            cards = list(db.session.scalars(sa.select(CustomerCard).where(*criteria)))
            for card in cards:
                db.session.expunge(card)
            return cards
        finally:
            db.session.remove()


def _fresh_mobile(live_server: LiveServer) -> str:
    """An 11-digit mobile whose 7-digit prefix no demo card shares (so the search finds one)."""
    rng = random.Random()
    while True:
        prefix = "199" + "".join(rng.choices("0123456789", k=4))
        if not _cards(live_server, CustomerCard.mobile.like(prefix + "%")):
            return prefix + "".join(rng.choices("0123456789", k=4))


def test_salesperson_creates_finds_and_reads_a_card_in_english(
    page: Any, live_server: LiveServer
) -> None:
    mobile = _fresh_mobile(live_server)
    name = "测" + mobile[-4:]

    # 1. Log in as the salesperson; land on "my day".
    page.goto("/login")
    assert page.evaluate("document.documentElement.lang") == "zh-Hans"
    shot(page, "flow-01-login")
    login(page, "sales1")
    try:
        page.wait_for_url(re.compile(r"/my-day$"))
        assert page.locator("nav.tabs a.tab.active").get_attribute("href") == "/my-day"
        shot(page, "flow-02-my-day")

        # 2. New A card through the form (htmx hx-post, HX-Location to the card).
        page.click("nav.tabs a.tab.tab-cta")
        page.wait_for_url(re.compile(r"/customers/new$"))
        page.wait_for_selector("#card-form")
        shot(page, "flow-03-new-card-empty")
        page.fill("#f-name", name)
        page.select_option("#f-title", "ms")
        page.fill("#f-mobile", mobile)
        page.select_option("#f-source", "phone_in")
        shot(page, "flow-04-new-card-filled")
        with page.expect_response(
            lambda r: r.url.endswith("/customers/new") and r.request.method == "POST"
        ) as posted:
            page.click("#card-form button[type=submit]")
        assert posted.value.status == 200
        assert re.fullmatch(r"/customers/\d+", posted.value.headers.get("hx-location", ""))
        page.wait_for_url(re.compile(r"/customers/\d+$"))
        card_id = int(page.url.rsplit("/", 1)[1])
        page.wait_for_selector(f"h1:has-text('{name}')")
        assert page.locator(".card-head-meta a.mono").inner_text() == mobile
        assert page.locator("#timeline .event-created").count() == 1
        shot(page, "flow-05-card-created")

        (card,) = _cards(live_server, CustomerCard.mobile == mobile)
        assert card.id == card_id
        assert (card.name, card.title, card.source) == (name, "ms", "phone_in")
        with live_server.app.app_context():
            owner = db.session.scalar(sa.select(User.username).where(User.id == card.owner_id))
            db.session.remove()
        assert owner == "sales1"

        # 3. Find it by phone: the search field asks the server while typing.
        page.click("nav.tabs a.tab[href='/customers/']")
        page.wait_for_url(re.compile(r"/customers/$"))
        searched = search(page, mobile[:7])
        assert searched.ok
        result = page.locator(f"#customer-results a.card-row-link[href='/customers/{card_id}']")
        result.wait_for()
        assert page.locator("#customer-results .card-row").count() == 1
        # The number typed stays out of the address bar (and so out of history and logs).
        assert mobile[:7] not in page.url
        shot(page, "flow-06-search-results")

        # 4. Open it.
        result.click()
        page.wait_for_url(re.compile(rf"/customers/{card_id}$"))
        page.wait_for_selector(f"h1:has-text('{name}')")
        shot(page, "flow-07-card-opened")

        # 5. Switch to English with the top-bar button: the whole page is English.
        page.click(".lang-form button[value=en]")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url.endswith(f"/customers/{card_id}")
        nav = page.locator("nav.tabs")
        assert nav.locator("a[href='/my-day']").inner_text() == "My day"
        assert nav.locator("a.tab[href='/customers/']").inner_text() == "Customers"
        assert page.locator("#timeline h2").inner_text() == "Timeline"
        assert page.locator(".lang-form button").inner_text() == "简体中文"
        assert "Card created" in page.locator("#timeline").inner_text()
        shot(page, "flow-08-card-english")
    finally:
        back_to_chinese(page)


def test_invalid_mobile_is_refused_next_to_the_field(page: Any, live_server: LiveServer) -> None:
    name = "错号" + str(random.randint(1000, 9999))
    login(page, "sales1")
    page.goto("/customers/new")
    page.fill("#f-name", name)
    page.select_option("#f-title", "mr")
    page.fill("#f-mobile", "12345")
    page.select_option("#f-source", "walk_in")
    with page.expect_response(
        lambda r: r.url.endswith("/customers/new") and r.request.method == "POST"
    ) as posted:
        page.click("#card-form button[type=submit]")
    assert posted.value.status == 422
    error = page.locator(".field.has-error:has(#f-mobile) #f-mobile-error")
    error.wait_for()
    assert "11" in error.inner_text()
    assert page.get_attribute("#f-mobile", "aria-invalid") == "true"
    assert page.get_attribute("#f-mobile", "aria-describedby") == "f-mobile-error"
    # Only the mobile is wrong: the other fields keep what was typed and show no error.
    assert page.locator(".field-error").count() == 1
    assert page.input_value("#f-name") == name
    assert page.input_value("#f-mobile") == "12345"
    assert page.locator(".form-error[role=alert]").is_visible()
    # The error sits right under the field, not somewhere else on the page.
    field_box = page.locator("#f-mobile").bounding_box()
    error_box = error.bounding_box()
    assert field_box and error_box
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 40
    assert page.url.endswith("/customers/new")
    # The cursor waits in the wrong field, which is in view.
    expect(page.locator("#f-mobile")).to_be_focused()
    expect(page.locator("#f-mobile")).to_be_in_viewport()
    shot(page, "flow-09-new-card-errors")

    assert _cards(live_server, CustomerCard.name == name) == []
    with live_server.app.app_context():
        orphans = db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CardEvent)
            .outerjoin(CustomerCard, CustomerCard.id == CardEvent.card_id)
            .where(CustomerCard.id.is_(None))
        )
        db.session.remove()
    assert orphans == 0
