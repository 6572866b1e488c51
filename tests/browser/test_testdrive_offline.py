"""The whole test drive in the car, offline, then synced back in the showroom.

Open today's packet online; stop the server and take the tablet offline; complete the drive
(licence photo through the file input, a signature drawn with the mouse, every checklist up
to the after-drive step, notes, the feedback form 附表九 and the customer's signature on it);
reload offline; restart the browser with the same
profile; bring the server back: every entry syncs, shows 已同步, the database holds exactly
the expected rows and blobs, and the driving style and focus points reach the A card.

The server here is this test's own (a werkzeug thread on a fixed port and a SQLite file),
because it must stop and come back on the same address with the same database.
"""

from __future__ import annotations

import base64
import io
import os
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS, PHONE, TABLET
from tests.browser.support import (
    ARTIFACTS,
    CSP_PROBE,
    PASSWORDS,
    ConsoleWatch,
    csp_violations,
    horizontal_overflow,
    login,
    small_targets,
)
from tests.policies.packet import make_booking, make_templates
from webapp import create_app
from webapp.auth.models import User
from webapp.blobs import blob_path, store_blob
from webapp.blobs.models import Blob
from webapp.customers.models import CustomerCard
from webapp.demo import seed
from webapp.extensions import db
from webapp.sync.models import QuarantinedEntry, SyncReceipt
from webapp.testdrive.models import (
    Consent,
    LicenceCheck,
    SignedDocument,
    TestDriveBooking,
    TestDriveEntry,
)
from webapp.timeutil import local_today

pytestmark = pytest.mark.browser

ID_NUMBER = "11010519491231002X"  # the GB 11643 example: a valid check character
# Entry states by their class; the text shown is the page's translated message
# (已保存在本机 / 已同步 / 需要处理).
SYNCED, LOCAL = "synced", "local"
NOTES = {
    "driving_style": "起步平稳，弯道减速早",
    "focus_points": "关注油耗和后排空间",
    "remark": "下周带家人再来",
}


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    """Two cores shared with other work: give each expectation 15 s rather than 5 s."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


class RestartableServer:
    """The app over HTTP on a fixed 127.0.0.1 port; stop() and start() keep port and database."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        from werkzeug.serving import make_server

        self._server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        assert self._thread is not None
        self._thread.join(timeout=10)
        self._server = None
        with self.app.app_context():
            db.engine.dispose()


@pytest.fixture
def drive(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A seeded database with today's booking of sales1, its route map and the templates."""
    app = create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/offline.sqlite3",
            "BLOB_DIR": str(tmp_path / "blobs"),
            "BLOB_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
    )
    with app.app_context():
        db.create_all()
        seed()
        templates = make_templates()
        sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
        card = db.session.scalar(
            sa.select(CustomerCard)
            .where(CustomerCard.owner_id == sales1.id)
            .order_by(CustomerCard.id)
            .limit(1)
        )
        map_png = io.BytesIO()
        picture = Image.new("RGB", (960, 640), "#eef3f8")
        draw = ImageDraw.Draw(picture)
        draw.line([(80, 560), (300, 200), (700, 180), (880, 520)], fill="#c8102e", width=12)
        draw.ellipse([(680, 160), (720, 200)], fill="#0b57d0")
        picture.save(map_png, "PNG")
        route_map = store_blob(
            map_png.getvalue(), "image/png", "route_map", sales1.store_id, sales1
        )
        booking = make_booking(sales1, card, map_sha256=route_map.sha256)
        data = {
            "booking_id": booking.id,
            "card_id": card.id,
            "card_grade": card.grade,
            "templates": {
                kind: (t.id, [dict(i) for i in t.items]) for kind, t in templates.items()
            },
            "map_sha256": route_map.sha256,
            # The demo data has blobs of its own (its routes' maps).
            "blobs_before": set(db.session.scalars(sa.select(Blob.sha256))),
        }
        db.session.remove()
    server = RestartableServer(app)
    server.start()
    try:
        yield {"app": app, "server": server, "tmp": tmp_path, **data}
    finally:
        server.stop()


