"""Delivery-day benchmark: the VIP arrival to every colleague's inbox row, the board, the page.

    .venv/bin/python bench/delivery_day.py                 # SQLite file and PostgreSQL
    .venv/bin/python bench/delivery_day.py --only postgresql --arrivals 100 --loads 200

For each database it makes a fresh schema with one store and 30 staff on duty (24 salespeople
on today's roster, a greeter, a manager, two service advisors, finance and a car keeper),
`--arrivals` deliveries planned for today and 60 more over the week, each with its contract
paid in full and a half-ticked preparation list, and 2,000 completed deliveries in the past.
Then, in process (the Flask app, no network: server time):
1. the greeter marks each of today's customers arrived through `POST /delivery/<id>/arrived`;
   the time is from the request to the committed inbox rows (the notices are written in the
   same transaction; the benchmark checks every colleague on duty has one after each request);
2. a salesperson loads the delivery board (`GET /delivery/board`, full page and its polled
   fragment) and a delivery page (`GET /delivery/<id>`), `--loads` times each.
Prints p50/p95/p99 and the SQL statements per request. Target: arrival → inbox row ≤ 100 ms
p95 with 30 staff on duty. (The board and the page under `bench/load.py`'s concurrent load
need deliveries in the generated group data, which the generator does not make yet.)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.reception import call, line, login

PG_SERVER = os.environ.get("BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DB = "bench_delivery"
PASSWORD = "bench-password-2026"  # noqa: S105 - the bench's own users
SALESPEOPLE = 24
WEEK = 60  # a busy store: about ten a day
PAST = 2_000


def pg_url() -> str:
    engine = sa.create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
    engine.dispose()
    return PG_SERVER.rsplit("/", 1)[0] + f"/{PG_DB}"


def prepare(app, today_count: int) -> list[int]:
    """The store, its staff on duty, the contracts and deliveries; returns today's ids."""
    from webapp.auth.models import Role, User, UserRole
    from webapp.auth.passwords import hash_password
    from webapp.catalog.models import Sfx, VehicleModel
    from webapp.customers.models import CustomerCard
    from webapp.delivery.checklists import current_checklists
    from webapp.delivery.models import Delivery, DeliveryEntry
    from webapp.extensions import db
    from webapp.negotiation.contract_models import Contract, Memo, MemoVersion
    from webapp.org.models import Store
    from webapp.reception.models import DutyRoster, RosterEntry
    from webapp.timeutil import local_day_bounds, local_today, now

    with app.app_context():
        db.create_all()
        store = Store(code="BD1", name="压测店", city="天津")
        db.session.add(store)
        db.session.flush()
        hashed = hash_password(PASSWORD)

        def user(name: str, role: Role) -> User:
            u = User(username=name, display_name=name, password_hash=hashed, store_id=store.id)
            u.role_rows = [UserRole(role=role.value)]
            db.session.add(u)
            return u

        sales = [user(f"bd-sales-{n:02d}", Role.SALESPERSON) for n in range(SALESPEOPLE)]
        for name, role in (
            ("bd-greeter", Role.GREETER),
            ("bd-manager", Role.SALES_MANAGER),
            ("bd-advisor-1", Role.SERVICE_ADVISOR),
            ("bd-advisor-2", Role.SERVICE_ADVISOR),
            ("bd-finance", Role.FINANCE),
            ("bd-keeper", Role.CAR_KEEPER),
        ):
            user(name, role)
        model = VehicleModel(code="BENCH", name_zh="卡罗拉", name_en="Corolla")
        db.session.add(model)
        db.session.flush()
        sfx = Sfx(
            model_id=model.id, code="ZRE", grade="精英版", engine="1.5L", msrp=Decimal(109800)
        )
        db.session.add(sfx)
        db.session.flush()
        roster = DutyRoster(store_id=store.id, day=local_today())
        roster.entries = [RosterEntry(user_id=s.id, position=n + 1) for n, s in enumerate(sales)]
        db.session.add(roster)
        prep = current_checklists()["preparation"]
        start_today, end_today = local_day_bounds(local_today())
        plans = (
            [("planned", start_today + (end_today - start_today) * (n + 1) / (today_count + 2))
             for n in range(today_count)]
            + [("planned", end_today + timedelta(hours=9 + n % 9, days=n % 6)) for n in range(WEEK)]
            + [("completed", start_today - timedelta(days=1 + n % 700)) for n in range(PAST)]
        )  # fmt: skip
        today_ids = []
        for n, (state, when) in enumerate(plans):
            owner = sales[n % SALESPEOPLE]
            card = CustomerCard(
                store_id=store.id, owner_id=owner.id, name=f"客户{n}", title="mr",
                mobile=f"139{n:08d}", source="walk_in", grade="A",
                stage="ordered" if state == "planned" else "owner", version=1,
            )  # fmt: skip
            db.session.add(card)
            db.session.flush()
            memo = Memo(store_id=store.id, card_id=card.id, owner_id=owner.id, latest_number=1)
            db.session.add(memo)
            db.session.flush()
            version = MemoVersion(
                memo_id=memo.id, store_id=store.id, number=1, sfx_id=sfx.id, inputs={},
                list_price=Decimal(109800), discount=Decimal(4000), total=Decimal(120000),
                created_by_id=owner.id, confirmed_at=now(),
            )  # fmt: skip
            db.session.add(version)
            db.session.flush()
            contract = Contract(
                number=f"BD-{n:06d}", store_id=store.id, card_id=card.id, owner_id=owner.id,
                memo_version_id=version.id, model_id=model.id, sfx_id=sfx.id,
                state="balance_paid" if state == "planned" else "delivered",
                contract_date=local_today() - timedelta(days=30), total=Decimal(120000),
                deposit_due=Decimal(5000), balance_due=Decimal(115000),
                paid_total=Decimal(120000),
            )  # fmt: skip
            db.session.add(contract)
            db.session.flush()
            delivery = Delivery(
                store_id=store.id, contract_id=contract.id, card_id=card.id, owner_id=owner.id,
                scheduled_at=when, state=state, companions="夫妻二人",
                completed_at=when if state == "completed" else None,
            )  # fmt: skip
            db.session.add(delivery)
            db.session.flush()
            if state == "planned":
                for i, item in enumerate(prep.items[: len(prep.items) // 2]):
                    db.session.add(
                        DeliveryEntry(
                            store_id=store.id, delivery_id=delivery.id, kind="preparation",
                            checklist_id=prep.id, item_key=item["key"], done=True,
                            entry_uuid=f"{delivery.id:08d}-{i:04d}-bench",
                            recorded_by_id=owner.id,
                        )
                    )  # fmt: skip
            if n < today_count:
                today_ids.append(delivery.id)
            if n % 500 == 0:
                db.session.commit()
        db.session.commit()
        db.engine.dispose()
    return today_ids


def run(label: str, url: str, args: argparse.Namespace) -> list[str]:
    from webapp import create_app
    from webapp.extensions import db
    from webapp.push.models import Notification

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "ENV_NAME": "development",
            "RATELIMIT_ENABLED": False,
            "SQL_COUNT_HEADER": True,
        }
    )
    today_ids = prepare(app, args.arrivals + 5)
    on_duty = SALESPEOPLE + 5  # the roster's salespeople, the manager, advisors, finance, keeper
    out = [
        f"{label}: 30 staff on duty, {len(today_ids)} deliveries today, {WEEK} this week, "
        f"{PAST} done"
    ]
    greeter, sales = app.test_client(), app.test_client()
    with app.app_context():
        login(greeter, "bd-greeter")
        login(sales, "bd-sales-00")
        for delivery_id in today_ids[:5]:  # warm up: imports, templates, first connections
            call(greeter, "POST", f"/delivery/{delivery_id}/arrived")
            call(sales, "GET", "/delivery/board")
        times, sql = [], []
        for delivery_id in today_ids[5:]:
            started = time.perf_counter()
            response = call(greeter, "POST", f"/delivery/{delivery_id}/arrived")
            elapsed = time.perf_counter() - started
            assert response.status_code in (200, 303), response.status_code
            told = db.session.scalar(
                sa.select(sa.func.count()).where(
                    Notification.ref_id == delivery_id, Notification.kind == "vip_arrival"
                )
            )
            assert told == on_duty, (told, on_duty)
            times.append(elapsed)
            sql.append(int(response.headers.get("X-SQL-Count", 0) or 0))
        out.append(line("VIP arrival → 29 inbox rows (POST /delivery/<id>/arrived)", times, sql))
        page = today_ids[0]  # bd-sales-00's own (n = 0)
        for name, path, headers in (
            ("delivery board, full page", "/delivery/board", {}),
            (
                "delivery board, polled fragment",
                "/delivery/board",
                {"HX-Request": "true", "HX-Target": "board-rows"},
            ),
            ("delivery page", f"/delivery/{page}", {}),
        ):
            times, sql = [], []
            for _ in range(args.loads):
                started = time.perf_counter()
                response = call(sales, "GET", path, headers=headers)
                times.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.status_code)
                sql.append(int(response.headers.get("X-SQL-Count", 0) or 0))
            out.append(line(name, times, sql))
        db.session.remove()
        db.engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    parser.add_argument("--arrivals", type=int, default=100)
    parser.add_argument("--loads", type=int, default=200)
    args = parser.parse_args()
    lines: list[str] = []
    if args.only in (None, "sqlite"):
        path = Path(tempfile.mkdtemp(prefix="bench-delivery-")) / "bench.sqlite3"
        lines += run("SQLite", f"sqlite:///{path}", args)
    if args.only in (None, "postgresql"):
        lines += run("PostgreSQL", pg_url(), args)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
