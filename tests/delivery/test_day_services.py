"""The rules of the delivery day: scheduling, the preparation list, the board, the VIP's
arrival and the handover."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tests.delivery.day_fixtures import (  # noqa: F401
    catalogue,
    later,
    make_contract,
    make_delivery,
    when,
)
from webapp.customers.models import CardEvent, CustomerCard
from webapp.delivery import services as svc
from webapp.delivery.models import Delivery, DeliveryEntry
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import services as followup
from webapp.followup.models import FollowUpTask
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.push.models import Notification
from webapp.reception.models import DutyRoster, RosterEntry
from webapp.stock.models import Vehicle
from webapp.timeutil import SHANGHAI, local_today, now

S = ContractState


def _errors(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


# --- Scheduling ---------------------------------------------------------------------------------


def test_owner_schedules_a_signed_contract_and_rescheduling_updates_the_same_row(
    world, make_delivery
):
    delivery = make_delivery(state=S.SIGNED)
    sales = world.users["salesperson"]
    moved = later(30)
    again = svc.schedule(sales, delivery.contract_id, when(moved), "一家三口", None)
    assert again.id == delivery.id
    assert again.scheduled_at == moved
    assert again.companions == "一家三口"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 1


def test_scheduling_moves_the_contracts_delivery_date_and_logs_it_once(world, make_delivery):
    delivery = make_delivery(state=S.SIGNED)
    sales = world.users["salesperson"]
    moved = later(50)
    day = moved.astimezone(SHANGHAI).date()
    contract = db.session.get(Contract, delivery.contract_id)
    previous = contract.delivery_date
    assert previous != day
    svc.schedule(sales, contract.id, when(moved), "", None)
    svc.schedule(sales, contract.id, when(moved), "二人", None)
    db.session.expire_all()
    assert db.session.get(Contract, contract.id).delivery_date == day
    moves = db.session.scalars(
        sa.select(CardEvent).where(
            CardEvent.card_id == contract.card_id, CardEvent.kind == "contract_delay"
        )
    ).all()
    # the fixture's own scheduling moved it once already; the two calls here, once more
    assert [(m.data["from"], m.data["to"]) for m in moves][-1:] == [(str(previous), str(day))]
    assert [m.data["to"] for m in moves].count(str(day)) == 1


def test_schedule_refuses_a_date_before_the_contract_date(world, make_delivery):
    delivery = make_delivery(state=S.ALLOCATED)
    contract = db.session.get(Contract, delivery.contract_id)
    contract.contract_date = local_today() + timedelta(days=5)
    db.session.commit()
    errors = _errors(
        lambda: svc.schedule(world.users["salesperson"], contract.id, when(later(24)), "", None)
    )
    assert set(errors) == {"day"}


def test_schedule_refuses_a_time_in_the_past(world, make_contract, make_card):
    card = make_card(world.users["salesperson"])
    contract = make_contract(card, S.DEPOSIT_PAID)
    errors = _errors(
        lambda: svc.schedule(world.users["salesperson"], contract.id, when(later(-1)), "", None)
    )
    assert set(errors) == {"time"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == 0


def test_schedule_refuses_someone_who_is_not_an_advisor_of_the_store(
    world, make_contract, make_card, make_user
):
    from webapp.auth.models import Role

    card = make_card(world.users["salesperson"])
    contract = make_contract(card, S.SIGNED)
    other_advisor = make_user(Role.SERVICE_ADVISOR, store=world.store_b)
    sales = world.users["salesperson"]
    for bad in (world.users["finance"].id, other_advisor.id, "x"):
        errors = _errors(lambda bad=bad: svc.schedule(sales, contract.id, when(later()), "", bad))
        assert set(errors) == {"service_advisor_id"}
    ok = svc.schedule(sales, contract.id, when(later()), "", world.users["service_advisor"].id)
    assert ok.service_advisor_id == world.users["service_advisor"].id


def test_schedule_refuses_a_cancelled_or_unsigned_contract(world, make_contract, make_card):
    sales = world.users["salesperson"]
    for state in (S.CANCELLED, S.APPROVED):
        contract = make_contract(make_card(sales), state)
        errors = _errors(lambda c=contract: svc.schedule(sales, c.id, when(later()), "", None))
        assert set(errors) == {"state"}


def test_colleague_cannot_schedule_and_other_store_gets_not_found(world, make_contract, make_card):
    contract = make_contract(make_card(world.users["salesperson"]), S.SIGNED)
    with pytest.raises(NotFound):
        svc.schedule(world.users["colleague"], contract.id, when(later()), "", None)
    with pytest.raises(NotFound):
        svc.schedule(world.users["other_manager"], contract.id, when(later()), "", None)
    with pytest.raises(PermissionDenied):
        svc.schedule(world.users["service_advisor"], contract.id, when(later()), "", None)
    done = svc.schedule(world.users["sales_manager"], contract.id, when(later()), "", None)
    assert done.owner_id == world.users["salesperson"].id


# --- The preparation list ----------------------------------------------------------------------


def test_the_latest_tick_of_an_item_is_its_state(world, make_delivery):
    delivery = make_delivery()
    sales = world.users["salesperson"]
    svc.tick(sales, delivery.id, "pds_done", True)
    svc.tick(sales, delivery.id, "fuel_quarter", True)
    svc.tick(world.users["service_advisor"], delivery.id, "pds_done", False)
    state = svc.preparation_state(delivery)
    assert state.done == 1
    assert "pds_done" in {item.key for item in state.missing}
    assert state.total == len(state.items) == 12
    svc.tick(sales, delivery.id, "pds_done", True)
    assert svc.preparation_state(delivery).done == 2
    entries = db.session.scalars(sa.select(DeliveryEntry)).all()
    assert len(entries) == 4 and len({e.entry_uuid for e in entries}) == 4
    assert {e.kind for e in entries} == {"preparation"}


def test_tick_refuses_an_unknown_item_and_a_greeter(world, make_delivery):
    delivery = make_delivery()
    errors = _errors(lambda: svc.tick(world.users["salesperson"], delivery.id, "nope", True))
    assert set(errors) == {"item"}
    with pytest.raises(PermissionDenied):
        svc.tick(world.users["greeter"], delivery.id, "pds_done", True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DeliveryEntry)) == 0


# --- The board --------------------------------------------------------------------------------


def test_board_shows_the_store_today_and_this_week_to_all_four_roles(world, make_delivery):
    today = make_delivery(hours=0.5)
    colleague = make_delivery(owner=world.users["colleague"], hours=0.6)
    week = make_delivery(hours=24 * 3)
    far = make_delivery(hours=24 * 10)
    make_delivery(owner=world.users["other_salesperson"], hours=0.5)
    svc.tick(world.users["salesperson"], today.id, "pds_done", True)
    week_day = week.scheduled_at.astimezone(SHANGHAI).date()
    for role in ("salesperson", "sales_manager", "service_advisor", "greeter"):
        board = svc.board(world.users[role])
        opened = [row for d in board.days for row in svc.board_day(world.users[role], d.day)]
        # half an hour ahead may cross midnight: then it is tomorrow's
        assert {row.id for row in board.today + opened} == {today.id, colleague.id, week.id}
        assert far.id not in {row.id for row in board.today + opened}
        assert sum(d.count for d in board.days) == len(opened)
        assert week_day in {d.day for d in board.days}
    row = next(r for r in board.today + opened if r.id == today.id)
    assert row.done == 1 and row.total == 12
    assert row.call_name.startswith("客") and row.salesperson
    with pytest.raises(PermissionDenied):
        svc.board(world.users["finance"])
    with pytest.raises(NotFound):  # the board opens today and the next 7 days only
        svc.board_day(world.users["greeter"], far.scheduled_at.astimezone(SHANGHAI).date())


def test_a_folded_day_counts_the_deliveries_whose_whole_list_is_ticked(world, make_delivery):
    sales = world.users["salesperson"]
    # 10:00 and 11:00 the day after tomorrow, whatever the hour the test runs.
    day_after = datetime.combine(local_today() + timedelta(days=2), time(10), SHANGHAI)
    hours = (day_after - now()).total_seconds() / 3600
    ready = make_delivery(hours=hours)
    make_delivery(hours=hours + 1)
    for key in [item.key for item in svc.preparation_state(ready).items]:
        svc.tick(sales, ready.id, key, True)
    svc.tick(sales, ready.id, "pds_done", False)  # the latest tick of an item counts
    svc.tick(sales, ready.id, "pds_done", True)
    day = ready.scheduled_at.astimezone(SHANGHAI).date()
    [folded] = [d for d in svc.board(sales).days if d.day == day]
    assert (folded.count, folded.ready) == (2, 1)
    lines = svc.board_day(sales, day)
    assert sorted((r.done, r.total) for r in lines) == [(0, 12), (12, 12)]


def test_the_board_reads_no_price(app, world, make_delivery):
    make_delivery(hours=1)
    seen: list[str] = []

    def listen(conn, cursor, statement, *args):
        seen.append(statement.lower())

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", listen)
    try:
        board = svc.board(world.users["greeter"])
        svc.board_day(world.users["greeter"], local_today() + timedelta(days=1))
    finally:
        sa.event.remove(engine, "before_cursor_execute", listen)
    assert board.today or board.days
    joined = " ".join(seen)
    for column in ("total", "balance_due", "deposit_due", "loan_principal", "mobile", "price"):
        assert column not in joined, column


# --- The arrival -------------------------------------------------------------------------------


def _notices() -> list[Notification]:
    return list(
        db.session.scalars(sa.select(Notification).where(Notification.kind == "vip_arrival"))
    )


def test_arrival_tells_everyone_on_duty_once(world, make_delivery):
    delivery = make_delivery()
    greeter = world.users["greeter"]
    svc.mark_arrived(greeter, delivery.id)
    first = _notices()
    told = {n.user_id for n in first}
    u = world.users
    expected = {
        u[r].id
        for r in (
            "salesperson", "colleague", "sales_manager", "service_advisor", "finance", "car_keeper"
        )
    }  # fmt: skip
    assert told == expected  # not the greeter who marked it, not admin, not store B
    assert {n.url for n in first} == {"/delivery/board"}
    again = svc.mark_arrived(u["sales_manager"], delivery.id)
    assert again.state == "arrived" and again.arrived_by_id == greeter.id
    assert len(_notices()) == len(first)


def test_arrival_skips_salespeople_off_todays_roster(world, make_delivery):
    delivery = make_delivery(owner=world.users["colleague"])
    roster = DutyRoster(store_id=world.store_a.id, day=local_today())
    roster.entries = [RosterEntry(user_id=world.users["salesperson"].id, position=1, absent=True)]
    db.session.add(roster)
    db.session.commit()
    svc.mark_arrived(world.users["greeter"], delivery.id)
    told = {n.user_id for n in _notices()}
    assert world.users["salesperson"].id not in told  # absent today
    assert world.users["colleague"].id in told  # the delivery's own salesperson always


def test_other_store_delivery_is_not_found(world, make_delivery):
    delivery = make_delivery(owner=world.users["other_salesperson"])
    for role in ("greeter", "sales_manager", "salesperson", "service_advisor"):
        with pytest.raises(NotFound):
            if role == "greeter":
                svc.mark_arrived(world.users[role], delivery.id)
            else:
                svc.get_delivery(world.users[role], delivery.id)
    with pytest.raises(NotFound):
        svc.complete(world.users["sales_manager"], delivery.id, None, later(3).isoformat())


# --- The handover -----------------------------------------------------------------------------


def test_complete_is_refused_before_the_balance_is_paid(world, make_delivery):
    delivery = make_delivery(state=S.ALLOCATED)
    eta = later(3).strftime("%Y-%m-%dT%H:%M")
    errors = _errors(lambda: svc.complete(world.users["salesperson"], delivery.id, None, eta))
    assert set(errors) == {"state"}
    assert db.session.get(Contract, delivery.contract_id).state == "allocated"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask)) == 0


def test_complete_delivers_the_contract_makes_a_c_card_and_the_first_tasks(world, make_delivery):
    delivery = make_delivery()
    sales = world.users["salesperson"]
    eta = later(3)
    done = svc.complete(sales, delivery.id, None, eta.strftime("%Y-%m-%dT%H:%M"))
    assert done.state == "completed" and done.completed_by_id == sales.id
    contract = db.session.get(Contract, delivery.contract_id)
    assert contract.state == "delivered"
    assert db.session.get(Vehicle, contract.vehicle_id).status == "delivered"
    card = db.session.get(CustomerCard, contract.card_id)
    assert card.stage == "owner" and card.purchased_on == local_today()
    kinds = set(db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.card_id == card.id)))
    assert "stage_changed" in kinds
    tasks = {t.kind: t for t in db.session.scalars(sa.select(FollowUpTask))}
    # The rules falling due within a week: the safe-arrival call at the time home, the
    # thank-you on the third day and the agreed call (none agreed: a week after) at 09:00.
    assert set(tasks) == {"safe_arrival", "thank_you", "agreed_call"}
    assert tasks["safe_arrival"].due_at == eta
    third = local_today() + timedelta(days=3)
    assert tasks["thank_you"].due_at == datetime(
        third.year, third.month, third.day, 9, 0, tzinfo=SHANGHAI
    ).astimezone(UTC)
    week = local_today() + timedelta(days=7)
    assert tasks["agreed_call"].due_at.astimezone(SHANGHAI).date() == week
    for task in tasks.values():
        assert task.owner_id == sales.id and task.source == f"delivery:{delivery.id}"
    # again: nothing more
    svc.complete(sales, delivery.id, None, eta.strftime("%Y-%m-%dT%H:%M"))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask)) == 3


def test_complete_refuses_an_eta_in_the_past_and_saves_nothing(world, make_delivery):
    delivery = make_delivery()
    past = later(-1).strftime("%Y-%m-%dT%H:%M")
    errors = _errors(lambda: svc.complete(world.users["salesperson"], delivery.id, None, past))
    assert set(errors) == {"home_eta"}
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).state == "planned"
    assert db.session.get(Contract, delivery.contract_id).state == "balance_paid"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask)) == 0


def test_complete_refuses_a_photo_the_store_does_not_hold(world, make_delivery):
    delivery = make_delivery()
    eta = later(3).strftime("%Y-%m-%dT%H:%M")
    errors = _errors(lambda: svc.complete(world.users["salesperson"], delivery.id, "a" * 64, eta))
    assert set(errors) == {"photo"}


def test_followup_tasks_are_scoped_and_need_a_result(world, make_delivery):
    delivery = make_delivery()
    svc.complete(world.users["salesperson"], delivery.id, None, later(3).isoformat())
    until = now() + timedelta(days=10)
    mine = followup.due_tasks(world.users["salesperson"], until)
    assert len(mine) == 3
    assert followup.due_tasks(world.users["colleague"], until) == []
    assert len(followup.due_tasks(world.users["sales_manager"], until)) == 3
    task = mine[0]
    errors = _errors(lambda: followup.complete_task(world.users["salesperson"], task.id, " "))
    assert set(errors) == {"result"}
    with pytest.raises(NotFound):
        followup.complete_task(world.users["colleague"], task.id, "好")
    closed = followup.complete_task(world.users["salesperson"], task.id, "已安全到家")
    assert closed.done_at is not None
    assert len(followup.due_tasks(world.users["salesperson"], until)) == 2


def test_tomorrows_customer_cannot_be_marked_arrived_today_and_nobody_is_told(world, make_delivery):
    delivery = make_delivery(hours=30)
    with pytest.raises(ValidationError) as refused:
        svc.mark_arrived(world.users["greeter"], delivery.id)
    assert "state" in refused.value.errors
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).state == "planned"
    assert _notices() == []
