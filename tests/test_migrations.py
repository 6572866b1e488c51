"""Migrations: an empty database upgrades to head on both databases and matches the models."""

from __future__ import annotations

import copy
import os
from collections.abc import Iterator
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from tests.conftest import base_config, drop_pg_schema, pg_schema_url, require_postgres
from webapp import create_app
from webapp.extensions import db

MIGRATIONS = str(Path(__file__).resolve().parent.parent / "migrations")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    """An app on a database with no tables at all."""
    schema = f"migr_{os.getpid()}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    else:
        require_postgres()
        url = pg_schema_url(schema)
    app = create_app(base_config(url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if request.param == "postgresql":
        drop_pg_schema(schema)


def schema_diff(metadata: sa.MetaData) -> list:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)


def test_empty_database_upgrades_to_head_and_matches_the_models(empty_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    assert schema_diff(db.metadata) == []
    tables = set(sa.inspect(db.engine).get_table_names())
    assert {"store", "user", "customer_card", "card_event", "alembic_version"} <= tables


def test_downgrade_to_base_and_upgrade_again(empty_app):
    flask_migrate.upgrade(directory=MIGRATIONS)
    flask_migrate.downgrade(directory=MIGRATIONS, revision="base")
    assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
    flask_migrate.upgrade(directory=MIGRATIONS)
    assert schema_diff(db.metadata) == []


def test_a_model_change_without_a_migration_is_detected(empty_app):
    """The check above is not vacuous: an extra column in the models shows up as a diff."""
    flask_migrate.upgrade(directory=MIGRATIONS)
    changed = copy.deepcopy(db.metadata)
    changed.tables["customer_card"].append_column(sa.Column("wechat_id", sa.String(50)))
    diff = schema_diff(changed)
    assert any(op[0] == "add_column" and op[3].name == "wechat_id" for op in diff)


def test_the_cards_audit_months_are_filled_in_from_the_ticks_so_far(empty_app):
    """0024 writes on each card the month of its latest tick of each check, as the tick
    itself does from then on (webapp.pdca.audit.mark_audited)."""
    from bench.generate import generate
    from webapp.customers.models import CustomerCard
    from webapp.pdca.audit_models import CardAuditTick

    flask_migrate.upgrade(directory=MIGRATIONS)
    generate("tiny", seed=7)
    db.session.remove()
    flask_migrate.downgrade(directory=MIGRATIONS, revision="0023_audit_findings")
    flask_migrate.upgrade(directory=MIGRATIONS)
    latest: dict[tuple[int, str], object] = {}
    ticks = db.session.execute(
        sa.select(CardAuditTick.card_id, CardAuditTick.kind, CardAuditTick.month).order_by(
            CardAuditTick.created_at, CardAuditTick.id
        )
    )
    for card_id, kind, month in ticks:
        latest[card_id, kind] = month
    assert latest
    cards = db.session.execute(
        sa.select(CustomerCard.id, CustomerCard.audit_owner_month, CustomerCard.audit_manager_month)
    ).all()
    for card_id, owner_month, manager_month in cards:
        assert owner_month == latest.get((card_id, "owner"))
        assert manager_month == latest.get((card_id, "manager"))
