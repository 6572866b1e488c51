"""Pages after signing: finance's queue and payment form, the car allocated from stock, the
delay with its message to the customer, and the contacts of the salesperson's day, each in
full and as its fragment, with errors next to the fields and nothing saved."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.negotiation.conftest import make_vehicle, vin
from tests.negotiation.test_contracts import contract_at
from webapp.extensions import db
from webapp.negotiation import contact_plan, contracts
from webapp.negotiation.contract_models import (
    ContactKind,
    Contract,
    ContractContact,
    ContractState,
    Payment,
)
from webapp.stock.models import Vehicle
from webapp.timeutil import local_today

S = ContractState


def login(client, world, role: str) -> None:
    assert client.login(world.users[role].username).status_code == 303


def payments_of(contract_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Payment).where(Payment.contract_id == contract_id)
    )


@pytest.fixture
def at(world, catalogue, make_contract):
    """at(state, card=own card, **fields): a contract at that state."""

    def build(state: ContractState, card=None, **fields) -> Contract:
        return contract_at(make_contract, catalogue, card or world.own_card, state, **fields)

    return build


# --- finance's queue -------------------------------------------------------------------------


def test_finances_queue_lists_the_deposits_and_balances_due_of_the_store(client, world, at):
    signed = at(S.SIGNED)
    allocated = at(S.ALLOCATED, card=world.colleague_card)
    at(S.DEPOSIT_PAID)
    at(S.APPROVED)
    other = at(S.SIGNED, card=world.other_store_card)
    login(client, world, "finance")
    html = assert_full_page(client.get("/negotiation/payments"))
    assert signed.number in html and allocated.number in html
    assert other.number not in html
    assert html.count('class="card-row"') == 2
    assert "¥5,000.00" in html  # the deposit of the signed one
    assert "¥115,000.00" in html  # the balance of the allocated one


def test_the_queue_answers_with_its_fragment(client, world, at):
    signed = at(S.SIGNED)
    login(client, world, "sales_manager")
    response = client.get("/negotiation/payments", headers={**HX, "HX-Target": "payment-queue"})
    assert signed.number in assert_fragment(response, "payment-queue")


@pytest.mark.parametrize("role", ["greeter", "salesperson", "car_keeper", "service_advisor"])
def test_the_queue_is_not_for_sales_or_the_greeter(client, world, role):
    login(client, world, role)
    assert client.get("/negotiation/payments").status_code == 403


# --- recording a payment ---------------------------------------------------------------------


def pay_form(**overrides) -> dict[str, str]:
    data = {
        "kind": "deposit",
        "amount": "5000",
        "method": "pos",
        "reference": "POS 0031",
        "received_on": local_today().isoformat(),
    }
    data.update(overrides)
    return data


def test_the_payment_page_shows_the_form_to_finance_with_the_amount_due(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "finance")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/payments"))
    assert 'id="payment-form"' in html
    assert 'value="5000.00"' in html
    assert "驾驶证" not in html and "licence" not in html.lower()


def test_the_owner_sees_the_payments_but_no_payment_form(client, world, at):
    contract = at(S.ALLOCATED)
    login(client, world, "salesperson")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/payments"))
    assert "¥5,000.00" in html and 'class="table payments-table"' in html
    assert 'id="payment-form"' not in html


@pytest.mark.parametrize(
    ("amount", "word"),
    [("-100", "0"), ("0", "0"), ("4999", "5,000.00"), ("abc", "150000")],
    ids=["negative", "zero", "below-deposit", "not-a-number"],
)
def test_a_bad_amount_is_shown_next_to_the_field_and_nothing_is_saved(
    client, world, at, amount, word
):
    contract = at(S.SIGNED)
    login(client, world, "finance")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/payments", data=pay_form(amount=amount)
    )
    html = assert_full_page(response, 422)
    assert word in field_errors(html)["amount"]
    assert f'value="{amount}"' in html  # what was typed stays
    assert payments_of(contract.id) == 0
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.SIGNED.value


def test_a_refused_payment_in_the_panel_swaps_the_panel_with_the_messages(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "finance")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/payments",
        data=pay_form(amount="3000", method="", received_on="2999-01-01"),
        headers={**HX, "HX-Target": "contract-finance"},
    )
    html = assert_fragment(response, "contract-finance", 422)
    errors = field_errors(html)
    assert set(errors) >= {"amount", "method", "received_on"}
    assert "5,000.00" in errors["amount"]  # the deposit agreed, with the other mistakes
    assert payments_of(contract.id) == 0


def test_a_deposit_recorded_moves_the_contract_and_redirects(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "finance")
    response = client.post(f"/negotiation/contracts/{contract.id}/payments", data=pay_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/negotiation/contracts/{contract.id}/payments")
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.DEPOSIT_PAID.value
    html = assert_full_page(client.get(response.headers["Location"]))
    assert "POS 0031" in html


def test_a_balance_part_payment_in_the_panel_answers_with_the_panel(client, world, at):
    contract = at(S.ALLOCATED)
    login(client, world, "finance")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/payments",
        data=pay_form(kind="balance", amount="15000", method="transfer"),
        headers={**HX, "HX-Target": "contract-finance"},
    )
    html = assert_fragment(response, "contract-finance")
    assert response.headers["HX-Trigger"] == "payment-recorded"
    assert "¥15,000.00" in html
    assert 'value="100000.00"' in html  # the rest, ready for the next part
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.ALLOCATED.value


def test_a_payment_the_state_does_not_allow_names_the_state(client, world, at):
    contract = at(S.DEPOSIT_PAID)
    login(client, world, "finance")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/payments", data=pay_form(kind="deposit")
    )
    html = assert_full_page(response, 422)
    assert "已付定金" in html
    assert payments_of(contract.id) == 1  # only the deposit already there


@pytest.mark.parametrize("role", ["salesperson", "sales_manager", "admin", "greeter"])
def test_only_finance_may_post_a_payment(client, world, at, role):
    contract = at(S.SIGNED)
    login(client, world, role)
    response = client.post(f"/negotiation/contracts/{contract.id}/payments", data=pay_form())
    assert response.status_code == 403
    assert payments_of(contract.id) == 0


def test_another_stores_contract_is_404_for_finance(client, world, at, make_user):
    contract = at(S.SIGNED, card=world.other_store_card)
    login(client, world, "finance")
    assert client.get(f"/negotiation/contracts/{contract.id}/payments").status_code == 404
    response = client.post(f"/negotiation/contracts/{contract.id}/payments", data=pay_form())
    assert response.status_code == 404
    assert payments_of(contract.id) == 0


def test_the_contract_page_includes_the_finance_panel(client, world, at):
    contract = at(S.DEPOSIT_PAID)
    contact_plan.add_contact(contract, ContactKind.CALL, local_today())
    db.session.commit()
    login(client, world, "salesperson")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}"))
    assert 'id="contract-finance"' in html
    assert f"/negotiation/contracts/{contract.id}/allocate" in html
    assert f"/negotiation/contracts/{contract.id}/delay" in html
    assert "致电客户" in html or "联系客户" in html or "call" in html


# --- allocation ------------------------------------------------------------------------------


def test_the_allocation_page_lists_the_matching_cars(client, world, at, catalogue):
    contract = at(S.DEPOSIT_PAID)
    make_vehicle(world.store_a, catalogue, 40, location="3号库 B-02")
    make_vehicle(world.store_a, catalogue, 41, status="reserved", contract_id=999)
    make_vehicle(world.store_b, catalogue, 42)
    login(client, world, "salesperson")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/allocate"))
    assert vin(40) in html and "3号库 B-02" in html
    assert vin(41) not in html and vin(42) not in html


def test_allocating_a_car_redirects_to_the_contract(client, world, at, catalogue):
    contract = at(S.DEPOSIT_PAID)
    car = make_vehicle(world.store_a, catalogue, 43)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/allocate", data={"vehicle_id": str(car.id)}
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/negotiation/contracts/{contract.id}")
    db.session.expire_all()
    assert db.session.get(Vehicle, car.id).contract_id == contract.id


def test_a_car_taken_meanwhile_is_refused_with_the_list_again(client, world, at, catalogue):
    contract = at(S.DEPOSIT_PAID)
    car = make_vehicle(world.store_a, catalogue, 44)
    login(client, world, "salesperson")
    page = client.get(f"/negotiation/contracts/{contract.id}/allocate").get_data(as_text=True)
    assert vin(44) in page
    other = at(S.DEPOSIT_PAID, card=world.colleague_card)
    contracts.allocate(world.users["colleague"], other.id, car.id)
    response = client.post(
        f"/negotiation/contracts/{contract.id}/allocate",
        data={"vehicle_id": str(car.id)},
        headers={**HX, "HX-Target": "allocate-form"},
    )
    html = assert_fragment(response, "allocate-form", 422)
    assert "其他合同" in field_errors(html)["vehicle_id"]
    assert vin(44) not in html
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).state == S.DEPOSIT_PAID.value


@pytest.mark.parametrize(("role", "status"), [("finance", 403), ("colleague", 404)])
def test_allocation_is_for_the_owner_or_the_manager(client, world, at, role, status):
    contract = at(S.DEPOSIT_PAID)
    login(client, world, role)
    assert client.get(f"/negotiation/contracts/{contract.id}/allocate").status_code == status


# --- delay -----------------------------------------------------------------------------------


def test_the_delay_form_is_prefilled_with_a_polite_chinese_message(client, world, at):
    contract = at(S.DEPOSIT_PAID)
    login(client, world, "salesperson")
    client.post("/language", data={"locale": "en"})
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/delay"))
    new = max(contract.delivery_date, local_today()) + timedelta(days=7)
    assert f'value="{new.isoformat()}"' in html
    message = html[html.index('name="message"') :]
    assert world.own_card.name in message and "先生" in message
    assert "抱歉" in message or "歉意" in message
    assert f"{new.year}年{new.month}月{new.day}日" in message


def test_a_delay_before_the_contract_date_is_refused_next_to_the_field(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "salesperson")
    before = (contract.contract_date - timedelta(days=1)).isoformat()
    response = client.post(
        f"/negotiation/contracts/{contract.id}/delay",
        data={"delivery_date": before, "message": "抱歉"},
        headers={**HX, "HX-Target": "delay-form"},
    )
    html = assert_fragment(response, "delay-form", 422)
    assert "合同日期" in field_errors(html)["delivery_date"]
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).delivery_date == contract.delivery_date
    assert len(contracts.timeline(contract)) == 4  # draft … signed, no delay


def test_a_delay_saved_redirects_to_the_contract(client, world, at):
    contract = at(S.SIGNED)
    new = contract.delivery_date + timedelta(days=10)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/contracts/{contract.id}/delay",
        data={"delivery_date": new.isoformat(), "message": "非常抱歉，交车延期"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).delivery_date == new


@pytest.mark.parametrize(("role", "status"), [("finance", 403), ("greeter", 403)])
def test_delay_is_for_sales(client, world, at, role, status):
    contract = at(S.SIGNED)
    login(client, world, role)
    assert client.get(f"/negotiation/contracts/{contract.id}/delay").status_code == status


# --- the salesperson's day -------------------------------------------------------------------


def balance_reminder(at) -> ContractContact:
    contract = at(S.ALLOCATED)
    contact_plan.add_contact(contract, ContactKind.BALANCE, local_today())
    db.session.commit()
    return db.session.scalars(
        sa.select(ContractContact).where(ContractContact.contract_id == contract.id)
    ).one()


def test_a_done_balance_reminder_answers_with_the_list_and_the_next_one(client, world, at):
    contact = balance_reminder(at)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/contacts/{contact.id}/done",
        data={"note": "客户说周五付款"},
        headers={**HX, "HX-Target": "due-contacts"},
    )
    html = assert_fragment(response, "due-contacts")
    assert response.headers["HX-Trigger"] == "contact-done"
    assert f"/negotiation/contacts/{contact.id}/done" not in html
    db.session.expire_all()
    assert db.session.get(ContractContact, contact.id).note == "客户说周五付款"
    nxt = db.session.scalars(
        sa.select(ContractContact).where(ContractContact.done_at.is_(None))
    ).one()
    assert nxt.due_on == local_today() + timedelta(days=contracts.BALANCE_REMINDER_DAYS)


def test_a_done_contact_without_htmx_goes_back_to_my_day(client, world, at):
    contact = balance_reminder(at)
    login(client, world, "salesperson")
    response = client.post(f"/negotiation/contacts/{contact.id}/done", data={"note": ""})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/my-day")


def test_a_too_long_note_is_refused_next_to_the_note(client, world, at):
    contact = balance_reminder(at)
    login(client, world, "salesperson")
    response = client.post(
        f"/negotiation/contacts/{contact.id}/done",
        data={"note": "长" * 301},
        headers={**HX, "HX-Target": "due-contacts"},
    )
    html = assert_fragment(response, "due-contacts", 422)
    assert f'id="f-note-{contact.id}-error"' in html
    assert "长" * 301 in html
    db.session.expire_all()
    assert db.session.get(ContractContact, contact.id).done_at is None


@pytest.mark.parametrize(("role", "status"), [("colleague", 404), ("finance", 403)])
def test_someone_elses_contact_cannot_be_done(client, world, at, role, status):
    contact = balance_reminder(at)
    login(client, world, role)
    response = client.post(f"/negotiation/contacts/{contact.id}/done", data={"note": ""})
    assert response.status_code == status
    db.session.expire_all()
    assert db.session.get(ContractContact, contact.id).done_at is None


def test_the_due_contacts_block_says_what_to_do(app, world, at):
    from flask import render_template
    from flask_login import login_user

    contract = at(S.ALLOCATED)
    today = local_today()
    contact_plan.add_contact(contract, ContactKind.BALANCE, today)
    contact_plan.add_contact(contract, ContactKind.DRIVER_GUIDE, today)
    contact_plan.add_contact(contract, ContactKind.HOLIDAY_GIFT, today, "spring")
    contact_plan.add_contact(contract, ContactKind.CALL, today - timedelta(days=2))
    db.session.commit()
    sales = world.users["salesperson"]
    with app.test_request_context("/my-day"):
        login_user(sales)
        html = render_template(
            "negotiation/_due_contacts.html",
            contract_contacts=contracts.due_contacts(sales, today),
        )
    assert html.count('class="contact-done-form"') == 4
    assert "春节" in html  # the holiday's name
    assert "¥115,000.00" in html  # the balance still owed
    assert "逾期" in html  # the call two days late
    assert Decimal("115000.00") == contracts.outstanding(contract)


def test_the_allocation_page_of_a_contract_without_its_deposit_says_why(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "salesperson")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/allocate"))
    assert "已签名" in html or "已签约" in html
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>', html)


def test_the_delay_page_of_a_delivered_contract_says_why(client, world, at):
    contract = at(S.DELIVERED)
    login(client, world, "sales_manager")
    html = assert_full_page(client.get(f"/negotiation/contracts/{contract.id}/delay"))
    assert "只有已签约、等待交车的合同才能登记延误" in html
    assert re.search(r'<button class="btn btn-primary" type="submit" disabled>', html)
