"""`flask jobs`: the scheduled notices of delivery day (see webapp.jobs.runner).

`flask jobs run` is one idempotent pass (production: from cron every minute, or a systemd
timer); `flask jobs loop` repeats it every minute for development (`make run`).
"""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.timeutil import SHANGHAI


def parse_at(value: str) -> datetime:
    """An ISO date-time as aware UTC; without an offset it is store-local (Asia/Shanghai)."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(f"not an ISO date-time: {value!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    return moment.astimezone(UTC)


def register(app: Flask) -> None:
    """Add the `jobs` command group to the app's CLI."""
    jobs = AppGroup("jobs", help="Scheduled notices: the delivery digest, reminders, tasks.")

    @jobs.command("run")
    @click.option(
        "--at",
        "at",
        default=None,
        help="Run as if it were this ISO date-time (no offset: Asia/Shanghai). Default: now.",
    )
    def jobs_run(at: str | None) -> None:
        """One pass: send what is due now, once per person and day; print the counts."""
        from webapp.jobs.runner import run_due

        report = run_due(parse_at(at) if at else None)
        click.echo(str(report))
        if report.failed_stores:
            raise SystemExit(1)

    @jobs.command("loop")
    @click.option("--every", default=60.0, show_default=True, help="Seconds between passes.")
    def jobs_loop(every: float) -> None:
        """Run a pass every --every seconds until SIGTERM or Ctrl+C (development)."""
        from webapp.jobs.runner import run_loop

        stop = threading.Event()

        def on_signal(signum: int, frame: object) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        passes = run_loop(every=max(1.0, every), stop=stop)
        click.echo(f"jobs: stopped after {passes} passes.")

    app.cli.add_command(jobs)
