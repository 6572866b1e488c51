"""Delivery day at the car, offline: 附表十五 新车交接确认表 ticked and signed on the tablet with
no network, the page reloaded offline, then synced back.

Open the delivery's forms online; stop the server and take the tablet offline; tick every
required item of 附表十五 (the signature pad opens only then) and have the customer sign;
reload offline (the page is rebuilt from IndexedDB); bring the server back and go online:
everything syncs, and the database holds exactly the expected DeliveryEntry rows and one
DeliverySignature. Screenshots at tablet and phone size.

The server is this test's own (as tests/browser/test_testdrive_offline.py): it must stop and
come back on the same address with the same database.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.support import (
    ARTIFACTS,
    ConsoleWatch,
    csp_violations,
    horizontal_overflow,
    login,
    small_targets,
)
from tests.browser.test_testdrive_offline import RestartableServer, _draw_signature, _launch
from tests.negotiation.conftest import make_version
from webapp import create_app
from webapp.auth.models import User
from webapp.blobs.models import Blob
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import Delivery, DeliveryEntry, DeliverySignature
from webapp.demo import seed
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.sync.models import QuarantinedEntry
from webapp.timeutil import local_today, now

pytestmark = pytest.mark.browser

SYNCED, LOCAL = "synced", "local"


@pytest.fixture(autouse=True)
def _patient_expect() -> Iterator[None]:
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=5_000)


def _contract(card: CustomerCard) -> Contract:
    """A balance-paid contract of the card on the demo catalogue (as make_contract builds)."""
    model = db.session.scalar(
        sa.select(VehicleModel).where(VehicleModel.sfx.any(), VehicleModel.colours.any()).limit(1)
    )
    cat = SimpleNamespace(corolla=model, corolla_sfx=model.sfx[0], white=model.colours[0])
    version = make_version(card, cat)  # type: ignore[arg-type]
    contract = Contract(
        number=f"HO-{version.id:06d}",
        store_id=card.store_id,
        card_id=card.id,
        owner_id=card.owner_id,
        memo_version_id=version.id,
        model_id=model.id,
        sfx_id=cat.corolla_sfx.id,
        colour_id=cat.white.id,
        state=ContractState.BALANCE_PAID.value,
        contract_date=local_today(),
        delivery_date=local_today(),
        total=Decimal("120000.00"),
        deposit_due=Decimal("5000.00"),
        balance_due=Decimal("115000.00"),
    )
    db.session.add(contract)
    db.session.flush()
    return contract


@pytest.fixture
def day(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """A seeded database with a delivery of sales1 due in an hour."""
    app = create_app(
        {
            "ENV_NAME": "test",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/delivery.sqlite3",
            "BLOB_DIR": str(tmp_path / "blobs"),
            "BLOB_KEY": base64.b64encode(os.urandom(32)).decode(),
        }
    )
    with app.app_context():
        db.create_all()
        seed()
        sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
        card = db.session.scalar(
            sa.select(CustomerCard)
            .where(
                CustomerCard.owner_id == sales1.id,
                ~CustomerCard.id.in_(sa.select(Contract.card_id)),
            )
            .order_by(CustomerCard.id)
            .limit(1)
        )
        contract = _contract(card)
        delivery = Delivery(
            store_id=card.store_id,
            contract_id=contract.id,
            card_id=card.id,
            owner_id=sales1.id,
            scheduled_at=now() + timedelta(hours=1),
        )
        db.session.add(delivery)
        db.session.commit()
        lists = current_checklists()
        handover = lists["handover"]
        data = {
            "delivery_id": delivery.id,
            "handover_id": handover.id,
            "required": [i["key"] for i in handover.items if i.get("required")],
            "blobs_before": set(db.session.scalars(sa.select(Blob.sha256))),
        }
        db.session.remove()
    server = RestartableServer(app)
    server.start()
    try:
        yield {"app": app, "server": server, **data}
    finally:
        server.stop()


def _ready(page: Any) -> None:
    page.locator("#delivery-forms[data-ready='1']").wait_for(state="attached")


def _expect_state(page: Any, locator: Any, state: str) -> None:
    text = page.get_attribute("#delivery-forms", f"data-msg-{state}")
    assert text
    expect(locator).to_have_class(f"entry-state state-{state}")
    expect(locator).to_have_text(text)


def _check_handover(page: Any, day: dict[str, Any], state: str) -> None:
    form = page.locator(".delivery-form[data-kind='handover']")
    for key in day["required"]:
        item = form.locator(f".check-item[data-item-key='{key}']")
        expect(item.locator("input[type=checkbox]")).to_be_checked()
        _expect_state(page, item.locator(".entry-state"), state)
    n = len(day["required"])
    expect(page.locator("[data-progress-for='handover']")).to_have_text(str(n))
    expect(page.locator("#signed-handover")).to_be_visible()
    expect(page.locator("#signature-wrap-handover")).to_be_hidden()
    _expect_state(page, page.locator("[data-state-for='signature:handover']"), state)
    # 附表十四 is untouched: its pad stays locked.
    expect(page.locator("#signature-save-process")).to_be_disabled()


def test_the_handover_form_ticked_and_signed_offline_survives_reload_then_syncs(
    playwright: Any, chromium_path: str, day: dict[str, Any], tmp_path: Path
) -> None:
    server: RestartableServer = day["server"]
    path = f"/delivery/{day['delivery_id']}/checklists"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)

    # 1. Online: open the forms; the service worker keeps the page.
    context = _launch(playwright, chromium_path, tmp_path / "profile", server.url)
    page = context.pages[0] if context.pages else context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")
    page.goto(path)
    _ready(page)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.evaluate(
        "(p) => navigator.serviceWorker.ready.then(r =>"
        " r.active.postMessage({type: 'CACHE_PACKETS', urls: [p]}))",
        path,
    )
    page.wait_for_function(
        "(p) => caches.open('packets').then(c => c.keys())"
        ".then(ks => ks.some(r => new URL(r.url).pathname === p))",
        arg=path,
    )
    expect(page.locator("#signature-save-handover")).to_be_disabled()

    # 2. Truly offline.
    server.stop()
    context.set_offline(True)

    # 3. Tick every required item of 附表十五; the pad opens with the last one.
    form = page.locator(".delivery-form[data-kind='handover']")
    for n, key in enumerate(day["required"]):
        expect(page.locator("#signature-save-handover")).to_be_disabled()
        form.locator(f".check-item[data-item-key='{key}'] label.check").click()
        expect(page.locator("[data-progress-for='handover']")).to_have_text(str(n + 1))
    expect(page.locator("#signature-save-handover")).to_be_enabled()
    expect(page.locator("#signature-locked-handover")).to_be_hidden()
    page.click("#signature-save-handover")
    expect(page.locator("#signature-error-handover")).to_be_visible()  # nothing drawn yet
    _draw_signature(page, "#signature-pad-handover")
    page.click("#signature-save-handover")
    expect(page.locator("#signature-thumb-handover")).to_be_visible()
    _check_handover(page, day, LOCAL)
    expect(page.locator("#outbox-summary")).to_contain_text(str(len(day["required"]) + 1))

    # The forms at the car, at tablet and phone size.
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "delivery-forms-offline-tablet.png"), full_page=True)
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "delivery-forms-offline-390x844.png"), full_page=True)
    assert small_targets(page) == []
    assert horizontal_overflow(page) <= 0
    page.set_viewport_size({"width": 1024, "height": 768})

    # 4. Reload, still offline: the worker serves the kept page, the outbox refills it.
    page.reload()
    _ready(page)
    _check_handover(page, day, LOCAL)
    expect(page.locator("#signature-thumb-handover")).to_be_visible()
    assert csp_violations(page) == []

    # 5. Back online with the server: everything syncs on its own (same session).
    server.start()
    context.set_offline(False)
    page.wait_for_function(
        "(n) => document.querySelectorAll('[data-state-for].state-synced').length >= n",
        arg=len(day["required"]) + 1,
        timeout=30_000,
    )
    _check_handover(page, day, SYNCED)
    expect(page.locator("#outbox-bar")).to_have_class("outbox-bar is-synced")
    assert csp_violations(page) == []
    assert [e for e in watch.errors if e.startswith("pageerror")] == []

    # Reopened online, the server's own page shows the same.
    page.reload()
    _ready(page)
    _check_handover(page, day, SYNCED)
    page.screenshot(path=str(ARTIFACTS / "delivery-forms-synced-tablet.png"), full_page=True)
    context.close()

    # Exactly the expected rows on the server.
    with day["app"].app_context():
        entries = db.session.scalars(
            sa.select(DeliveryEntry)
            .where(DeliveryEntry.delivery_id == day["delivery_id"])
            .order_by(DeliveryEntry.id)
        ).all()
        assert [(e.delivery_id, e.kind, e.checklist_id, e.item_key, e.done) for e in entries] == [
            (day["delivery_id"], "handover", day["handover_id"], key, True)
            for key in day["required"]
        ]
        assert len({e.entry_uuid for e in entries}) == len(entries)
        (signed,) = db.session.scalars(
            sa.select(DeliverySignature).where(DeliverySignature.delivery_id == day["delivery_id"])
        ).all()
        assert (signed.delivery_id, signed.form, signed.checklist_id) == (
            day["delivery_id"],
            "handover",
            day["handover_id"],
        )
        new_blobs = set(db.session.scalars(sa.select(Blob.sha256))) - day["blobs_before"]
        assert new_blobs == {signed.signature_sha256}
        assert db.session.scalar(sa.select(sa.func.count()).select_from(QuarantinedEntry)) == 0
