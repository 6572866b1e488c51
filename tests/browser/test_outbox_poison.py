"""One entry the server cannot take never holds up the tablet's outbox.

A batch the server fails on (500 with an HTML page) is retried, then split in halves until
the failing entry stands alone; that entry shows 需要处理 and stays on the tablet, every other
entry syncs exactly once, and the set-aside entry syncs once the server takes it. A 503 only
makes the whole batch wait. Text the packet cuts keeps an emoji whole, so it syncs.

The server is this module's own (a werkzeug thread on a seeded SQLite file): the tests add
bookings and read the rows the entries made.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import expect
from werkzeug.serving import make_server

from tests.browser.conftest import TABLET
from tests.browser.support import CSP_PROBE, csp_violations, login
from tests.policies.packet import TEMPLATE_ITEMS, make_booking, make_templates
from webapp import create_app
from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.demo import seed
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry, SyncReceipt
from webapp.testdrive.models import ChecklistTemplate, TestDriveEntry

pytestmark = pytest.mark.browser

POISON_PAGE = "<!doctype html><title>500 Internal Server Error</title><h1>Server Error</h1>"


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    """Two cores shared with other work, and pauses between retries: 30 s per expectation."""
    expect.set_options(timeout=30_000)
    yield
    expect.set_options(timeout=5_000)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, str]]:
    """The app over HTTP on 127.0.0.1, its database seeded with the demo and the templates."""
    tmp: Path = tmp_path_factory.mktemp("poison")
    app = create_app(
        {"ENV_NAME": "test", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/poison.sqlite3"}
    )
    with app.app_context():
        db.create_all()
        seed()
        make_templates()
        db.session.remove()
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{http.server_port}"
    finally:
        http.shutdown()
        http.server_close()
        thread.join(timeout=10)
        with app.app_context():
            db.engine.dispose()


def _booking(app: Flask, nth_card: int) -> dict[str, Any]:
    """Today's booking of sales1 for their nth card, with the current templates' ids."""
    with app.app_context():
        try:
            sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
            card = db.session.scalars(
                sa.select(CustomerCard)
                .where(CustomerCard.owner_id == sales1.id)
                .order_by(CustomerCard.id)
                .offset(nth_card)
                .limit(1)
            ).one()
            booking = make_booking(sales1, card, hour=9 + nth_card)
            templates = make_templates()
            return {
                "id": booking.id,
                "templates": {k: (t.id, [i["key"] for i in t.items]) for k, t in templates.items()},
            }
        finally:
            db.session.remove()


@pytest.fixture
def tablet(browser: Any, server: tuple[Flask, str]) -> Iterator[Any]:
    """A tablet page logged in as sales1; no service worker, so every request can be routed."""
    context = browser.new_context(
        base_url=server[1],
        viewport=TABLET,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        service_workers="block",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_PROBE)
    tab = context.new_page()
    login(tab, "sales1")
    yield tab
    context.close()


def _free_text_intention(app: Flask) -> None:
    """A new version of 附表九 without an intention item: the packet offers a free-text field."""
    with app.app_context():
        try:
            old = db.session.scalars(
                sa.select(ChecklistTemplate).where(
                    ChecklistTemplate.kind == "feedback", ChecklistTemplate.current.is_(True)
                )
            ).one()
            old.current = False
            db.session.flush()
            items = [{"type": "tick", "required": False, **i} for i in TEMPLATE_ITEMS["feedback"]]
            assert "intention" not in {i["key"] for i in items}
            db.session.add(ChecklistTemplate(kind="feedback", version=old.version + 1, items=items))
            db.session.commit()
        finally:
            db.session.remove()


def _open_packet(page: Any, booking_id: int) -> None:
    page.goto(f"/testdrive/bookings/{booking_id}/packet")
    page.locator("#packet[data-ready='1']").wait_for(state="attached")


def _expect_state(page: Any, slot: str, state: str) -> None:
    badge = page.locator(f"[data-state-for='{slot}']")
    expect(badge).to_have_class(f"entry-state state-{state}")
    expect(badge).to_have_text(page.get_attribute("#packet", f"data-msg-{state}") or "?")


def _outbox(page: Any) -> list[dict[str, Any]]:
    """What the tablet still holds to send: [{id, kind, state, reason}] in seq order."""
    return page.evaluate(
        "() => new Promise(ok => { const r = indexedDB.open('showroom-outbox');"
        " r.onsuccess = () => { const q = r.result.transaction('entries')"
        ".objectStore('entries').index('seq').getAll();"
        " q.onsuccess = () => { r.result.close(); ok(q.result.map(e =>"
        " ({id: e.id, kind: e.kind, state: e.state, reason: e.reason || ''}))); }; }; })"
    )


def _rows(app: Flask, booking_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        try:
            return sorted(
                (e.kind, e.item_key)
                for e in db.session.scalars(
                    sa.select(TestDriveEntry).where(TestDriveEntry.booking_id == booking_id)
                )
            )
        finally:
            db.session.remove()


def test_an_entry_the_server_keeps_failing_on_is_set_aside_and_the_others_sync_once(
    tablet: Any, server: tuple[Flask, str]
) -> None:
    app, _url = server
    page = tablet
    booking = _booking(app, 0)
    predrive_tid, predrive = booking["templates"]["predrive"]
    ride_tid, ride = booking["templates"]["ride"]
    predrive, ride = predrive[:3], ride[:3]
    ticks = [f"tick:{predrive_tid}:{k}" for k in predrive] + [f"tick:{ride_tid}:{k}" for k in ride]
    _open_packet(page, booking["id"])

    # Entered offline, so the whole outbox goes in one batch: three ticks, the note the
    # server will fail on, three ticks.
    page.context.set_offline(True)
    for slot in ticks[:3]:
        page.locator(f".check-item[data-slot='{slot}'] label.check").click()
    page.fill("#f-note-remark", "下周带家人再来")
    page.locator("[data-slot='note:remark'] .note-save").click()
    for slot in ticks[3:]:
        page.locator(f".check-item[data-slot='{slot}'] label.check").click()
    for slot in [*ticks, "note:remark"]:
        _expect_state(page, slot, "local")
    held = _outbox(page)
    assert [e["state"] for e in held] == ["local"] * 7
    (poison,) = [e["id"] for e in held if e["kind"] == "testdrive.note"]

    sent: list[list[str]] = []
    answer = {"status": 503}

    def push(route: Any) -> None:
        ids = [e["id"] for e in route.request.post_data_json["entries"]]
        sent.append(ids)
        if answer["status"] == 503:
            route.fulfill(
                status=503,
                json={"error": "unavailable", "message": "数据库暂时不可用"},
                headers={"Retry-After": "30"},
            )
        elif poison in ids:
            route.fulfill(status=500, content_type="text/html", body=POISON_PAGE)
        else:
            route.continue_()

    page.route("**/sync/push", push)

    # The database is down (503): the same whole batch waits and is sent again; nothing is
    # split or set aside.
    page.context.set_offline(False)
    for _ in range(300):  # the second send comes after the backoff (1–2 s)
        if len(sent) >= 2:
            break
        page.wait_for_timeout(100)
    assert len(sent) >= 2
    assert all(sorted(ids) == sorted(e["id"] for e in held) for ids in sent)
    assert [e["state"] for e in _outbox(page)] == ["local"] * 7
    assert page.locator("[data-state-for].state-attention").count() == 0

    # The server fails on one entry (500, an HTML page): the others sync, that one is set aside.
    answer["status"] = 500
    sent.clear()
    page.click("#outbox-retry")
    _expect_state(page, "note:remark", "attention")
    for slot in ticks:
        _expect_state(page, slot, "synced")
    reason = page.get_attribute("#packet", "data-msg-reason-server")
    expect(page.locator("[data-state-for='note:remark']")).to_have_attribute("title", reason or "?")
    held_text = page.get_attribute("#packet", "data-msg-held") or "?"
    expect(page.locator("#outbox-summary")).to_have_text(held_text.replace("{n}", "1"))
    expect(page.locator("#outbox-retry")).to_be_visible()
    assert [poison] in sent  # split down to the entry alone
    assert [(e["id"], e["state"], e["reason"]) for e in _outbox(page)] == [
        (poison, "attention", "server_error")
    ]
    expected_ticks = sorted([("predrive", k) for k in predrive] + [("ride", k) for k in ride])
    assert _rows(app, booking["id"]) == expected_ticks
    with app.app_context():
        try:
            ours = [e["id"] for e in held]
            receipts = db.session.scalars(
                sa.select(SyncReceipt).where(SyncReceipt.entry_id.in_(ours))
            ).all()
            assert sorted(r.kind for r in receipts) == ["testdrive.tick"] * 6
            assert len({r.entry_id for r in receipts}) == 6
            assert poison not in {r.entry_id for r in receipts}
            assert db.session.scalars(sa.select(QuarantinedEntry)).all() == []
        finally:
            db.session.remove()

    # Once the server takes it, "Sync now" sends the set-aside entry: nothing was lost.
    page.unroute("**/sync/push")
    page.click("#outbox-retry")
    _expect_state(page, "note:remark", "synced")
    expect(page.locator("#outbox-bar")).to_have_class("outbox-bar is-synced")
    assert _rows(app, booking["id"]) == sorted([*expected_ticks, ("note", "remark")])
    assert _outbox(page) == []
    assert csp_violations(page) == []


def test_an_emoji_at_the_intention_cut_is_kept_whole_and_the_feedback_syncs(
    tablet: Any, server: tuple[Flask, str]
) -> None:
    app, _url = server
    page = tablet
    _free_text_intention(app)
    booking = _booking(app, 1)
    _open_packet(page, booking["id"])
    form = page.locator("#feedback-form")
    for item in form.locator(".fb-score").all():
        item.locator("label.seg:has(input[value='4'])").click()
    # 199 characters, then an emoji (two UTF-16 units) across the 200th: cut by UTF-16
    # units it would leave a lone surrogate.
    kept = "很" * 199 + "🚗"
    page.fill("#f-intention", kept + "下周带家人来")
    page.click("#feedback-save")
    _expect_state(page, "feedback", "synced")
    with app.app_context():
        try:
            (feedback,) = db.session.scalars(
                sa.select(TestDriveEntry).where(
                    TestDriveEntry.booking_id == booking["id"], TestDriveEntry.kind == "feedback"
                )
            ).all()
            assert feedback.value["intention"] == kept
            assert db.session.scalars(sa.select(QuarantinedEntry)).all() == []
        finally:
            db.session.remove()
