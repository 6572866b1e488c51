"""Step ⑧ on a phone: the salesperson completes a call that is due from "my day" (the task's
form opens in place, the result is saved, the item turns to done without leaving the page,
and the card's timeline holds the contact). Screenshots at phone and tablet size."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.browser.conftest import PHONE, TABLET
from tests.browser.support import csp_violations, horizontal_overflow, login, shot, small_targets

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 (where people look at the screenshots)


def keep(page, name: str) -> None:
    path = shot(page, f"f8-{name}")
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / path.name)


def _task_state(server, task_id: int) -> tuple:
    from webapp.customers.models import CardEvent
    from webapp.extensions import db
    from webapp.followup.models import FollowUpTask

    with server.app.app_context():
        try:
            task = db.session.get(FollowUpTask, task_id)
            contact = db.session.scalar(
                sa.select(CardEvent.note)
                .where(CardEvent.card_id == task.card_id, CardEvent.kind == "phone_out")
                .order_by(CardEvent.id.desc())
            )
            return task.done_at is not None, task.result, task.outcome, contact
        finally:
            db.session.remove()


def test_the_salesperson_completes_a_due_call_from_my_day_on_a_phone(live_server, new_context):
    page = new_context(viewport=PHONE).new_page()
    violations = csp_violations(page)
    login(page, "sales1")
    page.goto("/my-day")
    tasks = page.locator("#my-tasks .task-row")
    tasks.first.wait_for()
    assert tasks.count() >= 2
    assert page.locator("#my-tasks .task-row.is-overdue").count() >= 1  # the overdue call
    keep(page, "my-day")
    assert horizontal_overflow(page) == 0
    small = [t for t in small_targets(page) if "btn" in t["cls"] or "choice" in t["cls"]]
    assert small == []

    # The thank-you due today: open its form, write what came of it, save.
    item = page.locator("#my-tasks .task-row", has_text="周慧敏")
    task_id = int(item.get_attribute("id").split("-")[1])
    item.locator("a", has_text="记录结果").click()
    form = page.locator(f"#task-{task_id} form")
    form.wait_for()
    form.locator("textarea[name=result]").fill("感谢信已寄出,电话致谢,车况很好")
    keep(page, "my-day-task-form")
    form.locator("button", has_text="保存结果").click()
    done = page.locator(f"#task-{task_id}.is-done")
    done.wait_for()
    assert "感谢信已寄出" in done.inner_text()
    assert page.url.endswith("/my-day")  # answered in place
    keep(page, "my-day-task-done")
    assert _task_state(live_server, task_id) == (
        True,
        "感谢信已寄出,电话致谢,车况很好",
        "reached",
        "感谢信已寄出,电话致谢,车况很好",
    )

    # A move without a reason is refused next to the field, in place.
    other = page.locator("#my-tasks .task-row:not(.is-done)").first
    other_id = other.get_attribute("id")
    other.locator("a", has_text="改期").click()
    page.locator(f"#{other_id} form").wait_for()
    page.locator(f"#{other_id} form button", has_text="确认改期").click()
    page.locator("#my-tasks .field-error").first.wait_for()
    assert "请说明改期原因" in page.locator("#my-tasks").inner_text()
    assert violations == []


def test_the_follow_up_pages_fit_a_tablet(live_server, new_context):
    page = new_context(viewport=TABLET).new_page()
    login(page, "manager")
    for path, name in (
        ("/followup/overdue", "overdue"),
        ("/followup/rules", "rules"),
        ("/followup/cr-plan", "cr-plan"),
        ("/followup/letters", "letters"),
    ):
        page.goto(path)
        page.locator("main h1").first.wait_for()
        keep(page, name)
        assert horizontal_overflow(page) == 0, path
    # The letter opened from the month's list (boosted: no page script runs) still prints.
    page.goto("/followup/letters")
    page.evaluate("window.print = () => { window.__printed = true; }")
    page.locator('#letter-rows a[href$="/letter"]').first.click()
    page.locator("[data-print]").first.click()
    assert page.evaluate("window.__printed === true")
    service = new_context(viewport=PHONE).new_page()
    login(service, "service")
    service.goto("/followup/service")
    service.locator("main h1").first.wait_for()
    keep(service, "service")
    assert horizontal_overflow(service) == 0
