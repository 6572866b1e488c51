"""The evening meeting reminder: from the store's evening hour (17:30 unless the manager set
another), each salesperson without a line on tomorrow's 附表二 gets one inbox notice a day,
through the daily jobs pass."""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from tests.delivery.jobs_fixtures import local
from webapp.extensions import db
from webapp.jobs import runner
from webapp.pdca import meetings
from webapp.pdca.schedule_models import ActivitySchedule, MeetingSetting, ScheduleLine
from webapp.push.labels import TABLES, title_code
from webapp.push.models import Notification

DAY = date(2026, 12, 8)


def reminded() -> set[int]:
    db.session.expire_all()
    stmt = sa.select(Notification.user_id).where(Notification.kind == runner.EVENING_DUE)
    return set(db.session.scalars(stmt))


def give_line(user, day: date) -> None:
    schedule = ActivitySchedule(store_id=user.store_id, owner_id=user.id, day=day)
    db.session.add(schedule)
    db.session.flush()
    db.session.add(
        ScheduleLine(
            store_id=user.store_id,
            owner_id=user.id,
            schedule_id=schedule.id,
            at=time(9),
            purpose="call",
        )
    )
    db.session.commit()


def test_salespeople_without_tomorrows_lines_are_reminded_from_the_default_hour(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    store = [world.store_a.id]
    give_line(sales, DAY + timedelta(days=1))
    # A schedule row with a comment but no line is still an empty schedule.
    db.session.add(
        ActivitySchedule(
            store_id=colleague.store_id, owner_id=colleague.id, day=DAY + timedelta(days=1)
        )
    )
    db.session.commit()

    runner.run_due(local(DAY, 17, 29), store_ids=store)
    assert reminded() == set()
    report = runner.run_due(local(DAY, 17, 30), store_ids=store)
    assert report.sent[runner.EVENING_DUE] == 1
    assert reminded() == {colleague.id}  # sales has a line; managers and store B are not asked
    notice = db.session.scalar(
        sa.select(Notification).where(Notification.kind == runner.EVENING_DUE)
    )
    assert notice.url == "/pdca/schedule"
    assert notice.title_code == title_code(runner.EVENING_DUE) == "evening_due"
    assert "evening_due" in TABLES["notice_title"]
    # Once a day: later passes send nothing more, the next day again.
    assert runner.run_due(local(DAY, 19), store_ids=store).sent[runner.EVENING_DUE] == 0
    next_day = runner.run_due(local(DAY + timedelta(days=1), 18), store_ids=store)
    assert next_day.sent[runner.EVENING_DUE] == 2  # neither has a line for the day after


def test_the_store_sets_its_own_hour(world):
    manager = world.users["sales_manager"]
    store = [world.store_a.id]
    db.session.add(MeetingSetting(store_id=manager.store_id, evening_at=time(18, 30)))
    db.session.commit()
    assert meetings.evening_due_stores(store, local(DAY, 18)) == []
    runner.run_due(local(DAY, 18), store_ids=store)
    assert reminded() == set()
    assert meetings.evening_due_stores(store, local(DAY, 18, 30)) == store
    runner.run_due(local(DAY, 18, 30), store_ids=store)
    assert reminded() == {world.users["salesperson"].id, world.users["colleague"].id}
    assert meetings.evening_due_stores(store, local(DAY, 20)) == []  # done for the day


def test_a_closed_store_is_not_reminded(world):
    world.store_a.active = False
    db.session.commit()
    assert meetings.evening_due_stores([world.store_a.id], local(DAY, 20)) == []