def _licence_jpeg(path: Path) -> Path:
    """A 2400×1600 'photo' of a licence: larger than 1920 px, so the tablet must shrink it."""
    picture = Image.new("RGB", (2400, 1600), "#f5f0e1")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([(100, 100), (2300, 1500)], outline="#334", width=16)
    for row in range(8):
        draw.rectangle([(900, 300 + row * 130), (2100, 360 + row * 130)], fill="#8891a0")
    draw.rectangle([(200, 300), (750, 1000)], fill="#b5bcc8")
    picture.save(path, "JPEG", quality=92)
    return path


def _launch(playwright: Any, chromium_path: str, profile: Path, base_url: str) -> Any:
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_ARGS,
        base_url=base_url,
        viewport=TABLET,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.set_default_timeout(15_000)
    context.add_init_script(CSP_PROBE)
    return context


def _ready(page: Any) -> None:
    page.locator("#packet[data-ready='1']").wait_for(state="attached")


def _answer(item: dict[str, Any], n: int) -> Any:
    """What the salesperson enters for a template item: every type of item gets a value."""
    kind = item.get("type", "tick")
    if kind == "score":
        return 4 + n % 2
    if kind == "choice":
        return item["options"][n % len(item["options"])]
    if kind == "multi":
        # Two options, in the order the form lists them (the order the page sends them in).
        options = item["options"]
        picked = {n % len(options), (n + 1) % len(options)}
        return [o for i, o in enumerate(options) if i in picked]
    if kind == "text":
        return f"{item['label_zh']}：记录{n}"
    return True


def _fill(page: Any, scope: Any, name: str, item: dict[str, Any], value: Any) -> None:
    kind = item.get("type", "tick")
    if kind in ("score", "choice"):
        scope.locator(f"label.seg:has(input[name='{name}'][value='{value}'])").click()
    elif kind == "multi":
        for code in value:
            scope.locator(f"label.seg:has(input[name='{name}'][value='{code}'])").click()
    elif kind == "text":
        box = scope.locator("textarea")
        box.fill(value)
        box.blur()  # a text item is entered when the field is left ("change")
    else:
        scope.locator("label.check").click()


def _expect_value(scope: Any, name: str, item: dict[str, Any], value: Any) -> None:
    kind = item.get("type", "tick")
    if kind in ("score", "choice"):
        expect(scope.locator(f"input[name='{name}'][value='{value}']")).to_be_checked()
    elif kind == "multi":
        for code in value:
            expect(scope.locator(f"input[name='{name}'][value='{code}']")).to_be_checked()
        expect(scope.locator("input:checked")).to_have_count(len(value))
    elif kind == "text":
        expect(scope.locator("textarea")).to_have_value(value)
    else:
        expect(scope.locator("input[type=checkbox]")).to_be_checked()


def _checklist_items(drive: dict[str, Any]) -> list[tuple[str, int, dict[str, Any], Any]]:
    """(kind, template id, item, value entered) of every checklist item of the packet."""
    out = []
    for kind in ("predrive", "ride", "swap", "drive", "after"):
        tid, items = drive["templates"][kind]
        out += [(kind, tid, item, _answer(item, n)) for n, item in enumerate(items)]
    return out


def _feedback_answers(drive: dict[str, Any]) -> dict[str, Any]:
    _tid, items = drive["templates"]["feedback"]
    return {item["key"]: _answer(item, n) for n, item in enumerate(items)}


def _draw_signature(page: Any, pad: str = "#signature-pad", wave: int = 6) -> None:
    locator = page.locator(pad)
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box
    x, y = box["x"], box["y"]
    page.mouse.move(x + 40, y + 150)
    page.mouse.down()
    for step in range(1, 30):
        page.mouse.move(x + 40 + step * 12, y + 150 - (step % wave) * 18, steps=2)
    page.mouse.up()
    page.mouse.move(x + 120, y + 60)
    page.mouse.down()
    page.mouse.move(x + 260, y + 180, steps=8)
    page.mouse.up()


def _expect_state(page: Any, locator: Any, state: str) -> None:
    text = page.get_attribute("#packet", f"data-msg-{state}")
    assert text
    expect(locator).to_have_class(f"entry-state state-{state}")
    expect(locator).to_have_text(text)


def _notes(page: Any) -> list[str]:
    """The free-text notes the page offers (those the drive checklist does not ask for)."""
    return page.eval_on_selector_all(".note-field", "els => els.map(e => e.dataset.field)")


