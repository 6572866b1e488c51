"""The follow-up rules as data and the engine that makes their tasks: when each task falls
due (checked against dates computed by hand), who owns it, and that a rerun, or two runs at
once, never make a task twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.followup.conftest import local
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import engine, rules
from webapp.followup.models import FollowUpRule, FollowUpTask, Trigger
from webapp.timeutil import SHANGHAI

D = date(2026, 12, 1)  # the delivery day of these tests


def nine(day: date) -> datetime:
    """09:00 store-local on `day`, as UTC: when a day-based task falls due."""
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)


def subject(**changes) -> engine.Subject:
    values = dict(
        store_id=1,
        card_id=7,
        source="delivery:3",
        kind=Trigger.DELIVERY,
        day=D,
        home_eta=None,
        agreed_call_on=None,
        salesperson_id=11,
        service_advisor_id=None,
        handed=False,
    )
    values.update(changes)
    return engine.Subject(**values)


def rule(code: str) -> rules.Rule:
    return next(r for r in rules.DEFAULT_RULES if r.code == code)


# --- When a rule's task falls due (pure) ----------------------------------------------------


def test_the_thank_you_falls_due_on_the_third_day_at_nine():
    assert engine.occurrence(rule("thank_you"), subject(), D) == (
        nine(date(2026, 12, 4)),
        "delivery:3",
    )


def test_the_safe_arrival_call_falls_due_at_the_time_home():
    home = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    found = engine.occurrence(rule("safe_arrival"), subject(home_eta=home), D)
    assert found == (home, "delivery:3")
    assert engine.occurrence(rule("safe_arrival"), subject(), D) is None  # no estimate


def test_the_agreed_call_falls_on_the_agreed_day_or_a_week_after():
    agreed = date(2026, 12, 6)
    assert engine.occurrence(rule("agreed_call"), subject(agreed_call_on=agreed), D)[0] == nine(
        agreed
    )
    assert engine.occurrence(rule("agreed_call"), subject(), D)[0] == nine(date(2026, 12, 8))


def test_a_task_is_made_a_week_ahead_at_most():
    free = rule("free_inspection")  # 30 days: 2026-12-31
    assert engine.occurrence(free, subject(), date(2026, 12, 23)) is None
    assert engine.occurrence(free, subject(), date(2026, 12, 24)) == (
        nine(date(2026, 12, 31)),
        "delivery:3",
    )


def test_a_one_off_task_long_past_is_not_made_any_more():
    thanks = rule("thank_you")  # due 2026-12-04; grace 30 days
    assert engine.occurrence(thanks, subject(), date(2027, 1, 3)) is not None
    assert engine.occurrence(thanks, subject(), date(2027, 1, 4)) is None


def test_the_quarterly_contact_repeats_every_90_days_and_only_the_latest_is_made():
    quarterly = rule("quarterly")
    # first: D + 90 = 2027-03-01, made from 2027-02-22
    assert engine.occurrence(quarterly, subject(), date(2027, 2, 21)) is None
    assert engine.occurrence(quarterly, subject(), date(2027, 2, 22)) == (
        nine(date(2027, 3, 1)),
        "delivery:3/1",
    )
    # second: D + 180 = 2027-05-30; a year later only the fourth: D + 360 = 2027-11-26
    assert engine.occurrence(quarterly, subject(), date(2027, 5, 23)) == (
        nine(date(2027, 5, 30)),
        "delivery:3/2",
    )
    assert engine.occurrence(quarterly, subject(), date(2027, 11, 26)) == (
        nine(date(2027, 11, 26)),
        "delivery:3/4",
    )


def test_after_the_hand_over_the_salesperson_rules_stop_and_the_service_advisor_owns_the_contact():
    handed = subject(handed=True, service_advisor_id=21)
    assert engine.owner_of(rule("quarterly"), handed) is None
    assert engine.owner_of(rule("quarterly"), subject()) == 11
    maintenance = subject(
        kind=Trigger.FIRST_MAINTENANCE,
        source="maintenance:7",
        day=date(2027, 3, 10),
        handed=True,
        service_advisor_id=21,
    )
    service = rule("service_quarterly")
    assert engine.owner_of(service, maintenance) == 21
    # 2027-03-10 + 90 = 2027-06-08
    assert engine.occurrence(service, maintenance, date(2027, 6, 1)) == (
        nine(date(2027, 6, 8)),
        "maintenance:7/1",
    )
    # a delivery rule never fires on the maintenance, nor the reverse
    assert engine.occurrence(rule("thank_you"), maintenance, date(2027, 3, 10)) is None
    assert engine.occurrence(service, subject(), date(2027, 6, 1)) is None


# --- The store's rules, as data ---------------------------------------------------------------


def _form(store_rules: list[rules.Rule], **changes_by_code) -> list[dict]:
    rows = []
    for r in store_rules:
        row = {
            "code": r.code,
            "trigger": r.trigger,
            "offset_days": str(r.offset_days),
            "repeat_days": str(r.repeat_days or ""),
            "owner_role": r.owner_role,
            "message": r.message,
            "active": "1" if r.active else "",
        }
        row.update(changes_by_code.get(r.code, {}))
        rows.append(row)
    return rows


def test_a_store_without_rules_follows_the_defaults_and_may_edit_its_own(app, world):
    manager = world.users["sales_manager"]
    assert rules.rules_for(world.store_a.id) == list(rules.DEFAULT_RULES)
    rows = _form(
        rules.rules_for(world.store_a.id), thank_you={"offset_days": "2", "message": "寄出感谢信"}
    )
    rows.append(
        {
            "code": "birthday",
            "trigger": "delivery",
            "offset_days": "365",
            "repeat_days": "365",
            "owner_role": "salesperson",
            "message": "生日问候",
            "active": "1",
        }
    )
    rules.save_rules(manager, rows)
    mine = {r.code: r for r in rules.rules_for(world.store_a.id)}
    assert mine["thank_you"].offset_days == 2 and mine["thank_you"].message == "寄出感谢信"
    assert mine["birthday"].repeat_days == 365
    # the other store keeps the defaults
    assert rules.rules_for(world.store_b.id) == list(rules.DEFAULT_RULES)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("offset_days", "-1"),
        ("offset_days", "9999"),
        ("offset_days", "三"),
        ("repeat_days", "3"),
        ("owner_role", "greeter"),
    ],
)
def test_a_bad_rule_is_refused_next_to_its_field_and_nothing_is_saved(app, world, field, value):
    rows = _form(rules.rules_for(world.store_a.id), thank_you={field: value})
    with pytest.raises(ValidationError) as refused:
        rules.save_rules(world.users["sales_manager"], rows)
    assert field in refused.value.errors["rows"][1]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpRule)) == 0


def test_a_standard_rule_cannot_be_removed_and_a_salesperson_cannot_edit(app, world):
    rows = _form(rules.rules_for(world.store_a.id))[1:]
    with pytest.raises(ValidationError) as refused:
        rules.save_rules(world.users["sales_manager"], rows)
    assert "rules" in refused.value.errors
    with pytest.raises(PermissionDenied):
        rules.save_rules(world.users["salesperson"], _form(rules.rules_for(world.store_a.id)))


# --- The jobs' pass -------------------------------------------------------------------------


def tasks() -> list[tuple[str, str, datetime, int]]:
    db.session.expire_all()
    stmt = sa.select(
        FollowUpTask.kind, FollowUpTask.source, FollowUpTask.due_at, FollowUpTask.owner_id
    ).order_by(FollowUpTask.due_at, FollowUpTask.kind)
    return [tuple(row) for row in db.session.execute(stmt)]


def test_the_pass_makes_what_falls_due_once_and_a_rerun_makes_nothing(app, world, delivered):
    card = world.own_card
    home = local(D, 18, 30)
    delivery = delivered(card, D, home_eta=home, agreed_call_on=date(2026, 12, 5))
    sales = world.users["salesperson"].id
    src = f"delivery:{delivery.id}"

    made = engine.plan_tasks(local(D, 20))
    assert made.total == 3 and made.failed == []
    assert tasks() == [
        ("safe_arrival", src, home, sales),
        ("thank_you", src, nine(date(2026, 12, 4)), sales),
        ("agreed_call", src, nine(date(2026, 12, 5)), sales),
    ]
    assert engine.plan_tasks(local(D, 20)).total == 0
    assert engine.plan_tasks(local(D + timedelta(days=1), 7)).total == 0

    # 2026-12-24: the free inspection of 2026-12-31 comes into the week ahead
    assert engine.plan_tasks(local(date(2026, 12, 24), 7)).total == 1
    assert tasks()[-1] == ("free_inspection", src, nine(date(2026, 12, 31)), sales)
    # 2027-02-22: the first quarterly contact, 2027-03-01
    assert engine.plan_tasks(local(date(2027, 2, 22), 7)).total == 1
    assert tasks()[-1] == ("quarterly", f"{src}/1", nine(date(2027, 3, 1)), sales)
    assert engine.plan_tasks(local(date(2027, 2, 23), 7)).total == 0


def test_a_rule_switched_off_makes_nothing_and_a_closed_store_nothing(app, world, delivered):
    delivered(world.own_card, D)
    delivered(world.other_store_card, D)
    rows = _form(rules.rules_for(world.store_a.id), thank_you={"active": ""})
    rules.save_rules(world.users["sales_manager"], rows)
    world.store_b.active = False
    db.session.commit()
    engine.plan_tasks(local(D, 20))
    assert {kind for kind, *_ in tasks()} == {"agreed_call"}  # no estimate home: no call


def test_only_new_tasks_are_inserted_in_source_order_with_their_defaults(app, world, monkeypatch):
    monkeypatch.setattr(engine, "CHUNK", 3)  # several chunks, on both databases' paths
    card = world.own_card
    sales = world.users["salesperson"].id

    def row(n: int) -> dict:
        return {
            "store_id": card.store_id,
            "card_id": card.id,
            "owner_id": sales,
            "kind": "quarterly",
            "due_at": nine(D + timedelta(days=n)),
            "source": f"delivery:9/{n}",
            "message": "电话回访",
        }

    assert engine.insert_missing([row(n) for n in (5, 1, 3)]) == 3
    assert engine.insert_missing([row(n) for n in range(1, 8)]) == 4
    db.session.commit()
    made = db.session.scalars(sa.select(FollowUpTask).order_by(FollowUpTask.id)).all()
    assert [t.source[len("delivery:9/") :] for t in made] == ["1", "3", "5", "2", "4", "6", "7"]
    first = made[0]
    assert (first.due_at, first.message, first.owner_id) == (
        nine(D + timedelta(days=1)),
        "电话回访",
        sales,
    )
    assert (first.result, first.outcome, first.reschedules, first.escalation_note) == (
        "",
        "",
        0,
        "",
    )
    assert first.done_at is None and first.created_at is not None
