"""`flask` commands: demo data, and anything run by cron or a worker."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup

from webapp.jobs.cli import register as register_jobs


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    def seed_demo() -> None:
        """Load the demo store, staff, catalogue and customers (idempotent)."""
        from webapp.demo import seed

        report = seed()
        click.echo(report)

    @app.cli.command("demo-logins")
    def demo_logins() -> None:
        """Print the demo logins."""
        from webapp.demo import logins_text

        click.echo(logins_text())

    privacy = AppGroup("privacy", help="Sensitive personal information (PIPL).")

    @privacy.command("purge")
    def privacy_purge() -> None:
        """Delete licence copies and signatures past retention (file and row), logged."""
        from webapp.privacy.services import purge_expired

        lines = purge_expired()
        for line in lines:
            click.echo(line)
        click.echo(f"{len(lines)} deleted.")

    app.cli.add_command(privacy)

    push = AppGroup("push", help="Web Push: VAPID keys and the delivery outbox.")

    @push.command("init")
    def push_init() -> None:
        """Create the VAPID key pair in the instance folder once; print the public key."""
        from webapp.push.keys import init_keys, private_key_path

        public, created = init_keys()
        state = "created" if created else "kept"
        click.echo(f"VAPID key {state}: {private_key_path()}")
        click.echo(f"Public key (applicationServerKey): {public}")

    @push.command("send")
    @click.option("--loop", is_flag=True, help="Keep sending until stopped (a worker).")
    @click.option("--once", is_flag=True, help="Send what is due now and stop (the default).")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds between rounds.")
    def push_send(loop: bool, once: bool, interval: float) -> None:
        """Drain the push outbox: pending deliveries through pywebpush."""
        from webapp.push.sender import run_loop, send_pending

        if loop and not once:
            run_loop(interval=interval)
            return
        click.echo(str(send_pending()))

    app.cli.add_command(push)

    register_jobs(app)
