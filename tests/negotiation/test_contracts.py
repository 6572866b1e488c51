"""The contract's rules (新车订购单, 附表十一): every move of TRANSITIONS and every move that is
not one, who may make each, the money finance records, the car allocated from stock, delays
and the contact plan of a customer waiting for the car."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from tests.negotiation.conftest import make_vehicle
from webapp import timeutil
from webapp.auth.models import User
from webapp.blobs.models import Blob
from webapp.customers.models import CardEvent
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.labels import label
from webapp.negotiation import contact_plan, contracts
from webapp.negotiation.contract_models import (
    ContactKind,
    Contract,
    ContractContact,
    ContractEvent,
    ContractState,
    Payment,
)
from webapp.org.models import Store
from webapp.stock.models import Vehicle

S = ContractState
BEFORE_DEPOSIT = (S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED, S.SIGNED)
AFTER_ALLOCATION = (S.ALLOCATED, S.BALANCE_PAID, S.DELIVERED)
ACTIONS = sorted(set(contracts.TRANSITIONS.values()))


# --- building contracts at a state ---------------------------------------------------------


def contract_at(make_contract, catalogue, card, state: S, **fields) -> Contract:
    """A contract at `state` with what that state implies: the deposit paid from deposit paid
    on, a car reserved for it from allocated on, all paid from balance paid on."""
    values: dict[str, Any] = {}
    if state in (S.SIGNED, S.DEPOSIT_PAID, *AFTER_ALLOCATION) or fields.get("signed"):
        values["signed_at"] = timeutil.now()
    fields.pop("signed", None)
    paid = Decimal(0)
    if state in (S.DEPOSIT_PAID, S.ALLOCATED):
        paid = Decimal("5000.00")
    elif state in (S.BALANCE_PAID, S.DELIVERED):
        paid = Decimal("120000.00")
    values["paid_total"] = paid
    values.update(fields)
    contract = make_contract(card, state=state, **values)
    if paid:
        db.session.add(
            Payment(
                store_id=card.store_id,
                contract_id=contract.id,
                kind="deposit",
                amount=paid,
                method="cash",
                received_on=contract.contract_date,
                recorded_by_id=card.owner_id,
            )
        )
    if state in AFTER_ALLOCATION:
        car = make_vehicle(
            db.session.get(Store, card.store_id),
            catalogue,
            5000 + contract.id,
            status="delivered" if state == S.DELIVERED else "reserved",
            contract_id=contract.id,
        )
        contract.vehicle_id = car.id
    db.session.commit()
    return contract


def signature_blob(user) -> str:
    """A customer's signature uploaded on the user's tablet, as the upload stores it."""
    sha = f"{user.id:02x}".rjust(64, "c")
    if db.session.get(Blob, sha) is None:
        db.session.add(
            Blob(
                sha256=sha,
                store_id=user.store_id,
                purpose="signature",
                sensitive=True,
                mime="image/png",
                size=10,
                stored_size=10,
                key_id="k",
                uploaded_by_id=user.id,
            )
        )
        db.session.commit()
    return sha


def perform(action: str, world, contract: Contract, car: Vehicle | None) -> Any:
    """The action done by whoever may do it, with good input."""
    users = world.users
    owner = db.session.get(User, contract.owner_id)
    if action == "submit":
        return contracts.submit(owner, contract.id)
    if action == "approve":
        return contracts.decide(users["sales_manager"], contract.id, True, "")
    if action == "reject":
        return contracts.decide(users["sales_manager"], contract.id, False, "价格需要复核")
    if action == "sign":
        return contracts.sign(owner, contract.id, signature_blob(owner))
    if action == "pay_deposit":
        return contracts.record_payment(
            users["finance"], contract.id, {"kind": "deposit", "amount": "5000", "method": "pos"}
        )
    if action == "pay_balance":
        return contracts.record_payment(
            users["finance"],
            contract.id,
            {"kind": "balance", "amount": "115000", "method": "transfer", "reference": "B-1"},
        )
    if action == "allocate":
        return contracts.allocate(owner, contract.id, car.id if car else None)
    if action == "deliver":
        return contracts.deliver(owner, contract.id)
    if action == "cancel":
        return contracts.cancel(users["sales_manager"], contract.id, "客户改变主意")
    raise AssertionError(action)


def snapshot(contract_id: int) -> dict[str, Any]:
    """Everything a move may write: the contract, its log, payments, contacts, the cars and
    the card's timeline."""
    db.session.expire_all()
    contract = db.session.get(Contract, contract_id)
    return {
        "contract": (
            contract.state,
            contract.vehicle_id,
            contract.paid_total,
            contract.delivery_date,
            contract.decision_note,
            contract.cancel_reason,
            contract.signature_sha256,
            contract.version,
        ),
        "events": db.session.scalars(
            sa.select(ContractEvent.id).where(ContractEvent.contract_id == contract_id)
        ).all(),
        "payments": db.session.execute(
            sa.select(Payment.id, Payment.amount).where(Payment.contract_id == contract_id)
        ).all(),
        "contacts": db.session.execute(
            sa.select(ContractContact.id, ContractContact.due_on, ContractContact.done_at).where(
                ContractContact.contract_id == contract_id
            )
        ).all(),
        "cars": db.session.execute(
            sa.select(Vehicle.id, Vehicle.status, Vehicle.contract_id).order_by(Vehicle.id)
        ).all(),
        "card_events": db.session.scalars(
            sa.select(CardEvent.id).where(CardEvent.card_id == contract.card_id)
        ).all(),
    }


