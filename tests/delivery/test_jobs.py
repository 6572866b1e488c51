"""The scheduled notices of delivery day (`flask jobs run`): the 08:00 digest to everyone
involved, the 17:00 reminder of unfinished preparation for tomorrow, the follow-up task
notices; each exactly once per person and day, none to another store, nothing personal in
the push payload or the inbox title."""

# ruff: noqa: F811 - the fixtures imported from jobs_fixtures are used as arguments

from __future__ import annotations

import json
import threading
from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.delivery.jobs_fixtures import (  # noqa: F401
    before_keys,
    catalogue,
    local,
    make_contract,
    make_delivery,
    tick,
)
from webapp.auth.models import Role, User
from webapp.delivery.models import DeliveryState
from webapp.extensions import db
from webapp.followup.models import FollowUpTask, TaskKind
from webapp.jobs import runner
from webapp.jobs.cli import parse_at
from webapp.jobs.models import SentNotice
from webapp.labels import label
from webapp.push.models import Notification, PushDelivery, PushSubscription
from webapp.push.sender import payload
from webapp.reception.models import DutyRoster, RosterEntry

DAY = date(2026, 12, 10)


def notices(kind: str | None = None) -> list[Notification]:
    stmt = sa.select(Notification).order_by(Notification.user_id, Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return list(db.session.scalars(stmt))


def usernames(kind: str) -> list[str]:
    """Who got a notice of `kind`, by username, one entry per notice."""
    stmt = (
        sa.select(User.username)
        .join(Notification, Notification.user_id == User.id)
        .where(Notification.kind == kind)
        .order_by(User.username)
    )
    return list(db.session.scalars(stmt))


def sent_rows(kind: str) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(SentNotice).where(SentNotice.kind == kind)
    )


# Everyone of store A the digest reaches when no roster is set and no service advisor is
# named: the owner, the other salesperson on duty, the manager, the greeter, every service
# advisor, finance and the car keeper; not the admin, not store B.
DIGEST_ALL = ["colleague", "finance", "greeter", "keeper", "manager", "sales", "service"]


def test_the_digest_waits_for_eight_then_reaches_everyone_involved_once(app, world, make_delivery):
    make_delivery(world.own_card, local(DAY, 10))

    assert runner.run_due(local(DAY, 7, 59)).sent[runner.DIGEST] == 0
    assert notices() == []

    report = runner.run_due(local(DAY, 8))
    assert report.sent[runner.DIGEST] == len(DIGEST_ALL)
    assert usernames(runner.DIGEST) == DIGEST_ALL
    assert sent_rows(runner.DIGEST) == len(DIGEST_ALL)
    for notice in notices(runner.DIGEST):
        assert notice.url == "/delivery/board"
        assert notice.store_id == world.store_a.id
        assert notice.title_code == "delivery_today"

    assert runner.run_due(local(DAY, 8)).total == 0
    assert runner.run_due(local(DAY, 15, 30)).total == 0
    assert len(notices()) == len(DIGEST_ALL)


def test_the_digest_of_a_day_without_deliveries_or_with_cancelled_ones_is_not_sent(
    app, world, make_delivery
):
    make_delivery(world.own_card, local(DAY, 10), state=DeliveryState.CANCELLED.value)
    make_delivery(world.colleague_card, local(DAY, 11), state=DeliveryState.COMPLETED.value)
    make_delivery(world.other_store_card, local(DAY + timedelta(days=1), 10))

    assert runner.run_due(local(DAY, 9)).sent[runner.DIGEST] == 0
    assert notices(runner.DIGEST) == []


def test_the_next_day_the_digest_goes_out_again(app, world, make_delivery):
    make_delivery(world.own_card, local(DAY, 10))
    make_delivery(world.colleague_card, local(DAY + timedelta(days=1), 10))

    assert runner.run_due(local(DAY, 8)).sent[runner.DIGEST] == len(DIGEST_ALL)
    assert runner.run_due(local(DAY + timedelta(days=1), 8)).sent[runner.DIGEST] == len(DIGEST_ALL)


def test_another_stores_people_get_nothing(app, world, make_delivery):
    make_delivery(world.own_card, local(DAY, 10))
    runner.run_due(local(DAY, 18))
    # Store A's delivery day tells nobody of store B (whose own evening reminder is theirs).
    of_a = [n for n in notices() if n.kind != runner.EVENING_DUE]
    other = {world.users["other_salesperson"].id, world.users["other_manager"].id}
    assert of_a and not [n for n in of_a if n.user_id in other]
    assert world.users["admin"].id not in {n.user_id for n in notices()}


def test_store_b_gets_its_own_digest_and_nobody_of_store_a(app, world, make_delivery):
    make_delivery(world.other_store_card, local(DAY, 10))
    report = runner.run_due(local(DAY, 8), store_ids=[world.store_a.id])
    assert report.total == 0
    runner.run_due(local(DAY, 8))
    assert usernames(runner.DIGEST) == ["bmanager", "bsales"]


def test_a_closed_store_sends_nothing(app, world, make_delivery):
    make_delivery(world.other_store_card, local(DAY, 10))
    world.store_b.active = False
    db.session.commit()
    assert runner.run_due(local(DAY, 8)).total == 0


