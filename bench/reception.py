"""Reception benchmark: an arrival to the salesperson's inbox row, and "store today".

    .venv/bin/python bench/reception.py                 # SQLite file and PostgreSQL
    .venv/bin/python bench/reception.py --only sqlite --arrivals 200 --loads 200

For each database it makes a fresh schema with one store, 30 salespeople on today's roster,
a greeter and a manager, 200 A cards per salesperson, and 200 visits today (a tenth still
open, a quarter with no A card). Then, in process (the Flask app, no network: server time):
1. the greeter registers `--arrivals` walk-ins through `POST /reception/arrivals` (a new
   customer with a mobile every other time, so an A card is opened too); the time is from the
   request to the committed inbox row (the notice is written in the same transaction, and
   the benchmark checks it is there after each request); each visit is then closed outside
   the measurement so the rotation keeps moving;
2. the manager loads `GET /store-today` (`--loads` times, full page and the live fragment).
Prints p50/p95/p99 and the SQL statements per request. Targets: arrival ≤ 100 ms,
store today ≤ 50 ms p95.
"""

from __future__ import annotations

import argparse
import contextvars
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "bench_reception"
PASSWORD = "bench-password-2026"  # noqa: S105 - the bench's own users
SALESPEOPLE = 30
CARDS_EACH = 200
VISITS_TODAY = 200


def pg_url() -> str:
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"


def prepare(app) -> None:
    """The store, its staff, today's roster, cards and today's register."""
    from webapp.auth.models import Role, User, UserRole
    from webapp.auth.passwords import hash_password
    from webapp.catalog.models import VehicleModel
    from webapp.customers.models import CustomerCard
    from webapp.extensions import db
    from webapp.org.models import Store
    from webapp.reception.models import DutyRoster, RosterEntry, Visit
    from webapp.timeutil import local_today, now

    with app.app_context():
        db.create_all()
        store = Store(code="BR1", name="压测店", city="天津")
        db.session.add(store)
        db.session.flush()
        hashed = hash_password(PASSWORD)

        def user(name: str, role: Role) -> User:
            u = User(username=name, display_name=name, password_hash=hashed, store_id=store.id)
            u.role_rows = [UserRole(role=role.value)]
            db.session.add(u)
            return u

        sales = [user(f"br-sales-{n:02d}", Role.SALESPERSON) for n in range(SALESPEOPLE)]
        user("br-greeter", Role.GREETER)
        user("br-manager", Role.SALES_MANAGER)
        model = VehicleModel(code="BENCH", name_zh="卡罗拉", name_en="Corolla")
        db.session.add(model)
        db.session.flush()
        roster = DutyRoster(store_id=store.id, day=local_today())
        roster.entries = [RosterEntry(user_id=s.id, position=n + 1) for n, s in enumerate(sales)]
        db.session.add(roster)
        cards = []
        for n in range(SALESPEOPLE * CARDS_EACH):
            cards.append(
                {
                    "store_id": store.id,
                    "owner_id": sales[n % SALESPEOPLE].id,
                    "name": f"客户{n}",
                    "title": "mr",
                    "mobile": f"139{n:08d}",
                    "source": "walk_in",
                    "grade": "BCAH"[n % 4],
                    "stage": "prospect",
                    "created_at": now() - timedelta(days=n % 300),
                    "updated_at": now(),
                    "version": 1,
                }
            )
        db.session.execute(sa.insert(CustomerCard), cards)
        card_ids = list(db.session.scalars(sa.select(CustomerCard.id).limit(VISITS_TODAY)))
        start = now() - timedelta(hours=6)
        for n in range(VISITS_TODAY):
            time_in = start + timedelta(minutes=n * 1.5)
            is_open = n >= VISITS_TODAY - 20
            db.session.add(
                Visit(
                    store_id=store.id,
                    day=local_today(),
                    time_in=time_in,
                    time_out=None if is_open else time_in + timedelta(minutes=30),
                    owner_id=sales[n % SALESPEOPLE].id,
                    card_id=None if n % 4 == 0 else card_ids[n],
                    name=f"访客{n}",
                    title="ms",
                    source="walk_in",
                    model_id=model.id,
                    grade=None if is_open else "B",
                    result=None if is_open else "follow_up",
                    assignment="rotation",
                )
            )
        db.session.commit()
        db.engine.dispose()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(name: str, values: list[float], sql: list[int]) -> str:
    return (
        f"  {name:<44} n={len(values):>4}  p50 {pct(values, 0.5):6.1f} ms  "
        f"p95 {pct(values, 0.95):6.1f} ms  p99 {pct(values, 0.99):6.1f} ms  "
        f"SQL {statistics.median(sql) if sql else 0:.0f}"
    )


