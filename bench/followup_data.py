"""Step ⑧ data for the generator: the follow-up tasks the rules make, as the daily jobs would
have made them over the last months, most of them done.

The engine runs as the jobs run over the last 17 weeks and then today, on the completed
deliveries and on the owners recorded without one (their purchase date): every owner has its
3-monthly contact, so a salesperson of the group finds one or two due a day. The jobs run
every morning; a pass every PASS_DAYS days makes the same tasks, as long as no task can fall
due between two passes without either seeing it (the engine's window of GRACE_DAYS back and
LEAD_DAYS ahead, and every repeat, are longer), so the generator runs one every four weeks.
What fell due more than DONE_AFTER days ago is done, but one in 25, left overdue. Runs inside
an app context on a generated database (also on its own: `bench/generate.py --add-followups`).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.extensions import db
from webapp.followup import engine
from webapp.followup.models import FollowUpTask
from webapp.followup.rules import DEFAULT_RULES
from webapp.jobs.models import JobDay
from webapp.timeutil import SHANGHAI

WEEKS = 17
PASS_DAYS = 28
# A pass sees every task due from GRACE_DAYS before it to LEAD_DAYS after it, and the latest
# occurrence of each repeat; passes further apart than either would miss some.
assert PASS_DAYS <= engine.GRACE_DAYS + engine.LEAD_DAYS
assert all(rule.repeat_days is None or rule.repeat_days >= PASS_DAYS for rule in DEFAULT_RULES)
DONE_AFTER = 2
LEFT_OPEN = 25  # one task in this many stays open once overdue


def pass_days(today: date) -> list[date]:
    """The days the generator runs the engine's pass: WEEKS weeks ago, every PASS_DAYS days
    after, and today."""
    first = today - timedelta(weeks=WEEKS)
    days = [first + timedelta(days=n) for n in range(0, (today - first).days, PASS_DAYS)]
    return [*days, today]


def create_followups(today: date) -> dict[str, int]:
    """The follow-up tasks of the database, made by the engine (see the module)."""
    db.session.execute(sa.delete(FollowUpTask))
    db.session.execute(sa.delete(JobDay))
    db.session.commit()
    made = 0
    for day in pass_days(today):
        made += engine.plan_tasks(datetime.combine(day, time(7, 30), SHANGHAI)).total
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
