"""A successful GET ends its read-only transaction with COMMIT on PostgreSQL (so psycopg
keeps its prepared statements); nothing is ever written by that: unsaved changes, failed
requests and other methods still roll back."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from webapp.extensions import db
from webapp.org.models import Store

PROBE = sa.text("select count(*) from store where code = :code")


def _routes(app: Flask) -> None:
    @app.get("/_t/rename/<int:store_id>")
    def rename_without_commit(store_id: int) -> str:
        db.session.get(Store, store_id).name = "改名未保存"
        return "ok"

    @app.get("/_t/update-then-fail/<int:store_id>")
    def update_then_fail(store_id: int) -> str:
        db.session.execute(sa.update(Store).where(Store.id == store_id).values(name="半途"))
        raise RuntimeError("boom")

    @app.post("/_t/update-no-commit/<int:store_id>")
    def update_no_commit(store_id: int) -> str:
        db.session.execute(sa.update(Store).where(Store.id == store_id).values(name="未提交"))
        return "ok"

    @app.get("/_t/probe")
    def probe() -> dict:
        conn = db.session.connection()
        conn.execute(PROBE, {"code": "none"}).all()
        if conn.dialect.name != "postgresql":
            return {"prepared": []}
        rows = conn.exec_driver_sql("select statement from pg_prepared_statements").all()
        return {"prepared": [r[0] for r in rows]}


def _name(store_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Store, store_id).name


def test_a_get_with_unsaved_orm_changes_saves_nothing(app: Flask, make_store) -> None:
    _routes(app)
    store = make_store("原名店")
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/_t/rename/{store.id}").status_code == 200
    assert _name(store.id) == "原名店"


def test_a_failed_get_rolls_back_what_it_wrote(app: Flask, make_store) -> None:
    _routes(app)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    store = make_store("原名店")
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/_t/update-then-fail/{store.id}").status_code == 500
    assert _name(store.id) == "原名店"


def test_a_post_that_does_not_commit_saves_nothing(app: Flask, make_store) -> None:
    _routes(app)
    store = make_store("原名店")
    db.session.commit()
    client = app.test_client()
    assert client.post(f"/_t/update-no-commit/{store.id}").status_code == 200
    assert _name(store.id) == "原名店"


def test_prepared_statements_survive_from_one_get_to_the_next(app: Flask) -> None:
    _routes(app)
    client = app.test_client()
    seen: list[str] = []
    for _ in range(8):
        seen = client.get("/_t/probe").get_json()["prepared"]
    if db.engine.dialect.name == "postgresql":
        assert any("from store where code" in s for s in seen), seen
    else:
        assert seen == []