def test_the_named_and_the_store_service_advisors_and_the_rostered_salespeople_get_the_digest(
    app, world, make_user, make_delivery
):
    advisor = make_user(Role.SERVICE_ADVISOR, store=world.store_a, username="advisor2")
    off_roster = make_user(Role.SALESPERSON, store=world.store_a, username="offroster")
    left = make_user(Role.SALESPERSON, store=world.store_a, username="left", active=False)
    roster = DutyRoster(store_id=world.store_a.id, day=DAY)
    roster.entries = [
        RosterEntry(user_id=world.users["salesperson"].id, position=1),
        RosterEntry(user_id=world.users["colleague"].id, position=2, absent=True),
        RosterEntry(user_id=left.id, position=3),
    ]
    db.session.add(roster)
    db.session.commit()
    # the colleague is absent today, but owns a delivery: they are involved all the same
    make_delivery(world.colleague_card, local(DAY, 10), service_advisor=advisor)

    runner.run_due(local(DAY, 8))

    assert usernames(runner.DIGEST) == [
        "advisor2",
        "colleague",
        "finance",
        "greeter",
        "keeper",
        "manager",
        "sales",
        "service",
    ]
    assert off_roster.id not in {n.user_id for n in notices()}


def test_the_push_payload_and_the_inbox_hold_no_customer_name_or_phone(
    app, world, client, make_card, make_delivery
):
    card = make_card(world.users["salesperson"], name="王秀英", mobile="13912345678")
    make_delivery(card, local(DAY, 10))
    db.session.add(
        PushSubscription(
            store_id=world.store_a.id,
            user_id=world.users["salesperson"].id,
            device_id="device-0001",
            endpoint="https://push.example.com/abc",
            p256dh="x",
            auth="y",
        )
    )
    db.session.commit()

    runner.run_due(local(DAY, 8))

    mine = [n for n in notices() if n.user_id == world.users["salesperson"].id]
    assert len(mine) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushDelivery)) == 1
    for locale in ("zh_CN", "en"):
        body = json.loads(payload(mine[0], locale))
        assert set(body) == {"kind", "id", "url", "title"}
        assert body["kind"] == "delivery_today"
        assert body["url"] == "/delivery/board"
        with force_locale(locale):
            assert body["title"] == str(label("notice_title", "delivery_today"))
        text = json.dumps(body, ensure_ascii=False)
        assert "王秀英" not in text and "13912345678" not in text and "5678" not in text

    client.login("sales")
    html = client.get("/inbox/").get_data(as_text=True)
    with force_locale("zh_CN"):
        assert str(label("notice_title", "delivery_today")) in html
    assert "王秀英" not in html and "13912345678" not in html


def test_the_reminder_goes_for_tomorrows_deliveries_with_unticked_before_items_only(
    app, world, make_card, make_delivery
):
    tomorrow = DAY + timedelta(days=1)
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    late = make_delivery(world.own_card, local(tomorrow, 10))
    ready = make_delivery(world.colleague_card, local(tomorrow, 14))
    for key in before_keys():  # every "before" item ticked; the "day" items cannot be yet
        tick(ready, key, colleague)
    unticked = make_delivery(make_card(colleague), local(tomorrow, 16))
    for key in before_keys():
        tick(unticked, key, colleague)
    tick(unticked, before_keys()[0], colleague, done=False)  # the latest entry wins
    make_delivery(make_card(sales), local(DAY, 15))  # today's: too late for a reminder
    make_delivery(make_card(sales), local(DAY + timedelta(days=2), 10))  # not tomorrow yet
    make_delivery(
        make_card(sales), local(tomorrow, 11), state=DeliveryState.CANCELLED.value
    )  # cancelled

    assert runner.run_due(local(DAY, 16, 59)).sent[runner.PREP] == 0

    report = runner.run_due(local(DAY, 17))
    assert report.sent[runner.PREP] == 4
    got = sorted((n.user_id, n.ref_id, n.url) for n in notices(runner.PREP))
    manager = world.users["sales_manager"].id
    assert got == sorted(
        [
            (sales.id, late.id, f"/delivery/{late.id}"),
            (manager, late.id, f"/delivery/{late.id}"),
            (colleague.id, unticked.id, f"/delivery/{unticked.id}"),
            (manager, unticked.id, f"/delivery/{unticked.id}"),
        ]
    )
    assert runner.run_due(local(DAY, 17, 1)).sent[runner.PREP] == 0
    assert sent_rows(runner.PREP) == 4


def test_an_unticked_day_item_alone_sends_no_reminder(app, world, make_delivery):
    ready = make_delivery(world.own_card, local(DAY + timedelta(days=1), 10))
    for key in before_keys():
        tick(ready, key, world.users["salesperson"])
    tick(ready, "car_cleaned", world.users["salesperson"], done=False)
    assert runner.run_due(local(DAY, 20)).sent[runner.PREP] == 0


