"""Two `flask jobs run` at the same moment (two cron hosts, a slow pass overlapping the next
minute's) send each notice once: the SentNotice row is inserted first and the second insert
waits for the first transaction and then inserts nothing. Row locks are PostgreSQL's; SQLite
locks the whole file, so this runs there only."""

# ruff: noqa: F811 - the fixtures imported from jobs_fixtures are used as arguments

from __future__ import annotations

import threading
import time
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import require_postgres
from tests.delivery.jobs_fixtures import (  # noqa: F401
    catalogue,
    local,
    make_contract,
    make_delivery,
)
from webapp.extensions import db
from webapp.followup.models import FollowUpTask, TaskKind
from webapp.jobs import runner
from webapp.jobs.models import SentNotice
from webapp.push.models import Notification

DAY = date(2026, 12, 10)


def race(app, at, passes: int = 2) -> list[runner.Report | str]:
    """`passes` runs of run_due(at), each in its own thread, app context and connection,
    released together by a barrier; each holds its claimed rows a moment before notifying,
    so the others' inserts meet the uncommitted rows."""
    barrier = threading.Barrier(passes)
    results: list[runner.Report | str] = []
    original = runner.claim

    def slow_claim(*args, **kwargs):
        won = original(*args, **kwargs)
        time.sleep(0.05)
        return won

    def attempt() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(runner.run_due(at))
            except Exception as exc:  # reported by the assertions
                results.append(repr(exc))
            finally:
                db.session.remove()

    runner.claim = slow_claim
    try:
        threads = [threading.Thread(target=attempt) for _ in range(passes)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        runner.claim = original
    return results


@pytest.mark.postgres_only
def test_two_passes_at_once_send_exactly_one_notice_per_person(app, world, make_delivery):
    require_postgres()
    assert db.engine.dialect.name == "postgresql"
    make_delivery(world.own_card, local(DAY, 10))
    make_delivery(world.colleague_card, local(DAY + timedelta(days=1), 10))
    make_delivery(world.other_store_card, local(DAY, 11))
    for n, card in enumerate((world.own_card, world.colleague_card, world.other_store_card)):
        db.session.add(
            FollowUpTask(
                store_id=card.store_id,
                card_id=card.id,
                owner_id=card.owner_id,
                kind=TaskKind.THANK_YOU.value,
                due_at=local(DAY, 9),
                source=f"race:{n}",
            )
        )
    db.session.commit()

    results = race(app, local(DAY, 17), passes=3)

    assert all(isinstance(r, runner.Report) for r in results), results
    assert not any(r.failed_stores for r in results)
    # store A: 7 digests, 2 reminders (owner + manager), 2 tasks; store B: 2 digests, 1 task
    expected = {runner.DIGEST: 9, runner.PREP: 2, runner.TASK: 3}
    for kind, n in expected.items():
        assert sum(r.sent[kind] for r in results) == n, kind
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(
            Notification.kind, Notification.user_id, Notification.ref_id, sa.func.count()
        ).group_by(Notification.kind, Notification.user_id, Notification.ref_id)
    ).all()
    assert len(rows) == sum(expected.values())
    assert all(count == 1 for *_key, count in rows)
    sent = db.session.scalar(sa.select(sa.func.count()).select_from(SentNotice))
    assert sent == sum(expected.values())

    # and a pass after them finds nothing left to send
    assert runner.run_due(local(DAY, 17, 1)).total == 0