def _check_everything_is_there(page: Any, drive: dict[str, Any], state: str) -> None:
    """Every entry made offline is on the page again, with its state."""
    for _kind, tid, item, value in _checklist_items(drive):
        slot = f"tick:{tid}:{item['key']}"
        scope = page.locator(f".check-item[data-slot='{slot}']")
        _expect_value(scope, slot, item, value)
        _expect_state(page, scope.locator(".entry-state"), state)
    expect(page.locator("#f-consent")).to_be_checked()
    _expect_state(page, page.locator("[data-state-for=consent]"), state)
    expect(page.locator("#licence-done")).to_be_visible()
    expect(page.locator("#licence-last4")).to_contain_text("002X")
    expect(page.locator("#licence-last4")).not_to_contain_text("1101")
    _expect_state(page, page.locator("[data-state-for=licence]"), state)
    _expect_state(page, page.locator("[data-state-for=signature]"), state)
    expect(page.locator("#signed-done")).to_be_visible()
    for field in _notes(page):
        expect(page.locator(f"#f-note-{field}")).to_have_value(NOTES[field])
        _expect_state(page, page.locator(f"[data-state-for='note:{field}']"), state)
    _tid, items = drive["templates"]["feedback"]
    form = page.locator("#feedback-form")
    for key, value in _feedback_answers(drive).items():
        item = next(i for i in items if i["key"] == key)
        _expect_value(form.locator(f".fb-item[data-item-key='{key}']"), f"fb-{key}", item, value)
    expect(page.locator("#feedback-form input[name=grade][value=A]")).to_be_checked()
    _expect_state(page, page.locator("[data-state-for=feedback]"), state)
    expect(page.locator("#feedback-signed-done")).to_be_visible()
    _expect_state(page, page.locator("[data-state-for='signature:feedback_form']"), state)