def call(client, method: str, path: str, **kwargs):
    """One request in its own app context (as in production: no leaked `g` between users)."""
    db_session_commit()
    return contextvars.Context().run(client.open, path, method=method, **kwargs)


def db_session_commit() -> None:
    from webapp.extensions import db

    db.session.commit()


def login(client, username: str) -> None:
    with client.session_transaction() as sess:
        sess["csrf_token"] = "bench"  # noqa: S105 - a test token, not a secret
    from itsdangerous import URLSafeTimedSerializer

    token = URLSafeTimedSerializer(client.application.secret_key, salt="wtf-csrf-token").dumps(
        "bench"
    )
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    response = call(client, "POST", "/login", data={"username": username, "password": PASSWORD})
    with client.session_transaction() as sess:  # login starts a fresh session
        sess["csrf_token"] = "bench"  # noqa: S105 - a test token, not a secret
    assert response.status_code == 303, (response.status_code, response.headers.get("Location"))


def run(label: str, url: str, args: argparse.Namespace) -> list[str]:
    from webapp import create_app
    from webapp.extensions import db
    from webapp.push.models import Notification
    from webapp.reception.models import Visit
    from webapp.timeutil import now

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ENV_NAME": "development",
            "RATELIMIT_ENABLED": False,
            "SQL_COUNT_HEADER": True,
        }
    )
    prepare(app)
    out = [f"{label}: {SALESPEOPLE} salespeople on the roster, {VISITS_TODAY} visits today"]
    greeter, manager = app.test_client(), app.test_client()
    with app.app_context():
        login(greeter, "br-greeter")
        login(manager, "br-manager")
        for _ in range(5):  # warm up: imports, templates, first connections
            call(manager, "GET", "/store-today")
            call(greeter, "GET", "/arrivals")
        times, sql = [], []
        for n in range(args.arrivals):
            form = {"people": "2", "title": "mr", "source": "walk_in"}
            if n % 2 == 0:
                form.update(mobile=f"137{n:08d}", name=f"新{n}")
            started = time.perf_counter()
            response = call(greeter, "POST", "/reception/arrivals", data=form)
            elapsed = time.perf_counter() - started
            assert response.status_code == 303, (
                response.status_code,
                response.get_data(as_text=True).split("<main")[-1][:1500],
            )
            visit_id = int(response.headers["Location"].rsplit("=", 1)[1])
            assert db.session.scalar(
                sa.select(Notification.id).where(
                    Notification.ref_id == visit_id, Notification.kind == "arrival"
                )
            )
            times.append(elapsed)
            sql.append(int(response.headers.get("X-SQL-Count", 0) or 0))
            db.session.execute(  # the customer leaves (not measured): the rotation moves on
                sa.update(Visit).where(Visit.id == visit_id).values(time_out=now())
            )
            db.session.commit()
        out.append(line("arrival → inbox row (POST /reception/arrivals)", times, sql))
        for name, headers in (
            ("store today, full page", {}),
            ("store today, live fragment", {"HX-Request": "true", "HX-Target": "store-live"}),
        ):
            times, sql = [], []
            for _ in range(args.loads):
                started = time.perf_counter()
                response = call(manager, "GET", "/store-today", headers=headers)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200
                sql.append(int(response.headers.get("X-SQL-Count", 0) or 0))
            out.append(line(name, times, sql))
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--arrivals", type=int, default=200)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()
    lines: list[str] = []
    if args.only in (None, "sqlite"):
        path = Path(tempfile.mkdtemp(prefix="bench-reception-")) / "bench.sqlite3"
        lines += run("SQLite", f"sqlite:///{path}", args)
    if args.only in (None, "postgresql"):
        lines += run("PostgreSQL", pg_url(), args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
