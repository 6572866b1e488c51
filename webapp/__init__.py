"""The showroom web app: create_app() builds and wires it, without I/O."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from webapp.config import CONFIGS, DEV_SECRET_KEY


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app. `APP_ENV` picks development (default) or production settings."""
    app = Flask(__name__, instance_relative_config=False, instance_path=_instance_path())
    env_name = (overrides or {}).get("ENV_NAME") or os.environ.get("APP_ENV", "development")
    app.config.from_object(CONFIGS[env_name])
    if overrides:
        app.config.update(overrides)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'showroom.sqlite3'}"
        )
    if app.config["ENV_NAME"] == "production" and app.config["SECRET_KEY"] in (
        DEV_SECRET_KEY,
        "",
        None,
    ):
        raise RuntimeError("Refusing to start in production with the development SECRET_KEY.")

    _register_extensions(app)
    from webapp.converters import register_converters

    register_converters(app)  # before any blueprint adds an <int:…> rule
    _register_blueprints(app)
    _register_offline_kinds()

    from webapp import (
        assets,
        cli,
        errors,
        i18n,
        instrument,
        labels,
        security,
        templating,
        transactions,
        urls,
    )

    templating.register(app)

    errors.register_error_handlers(app)
    i18n.register(app)
    labels.register(app)
    security.register(app)
    assets.register(app)
    urls.register(app)
    transactions.register(app)
    cli.register(app)
    instrument.register(app)
    return app


def _instance_path() -> str:
    return os.environ.get("INSTANCE_PATH") or str(
        Path(__file__).resolve().parent.parent / "instance"
    )


def _register_extensions(app: Flask) -> None:
    from webapp import models  # noqa: F401  (every model registered before migrate/limiter)
    from webapp.auth.loader import init_login
    from webapp.extensions import babel, compress, csrf, db, htmx, limiter, migrate
    from webapp.i18n import select_locale

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    htmx.init_app(app)
    limiter.init_app(app)
    compress.init_app(app)
    init_login(app)


# One explicit list of blueprints, in process order.
def _register_blueprints(app: Flask) -> None:
    from webapp import (
        admin,
        auth,
        catalog,
        consult,
        customers,
        delivery,
        followup,
        home,
        negotiation,
        pdca,
        privacy,
        push,
        pwa,
        reception,
        stock,
        sync,
        testdrive,
    )

    for module in (
        auth,
        home,
        reception,
        customers,
        consult,
        testdrive,
        stock,
        negotiation,
        delivery,
        followup,
        pdca,
        sync,
        privacy,
        push,
        catalog,
        admin,
        pwa,
    ):
        app.register_blueprint(module.bp)


# The areas' offline entry kinds, pull sections and conflict records, in one explicit list:
# a new offline area adds its `offline` module here (see webapp.sync.registry).
def _register_offline_kinds() -> None:
    from webapp.customers import offline as customers_offline
    from webapp.delivery import offline as delivery_offline
    from webapp.reception import offline as reception_offline
    from webapp.sync import registry
    from webapp.testdrive import offline as testdrive_offline

    for area in (testdrive_offline, customers_offline, reception_offline, delivery_offline):
        registry.register(
            getattr(area, "KINDS", ()), getattr(area, "SECTIONS", ()), getattr(area, "RECORDS", ())
        )