def test_a_whole_test_drive_offline_survives_reload_and_restart_then_syncs(
    playwright: Any, chromium_path: str, drive: dict[str, Any], tmp_path: Path
) -> None:
    server: RestartableServer = drive["server"]
    profile = tmp_path / "profile"
    packet_path = f"/testdrive/bookings/{drive['booking_id']}/packet"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # 1. Open today's packet online; the service worker keeps it with its route map.
    context = _launch(playwright, chromium_path, profile, server.url)
    page = context.pages[0] if context.pages else context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")
    assert page.url.endswith("/my-day")
    # From "my day" (a boosted page): the packet opens as a whole page, so its scripts run.
    page.click(f"a[href='{packet_path}']")
    page.wait_for_url(f"**{packet_path}")
    _ready(page)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "([p, m]) => caches.open('packets').then(c => c.keys()).then(ks => {"
        " const paths = ks.map(r => new URL(r.url).pathname);"
        " return paths.includes(p) && paths.includes(m); })",
        arg=[packet_path, packet_path + "/map"],
    )
    expect(page.locator(".route-map")).to_be_visible()

    # 2. Truly offline: the server is gone and the tablet has no network.
    server.stop()
    context.set_offline(True)

    # 3. The whole drive, step by step as in the car.
    items = _checklist_items(drive)
    for kind, tid, item, value in items:
        if kind == "predrive":
            slot = f"tick:{tid}:{item['key']}"
            _fill(page, page.locator(f".check-item[data-slot='{slot}']"), slot, item, value)
    # The photo needs the consent first: the file input stays disabled until it is ticked.
    expect(page.locator("#f-licence_photo")).to_be_disabled()
    page.click("label.consent-check")
    expect(page.locator("#f-licence_photo")).to_be_enabled()
    page.fill("#f-id_number", ID_NUMBER[:17] + "1")  # a wrong check character
    page.select_option("#f-licence_class", "C1")
    page.fill("#f-expires_on", (local_today() + timedelta(days=700)).isoformat())
    page.set_input_files("#f-licence_photo", str(_licence_jpeg(tmp_path / "licence.jpg")))
    expect(page.locator("#licence-preview")).to_be_visible()
    page.click("#licence-save")
    expect(page.locator("#f-id_number-error")).to_be_visible()
    expect(page.locator("[data-state-for=licence]")).to_have_text("")
    page.fill("#f-id_number", ID_NUMBER.lower())
    page.click("#licence-save")
    _expect_state(page, page.locator("[data-state-for=licence]"), LOCAL)
    expect(page.locator("#licence-form")).to_be_hidden()  # the ID number leaves the screen
    expect(page.locator("#licence-thumb")).to_be_visible()

    _draw_signature(page)
    page.click("#signature-save")
    expect(page.locator("#signature-thumb")).to_be_visible()

    for kind, tid, item, value in items:
        if kind != "predrive":
            slot = f"tick:{tid}:{item['key']}"
            _fill(page, page.locator(f".check-item[data-slot='{slot}']"), slot, item, value)
    notes = _notes(page)
    assert "remark" in notes
    for field in notes:
        page.fill(f"#f-note-{field}", NOTES[field])
        page.locator(f"[data-slot='note:{field}'] .note-save").click()

    _tid, feedback_items = drive["templates"]["feedback"]
    form = page.locator("#feedback-form")
    for key, value in _feedback_answers(drive).items():
        item = next(i for i in feedback_items if i["key"] == key)
        _fill(page, form.locator(f".fb-item[data-item-key='{key}']"), f"fb-{key}", item, value)
    if page.locator("#f-intention").count():
        page.fill("#f-intention", "两周内决定")
    page.click("#feedback-form label.seg:has(input[name=grade][value=A])")
    page.click("#feedback-save")
    # The customer signs 附表九 on the same kind of pad as the safety agreement.
    page.click("#feedback-signature-save")
    expect(page.locator("#feedback-signature-error")).to_be_visible()  # nothing drawn yet
    _draw_signature(page, "#feedback-signature-pad", wave=4)
    page.click("#feedback-signature-save")
    expect(page.locator("#feedback-signature-thumb")).to_be_visible()
    expect(page.locator("#feedback-signature-error")).to_be_hidden()
    _check_everything_is_there(page, drive, LOCAL)
    # One tick per click (a multi item's options are clicked one by one), the notes, and
    # the consent, licence, two signatures and feedback.
    tick_entries = sum(len(v) if i.get("type") == "multi" else 1 for _k, _t, i, v in items)
    expected = tick_entries + len(notes) + 5
    slots = len(items) + len(notes) + 5  # a state badge per item, note and document
    expect(page.locator("#outbox-summary")).to_contain_text(str(expected))

    # The packet as the salesperson sees it in the car, at tablet and phone size.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "packet-offline-tablet.png"), full_page=True)
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(ARTIFACTS / "packet-offline-390x844.png"), full_page=True)
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size(TABLET)

    # 4a. Reload while offline: the worker serves the kept page, the outbox refills it.
    page.reload()
    _ready(page)
    _check_everything_is_there(page, drive, LOCAL)
    expect(page.locator("#licence-thumb")).to_be_visible()
    expect(page.locator("#signature-thumb")).to_be_visible()
    assert csp_violations(page) == []
    assert [e for e in watch.errors if e.startswith("pageerror")] == []
    context.close()

    # 4b. Restart the browser with the same profile, still offline.
    context = _launch(playwright, chromium_path, profile, server.url)
    context.set_offline(True)
    page = context.pages[0] if context.pages else context.new_page()
    watch = ConsoleWatch(page)
    page.goto(packet_path)
    _ready(page)
    _check_everything_is_there(page, drive, LOCAL)
    expect(page.locator("#licence-thumb")).to_be_visible()
    expect(page.locator(".route-map")).to_be_visible()
    assert page.evaluate("() => document.querySelector('.route-map').naturalWidth") > 0

    # A page never kept answers with the offline page, which offers the kept packets (this
    # one, and today's others that "my day" listed while online).
    page.goto("/customers/box")
    kept = page.locator(f"#kept-packets a[href='{packet_path}']")
    expect(kept).to_have_count(1)
    kept.click()
    page.wait_for_url(f"**{packet_path}")
    _ready(page)
    _expect_state(page, page.locator("[data-state-for=feedback]"), LOCAL)

    # 5. Back in the showroom: the server returns and the network too.
    server.start()
    context.set_offline(False)
    # The session cookie ended with the browser (no "keep me logged in"): the outbox keeps
    # everything and asks to log in again; after logging in, it resumes on its own.
    expect(page.locator("#outbox-login")).to_be_visible()
    expect(page.locator("#outbox-bar")).to_have_class("outbox-bar is-auth")
    assert page.locator("[data-state-for].state-synced").count() == 0
    page.click("#outbox-login")
    page.fill("#username", "sales1")
    page.fill("#password", PASSWORDS["sales1"])
    with page.expect_navigation():
        page.click("#login-form button[type=submit]")
    assert page.url.endswith(packet_path)
    _ready(page)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-state-for].state-synced').length >= n",
        arg=slots,
        timeout=30_000,
    )
    _check_everything_is_there(page, drive, SYNCED)
    expect(page.locator("#outbox-bar")).to_have_class("outbox-bar is-synced")
    assert page.evaluate(
        "() => new Promise(ok => { const r = indexedDB.open('showroom-outbox');"
        " r.onsuccess = () => { const t = r.result.transaction(['entries', 'blobs']);"
        " const a = t.objectStore('entries').count(), b = t.objectStore('blobs').count();"
        " t.oncomplete = () => ok([a.result, b.result]); }; })"
    ) == [0, 0]
    assert csp_violations(page) == []
    assert [e for e in watch.errors if e.startswith("pageerror")] == []

    # Reopened online, the server's own page shows the same, synced.
    page.reload()
    _ready(page)
    _check_everything_is_there(page, drive, SYNCED)
    context.close()

    # Exactly the expected rows and blobs on the server.
    app: Flask = drive["app"]
    with app.app_context():
        booking = db.session.get(TestDriveBooking, drive["booking_id"])
        entries = db.session.scalars(
            sa.select(TestDriveEntry).where(TestDriveEntry.booking_id == booking.id)
        ).all()
        # The latest tick of each item holds its value (a multi item has one per click).
        latest = {
            (e.kind, e.template_id, e.item_key): repr(e.value)
            for e in sorted(entries, key=lambda e: e.id)
            if e.kind not in ("note", "feedback")
        }
        assert sum(e.kind not in ("note", "feedback") for e in entries) == tick_entries
        ticks = sorted((*key, value) for key, value in latest.items())
        assert ticks == sorted(
            (kind, tid, item["key"], repr(value)) for kind, tid, item, value in items
        )
        assert sorted((e.item_key, e.value) for e in entries if e.kind == "note") == sorted(
            (field, NOTES[field]) for field in notes
        )
        (feedback,) = [e for e in entries if e.kind == "feedback"]
        assert feedback.template_id == drive["templates"]["feedback"][0]
        assert feedback.value["answers"] == _feedback_answers(drive)
        assert feedback.value["grade"] == "A"
        assert booking.status == "done"
        (consent,) = db.session.scalars(sa.select(Consent)).all()
        assert (consent.booking_id, consent.notice_version) == (booking.id, "2026-11")
        (check,) = db.session.scalars(sa.select(LicenceCheck)).all()
        assert (check.id_number_last4, check.licence_class, check.consent_id) == (
            "002X",
            "C1",
            consent.id,
        )
        assert ID_NUMBER.encode() not in check.id_number_enc
        signed, signed_feedback = db.session.scalars(
            sa.select(SignedDocument).order_by(SignedDocument.id)
        ).all()
        assert (signed.document, signed.booking_id) == ("safety_agreement", booking.id)
        assert (signed_feedback.document, signed_feedback.booking_id) == (
            "feedback_form",
            booking.id,
        )
        blobs = {b.sha256: b for b in db.session.scalars(sa.select(Blob))}
        assert drive["map_sha256"] in drive["blobs_before"]
        assert set(blobs) - drive["blobs_before"] == {
            check.photo_sha256,
            signed.signature_sha256,
            signed_feedback.signature_sha256,
        }
        assert blobs[signed_feedback.signature_sha256].mime == "image/png"
        photo = blobs[check.photo_sha256]
        assert (photo.purpose, photo.mime, photo.sensitive) == ("licence", "image/jpeg", True)
        assert max(photo.width or 0, photo.height or 0) <= 1920 and photo.size <= 1024 * 1024
        assert blobs[signed.signature_sha256].mime == "image/png"
        for sha in blobs:
            assert blob_path(sha).exists()
        receipts = db.session.scalars(sa.select(SyncReceipt)).all()
        assert len(receipts) == expected and len({r.entry_id for r in receipts}) == expected
        assert sum(r.kind == "testdrive.tick" for r in receipts) == tick_entries
        card = db.session.get(CustomerCard, drive["card_id"])
        assert card.grade == "A"
        # What the drive showed is on the card's own fields, as codes.
        drive_values = {item["key"]: value for kind, _t, item, value in items if kind == "drive"}
        assert card.driving_style == drive_values["driving_style"]
        assert card.focus_points == drive_values["focus_points"]


