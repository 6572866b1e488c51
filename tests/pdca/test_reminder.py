"""The N-3 reminder: from three days before the month's end, each salesperson without next
month's targets gets one inbox notice a day, through the daily jobs pass."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.delivery.jobs_fixtures import local
from webapp.extensions import db
from webapp.jobs import runner
from webapp.pdca import plan as plans
from webapp.pdca.models import SalesTarget
from webapp.push.models import Notification

NOVEMBER_N3 = date(2026, 11, 27)  # 30 November - 3: December's targets are due


def reminded() -> set[int]:
    db.session.expire_all()
    stmt = sa.select(Notification.user_id).where(Notification.kind == runner.TARGETS_DUE)
    return set(db.session.scalars(stmt))


def test_salespeople_without_next_months_targets_are_reminded_from_day_n_minus_3(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    store = [world.store_a.id]
    december = date(2026, 12, 1)
    db.session.add(SalesTarget(store_id=sales.store_id, owner_id=sales.id, month=december))
    db.session.commit()
    assert plans.deadline(december) == NOVEMBER_N3

    runner.run_due(local(date(2026, 11, 26), 8), store_ids=store)  # N-4: nothing yet
    assert reminded() == set()
    report = runner.run_due(local(NOVEMBER_N3, 8), store_ids=store)
    assert report.sent[runner.TARGETS_DUE] >= 1
    assert colleague.id in reminded() and sales.id not in reminded()  # sales has targets
    assert world.users["sales_manager"].id not in reminded()
    assert world.users["other_salesperson"].id not in reminded()  # store B is not in the pass
    notice = db.session.scalar(
        sa.select(Notification).where(
            Notification.kind == runner.TARGETS_DUE, Notification.user_id == colleague.id
        )
    )
    assert notice.url == "/pdca/plan?month=2026-12"
    # The same day again sends nothing more.
    assert runner.run_due(local(NOVEMBER_N3, 9), store_ids=store).sent[runner.TARGETS_DUE] == 0
