"""`flask` commands: demo data, and anything run by cron or a worker."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import AppGroup


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
