"""Working a follow-up task: done with a result, moved with a reason, handed to the manager;
bad input gets its message next to the field and saves nothing; another store's task is
not found; the jobs escalate what stays overdue and send the overdue notices once a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.followup.conftest import local
from webapp.customers.models import CardEvent
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import rules
from webapp.followup import services as svc
from webapp.followup.engine import due_moment
from webapp.followup.models import FollowUpTask
from webapp.jobs import runner
from webapp.push.models import Notification
from webapp.timeutil import local_date_of, local_today


@pytest.fixture
def make_task(app):
    def factory(card, due_day: date | None = None, **fields) -> FollowUpTask:
        values = {
            "store_id": card.store_id,
            "card_id": card.id,
            "owner_id": card.owner_id,
            "kind": "thank_you",
            "due_at": due_moment(due_day or local_today()),
            "source": f"test:{card.id}:{fields.get('kind', 'thank_you')}:{due_day}",
        }
        values.update(fields)
        task = FollowUpTask(**values)
        db.session.add(task)
        db.session.commit()
        return task

    return factory


def snapshot(task_id: int) -> tuple:
    db.session.expire_all()
    task = db.session.get(FollowUpTask, task_id)
    events = db.session.scalar(sa.select(sa.func.count()).select_from(CardEvent))
    return (task.done_at, task.result, task.due_at, task.reschedules, task.escalated_at, events)


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as refused:
        call()
    return refused.value.errors


def test_a_reschedule_without_a_reason_is_refused_and_saves_nothing(world, make_task):
    task = make_task(world.own_card)
    before = snapshot(task.id)
    sales = world.users["salesperson"]
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    assert set(errors_of(lambda: svc.reschedule_task(sales, task.id, tomorrow, "  "))) == {"reason"}
    assert snapshot(task.id) == before


def test_a_due_date_in_the_past_is_refused_and_saves_nothing(world, make_task):
    task = make_task(world.own_card)
    before = snapshot(task.id)
    sales = world.users["salesperson"]
    yesterday = (local_today() - timedelta(days=1)).isoformat()
    errors = errors_of(lambda: svc.reschedule_task(sales, task.id, yesterday, "客户出差"))
    assert set(errors) == {"due_on"}
    assert set(
        errors_of(lambda: svc.reschedule_task(sales, task.id, "2026-13-45", "客户出差"))
    ) == {"due_on"}
    assert snapshot(task.id) == before


def test_a_result_on_another_stores_task_is_not_found_and_saves_nothing(world, make_task):
    theirs = make_task(world.other_store_card)
    before = snapshot(theirs.id)
    for role in ("salesperson", "sales_manager", "admin"):
        with pytest.raises(NotFound):
            svc.complete_task(world.users[role], theirs.id, "已联系", "reached")
    assert snapshot(theirs.id) == before


def test_a_colleagues_task_is_not_found_and_other_roles_are_refused(world, make_task):
    theirs = make_task(world.colleague_card)
    with pytest.raises(NotFound):
        svc.complete_task(world.users["salesperson"], theirs.id, "已联系", "reached")
    with pytest.raises(PermissionDenied):
        svc.complete_task(world.users["greeter"], theirs.id, "已联系", "reached")
    # the manager may close it
    assert svc.complete_task(world.users["sales_manager"], theirs.id, "已联系", "reached").done_at


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"result": ""}, "result"),
        ({"result": "x" * 501}, "result"),
        ({"result": "好", "outcome": "maybe"}, "outcome"),
        ({"result": "好", "contact_kind": "telepathy"}, "contact_kind"),
        ({"result": "好", "grade": "Z"}, "grade"),
        ({"result": "好\x00"}, "result"),
    ],
)
def test_a_bad_result_is_refused_next_to_its_field(world, make_task, values, field):
    task = make_task(world.own_card)
    before = snapshot(task.id)
    args = {
        "result": "",
        "outcome": "reached",
        "contact_kind": "phone_out",
        "grade": None,
        **values,
    }
    errors = errors_of(
        lambda: svc.complete_task(
            world.users["salesperson"],
            task.id,
            args["result"],
            args["outcome"],
            contact_kind=args["contact_kind"],
            grade=args["grade"],
        )
    )
    assert field in errors
    assert snapshot(task.id) == before


def test_done_moved_and_escalated_tasks(world, make_task):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    task = make_task(world.own_card)
    day = local_today() + timedelta(days=4)
    moved = svc.reschedule_task(sales, task.id, day.isoformat(), "客户出差,下周回来")
    assert local_date_of(moved.due_at) == day and moved.reschedules == 1
    event = db.session.scalars(
        sa.select(CardEvent).where(CardEvent.kind == "task_rescheduled")
    ).one()
    assert event.note == "客户出差,下周回来" and event.data["to"] == day.isoformat()

    up = svc.escalate_task(sales, task.id, "客户投诉车辆异响")
    assert up.escalated_at is not None
    (notice,) = db.session.scalars(
        sa.select(Notification).where(Notification.kind == "task_escalated")
    )
    assert notice.user_id == manager.id and notice.url == "/followup/overdue"
    assert "escalation_note" in errors_of(lambda: svc.escalate_task(sales, task.id, "再次"))

    svc.complete_task(sales, task.id, "已安排检查", "reached", referral_asked=True)
    assert "result" in errors_of(lambda: svc.complete_task(sales, task.id, "再来", "reached"))
    kinds = set(db.session.scalars(sa.select(CardEvent.kind)))
    assert {"phone_out", "referral_asked", "task_escalated", "task_rescheduled"} <= kinds


def test_my_due_tasks_are_mine_and_due_by_tonight_overdue_first(world, make_task):
    today = local_today()
    late = make_task(world.own_card, today - timedelta(days=2))
    due = make_task(world.own_card, today, kind="agreed_call")
    make_task(world.own_card, today + timedelta(days=1), kind="free_inspection")
    make_task(world.colleague_card, today)
    rows = svc.my_due_tasks(world.users["salesperson"])
    assert [r.id for r in rows] == [late.id, due.id]
    assert rows[0].overdue(today) and not rows[1].overdue(today)
    assert rows[0].card_name == world.own_card.name


# --- The daily pass: escalation and the overdue notices ------------------------------------


DAY = date(2026, 12, 10)


def test_the_daily_pass_escalates_after_the_stores_days_and_notices_once(world, make_task):
    manager, sales = world.users["sales_manager"], world.users["salesperson"]
    three_late = make_task(world.own_card, DAY - timedelta(days=3))
    two_late = make_task(world.own_card, DAY - timedelta(days=2), kind="agreed_call")
    world.own_card.grade = "H"
    world.own_card.stage = "prospect"
    world.own_card.next_follow_up_due = DAY - timedelta(days=1)
    db.session.commit()

    before = runner.run_due(local(DAY, 7), store_ids=[world.store_a.id])
    assert before.escalated == 0 and before.sent[runner.OVERDUE_DIGEST] == 0  # before 07:30

    report = runner.run_due(local(DAY, 8), store_ids=[world.store_a.id])
    assert report.escalated == 1  # overdue by 3 days: the store's default
    db.session.expire_all()
    assert db.session.get(FollowUpTask, three_late.id).escalated_at is not None
    assert db.session.get(FollowUpTask, two_late.id).escalated_at is None
    sent = {(n.kind, n.user_id, n.ref_id) for n in db.session.scalars(sa.select(Notification))}
    assert ("task_escalated", manager.id, None) in sent  # one a day, however many tasks
    assert ("h_overdue", sales.id, None) in sent  # the H-grade card overdue: its salesperson
    assert ("overdue_digest", manager.id, None) in sent
    assert runner.run_due(local(DAY, 9), store_ids=[world.store_a.id]).total == 0

    # a store that allows 2 days escalates the other one the next day
    rules.save_setting(manager, {"escalate_after_days": "2", "letter_body": ""})
    nxt = runner.run_due(local(DAY + timedelta(days=1), 8), store_ids=[world.store_a.id])
    assert nxt.escalated == 1
