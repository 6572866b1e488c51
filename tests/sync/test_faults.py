"""Faults: the database down (503), failing mid-batch, and the server killed mid-batch.

The crash test runs the real app under gunicorn against the test database, kills it with
SIGKILL while a batch is being applied, starts it again and replays the batch.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import random
import signal
import subprocess
import tempfile
import threading
import time

import pytest
import sqlalchemy as sa

from bench.load import BIN, ROOT, Session, free_port
from tests.sync import support as s
from webapp.auth.models import Role
from webapp.auth.passwords import hash_password
from webapp.extensions import db
from webapp.sync.models import SyncReceipt
from webapp.testdrive.models import TestDriveEntry


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def packet(world):
    return s.make_packet(world.users["salesperson"], world.own_card)


class Outage:
    """Make the database fail: every statement, or inserts into one table after n of them."""

    def __init__(self, table: str | None = None, after: int = 0):
        self.table, self.after, self.seen = table, after, 0

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        if self.table is None or statement.lstrip().upper().startswith(
            f"INSERT INTO {self.table.upper()}"
        ):
            self.seen += 1
            if self.seen > self.after:
                raise sa.exc.OperationalError(statement, parameters, Exception("database down"))


def test_database_down_gives_503_json_and_writes_nothing(app, world, packet):
    client = app.test_client()
    client.login("sales")
    batch = [s.tick(packet, n) for n in range(1, 6)]
    db.session.commit()
    outage = Outage()
    sa.event.listen(db.engine, "before_cursor_execute", outage)
    try:
        response = s.push(client, batch)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", outage)
    assert response.status_code == 503 and response.is_json
    assert response.get_json()["error"] == "unavailable" and response.headers["Retry-After"]
    assert count(TestDriveEntry) == 0 and count(SyncReceipt) == 0
    # The outbox drains later with nothing lost.
    assert [r["status"] for r in s.push(client, batch).get_json()["results"]] == ["applied"] * 5


def test_database_failing_mid_batch_stores_nothing_of_the_batch_and_the_retry_completes(
    app, world, packet
):
    client = app.test_client()
    client.login("sales")
    batch = [s.tick(packet, n) for n in range(1, 11)]
    db.session.commit()
    # The facts of the batch are written; the database fails when the receipts follow.
    outage = Outage("sync_receipt", after=0)
    sa.event.listen(db.engine, "before_cursor_execute", outage)
    try:
        response = s.push(client, batch)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", outage)
    assert response.status_code == 503 and outage.seen >= 1
    assert count(TestDriveEntry) == 0 and count(SyncReceipt) == 0  # none partial
    results = s.push(client, batch).get_json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 10
    assert count(TestDriveEntry) == 10 and count(SyncReceipt) == 10


# --- the server killed mid-batch ----------------------------------------------------------


def _start(url: str, port: int, instance: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _server_url(url),
        "SECRET_KEY": "crash-test-" + "x" * 32,
        "INSTANCE_PATH": instance,
        "BLOB_KEY": s.TEST_BLOB_KEY,
        "COMPRESS_IN_APP": "0",
    }
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            "1",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "webapp:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/offline")
            conn.getresponse().read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise AssertionError("gunicorn did not start")


def _kill(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


def _push(session: Session, batch: list[dict]) -> tuple[int, dict | None]:
    conn = http.client.HTTPConnection("127.0.0.1", session.port, timeout=60)
    body = json.dumps({"device": "d-crash", "entries": batch}).encode()
    try:
        conn.request(
            "POST",
            "/sync/push",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Cookie": session.cookie,
                "X-CSRFToken": session.token,
            },
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    except (OSError, http.client.HTTPException):
        return 0, None
    finally:
        conn.close()


CRASH_APP_NAME = "crash-test"


def _server_url(url: str) -> str:
    """On PostgreSQL, name the server's connections so the test can watch them."""
    if not url.startswith("postgresql"):
        return url
    return url + ("&" if "?" in url else "?") + f"application_name={CRASH_APP_NAME}"


