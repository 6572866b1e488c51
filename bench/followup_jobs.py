"""Follow-up jobs benchmark: one day's pass of `flask jobs run` over a whole dealer group.

    .venv/bin/python bench/followup_jobs.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

On a database made by `bench/generate.py --scale group` (100 stores, 250,000 owners, 62,000
completed deliveries, the follow-up tasks of the last months), it runs the jobs' pass of one
store-local morning (07:45) as `flask jobs run --at` would: for each of the 100 stores, the
tasks its rules call for are made (the engine reads every owner and completed delivery of the
store), the tasks overdue by the store's setting are escalated, and the overdue notices go
out. The day is the one after the last day the daily work ran (`job_day`), so each run of
the benchmark is a new day's work, never a rerun. Then it runs the same pass again, which
must make nothing (the day is claimed; the tasks exist).

Prints the wall time of the pass, the tasks made, escalated and the notices sent, and the
rerun. Target: a day's tasks over a 100-store group in ≤ 60 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TARGET_S = 60.0


def next_day() -> date:
    """The day after the last day the daily follow-up work ran (today if it never ran)."""
    from webapp.extensions import db
    from webapp.jobs.models import JobDay
    from webapp.jobs.runner import FOLLOWUP_JOB
    from webapp.timeutil import local_today

    last = db.session.scalar(sa.select(sa.func.max(JobDay.day)).where(JobDay.job == FOLLOWUP_JOB))
    return max(local_today(), last + timedelta(days=1)) if last else local_today()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--day", default="", help="the store-local day (default: the next one)")
    args = parser.parse_args()

    from webapp import create_app
    from webapp.customers.models import CustomerCard
    from webapp.delivery.models import Delivery
    from webapp.extensions import db
    from webapp.followup.models import FollowUpTask
    from webapp.jobs.runner import run_due
    from webapp.org.models import Store
    from webapp.timeutil import SHANGHAI

    overrides = {"SQLALCHEMY_DATABASE_URI": args.database_url} if args.database_url else {}
    app = create_app(overrides)
    with app.app_context():
        day = date.fromisoformat(args.day) if args.day else next_day()
        at = datetime.combine(day, clock(7, 45), SHANGHAI).astimezone(UTC)
        stores = db.session.scalar(sa.select(sa.func.count()).where(Store.active))
        owners = db.session.scalar(sa.select(sa.func.count()).where(CustomerCard.stage == "owner"))
        delivered = db.session.scalar(
            sa.select(sa.func.count()).where(Delivery.state == "completed")
        )
        tasks = db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask))
        db.session.commit()
        print(
            f"database: {db.engine.dialect.name}, {stores} stores, {owners:,} owners, "
            f"{delivered:,} completed deliveries, {tasks:,} follow-up tasks"
        )
        print(f"day: {day.isoformat()} (the pass at 07:45 store-local)")
        started = time.perf_counter()
        report = run_due(at)
        wall = time.perf_counter() - started
        print(
            f"day's pass: {wall:.1f} s wall; tasks made {report.tasks_made:,}, "
            f"escalated {report.escalated:,}; notices {report.total:,} "
            f"({', '.join(f'{k} {n}' for k, n in report.sent.items() if n)})"
            + (f"; FAILED stores {report.failed_stores}" if report.failed_stores else "")
        )
        started = time.perf_counter()
        again = run_due(at)
        rerun = time.perf_counter() - started
        print(
            f"rerun of the same morning: {rerun:.1f} s wall; tasks made {again.tasks_made}, "
            f"notices {again.total}"
        )
        met = wall <= TARGET_S and not report.failed_stores and again.tasks_made == 0
        print(f"target ≤ {TARGET_S:.0f} s: {'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