def frozen_today(monkeypatch, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)
    monkeypatch.setattr(timeutil, "now", lambda: moment)


# --- the state machine -----------------------------------------------------------------------


@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_the_state_does_not_allow_is_refused_by_name_and_changes_nothing(
    world, catalogue, make_contract, action
):
    allowed_from = {frm for (frm, _to), code in contracts.TRANSITIONS.items() if code == action}
    car = make_vehicle(world.store_a, catalogue, 1)
    problems = []
    for state in (s for s in S if s not in allowed_from):
        contract = contract_at(make_contract, catalogue, world.own_card, state)
        before = snapshot(contract.id)
        try:
            perform(action, world, contract, car)
        except ValidationError as exc:
            db.session.rollback()
            message = exc.errors.get("state", "")
            if label("contract_state", state.value) not in message:
                problems.append(f"{state}: {exc.errors}")
        else:
            problems.append(f"{state}: {action} was allowed")
        if snapshot(contract.id) != before:
            problems.append(f"{state}: {action} changed something")
    assert problems == []


@pytest.mark.parametrize(
    ("move", "action"), list(contracts.TRANSITIONS.items()), ids=lambda v: str(v)
)
def test_every_allowed_move_is_logged_with_its_actor_and_on_the_card_timeline(
    world, catalogue, make_contract, move, action
):
    frm, to = move
    contract = contract_at(make_contract, catalogue, world.own_card, frm)
    car = make_vehicle(world.store_a, catalogue, 2)
    events_before = len(snapshot(contract.id)["events"])
    perform(action, world, contract, car)
    db.session.expire_all()
    contract = db.session.get(Contract, contract.id)
    assert contract.state == to.value
    events = contracts.timeline(contract)
    assert len(events) == events_before + 1
    last = events[-1]
    assert (last.from_state, last.to_state) == (frm.value, to.value)
    expected_actor = {
        "approve": "sales_manager",
        "reject": "sales_manager",
        "cancel": "sales_manager",
        "pay_deposit": "finance",
        "pay_balance": "finance",
    }.get(action, "salesperson")
    assert last.actor_id == world.users[expected_actor].id
    timeline = db.session.scalars(
        sa.select(CardEvent).where(
            CardEvent.card_id == contract.card_id, CardEvent.kind == "contract"
        )
    ).all()
    assert [e.data["to"] for e in timeline][-1] == to.value
    assert timeline[-1].actor_id == last.actor_id


def test_a_signature_blob_of_someone_else_is_refused_with_a_message(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.APPROVED)
    others = signature_blob(world.users["colleague"])
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.sign(world.users["salesperson"], contract.id, others)
    assert "signature" in exc.value.errors
    assert snapshot(contract.id) == before


