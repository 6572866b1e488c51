"""The follow-up demo: owners at each point of the cadence, so every page shows something."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.demo import seed
from webapp.extensions import db
from webapp.followup import services as svc
from webapp.followup.models import CrPlan, FollowUpTask
from webapp.timeutil import local_today


def test_the_demo_has_owners_at_each_point_of_the_cadence(app):
    seed()
    sales1 = db.session.scalar(sa.select(User).where(User.username == "sales1"))
    service = db.session.scalar(sa.select(User).where(User.username == "service"))
    due = svc.my_due_tasks(sales1)
    kinds = {row.kind for row in due}
    assert {"safe_arrival", "thank_you", "agreed_call"} <= kinds
    assert any(row.overdue(local_today()) for row in due)
    assert svc.handed_cards(service)  # one C card is with the service department
    open_kinds = set(
        db.session.scalars(sa.select(FollowUpTask.kind).where(FollowUpTask.done_at.is_(None)))
    )
    assert {"free_inspection", "quarterly"} <= open_kinds
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CrPlan)) == 1
    before = db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask))
    seed()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask)) == before