def test_logout_warns_about_unsynced_entries_then_clears_the_tablet(
    playwright: Any, chromium_path: str, drive: dict[str, Any], tmp_path: Path
) -> None:
    server: RestartableServer = drive["server"]
    packet_path = f"/testdrive/bookings/{drive['booking_id']}/packet"
    context = _launch(playwright, chromium_path, tmp_path / "profile", server.url)
    page = context.pages[0] if context.pages else context.new_page()
    login(page, "sales1")
    page.goto(packet_path)
    _ready(page)
    page.wait_for_function(
        "(p) => caches.open('packets').then(c => c.keys())"
        ".then(ks => ks.some(r => new URL(r.url).pathname === p))",
        arg=packet_path,
    )
    # The sync endpoint is out of reach: the tick stays on the tablet.
    page.route("**/sync/**", lambda route: route.abort())
    page.locator("#predrive .check-item label.check").first.click()
    _expect_state(page, page.locator("#predrive .check-item .entry-state").first, LOCAL)

    messages: list[str] = []

    def dismiss(dialog: Any) -> None:
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.click("form[action='/logout'] button")
    for _ in range(100):  # the warning comes after the outbox was counted
        if messages:
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(200)  # and nothing else happens after it was dismissed
    assert len(messages) == 1 and "1" in messages[0]
    assert page.url.endswith(packet_path)  # still logged in, nothing deleted
    count = (
        "() => new Promise(ok => { const r = indexedDB.open('showroom-outbox');"
        " r.onsuccess = () => { const t = r.result.transaction(['entries', 'done']);"
        " const a = t.objectStore('entries').count(), b = t.objectStore('done').count();"
        " t.oncomplete = () => { r.result.close(); ok([a.result, b.result]); }; }; })"
    )
    assert page.evaluate(count) == [1, 0]

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    page.wait_for_url("**/login**")
    assert page.evaluate(count) == [0, 0]
    assert page.evaluate("() => caches.has('packets')") is False
    context.close()