def _writing_a_batch(observer: sa.Engine, url: str) -> bool:
    """Whether the server is inside the write transaction of a batch right now.

    SQLite: the batch holds the write lock (BEGIN IMMEDIATE), so taking it fails.
    PostgreSQL: the server's backend has a transaction id (it wrote) and its last statement
    touched the sync tables.
    """
    if url.startswith("sqlite"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        probe = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError:
            return True
        finally:
            probe.close()
    with observer.connect() as conn:
        return bool(
            conn.scalar(
                sa.text(
                    "select count(*) from pg_stat_activity where application_name = :app "
                    "and backend_xid is not null and (query ilike '%sync_receipt%' "
                    "or query ilike '%test_drive_entry%' or query ilike '%card_event%' "
                    "or query ilike '%customer_card%' or query ilike '%test_drive_booking%')"
                ),
                {"app": CRASH_APP_NAME},
            )
        )


def _push_into(session: Session, batch: list[dict], answers: list) -> None:
    answers.append(_push(session, batch))


def test_server_killed_mid_batch_then_retry_gives_exactly_n_entries(app, world, packet):
    from bench.load import PASSWORD

    url = app.config["SQLALCHEMY_DATABASE_URI"]
    user = world.users["salesperson"]
    user.password_hash = hash_password(PASSWORD)
    assert user.has_role(Role.SALESPERSON)
    db.session.commit()
    observer = sa.create_engine(url)
    instance = tempfile.mkdtemp(prefix="crash-instance-")
    port = free_port()
    proc = _start(url, port, instance)
    session = Session(port, user.username)
    session.login()
    seq = 0
    total = 0
    mid_batch_kills = 0
    try:
        for _attempt in range(6):
            batch = []
            for _n in range(50):
                seq += 1
                batch.append(s.feedback(packet, seq, grade="HABC"[seq % 4]))
            before = total
            answered: list = []
            thread = threading.Thread(target=_push_into, args=(session, batch, answered))
            thread.start()
            # Kill while the server is inside the batch's write transaction (watched from
            # outside), after a random extra moment so the kill lands at varied points.
            deadline = time.perf_counter() + 10
            while thread.is_alive() and time.perf_counter() < deadline:
                if _writing_a_batch(observer, url):
                    time.sleep(random.uniform(0, 0.004))
                    break
                time.sleep(0.0005)
            _kill(proc)
            thread.join(timeout=30)
            in_flight = not answered or answered[0][0] != 200
            with observer.connect() as conn:
                receipts = conn.scalar(
                    sa.select(sa.func.count()).select_from(SyncReceipt.__table__)
                )
                entries = conn.scalar(
                    sa.select(sa.func.count()).select_from(TestDriveEntry.__table__)
                )
                events = conn.scalar(
                    sa.text("select count(*) from card_event where kind='test_drive'")
                )
            # None partial: every stored entry has its receipt, its row and its event, and a
            # batch is stored whole or not at all.
            assert receipts == entries == events, (receipts, entries, events)
            assert receipts in (before, before + 50), (before, receipts)
            if in_flight:
                mid_batch_kills += 1
            proc = _start(url, port, instance)
            status, answer = _push(session, batch)
            assert status == 200, status
            statuses = [r["status"] for r in answer["results"]]
            assert set(statuses) <= {"applied", "duplicate"}
            assert statuses.count("duplicate") == receipts - before
            total += 50
            with observer.connect() as conn:
                assert (
                    conn.scalar(sa.select(sa.func.count()).select_from(TestDriveEntry.__table__))
                    == total
                )
                assert (
                    conn.scalar(sa.select(sa.func.count()).select_from(SyncReceipt.__table__))
                    == total
                )
            if mid_batch_kills >= 3:
                break
    finally:
        _kill(proc)
        observer.dispose()
    assert mid_batch_kills >= 2, "the server was never killed in the middle of a batch"
