"""The sales manager approves a contract on a phone (390×844): the salesperson's submitted
contract arrives as an inbox notice, a tap on it opens the contract page, and the manager
approves with a note. The contract list and page are also looked at on a tablet and a phone.
Screenshots go to tests/artifacts."""

from __future__ import annotations

import shutil
from datetime import timedelta
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
)
from tests.negotiation.conftest import CASH_INPUTS
from webapp.auth.models import User
from webapp.catalog.models import Sfx
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.negotiation import contracts
from webapp.negotiation.contract_models import Contract, Memo, MemoVersion
from webapp.push.models import Notification
from webapp.timeutil import local_today, now

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the screenshots are looked at


def submitted_contract(server: LiveServer, customer: str) -> int:
    """A contract of sales1, made from a confirmed memo version and sent for approval, as the
    salesperson would at the negotiation table; returns its id."""
    with server.app.app_context(), server.app.test_request_context():
        try:
            sales = db.session.scalar(sa.select(User).where(User.username == "sales1"))
            sfx = db.session.scalar(sa.select(Sfx).order_by(Sfx.id).limit(1))
            serial = db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard))
            card = CustomerCard(
                store_id=sales.store_id,
                owner_id=sales.id,
                name=customer,
                title="ms",
                mobile=f"13700{serial + 1:06d}",
                source="walk_in",
                grade="H",
                model_id=sfx.model_id,
            )
            db.session.add(card)
            db.session.flush()
            memo = Memo(store_id=card.store_id, card_id=card.id, owner_id=sales.id, latest_number=1)
            db.session.add(memo)
            db.session.flush()
            version = MemoVersion(
                memo_id=memo.id,
                store_id=card.store_id,
                number=1,
                sfx_id=sfx.id,
                colour_id=sfx.model.colours[0].id if sfx.model.colours else None,
                inputs=dict(CASH_INPUTS, purchase_date=local_today().isoformat()),
                list_price=sfx.msrp,
                discount=0,
                total=sfx.msrp,
                delivery_date=local_today() + timedelta(days=21),
                delivery_accepted=True,
                created_by_id=sales.id,
                confirmed_at=now(),
            )
            db.session.add(version)
            db.session.commit()
            contract = contracts.create_contract(sales, version.id, version.delivery_date)
            contracts.submit(sales, contract.id)
            return contract.id
        finally:
            db.session.remove()


def notice_of(server: LiveServer, contract_id: int) -> int:
    """The manager's inbox notice that leads to the contract."""
    with server.app.app_context():
        try:
            return db.session.scalar(
                sa.select(Notification.id)
                .join(User, User.id == Notification.user_id)
                .where(
                    User.username == "manager",
                    Notification.kind == "approval",
                    Notification.url == f"/negotiation/contracts/{contract_id}",
                )
            )
        finally:
            db.session.remove()


def state_of(server: LiveServer, contract_id: int) -> tuple[str, str]:
    with server.app.app_context():
        try:
            contract = db.session.get(Contract, contract_id)
            return contract.state, contract.decision_note
        finally:
            db.session.remove()


def keep(path: Path, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, SHOTS / f"contract-{name}.png")


def test_the_manager_approves_a_contract_from_the_inbox_on_a_phone(
    new_context: Any, live_server: LiveServer
) -> None:
    contract_id = submitted_contract(live_server, "林静怡")
    phone = new_context(PHONE, has_touch=True)
    phone.add_init_script(CSP_PROBE)
    page = phone.new_page()
    watch = ConsoleWatch(page)
    login(page, "manager")

    page.goto("/inbox/")
    notice = page.locator(
        f".inbox-row:has(form[action$='/inbox/{notice_of(live_server, contract_id)}/read'])"
    )
    expect(notice).to_be_visible()
    keep(shot(page, "contract-approval-inbox"), "approval-inbox-390")
    notice.locator("button").tap()
    page.wait_for_url(f"**/negotiation/contracts/{contract_id}")
    expect(page.locator("#contract-actions")).to_be_visible()
    keep(shot(page, "contract-approval-page"), "approval-page-390")
    # Playwright's screenshot leaves an empty style attribute on the inputs (it hides the
    # caret); htmx would copy it onto the next page's inputs and trip the CSP: start clean.
    page.reload()

    approve = page.locator("button[name=decision][value=approve]")
    box = approve.bounding_box()
    assert box is not None and box["height"] >= 44 and box["width"] >= 150
    page.locator("#f-note").fill("价格在权限内，同意签约")
    approve.tap()
    expect(page.locator(".contract-head .badge.state-approved")).to_be_visible()
    expect(page.locator(".contract-head")).to_contain_text("价格在权限内，同意签约")
    keep(shot(page, "contract-approval-done"), "approval-done-390")

    assert state_of(live_server, contract_id) == ("approved", "价格在权限内，同意签约")
    assert horizontal_overflow(page) <= 0
    assert csp_violations(page) == []
    assert watch.errors == []


@pytest.mark.parametrize(("viewport", "size"), [(TABLET, "1024"), (PHONE, "390")])
def test_the_contract_list_and_page_fit_tablet_and_phone(
    new_context: Any, live_server: LiveServer, viewport: dict, size: str
) -> None:
    contract_id = submitted_contract(live_server, f"宋佳{size}")
    context = new_context(viewport)
    context.add_init_script(CSP_PROBE)
    page = context.new_page()
    watch = ConsoleWatch(page)
    login(page, "sales1")

    page.goto("/negotiation/contracts")
    expect(page.locator(f"a[href='/negotiation/contracts/{contract_id}']")).to_be_visible()
    keep(shot(page, "contract-list"), f"list-{size}")
    assert horizontal_overflow(page) <= 0

    page.locator(".state-chip.state-submitted").click()
    expect(page.locator(".state-chip.state-submitted.active")).to_be_visible()
    assert "state=submitted" in page.url

    page.goto(f"/negotiation/contracts/{contract_id}")
    expect(page.locator(".progress-step.is-current")).to_have_count(1)
    keep(shot(page, "contract-page"), f"page-{size}")
    assert horizontal_overflow(page) <= 0
    assert csp_violations(page) == []
    assert watch.errors == []