def test_an_entry_the_server_refuses_shows_needs_attention(
    playwright: Any, chromium_path: str, drive: dict[str, Any], tmp_path: Path
) -> None:
    server: RestartableServer = drive["server"]
    packet_path = f"/testdrive/bookings/{drive['booking_id']}/packet"
    context = _launch(playwright, chromium_path, tmp_path / "profile", server.url)
    page = context.pages[0] if context.pages else context.new_page()
    login(page, "sales1")
    page.goto(packet_path)
    _ready(page)
    tid, items = drive["templates"]["ride"]
    first, second = (i["key"] for i in items[:2])
    # Through the one write path, as packet.js does: a good tick, and one whose value does
    # not fit its template item (an older tablet, a changed template …).
    page.evaluate(
        "([b, t, k1, k2]) => Outbox.enqueue('testdrive.tick',"
        " {booking_id: b, template_id: t, item_key: k1, value: true})"
        ".then(() => Outbox.enqueue('testdrive.tick',"
        " {booking_id: b, template_id: t, item_key: k2, value: 'sometimes'}))",
        [drive["booking_id"], tid, first, second],
    )
    page.reload()
    _ready(page)
    _expect_state(page, page.locator(f"[data-state-for='tick:{tid}:{first}']"), SYNCED)
    _expect_state(page, page.locator(f"[data-state-for='tick:{tid}:{second}']"), "attention")
    # The outbox holds nothing more; the server keeps the refused entry in quarantine.
    expect(page.locator("#outbox-bar")).to_have_class("outbox-bar is-synced")
    context.close()
    with drive["app"].app_context():
        (kept,) = db.session.scalars(sa.select(QuarantinedEntry)).all()
        assert (kept.kind, kept.payload["item_key"], kept.reason) == (
            "testdrive.tick",
            second,
            "validation",
        )
