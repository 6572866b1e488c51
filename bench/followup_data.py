"""Step ⑧ data for the generator: the follow-up tasks the rules make, as the daily jobs would
have made them over the last months, most of them done.

The engine runs as the jobs run, once a week over the last 17 weeks and then today, on the
completed deliveries and on the owners recorded without one (their purchase date): every
owner has its 3-monthly contact, so a salesperson of the group finds one or two due a day.
What fell due more than DONE_AFTER days ago is done, but one in 25, left overdue. Runs inside
an app context on a generated database (also on its own: `bench/generate.py --add-followups`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.followup import engine
from webapp.followup.models import FollowUpTask
from webapp.jobs.models import JobDay
from webapp.timeutil import SHANGHAI

WEEKS = 17
DONE_AFTER = 2
LEFT_OPEN = 25  # one task in this many stays open once overdue


def create_followups(today: date) -> dict[str, int]:
    """The follow-up tasks of the database, made by the engine (see the module)."""
    db.session.execute(sa.delete(FollowUpTask))
    db.session.execute(sa.delete(JobDay))
    db.session.commit()
    made = 0
    for weeks_ago in range(WEEKS, -1, -1):
        moment = datetime.combine(today - timedelta(weeks=weeks_ago), time(7, 30), SHANGHAI)
        made += engine.plan_tasks(moment).total
    cutoff = datetime.combine(today - timedelta(days=DONE_AFTER), time(0), SHANGHAI)
    done = db.session.execute(
        sa.update(FollowUpTask)
        .where(FollowUpTask.due_at < cutoff, FollowUpTask.id % LEFT_OPEN != 0)
        .values(
            done_at=FollowUpTask.due_at,
            done_by_id=FollowUpTask.owner_id,
            result="已联系,车辆使用正常",
            outcome="reached",
        )
    ).rowcount
    db.session.commit()
    return {"followup_task": made, "followup_task_done": done}
