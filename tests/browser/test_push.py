"""The inbox in headless Chromium: a notice shows in the nav badge and the open inbox within
5 seconds without a reload (htmx polling on the LAN), and the push settings page explains
itself under the strict CSP at tablet and phone size. Screenshots go to tests/artifacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import PHONE, TABLET, LiveServer
from tests.browser.support import (
    CSP_PROBE,
    ConsoleWatch,
    csp_violations,
    horizontal_overflow,
    login,
    shot,
    small_targets,
)
from webapp.auth.models import User
from webapp.extensions import db
from webapp.push.keys import init_keys
from webapp.push.services import notify, unread_count

pytestmark = pytest.mark.browser


def send_notice(server: LiveServer, username: str, ref_id: int) -> int:
    """What the reception area does when a customer arrives; returns the unread count."""
    with server.app.app_context():
        try:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            notify([user.id], store_id=user.store_id, kind="arrival", ref_id=ref_id, url="/my-day")
            db.session.commit()
            return unread_count(user)
        finally:
            db.session.remove()


def unread_of(server: LiveServer, username: str) -> int:
    with server.app.app_context():
        try:
            user = db.session.scalar(sa.select(User).where(User.username == username))
            return unread_count(user)
        finally:
            db.session.remove()


def test_a_new_notice_shows_in_the_badge_and_the_inbox_within_5_seconds(
    new_context: Any,
    live_server: LiveServer,
) -> None:
    tablet = new_context(TABLET)
    tablet.add_init_script(CSP_PROBE)
    page = tablet.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales2")
    page.goto("/catalog/")
    badge = page.locator("#inbox-count")
    before = unread_of(live_server, "sales2")
    if before:
        expect(badge).to_contain_text(str(before), timeout=5_000)

    after = send_notice(live_server, "sales2", 9001)
    expect(badge).to_contain_text(str(after), timeout=5_000)
    expect(badge).to_be_visible()
    shot(page, "push-badge")

    page.click("#inbox-link")
    expect(page).to_have_url(f"{live_server.url}/inbox/")
    expect(page.locator(".inbox-row.unread")).to_have_count(after)
    send_notice(live_server, "sales2", 9002)
    expect(page.locator(".inbox-row.unread")).to_have_count(after + 1, timeout=5_000)
    expect(page.locator("#inbox-list")).to_contain_text("#9002")
    shot(page, "push-inbox")

    page.locator(".inbox-row.unread .inbox-open").first.click()
    expect(page).to_have_url(f"{live_server.url}/my-day")
    assert unread_of(live_server, "sales2") == after
    assert csp_violations(page) == [] and watch.csp_errors() == []


@pytest.mark.parametrize("viewport", [TABLET, PHONE], ids=["tablet", "phone"])
def test_push_settings_explain_what_this_browser_can_do(
    new_context: Any,
    live_server: LiveServer,
    viewport: dict[str, int],
    tmp_path: Path,
) -> None:
    with live_server.app.app_context():
        live_server.app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "vapid.pem")
        public, _created = init_keys()
    context = new_context(viewport)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales3")
    page.goto("/inbox/settings")
    # Headless Chromium on 127.0.0.1 (a secure context) has a service worker and PushManager,
    # and nothing is subscribed yet: "off", with the button to turn push on.
    expect(page.locator("#push-settings")).to_have_attribute("data-public-key", public)
    visible = page.locator(".push-state:visible")
    expect(visible).to_have_count(1, timeout=10_000)
    assert visible.get_attribute("data-state") == "off"
    expect(page.locator("#push-on")).to_be_visible()
    assert page.locator("#push-off").is_hidden()
    assert page.locator(".push-state[data-state=checking]").is_hidden()
    shot(page, "push-settings")
    assert horizontal_overflow(page) <= 0
    assert small_targets(page) == []
    assert csp_violations(page) == [] and watch.csp_errors() == []
    assert not [e for e in watch.errors if "push.js" in e]
