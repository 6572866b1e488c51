"""Two jobs passes at once on PostgreSQL make each follow-up task once: the second pass's
INSERT … ON CONFLICT DO NOTHING waits for the first's uncommitted rows, then inserts none."""

from __future__ import annotations

import threading
from datetime import date

import pytest
import sqlalchemy as sa

from tests.conftest import require_postgres
from tests.followup.conftest import local
from webapp.extensions import db
from webapp.followup import engine
from webapp.followup.models import FollowUpTask

D = date(2026, 12, 1)


@pytest.mark.postgres_only
def test_two_passes_at_once_make_each_task_once(app, world, delivered):
    require_postgres()
    assert db.engine.dialect.name == "postgresql"
    for card in (world.own_card, world.colleague_card, world.other_store_card):
        delivered(card, D, home_eta=local(D, 19))
    barrier = threading.Barrier(3)
    results: list = []
    original = engine.insert_missing

    def slow_insert(rows):
        made = original(rows)
        barrier_wait = threading.Event()
        barrier_wait.wait(0.05)  # hold the uncommitted rows a moment
        return made

    def attempt() -> None:
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                results.append(engine.plan_tasks(local(D, 20)))
            except Exception as exc:  # reported by the assertions
                results.append(repr(exc))
            finally:
                db.session.remove()

    engine.insert_missing = slow_insert
    try:
        threads = [threading.Thread(target=attempt) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        engine.insert_missing = original

    assert all(isinstance(r, engine.Planned) for r in results), results
    assert not any(r.failed for r in results)
    # three cards × (safe arrival, thank-you, agreed call): 9 tasks made between the passes
    assert sum(r.total for r in results) == 9
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(FollowUpTask.source, FollowUpTask.kind, sa.func.count()).group_by(
            FollowUpTask.source, FollowUpTask.kind
        )
    ).all()
    assert len(rows) == 9 and all(count == 1 for *_key, count in rows)
    assert engine.plan_tasks(local(D, 21)).total == 0
