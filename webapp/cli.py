"""`flask` commands: demo data, and anything run by cron or a worker."""

from __future__ import annotations

import click
from flask import Flask


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