def test_signing_moves_the_card_to_ordered_and_plans_the_wait(
    world, catalogue, make_contract, monkeypatch
):
    frozen_today(monkeypatch, date(2026, 9, 20))
    contract = contract_at(
        make_contract,
        catalogue,
        world.own_card,
        S.APPROVED,
        contract_date=date(2026, 9, 20),
        delivery_date=date(2026, 10, 10),
    )
    contracts.sign(
        world.users["salesperson"], contract.id, signature_blob(world.users["salesperson"])
    )
    db.session.expire_all()
    assert world.own_card.stage == "ordered"
    plan = {
        (c.kind, c.due_on, c.label)
        for c in db.session.scalars(
            sa.select(ContractContact).where(ContractContact.contract_id == contract.id)
        )
    }
    assert plan == {
        ("call", date(2026, 9, 23), ""),
        ("driver_guide", date(2026, 9, 27), ""),
        ("holiday_gift", date(2026, 9, 24), "mid_autumn"),
        ("holiday_gift", date(2026, 9, 30), "national"),
    }


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["salesperson", "finance", "greeter", "colleague"])
@pytest.mark.parametrize("approve", [True, False])
def test_only_the_manager_approves_or_rejects(world, catalogue, make_contract, role, approve):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SUBMITTED)
    before = snapshot(contract.id)
    with pytest.raises((PermissionDenied, NotFound)):
        contracts.decide(world.users[role], contract.id, approve, "好")
    db.session.rollback()
    assert snapshot(contract.id) == before


@pytest.mark.parametrize("note", ["", "   ", None])
def test_a_rejection_needs_a_note(world, catalogue, make_contract, note):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SUBMITTED)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.decide(world.users["sales_manager"], contract.id, False, note)
    db.session.rollback()
    assert "note" in exc.value.errors
    assert snapshot(contract.id) == before


def test_a_rejection_keeps_the_managers_note_and_may_be_submitted_again(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SUBMITTED)
    contracts.decide(world.users["sales_manager"], contract.id, False, "折扣超出权限")
    assert contract.decision_note == "折扣超出权限"
    assert contract.decided_by_id == world.users["sales_manager"].id
    contracts.submit(world.users["salesperson"], contract.id)
    assert contract.state == S.SUBMITTED.value


@pytest.mark.parametrize("role", ["sales_manager", "salesperson", "admin", "greeter"])
def test_only_finance_records_payments(world, catalogue, make_contract, role):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    before = snapshot(contract.id)
    with pytest.raises(PermissionDenied):
        contracts.record_payment(
            world.users[role], contract.id, {"kind": "deposit", "amount": "5000", "method": "cash"}
        )
    db.session.rollback()
    assert snapshot(contract.id) == before


def test_a_colleague_cannot_move_or_see_another_salespersons_contract(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DRAFT)
    with pytest.raises(NotFound):
        contracts.submit(world.users["colleague"], contract.id)
    with pytest.raises(NotFound):
        contracts.get_contract(world.users["colleague"], contract.id)


@pytest.mark.parametrize("role", ["other_salesperson", "other_manager"])
def test_another_stores_contract_is_not_found(world, catalogue, make_contract, role):
    contract = contract_at(make_contract, catalogue, world.own_card, S.ALLOCATED)
    actor = world.users[role]
    before = snapshot(contract.id)
    calls: list[Callable[[], Any]] = [
        lambda: contracts.get_contract(actor, contract.id),
        lambda: contracts.submit(actor, contract.id),
        lambda: contracts.allocate(actor, contract.id, contract.vehicle_id),
        lambda: contracts.record_delay(actor, contract.id, "2026-12-31", "抱歉"),
        lambda: contracts.cancel(actor, contract.id, "测试"),
        lambda: contracts.deliver(actor, contract.id),
    ]
    if role == "other_manager":
        calls.append(lambda: contracts.decide(actor, contract.id, True, ""))
    for call in calls:
        with pytest.raises(NotFound):
            call()
        db.session.rollback()
    assert snapshot(contract.id) == before