def make_task(card, due, **fields) -> FollowUpTask:
    values = {
        "store_id": card.store_id,
        "card_id": card.id,
        "owner_id": card.owner_id,
        "kind": TaskKind.THANK_YOU.value,
        "due_at": due,
        "source": f"test:{card.id}:{due.isoformat()}",
    }
    values.update(fields)
    task = FollowUpTask(**values)
    db.session.add(task)
    db.session.commit()
    return task


def test_a_due_task_is_noticed_to_its_owner_once_on_its_day(app, world):
    due = make_task(world.own_card, local(DAY, 9))
    make_task(world.colleague_card, local(DAY, 12))  # not yet due at 10:00
    make_task(world.own_card, local(DAY, 8), done_at=local(DAY, 8, 30))  # done
    other = make_task(world.other_store_card, local(DAY, 9))

    report = runner.run_due(local(DAY, 10), store_ids=[world.store_a.id])
    assert report.sent == {**dict.fromkeys(runner.KINDS, 0), runner.TASK: 1}
    (notice,) = notices(runner.TASK)
    assert (notice.user_id, notice.ref_id) == (world.users["salesperson"].id, due.id)
    assert notice.title_code == "task_due"
    assert notice.url == f"/customers/{world.own_card.id}"  # the customer the call is about

    assert runner.run_due(local(DAY, 10, 1), store_ids=[world.store_a.id]).total == 0
    late = runner.run_due(local(DAY, 23, 59), store_ids=[world.store_a.id])
    assert late.sent[runner.TASK] == 1 and late.total == 1 + late.sent[runner.EVENING_DUE]
    assert runner.run_due(local(DAY, 23, 59)).sent[runner.TASK] == 1  # the other store's
    assert other.id in {n.ref_id for n in notices(runner.TASK)}
    # The next day an open task is overdue: the managers' digest speaks of it, not this notice.
    assert runner.run_due(local(DAY + timedelta(days=1), 0, 5)).sent[runner.TASK] == 0


def test_a_failing_store_loses_nothing_of_the_others(app, world, make_delivery, monkeypatch):
    make_delivery(world.own_card, local(DAY, 10))
    make_delivery(world.other_store_card, local(DAY, 10))
    original = runner.digest_recipients

    def broken(store_id, day, deliveries):
        if store_id == world.store_a.id:
            raise RuntimeError("store A's data is broken")
        return original(store_id, day, deliveries)

    monkeypatch.setattr(runner, "digest_recipients", broken)
    report = runner.run_due(local(DAY, 8))
    assert report.failed_stores == [world.store_a.id]
    assert report.sent[runner.DIGEST] == 2
    assert usernames(runner.DIGEST) == ["bmanager", "bsales"]

    monkeypatch.setattr(runner, "digest_recipients", original)
    assert runner.run_due(local(DAY, 8, 1)).sent[runner.DIGEST] == len(DIGEST_ALL)
    assert sent_rows(runner.DIGEST) == len(DIGEST_ALL) + 2


def test_the_times_follow_the_settings(app, world, make_delivery):
    app.config.update(DIGEST_AT="07:30", PREP_REMINDER_AT="19:00")
    make_delivery(world.own_card, local(DAY, 10))
    make_delivery(world.colleague_card, local(DAY + timedelta(days=1), 10))
    report = runner.run_due(local(DAY, 7, 30))
    assert report.sent[runner.DIGEST] == len(DIGEST_ALL)
    assert runner.run_due(local(DAY, 18, 59)).sent[runner.PREP] == 0
    assert runner.run_due(local(DAY, 19)).sent[runner.PREP] == 2


def test_flask_jobs_run_sends_and_prints_the_counts(app, world, make_delivery):
    make_delivery(world.own_card, local(DAY, 10))
    cli = app.test_cli_runner()
    result = cli.invoke(args=["jobs", "run", "--at", "2026-12-10T08:00"])
    assert result.exit_code == 0, result.output
    assert f"delivery_today {len(DIGEST_ALL)}" in result.output
    result = cli.invoke(args=["jobs", "run", "--at", "2026-12-10T00:00:00+00:00"])
    assert "delivery_today 0" in result.output
    result = cli.invoke(args=["jobs", "run", "--at", "tomorrow"])
    assert result.exit_code != 0


def test_an_iso_time_without_offset_is_store_local():
    assert parse_at("2026-12-10T08:00") == local(DAY, 8)
    assert parse_at("2026-12-10T00:00+00:00") == local(DAY, 8)


def test_the_loop_goes_on_after_a_failing_pass_and_stops_when_told(app, monkeypatch):
    stop = threading.Event()
    calls = []

    def run_due(at):
        calls.append(at)
        if len(calls) == 1:
            raise RuntimeError("database restarting")
        stop.set()
        return runner.Report()

    monkeypatch.setattr(runner, "run_due", run_due)
    assert runner.run_loop(every=0.01, stop=stop) == 2
    assert len(calls) == 2


@pytest.mark.parametrize("value", ["8", "eight", ""])
def test_a_malformed_time_setting_falls_back_to_the_default(app, value):
    from datetime import time

    app.config["DIGEST_AT"] = value
    assert runner.local_clock("DIGEST_AT", time(8)) == time(8)
