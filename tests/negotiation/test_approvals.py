"""The sales manager's approval queue and decisions: submitted contracts of the store oldest
first, approve with a note or reject with one, the salesperson told either way."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractEvent, ContractState
from webapp.push.models import Notification
from webapp.timeutil import now

S = ContractState


def login(client, world, role: str):
    client.login(world.users[role].username)
    return client


def test_the_queue_lists_the_stores_submitted_contracts_oldest_first(
    client, world, make_contract, make_card
):
    newer = make_contract(world.own_card, S.SUBMITTED)
    older = make_contract(world.colleague_card, S.SUBMITTED)
    older.updated_at = now() - timedelta(days=1)
    draft = make_contract(make_card(world.users["salesperson"]))
    outside = make_contract(world.other_store_card, S.SUBMITTED)
    db.session.commit()
    html = assert_full_page(login(client, world, "sales_manager").get("/negotiation/approvals"))
    assert html.index(f'/negotiation/contracts/{older.id}"') < html.index(
        f'/negotiation/contracts/{newer.id}"'
    )
    assert f'/negotiation/contracts/{draft.id}"' not in html
    assert f'/negotiation/contracts/{outside.id}"' not in html


def test_the_queue_answers_with_its_fragment(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    html = assert_fragment(client.get("/negotiation/approvals", headers=HX), "approval-list")
    assert f"/negotiation/contracts/{contract.id}" in html


@pytest.mark.parametrize("role", ["salesperson", "finance", "greeter"])
def test_only_the_manager_and_admin_open_the_queue(client, world, role):
    assert login(client, world, role).get("/negotiation/approvals").status_code == 403


def test_an_empty_queue_says_so(client, world):
    html = assert_full_page(login(client, world, "admin").get("/negotiation/approvals"))
    assert 'class="empty"' in html


def test_the_manager_approves_with_a_note_and_the_salesperson_is_told(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/decide",
        data={"decision": "approve", "note": "优惠在权限内，可以签"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    decided = db.session.get(Contract, contract.id)
    assert decided.state == S.APPROVED.value
    assert decided.decision_note == "优惠在权限内，可以签"
    assert decided.decided_by_id == world.users["sales_manager"].id
    notice = db.session.scalar(
        sa.select(Notification).where(Notification.kind == "contract_decided")
    )
    assert notice.user_id == world.users["salesperson"].id
    assert notice.url == f"/negotiation/contracts/{contract.id}"
    page = client.get(f"/negotiation/contracts/{contract.id}").get_data(as_text=True)
    assert "优惠在权限内，可以签" in page


def test_a_rejection_needs_a_note_next_to_the_field_and_changes_nothing(
    client, world, make_contract
):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/decide", data={"decision": "reject", "note": ""}
    )
    assert response.status_code == 422
    assert "note" in field_errors(response.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.SUBMITTED.value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_rejected_contract_goes_back_to_the_salesperson_who_submits_it_again(
    client, world, make_contract
):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "sales_manager")
    client.post(
        f"/negotiation/contracts/{contract.id}/decide",
        data={"decision": "reject", "note": "交车日期太早，库存没有白色"},
    )
    client.post("/logout")
    login(client, world, "salesperson")
    page = client.get(f"/negotiation/contracts/{contract.id}").get_data(as_text=True)
    assert "交车日期太早，库存没有白色" in page
    assert f"/negotiation/contracts/{contract.id}/submit" in page
    assert client.post(f"/negotiation/contracts/{contract.id}/submit").status_code == 303
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.SUBMITTED.value


def test_deciding_twice_is_refused_with_a_message(client, world, make_contract):
    contract = make_contract(world.own_card, S.APPROVED)
    login(client, world, "sales_manager")
    before = db.session.scalar(
        sa.select(sa.func.count()).where(ContractEvent.contract_id == contract.id)
    )
    response = client.post(
        f"/negotiation/contracts/{contract.id}/decide", data={"decision": "reject", "note": "x"}
    )
    assert response.status_code == 422
    assert 'class="form-error" role="alert"' in response.get_data(as_text=True)
    after = db.session.scalar(
        sa.select(sa.func.count()).where(ContractEvent.contract_id == contract.id)
    )
    assert after == before


def test_a_salesperson_cannot_approve(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.SUBMITTED.value


def test_another_stores_manager_cannot_reach_the_contract(client, world, make_contract):
    contract = make_contract(world.own_card, S.SUBMITTED)
    login(client, world, "other_manager")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/decide", data={"decision": "approve"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.SUBMITTED.value


def test_the_inbox_notice_leads_to_the_contract_page(client, world, make_contract):
    contract = make_contract(world.own_card)
    login(client, world, "salesperson")
    client.post(f"/negotiation/contracts/{contract.id}/submit")
    client.post("/logout")
    login(client, world, "sales_manager")
    notice = db.session.scalar(sa.select(Notification))
    opened = client.post(f"/inbox/{notice.id}/read")
    assert opened.status_code in (302, 303)
    assert opened.headers["Location"].endswith(f"/negotiation/contracts/{contract.id}")
    page = client.get(f"/negotiation/contracts/{contract.id}").get_data(as_text=True)
    assert f"/negotiation/contracts/{contract.id}/decide" in page


def test_memo_discounts_waiting_for_the_manager_are_in_the_queue_too(client, world, catalogue):
    from tests.negotiation.conftest import make_version

    version = make_version(world.own_card, catalogue, confirmed=False)
    version.approval = "pending"
    version.discount = 12000
    db.session.commit()
    html = assert_full_page(login(client, world, "sales_manager").get("/negotiation/approvals"))
    assert f"/negotiation/memos/{version.memo_id}/v/{version.number}" in html
    assert "¥12,000.00" in html