def test_another_stores_finance_cannot_record_a_payment(world, catalogue, make_contract, make_user):
    from webapp.auth.models import Role

    other_finance = make_user(Role.FINANCE, store=world.store_b)
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    with pytest.raises(NotFound):
        contracts.record_payment(
            other_finance, contract.id, {"kind": "deposit", "amount": "5000", "method": "cash"}
        )


def test_the_greeter_cannot_see_contracts(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    greeter = world.users["greeter"]
    with pytest.raises((NotFound, PermissionDenied)):
        contracts.get_contract(greeter, contract.id)
    assert contracts.due_contacts(greeter, date(2030, 1, 1)) == []


def test_finance_sees_every_contract_of_the_store_but_moves_none(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.colleague_card, S.BALANCE_PAID)
    finance = world.users["finance"]
    assert contracts.get_contract(finance, contract.id).id == contract.id
    with pytest.raises(PermissionDenied):
        contracts.deliver(finance, contract.id)


# --- money -----------------------------------------------------------------------------------


def pay(world, contract, **data):
    body = {"kind": "deposit", "amount": "5000", "method": "cash"}
    body.update(data)
    return contracts.record_payment(world.users["finance"], contract.id, body)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "4999.99"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "-5000"}, "amount"),
        ({"amount": "5000.001"}, "amount"),
        ({"amount": "五千"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "1e30"}, "amount"),
        ({"amount": "120000.01"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"kind": "tip"}, "kind"),
        ({"reference": "x" * 51}, "reference"),
        ({"reference": "a\x00b"}, "reference"),
        ({"received_on": "2026-13-01"}, "received_on"),
    ],
)
def test_a_bad_deposit_is_refused_next_to_its_field_and_nothing_is_saved(
    world, catalogue, make_contract, data, field
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        pay(world, contract, **data)
    assert field in exc.value.errors
    assert snapshot(contract.id) == before


def test_the_deposit_below_the_agreed_amount_names_the_agreed_amount(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    with pytest.raises(ValidationError) as exc:
        pay(world, contract, amount="3000")
    assert "5,000.00" in exc.value.errors["amount"]


def test_a_deposit_above_the_agreed_amount_counts_towards_what_is_due(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    pay(world, contract, amount="20000", method="transfer", reference="网银 8812")
    db.session.expire_all()
    assert contract.state == S.DEPOSIT_PAID.value
    assert contract.paid_total == Decimal("20000.00")
    assert contracts.outstanding(contract) == Decimal("100000.00")
    [payment] = contract.payments
    assert (payment.kind, payment.method, payment.reference) == ("deposit", "transfer", "网银 8812")
    assert payment.recorded_by_id == world.users["finance"].id


def test_a_payment_dated_in_the_future_or_before_the_contract_is_refused(
    world, catalogue, make_contract, monkeypatch
):
    frozen_today(monkeypatch, date(2026, 11, 20))
    contract = contract_at(
        make_contract, catalogue, world.own_card, S.SIGNED, contract_date=date(2026, 11, 10)
    )
    before = snapshot(contract.id)
    for day in ("2026-11-21", "2026-11-09"):
        with pytest.raises(ValidationError) as exc:
            pay(world, contract, received_on=day)
        assert "received_on" in exc.value.errors
    assert snapshot(contract.id) == before
    pay(world, contract, received_on="2026-11-10")
    assert contract.payments[0].received_on == date(2026, 11, 10)


def test_balance_part_payments_keep_the_contract_allocated_until_covered(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.ALLOCATED)
    contact_plan.add_contact(contract, ContactKind.BALANCE, timeutil.local_today())
    contact_plan.add_contact(contract, ContactKind.CALL, timeutil.local_today())
    db.session.commit()
    pay(world, contract, kind="balance", amount="60000")
    assert contract.state == S.ALLOCATED.value
    assert contracts.outstanding(contract) == Decimal("55000.00")
    open_kinds = lambda: sorted(  # noqa: E731
        c.kind
        for c in db.session.scalars(
            sa.select(ContractContact).where(
                ContractContact.contract_id == contract.id, ContractContact.done_at.is_(None)
            )
        )
    )
    assert open_kinds() == ["balance", "call"]
    with pytest.raises(ValidationError) as exc:
        pay(world, contract, kind="balance", amount="55000.01")
    assert "55,000.00" in exc.value.errors["amount"]
    pay(world, contract, kind="balance", amount="55000")
    db.session.expire_all()
    assert contract.state == S.BALANCE_PAID.value
    assert contracts.outstanding(contract) == Decimal(0)
    assert open_kinds() == ["call"]


def test_a_loan_leaves_only_the_cash_part_to_pay(world, catalogue, make_contract):
    contract = contract_at(
        make_contract, catalogue, world.own_card, S.ALLOCATED, loan_principal=Decimal("80000")
    )
    assert contracts.cash_due(contract) == Decimal("40000.00")
    with pytest.raises(ValidationError):
        pay(world, contract, kind="balance", amount="36000")
    pay(world, contract, kind="balance", amount="35000")
    assert contract.state == S.BALANCE_PAID.value


@pytest.mark.parametrize("state", [S.SIGNED, S.DEPOSIT_PAID, S.BALANCE_PAID])
def test_the_balance_is_refused_unless_the_car_is_allocated(world, catalogue, make_contract, state):
    contract = contract_at(make_contract, catalogue, world.own_card, state)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        pay(world, contract, kind="balance", amount="1000")
    assert label("contract_state", state.value) in exc.value.errors["state"]
    assert snapshot(contract.id) == before


# --- the car ---------------------------------------------------------------------------------


def test_allocation_offers_only_reservable_cars_of_the_contracts_sfx_and_colour(
    world, catalogue, make_contract
):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DEPOSIT_PAID)
    store = world.store_a
    in_stock = make_vehicle(store, catalogue, 10, arrived_on=date(2026, 11, 1))
    in_transit = make_vehicle(store, catalogue, 11, status="in_transit")
    pds = make_vehicle(store, catalogue, 12, status="pds", arrived_on=date(2026, 10, 1))
    make_vehicle(store, catalogue, 13, status="reserved", contract_id=999)
    make_vehicle(store, catalogue, 14, status="delivered")
    make_vehicle(
        store, catalogue, 15, model_id=catalogue.crown.id, sfx_id=catalogue.crown_sfx.id,
        colour_id=catalogue.red.id,
    )  # fmt: skip
    make_vehicle(world.store_b, catalogue, 16)
    choices = contracts.allocation_choices(world.users["salesperson"], contract)
    assert [c.id for c in choices] == [in_stock.id, pds.id, in_transit.id]


def test_allocating_reserves_the_car_and_asks_for_the_balance(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DEPOSIT_PAID)
    car = make_vehicle(world.store_a, catalogue, 20)
    contracts.allocate(world.users["salesperson"], contract.id, str(car.id))
    db.session.expire_all()
    assert contract.state == S.ALLOCATED.value
    assert contract.vehicle_id == car.id
    assert (car.status, car.contract_id) == ("reserved", contract.id)
    assert contracts.timeline(contract)[-1].note == car.vin
    due = contracts.due_contacts(world.users["salesperson"], timeutil.local_today())
    assert [(d.kind, d.outstanding) for d in due] == [("balance", Decimal("115000.00"))]


@pytest.mark.parametrize(
    "car_fields",
    [
        {"status": "reserved", "contract_id": 999},
        {"status": "delivered"},
        {"colour_id": "other"},
        {"sfx": "crown"},
    ],
    ids=["reserved", "delivered", "other-colour", "other-sfx"],
)
def test_allocation_refuses_a_car_that_is_taken_or_does_not_match(
    world, catalogue, make_contract, car_fields
):
    from webapp.catalog.models import Colour

    contract = contract_at(make_contract, catalogue, world.own_card, S.DEPOSIT_PAID)
    fields = dict(car_fields)
    if fields.pop("sfx", None):
        fields.update(
            model_id=catalogue.crown.id, sfx_id=catalogue.crown_sfx.id, colour_id=catalogue.red.id
        )
    if fields.get("colour_id") == "other":
        black = Colour(model_id=catalogue.corolla.id, name_zh="黑色", name_en="Black")
        db.session.add(black)
        db.session.commit()
        fields["colour_id"] = black.id
    car = make_vehicle(world.store_a, catalogue, 30, **fields)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.allocate(world.users["salesperson"], contract.id, car.id)
    assert "vehicle_id" in exc.value.errors
    assert snapshot(contract.id) == before


@pytest.mark.parametrize("vehicle_id", [None, "", "abc", "-1", 1.5])
def test_allocation_without_a_car_asks_for_one(world, catalogue, make_contract, vehicle_id):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DEPOSIT_PAID)
    with pytest.raises(ValidationError) as exc:
        contracts.allocate(world.users["salesperson"], contract.id, vehicle_id)
    assert "vehicle_id" in exc.value.errors


def test_another_stores_car_cannot_be_allocated(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DEPOSIT_PAID)
    car = make_vehicle(world.store_b, catalogue, 31)
    before = snapshot(contract.id)
    with pytest.raises(NotFound):
        contracts.allocate(world.users["salesperson"], contract.id, car.id)
    assert snapshot(contract.id) == before


def test_delivery_hands_the_car_over_and_closes_the_plan(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.BALANCE_PAID)
    contact_plan.add_contact(contract, ContactKind.CALL, timeutil.local_today())
    db.session.commit()
    contracts.deliver(world.users["salesperson"], contract.id)
    db.session.expire_all()
    assert contract.vehicle.status == "delivered"
    assert contracts.due_contacts(world.users["salesperson"], date(2030, 1, 1)) == []


# --- cancelling ------------------------------------------------------------------------------


@pytest.mark.parametrize("state", [S.SIGNED, S.DEPOSIT_PAID, S.ALLOCATED, S.BALANCE_PAID])
def test_after_signing_only_the_manager_cancels(world, catalogue, make_contract, state):
    contract = contract_at(make_contract, catalogue, world.own_card, state)
    before = snapshot(contract.id)
    with pytest.raises(PermissionDenied):
        contracts.cancel(world.users["salesperson"], contract.id, "客户不要了")
    db.session.rollback()
    assert snapshot(contract.id) == before
    contracts.cancel(world.users["sales_manager"], contract.id, "客户不要了")
    assert contract.state == S.CANCELLED.value
    assert contract.cancel_reason == "客户不要了"


@pytest.mark.parametrize("state", [S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED])
def test_before_signing_the_salesperson_cancels_their_own(world, catalogue, make_contract, state):
    contract = contract_at(make_contract, catalogue, world.own_card, state)
    contracts.cancel(world.users["salesperson"], contract.id, "客户暂不购买")
    assert contract.state == S.CANCELLED.value


@pytest.mark.parametrize("reason", ["", "  ", None, "x" * 201, "a\x00b"])
def test_a_cancellation_needs_a_readable_reason(world, catalogue, make_contract, reason):
    contract = contract_at(make_contract, catalogue, world.own_card, S.DRAFT)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.cancel(world.users["salesperson"], contract.id, reason)
    db.session.rollback()
    assert "reason" in exc.value.errors
    assert snapshot(contract.id) == before


def test_cancelling_frees_the_car_and_closes_the_plan(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.ALLOCATED)
    car_id = contract.vehicle_id
    db.session.get(Vehicle, car_id).arrived_on = date(2026, 11, 1)
    contact_plan.add_contact(contract, ContactKind.BALANCE, timeutil.local_today())
    db.session.commit()
    contracts.cancel(world.users["sales_manager"], contract.id, "客户资金问题")
    db.session.expire_all()
    car = db.session.get(Vehicle, car_id)
    assert (car.status, car.contract_id, car.reserved_by_id) == ("in_stock", None, None)
    assert contract.vehicle_id is None
    assert contracts.due_contacts(world.users["salesperson"], date(2030, 1, 1)) == []
    other = contract_at(make_contract, catalogue, world.colleague_card, S.DEPOSIT_PAID)
    contracts.allocate(world.users["colleague"], other.id, car_id)
    assert db.session.get(Vehicle, car_id).contract_id == other.id


# --- delays and the contact plan -------------------------------------------------------------


def test_a_delay_before_the_contract_date_is_refused_and_nothing_saved(
    world, catalogue, make_contract, monkeypatch
):
    frozen_today(monkeypatch, date(2026, 11, 20))
    contract = contract_at(
        make_contract, catalogue, world.own_card, S.DEPOSIT_PAID,
        contract_date=date(2026, 11, 10), delivery_date=date(2026, 12, 1),
    )  # fmt: skip
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.record_delay(world.users["salesperson"], contract.id, "2026-11-09", "抱歉延期")
    assert exc.value.errors["delivery_date"]
    with pytest.raises(ValidationError) as exc:
        contracts.record_delay(world.users["salesperson"], contract.id, "2026-12-20", "")
    assert exc.value.errors["message"]
    with pytest.raises(ValidationError) as exc:
        contracts.record_delay(world.users["salesperson"], contract.id, "20261220", "抱歉")
    assert exc.value.errors["delivery_date"]
    assert snapshot(contract.id) == before


def test_a_delay_is_logged_with_the_message_sent_to_the_customer(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    old = contract.delivery_date
    new = old + timedelta(days=14)
    contracts.record_delay(
        world.users["salesperson"], contract.id, new.isoformat(), "抱歉，车辆延期"
    )
    assert contract.delivery_date == new
    event = contracts.timeline(contract)[-1]
    assert (event.kind, event.from_state, event.to_state) == (
        "delay",
        old.isoformat(),
        new.isoformat(),
    )
    assert event.note == "抱歉，车辆延期"
    assert contract.state == S.SIGNED.value
    card_event = db.session.scalars(
        sa.select(CardEvent).where(CardEvent.kind == "contract_delay")
    ).one()
    assert card_event.note == "抱歉，车辆延期"


@pytest.mark.parametrize("state", [S.DRAFT, S.APPROVED, S.DELIVERED, S.CANCELLED])
def test_only_a_contract_waiting_for_its_car_is_delayed(world, catalogue, make_contract, state):
    contract = contract_at(make_contract, catalogue, world.own_card, state)
    before = snapshot(contract.id)
    with pytest.raises(ValidationError) as exc:
        contracts.record_delay(world.users["salesperson"], contract.id, "2027-03-01", "抱歉")
    assert label("contract_state", state.value) in exc.value.errors["state"]
    assert snapshot(contract.id) == before


def gifts(contract: Contract) -> list[tuple[date, str, bool]]:
    return sorted(
        (c.due_on, c.label, c.done_at is not None)
        for c in db.session.scalars(
            sa.select(ContractContact).where(
                ContractContact.contract_id == contract.id,
                ContractContact.kind == ContactKind.HOLIDAY_GIFT.value,
            )
        )
    )


def test_holiday_gifts_move_with_a_delay_and_are_never_planned_twice(
    world, catalogue, make_contract, monkeypatch
):
    frozen_today(monkeypatch, date(2026, 9, 20))
    contract = contract_at(
        make_contract, catalogue, world.own_card, S.SIGNED,
        contract_date=date(2026, 9, 20), delivery_date=date(2026, 10, 10),
    )  # fmt: skip
    contracts.plan_contacts(contract, date(2026, 9, 20))
    db.session.commit()
    assert gifts(contract) == [
        (date(2026, 9, 24), "mid_autumn", False),
        (date(2026, 9, 30), "national", False),
    ]
    sales = world.users["salesperson"]
    # Earlier: National Day is after the new date, its gift goes.
    contracts.record_delay(sales, contract.id, "2026-09-28", "提前交车")
    assert gifts(contract) == [(date(2026, 9, 24), "mid_autumn", False)]
    # The Mid-Autumn gift is sent; then the car is late until January.
    [gift] = [
        c for c in contracts.due_contacts(sales, date(2026, 9, 24)) if c.kind == "holiday_gift"
    ]
    contracts.complete_contact(sales, gift.id, "已寄月饼")
    contracts.record_delay(sales, contract.id, "2027-01-05", "车辆延期，抱歉")
    assert gifts(contract) == [
        (date(2026, 9, 24), "mid_autumn", True),
        (date(2026, 9, 30), "national", False),
        (date(2026, 12, 31), "new_year", False),
    ]
    # The same date again plans nothing more.
    contracts.record_delay(sales, contract.id, "2027-01-05", "再次确认交车日期")
    assert len(gifts(contract)) == 3


def test_a_balance_reminder_done_on_an_unpaid_contract_schedules_the_next(
    world, catalogue, make_contract, monkeypatch
):
    frozen_today(monkeypatch, date(2026, 11, 20))
    contract = contract_at(
        make_contract, catalogue, world.own_card, S.ALLOCATED, contract_date=date(2026, 11, 1)
    )
    contact_plan.add_contact(contract, ContactKind.BALANCE, date(2026, 11, 20))
    db.session.commit()
    sales = world.users["salesperson"]
    [due] = contracts.due_contacts(sales, date(2026, 11, 20))
    assert (due.kind, due.outstanding, due.customer) == (
        "balance",
        Decimal("115000.00"),
        world.own_card.name,
    )
    contracts.complete_contact(sales, due.id, "客户说周五付款")
    [nxt] = contracts.due_contacts(sales, date(2026, 11, 22))
    assert (nxt.kind, nxt.due_on) == ("balance", date(2026, 11, 22))
    assert contracts.due_contacts(sales, date(2026, 11, 21)) == []
    done = db.session.get(ContractContact, due.id)
    assert done.note == "客户说周五付款" and done.done_at is not None
    with pytest.raises(ValidationError) as exc:
        contracts.complete_contact(sales, due.id, "")
    assert "note" in exc.value.errors


def test_a_contact_done_on_a_paid_contract_schedules_nothing(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.BALANCE_PAID)
    contact_plan.add_contact(contract, ContactKind.CALL, timeutil.local_today())
    db.session.commit()
    sales = world.users["salesperson"]
    [due] = contracts.due_contacts(sales, timeutil.local_today())
    contracts.complete_contact(sales, due.id, "")
    assert contracts.due_contacts(sales, date(2030, 1, 1)) == []


def test_a_colleagues_contact_cannot_be_completed(world, catalogue, make_contract):
    contract = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    contact_plan.add_contact(contract, ContactKind.CALL, timeutil.local_today())
    db.session.commit()
    contact_id = db.session.scalars(sa.select(ContractContact.id)).one()
    for role in ("colleague", "other_salesperson", "other_manager"):
        with pytest.raises(NotFound):
            contracts.complete_contact(world.users[role], contact_id, "")
    for role in ("greeter", "finance"):
        with pytest.raises(PermissionDenied):
            contracts.complete_contact(world.users[role], contact_id, "")
    assert db.session.get(ContractContact, contact_id).done_at is None
    contracts.complete_contact(world.users["sales_manager"], contact_id, "经理代为致电")
    assert db.session.get(ContractContact, contact_id).done_at is not None


def test_my_day_lists_only_my_due_contacts_of_waiting_contracts(world, catalogue, make_contract):
    today = timeutil.local_today()
    mine = contract_at(make_contract, catalogue, world.own_card, S.SIGNED)
    theirs = contract_at(make_contract, catalogue, world.colleague_card, S.SIGNED)
    gone = contract_at(make_contract, catalogue, world.own_card, S.CANCELLED)
    contact_plan.add_contact(mine, ContactKind.CALL, today)
    contact_plan.add_contact(mine, ContactKind.DRIVER_GUIDE, today + timedelta(days=1))
    contact_plan.add_contact(theirs, ContactKind.CALL, today)
    contact_plan.add_contact(gone, ContactKind.CALL, today)
    db.session.commit()
    due = contracts.due_contacts(world.users["salesperson"], today)
    assert [(d.contract_id, d.kind) for d in due] == [(mine.id, "call")]
    assert contracts.due_contacts(world.users["finance"], today) == []
