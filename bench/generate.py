"""Generate realistic dealer-group data through the models' tables, in bulk.

    .venv/bin/python bench/generate.py --scale store                       # SQLite in instance/
    .venv/bin/python bench/generate.py --scale group \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench --reset

PostgreSQL is loaded with COPY, SQLite with executemany in large transactions; never one ORM
object at a time. The same --seed gives the same data. Every generated user's password is
BENCH_PASSWORD, so bench/load.py can log in as real users of the data.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.auth.passwords import hash_password
from webapp.catalog.demo import load_catalogue
from webapp.customers.demo import COMPETITORS, FAMILIES, GIVEN, HOBBIES, NOTES, SURNAMES, USAGES
from webapp.customers.models import DEFAULT_GRADE_RULES, CustomerCard, Grade
from webapp.extensions import db
from webapp.org.models import DealerGroup, Store
from webapp.testdrive.models import (
    ChecklistTemplate,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
    route_model,
)
from webapp.testdrive.services.checklists import ensure_default_templates as seed_templates
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import SHANGHAI

BENCH_PASSWORD = "bench-password-2026"  # noqa: S105 - generated test data only
MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "155", "156", "157", "158", "159", "166", "173", "175", "176", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "198", "199",
]  # fmt: skip
SOURCES = (
    ["walk_in"] * 5 + ["phone_in"] * 2 + ["online"] * 4 + ["referral", "event", "owner_referral"]
)
CONTACTS = ["phone_out"] * 5 + ["phone_in"] * 2 + ["visit"] * 2 + ["message"] * 3
STAGES = ["prospect"] * 55 + ["ordered"] * 5 + ["owner"] * 25 + ["lost"] * 15
GRADES = ["H"] * 8 + ["A"] * 17 + ["B"] * 30 + ["C"] * 45
HISTORY_DAYS = 730
ROUTES = [
    ("城市道路线", 25, 8, "加油站东侧临时停车区",
     [{"at": "出店直道", "show": "起步加速"}, {"at": "减速带", "show": "悬挂舒适性"}]),
    ("快速路线", 35, 15, "服务区停车位",
     [{"at": "匝道汇入", "show": "中段加速"}, {"at": "高架", "show": "静谧性"}]),
]  # fmt: skip


@dataclass(frozen=True)
class Scale:
    stores: int
    staff_per_store: int
    cards: int
    events_per_card: int
    # Step ⑥: contracts (with their memo) in each of the first `contract_stores` stores.
    contract_stores: int = 0
    contracts_per_store: int = 0


SCALES = {
    "tiny": Scale(2, 10, 300, 4, contract_stores=2, contracts_per_store=40),
    "store": Scale(1, 30, 20_000, 10, contract_stores=1, contracts_per_store=5_000),
    "group": Scale(100, 30, 1_000_000, 10, contract_stores=20, contracts_per_store=5_000),
}


def staff_roles(count: int) -> list[Role]:
    """A store's staff: mostly salespeople, and every other role at least once."""
    fixed = [Role.ADMIN, Role.SALES_MANAGER, Role.GREETER]
    if count >= 20:
        fixed += [Role.GREETER, Role.SERVICE_ADVISOR, Role.SERVICE_ADVISOR, Role.FINANCE,
                  Role.FINANCE, Role.CAR_KEEPER, Role.CAR_KEEPER]  # fmt: skip
    return fixed + [Role.SALESPERSON] * (count - len(fixed))


@dataclass
class Report:
    seconds: float
    rows: dict[str, int]
    database_bytes: int
    phases: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"generated in {self.seconds:.1f} s"]
        out += [f"  {name:<16} {count:>12,}" for name, count in self.rows.items()]
        out.append(f"  database size    {self.database_bytes / 1024 / 1024:>10,.1f} MB")
        if self.phases:
            out.append("time by phase:")
            out += [f"  {name:<16} {secs:>10.1f} s" for name, secs in self.phases.items()]
        return out


class Phases(dict[str, float]):
    """Wall time by phase of the generator: `with phases("cards"): …` adds to "cards"."""

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self[name] = self.get(name, 0.0) + time.perf_counter() - started


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _is_pg() -> bool:
    return db.engine.dialect.name == "postgresql"


def reset_business_tables() -> None:
    """Empty every table (the generator refuses to mix with existing data otherwise)."""
    tables = list(reversed(db.metadata.sorted_tables))
    if _is_pg():
        names = ", ".join(f'"{t.name}"' for t in tables)
        db.session.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


def _insert_returning_ids(table: sa.Table, rows: list[dict]) -> list[int]:
    result = db.session.execute(
        sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [r[0] for r in result]


def create_org(scale: Scale, rng: random.Random) -> tuple[list[int], dict[int, list[int]]]:
    """Stores and staff; returns store ids and the salesperson ids of each store."""
    group = DealerGroup(name="基准测试集团")
    db.session.add(group)
    db.session.flush()
    cities = ["天津", "北京", "成都", "广州", "长春", "西安", "杭州", "沈阳", "济南", "武汉"]
    store_rows = [
        {"group_id": group.id, "code": f"B{n:04d}", "name": f"一汽丰田{cities[n % 10]}{n:03d}店",
         "city": cities[n % 10], "active": True, "created_at": _now()}
        for n in range(1, scale.stores + 1)
    ]  # fmt: skip
    store_ids = _insert_returning_ids(Store.__table__, store_rows)
    password_hash = hash_password(BENCH_PASSWORD)
    roles = staff_roles(scale.staff_per_store)
    user_rows, user_roles = [], []
    for store_index, store_id in enumerate(store_ids, start=1):
        for n, role in enumerate(roles, start=1):
            user_rows.append(
                {"store_id": store_id, "username": f"b{store_index:03d}-{role.value}-{n:02d}",
                 "display_name": rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=2)),
                 "password_hash": password_hash, "active": True,
                 "group_admin": store_index == 1 and role is Role.ADMIN, "locale": None,
                 "password_changed_at": _now(), "created_at": _now()}
            )  # fmt: skip
            user_roles.append((store_id, role))
    user_ids = _insert_returning_ids(User.__table__, user_rows)
    db.session.execute(
        sa.insert(UserRole.__table__),
        [
            {"user_id": uid, "role": role.value}
            for uid, (_s, role) in zip(user_ids, user_roles, strict=True)
        ],
    )
    sales: dict[int, list[int]] = {sid: [] for sid in store_ids}
    for uid, (store_id, role) in zip(user_ids, user_roles, strict=True):
        if role is Role.SALESPERSON:
            sales[store_id].append(uid)
    db.session.commit()
    return store_ids, sales


def _weights(n: int) -> list[float]:
    """Skewed workloads: the busiest salesperson has 5× the cards of the quietest."""
    return [1 + 4 * (i / max(n - 1, 1)) ** 2 for i in range(n)]


def card_and_event_rows(
    scale: Scale, rng: random.Random, store_ids: list[int], sales: dict[int, list[int]],
    model_ids: list[int], first_card_id: int,
) -> Iterator[tuple[tuple, list[tuple]]]:  # fmt: skip
    """Yield (card row, its event rows) in the column order of CARD_COLUMNS / EVENT_COLUMNS."""
    now = _now()
    today = now.date()
    per_store = scale.cards // len(store_ids)
    card_id = first_card_id
    for store_id in store_ids:
        owners = sales[store_id]
        weights = _weights(len(owners))
        used: set[str] = set()
        for _n in range(per_store):
            owner = rng.choices(owners, weights)[0]
            stage = rng.choice(STAGES)
            grade = rng.choice(GRADES)
            window, every = DEFAULT_GRADE_RULES[Grade(grade)]
            if stage in ("prospect", "ordered"):
                age = rng.randint(0, 180)
            else:
                age = rng.randint(30, HISTORY_DAYS)
            created = now - timedelta(days=age, seconds=rng.randint(0, 36_000))
            while True:
                mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
                if mobile not in used:
                    used.add(mobile)
                    break
            n_events = min(rng.randint(0, 2 * scale.events_per_card - 2), age // 3 + 1)
            events = [(store_id, card_id, owner, "created", created, "", "{}")]
            moment = created
            span = max((now - created).total_seconds(), 60.0)
            for _e in range(n_events):
                moment = moment + timedelta(seconds=rng.uniform(0, span / (n_events + 1)))
                events.append((store_id, card_id, owner, rng.choice(CONTACTS), moment,
                               rng.choice(NOTES), "{}"))  # fmt: skip
            last = moment
            planned = purchased = due = None
            if stage in ("prospect", "ordered"):
                planned = created.date() + timedelta(days=rng.randint(0, window + 30))
                due = last.date() + timedelta(days=every)
            elif stage == "owner":
                purchased = min(created.date() + timedelta(days=rng.randint(3, 60)), today)
                due = last.date() + timedelta(days=90)
            budget = rng.randrange(80, 600) * 1000
            name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
            card = (
                card_id, store_id, owner, name,
                rng.choice(("mr", "ms")), mobile, "", "", rng.choice(FAMILIES),
                "、".join(rng.sample(HOBBIES, 2)), rng.choice(SOURCES), rng.choice(model_ids),
                planned, rng.choice(USAGES), budget, rng.choice(("cash", "loan", "undecided")),
                "", False, rng.choice(COMPETITORS), "本人", grade, stage, due, last, purchased,
                created, last, 1,
            )  # fmt: skip
            yield card, events
            card_id += 1


CARD_COLUMNS = (
    "id", "store_id", "owner_id", "name", "title", "mobile", "other_contact",
    "preferred_contact_time", "family", "hobbies", "source", "model_id", "planned_purchase_date",
    "usage", "budget", "payment", "current_car", "trade_in", "competitors", "decision_makers",
    "grade", "stage", "next_follow_up_due", "last_contact_at", "purchased_on", "created_at",
    "updated_at", "version",
)  # fmt: skip
EVENT_COLUMNS = ("store_id", "card_id", "actor_id", "kind", "occurred_at", "note", "data")


def _copy_value(value: object) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _copy_line(row: tuple) -> str:
    return "\t".join(_copy_value(v) for v in row) + "\n"


def _sqlite_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.000000")
    if isinstance(value, date):
        return value.isoformat()
    return value


def load_cards(rows: Iterator[tuple[tuple, list[tuple]]], batch: int = 20_000) -> tuple[int, int]:
    """Write cards and events in batches; COPY on PostgreSQL, executemany on SQLite."""
    cards = events = 0
    card_buf: list[tuple] = []
    event_buf: list[tuple] = []

    def flush() -> None:
        if not card_buf:
            return
        if _is_pg():
            raw = db.session.connection().connection.driver_connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY customer_card ({', '.join(CARD_COLUMNS)}) FROM STDIN") as cp:
                    cp.write("".join(_copy_line(r) for r in card_buf))
                with cur.copy(f"COPY card_event ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as cp:
                    buffer = io.StringIO()
                    for r in event_buf:
                        buffer.write(_copy_line(r))
                    cp.write(buffer.getvalue())
        else:
            raw = db.session.connection().connection.driver_connection
            marks = ", ".join("?" * len(CARD_COLUMNS))
            raw.executemany(
                f"INSERT INTO customer_card ({', '.join(CARD_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite_value(v) for v in r) for r in card_buf],
            )
            marks = ", ".join("?" * len(EVENT_COLUMNS))
            raw.executemany(
                f"INSERT INTO card_event ({', '.join(EVENT_COLUMNS)}) VALUES ({marks})",  # noqa: S608
                [tuple(_sqlite_value(v) for v in r) for r in event_buf],
            )
        db.session.commit()
        card_buf.clear()
        event_buf.clear()

    for card, card_events in rows:
        card_buf.append(card)
        event_buf.extend(card_events)
        cards += 1
        events += len(card_events)
        if len(card_buf) >= batch:
            flush()
    flush()
    return cards, events


# The secondary indexes of the named tables in this schema: those no constraint stands on.
SECONDARY_INDEXES = sa.text("""
    select i.indexname, i.indexdef from pg_indexes i
    where i.schemaname = current_schema() and i.tablename = any(:tables)
      and not exists (
        select 1 from pg_constraint c
        where c.conindid = format('%I.%I', i.schemaname, i.indexname)::regclass
      )
    order by i.tablename, i.indexname
""")
# The foreign keys the named tables hold (not those other tables hold on them).
FOREIGN_KEYS = sa.text("""
    select c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid)
    from pg_constraint c
    where c.contype = 'f' and c.connamespace = current_schema()::regnamespace
      and c.conrelid::regclass::text = any(:tables)
    order by 1, 2
""")


@contextmanager
def bulk_loading(*tables: str) -> Iterator[None]:
    """On PostgreSQL, drop the tables' secondary indexes and foreign keys for a bulk load,
    and make them again afterwards from their own definitions, so the schema ends as the
    migrations made it (as pg_restore loads a dump).

    Building an index over millions of rows sorts them once; keeping it up to date row by row
    while they arrive (card events in card order, indexed by store, actor, kind and time)
    writes to pages all over it. A foreign key added to a loaded table checks every row in
    one join, where its trigger checks them one lookup at a time: the load is still checked,
    at the end, and a row without its parent fails it as an insert would. Primary keys and
    unique constraints stay. SQLite: nothing is dropped.
    """
    if not _is_pg():
        yield
        return
    names = {"tables": list(tables)}
    indexes = db.session.execute(SECONDARY_INDEXES, names).all()
    keys = db.session.execute(FOREIGN_KEYS, names).all()
    for table, name, _definition in keys:
        db.session.execute(sa.text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
    for name, _definition in indexes:
        db.session.execute(sa.text(f'DROP INDEX "{name}"'))
    db.session.commit()
    try:
        yield
    finally:
        db.session.rollback()
        # Each build sorts in memory rather than in temporary files.
        db.session.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        for _name, definition in indexes:
            db.session.execute(sa.text(definition))
        db.session.commit()
        # Each key on its own: one that a row fails leaves the others in place, and is raised.
        failed: sa.exc.IntegrityError | None = None
        for table, name, definition in keys:
            try:
                db.session.execute(
                    sa.text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
                )
                db.session.commit()
            except sa.exc.IntegrityError as error:
                db.session.rollback()
                failed = failed or error
        if failed is not None:
            raise failed


def bulk_load(table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Write rows to one table: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    raw = db.session.connection().connection.driver_connection
    if _is_pg():
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            cp.write("".join(_copy_line(r) for r in rows))
    else:
        marks = ", ".join("?" * len(columns))
        raw.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            [tuple(_sqlite_value(v) for v in r) for r in rows],
        )


def _vin(rng: random.Random) -> str:
    chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = "LFM" + "".join(rng.choices(chars, k=14))
    vin = body[:8] + "0" + body[9:]
    return vin[:8] + vin_check_digit(vin) + vin[9:]


BOOKING_COLUMNS = (
    "id", "store_id", "card_id", "owner_id", "driver_id", "car_id", "route_id", "starts_at",
    "ends_at", "status", "cancel_reason", "created_at", "updated_at", "version",
)  # fmt: skip
ENTRY_COLUMNS = (
    "store_id", "booking_id", "kind", "template_id", "item_key", "value", "entry_uuid",
    "recorded_by_id", "device_time", "recorded_at",
)  # fmt: skip
# Share of cards with a test drive, by stage: buyers mostly drove, prospects less often.
DRIVE_SHARE = {"owner": 0.7, "ordered": 0.7, "prospect": 0.3, "lost": 0.2}
INTENTIONS = ("buy_now", "soon", "thinking", "not_now")  # codes, labelled in the UI
SCORE_KEYS = ("power", "handling", "braking", "comfort", "quietness", "visibility", "audio",
              "overall")  # fmt: skip


def ensure_default_templates() -> dict[str, int]:
    """The current checklist template id of each kind (the app's defaults when none exist)."""
    seed_templates()
    current = sa.select(ChecklistTemplate.kind, ChecklistTemplate.id).where(
        ChecklistTemplate.current.is_(True)
    )
    return {kind: id_ for kind, id_ in db.session.execute(current)}


def create_test_drives(rng: random.Random, store_ids: list[int], model_ids: list[int]) -> int:
    """Cars, routes and staff licences per store; bookings for a share of the cards (past
    ones done, with their 附表九 feedback), and a few bookings today. Returns bookings."""
    now = _now()
    today = now.date()
    templates = ensure_default_templates()
    feedback_template = templates.get("feedback")
    keepers = dict(
        db.session.execute(
            sa.select(User.store_id, sa.func.min(User.id))
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.CAR_KEEPER.value)
            .group_by(User.store_id)
        ).all()
    )
    cars: dict[int, list[int]] = {}
    routes: dict[int, list[int]] = {}
    for store_index, store_id in enumerate(store_ids, start=1):
        car_rows = [
            {"store_id": store_id, "plate": f"津A{store_index:03d}D{n}", "model_id": model_ids[
                (store_index + n) % len(model_ids)], "sfx_id": None, "vin": _vin(rng),
             "transmission": "AT" if n else "MT", "fuel_eighths": rng.choice((3, 5, 6, 8, 8)),
             "mileage_km": rng.randint(2_000, 30_000),
             "insurance_expires": today + timedelta(days=rng.randint(30, 330)),
             "registration_expires": today + timedelta(days=rng.randint(200, 700)),
             "cleaning_due_on": today + timedelta(days=rng.randint(0, 6)),
             "keeper_id": keepers.get(store_id), "active": True, "updated_at": now, "version": 1}
            for n in range(4)
        ]  # fmt: skip
        cars[store_id] = _insert_returning_ids(TestDriveCar.__table__, car_rows)
        route_rows = [
            {"store_id": store_id, "name": name, "duration_min": minutes, "distance_km": km,
             "map_sha256": None, "swap_point": swap, "demo_points": points, "welcome_text": "",
             "active": True, "updated_at": now}
            for name, minutes, km, swap, points in ROUTES
        ]  # fmt: skip
        routes[store_id] = _insert_returning_ids(TestDriveRoute.__table__, route_rows)
        db.session.execute(
            sa.insert(route_model),
            [{"route_id": r, "model_id": m} for r in routes[store_id] for m in model_ids],
        )
    sales_rows = db.session.execute(
        sa.select(User.id, User.store_id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALESPERSON.value)
    ).all()
    licences = [
        {"user_id": uid, "store_id": sid, "licence_class": rng.choice(("C1", "C1", "C2")),
         "expires_on": today + timedelta(days=rng.randint(100, 3000)), "checked_by_id": None,
         "checked_at": now}
        for uid, sid in sales_rows if rng.random() < 0.9
    ]  # fmt: skip
    if licences:
        db.session.execute(sa.insert(StaffLicence.__table__), licences)
    db.session.commit()

    taken: set[tuple[int, datetime]] = set()
    bookings: list[tuple] = []
    entries: list[tuple] = []
    events: list[tuple] = []
    booking_id = (db.session.scalar(sa.select(sa.func.max(TestDriveBooking.id))) or 0) + 1

    def add(store_id: int, card_id: int, owner: int, start: datetime, status: str) -> None:
        nonlocal booking_id
        car_index = rng.randrange(4)
        for attempt in range(4):
            car = cars[store_id][(car_index + attempt) % 4]
            if (car, start) not in taken:
                break
        else:
            return
        taken.add((car, start))
        route = rng.choice(routes[store_id])
        bookings.append((booking_id, store_id, card_id, owner, owner, car, route, start,
                         start + timedelta(minutes=30), status, "", start - timedelta(hours=2),
                         start, 1))  # fmt: skip
        if status == "done":
            # The shapes the sync merge writes (webapp/sync/merge.py, the feedback entry).
            scores = {k: rng.choice((3, 4, 4, 5, 5)) for k in SCORE_KEYS}
            intention = rng.choice(INTENTIONS)
            value = {"answers": {**scores, "intention": intention}, "intention": intention,
                     "grade": None}  # fmt: skip
            recorded = start + timedelta(minutes=35)
            entries.append((store_id, booking_id, "feedback", feedback_template, "", json.dumps(
                value), str(uuid.UUID(int=rng.getrandbits(128), version=4)), owner, recorded,
                recorded))  # fmt: skip
            event = {"booking_id": booking_id, "scores": scores, "intention": intention,
                     "likes": "", "concerns": ""}  # fmt: skip
            events.append((store_id, card_id, owner, "test_drive", recorded, "",
                           json.dumps(event)))  # fmt: skip
        booking_id += 1

    card_columns = (CustomerCard.id, CustomerCard.store_id, CustomerCard.owner_id,
                    CustomerCard.stage, CustomerCard.created_at)  # fmt: skip
    cards = db.session.execute(sa.select(*card_columns))
    for card_id, store_id, owner, stage, created in cards:
        if rng.random() >= DRIVE_SHARE[stage]:
            continue
        day = created + timedelta(days=rng.randint(0, 7))
        start = day.replace(hour=rng.randint(1, 9), minute=rng.choice((0, 30)), second=0)
        if start > now - timedelta(hours=1):
            continue
        add(store_id, card_id, owner, start, "done")
    # Today's bookings fall on Shanghai's today, 09:00–16:00 local (01:00–08:00 UTC), whatever
    # the hour of generation: "bookings today", "my day" and the schedule read that day.
    local_today = now.astimezone(SHANGHAI).date()
    today_start = datetime.combine(local_today, datetime.min.time(), tzinfo=UTC)
    for store_id in store_ids:
        open_cards = db.session.execute(
            sa.select(CustomerCard.id, CustomerCard.owner_id)
            .where(CustomerCard.store_id == store_id, CustomerCard.stage == "prospect")
            .order_by(CustomerCard.id)
            .limit(8)
        ).all()
        for n, (card_id, owner) in enumerate(open_cards):
            add(store_id, card_id, owner, today_start + timedelta(hours=1 + n), "booked")
    for start in range(0, len(bookings), 20_000):
        bulk_load("test_drive_booking", BOOKING_COLUMNS, bookings[start : start + 20_000])
    for start in range(0, len(entries), 20_000):
        bulk_load("test_drive_entry", ENTRY_COLUMNS, entries[start : start + 20_000])
    for start in range(0, len(events), 20_000):
        bulk_load("card_event", EVENT_COLUMNS, events[start : start + 20_000])
    db.session.commit()
    if _is_pg():
        db.session.execute(
            sa.text("select setval(pg_get_serial_sequence('test_drive_booking', 'id'), :v)"),
            {"v": booking_id},
        )
        db.session.commit()
    return len(bookings)


def database_bytes() -> int:
    if _is_pg():
        return int(db.session.scalar(sa.text("select pg_database_size(current_database())")))
    path = db.engine.url.database or ""
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


VISIT_COLUMNS = (
    "store_id", "day", "kind", "time_in", "time_out", "people", "repeat", "card_id", "owner_id",
    "name", "title", "mobile", "model_id", "source", "test_drive", "grade", "result",
    "next_step", "prep_notes", "assignment", "override_reason", "created_at",
)  # fmt: skip
VISIT_RESULTS = ("follow_up", "follow_up", "test_drive_booked", "ordered", "no_interest")


def fill_rest_of_today(rng: random.Random, now: datetime, today: date) -> int:
    """Complete today's register (附表五) as a whole business day, whatever the hour.

    "Store today" shows today's register and is heaviest at closing time; generated at
    00:30 in Shanghai, today would hold two visits a store. Yesterday's visits after this
    hour of the day are copied to today (a day later), so today always holds a full day's
    register (~90 visits a store at group scale) with a few customers still in the showroom.
    Copies that lie ahead of the clock are closed at their planned time, except the last
    ones of each store, left open. Only the register: cards, events and bookings keep their
    real times.
    """
    from webapp.reception.models import Visit

    columns = [Visit.__table__.c[name] for name in VISIT_COLUMNS]
    day = timedelta(days=1)
    copies = db.session.execute(
        sa.select(*columns)
        .where(Visit.day == today - day, Visit.time_in > now - day)
        .order_by(Visit.store_id, Visit.time_in)
    ).all()
    rows: list[tuple] = []
    for n, v in enumerate(copies):
        values = dict(zip(VISIT_COLUMNS, v, strict=True))
        last_of_store = n + 1 == len(copies) or copies[n + 1].store_id != v.store_id
        open_now = v.kind == "walk_in" and (last_of_store or rng.random() < 0.04)
        values.update(
            day=today,
            time_in=v.time_in + day,
            time_out=None if open_now or v.time_out is None else v.time_out + day,
            result=None if open_now else v.result,
            created_at=v.created_at + day,
        )
        rows.append(tuple(values[c] for c in VISIT_COLUMNS))
    bulk_load("visit", VISIT_COLUMNS, rows)
    return len(rows)


def create_visits(rng: random.Random, batch: int = 50_000) -> int:
    """附表五 at the cards' scale: one visit or call when each card was created, and a repeat
    visit later for about a third of them; a duty roster of today for every store."""
    from webapp.reception.models import DutyRoster, RosterEntry

    def local_day(moment: datetime) -> date:
        return (moment + timedelta(hours=8)).date()

    now = _now()
    rows: list[tuple] = []
    total = 0
    stmt = sa.select(
        CustomerCard.id, CustomerCard.store_id, CustomerCard.owner_id, CustomerCard.name,
        CustomerCard.title, CustomerCard.mobile, CustomerCard.model_id, CustomerCard.source,
        CustomerCard.grade, CustomerCard.created_at,
    ).execution_options(yield_per=batch)  # fmt: skip
    for card in db.session.execute(stmt):
        first = card.created_at
        visits = [(first, False)]
        if rng.random() < 0.35 and (now - first).days > 1:
            visits.append((first + (now - first) * rng.random(), True))
        for moment, repeat in visits:
            kind = "phone_in" if card.source == "phone_in" else "walk_in"
            stay = rng.randint(5, 15) if kind == "phone_in" else rng.randint(15, 120)
            out = moment + timedelta(minutes=stay)
            rows.append((
                card.store_id, local_day(moment), kind, moment, out if out < now else None,
                rng.choice((1, 1, 2, 2, 3)), repeat, card.id, card.owner_id, card.name,
                card.title, card.mobile, card.model_id, card.source, rng.random() < 0.3,
                card.grade, rng.choice(VISIT_RESULTS) if out < now else None, "", "",
                "repeat_owner" if repeat else "rotation", "", moment,
            ))  # fmt: skip
        if len(rows) >= batch:
            bulk_load("visit", VISIT_COLUMNS, rows)
            total += len(rows)
            rows = []
    bulk_load("visit", VISIT_COLUMNS, rows)
    total += len(rows)
    today = local_day(now)
    total += fill_rest_of_today(rng, now, today)
    sales = db.session.execute(
        sa.select(User.store_id, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALESPERSON.value)
        .order_by(User.store_id, User.id)
    ).all()
    by_store: dict[int, list[int]] = {}
    for store_id, user_id in sales:
        by_store.setdefault(store_id, []).append(user_id)
    for store_id, ids in by_store.items():
        roster = DutyRoster(store_id=store_id, day=today)
        roster.entries = [
            RosterEntry(user_id=u, position=n, absent=rng.random() < 0.1)
            for n, u in enumerate(ids, 1)
        ]
        db.session.add(roster)
    db.session.commit()
    return total


def generate(scale_name: str, seed: int = 2026) -> Report:
    """Fill an empty schema (inside an app context) with data of the given scale."""
    from bench.contracts_data import create_contracts
    from bench.deliveries_data import create_deliveries
    from bench.followup_data import create_followups
    from bench.pdca_data import create_audits, create_pdca

    started = time.perf_counter()
    scale = SCALES[scale_name]
    rng = random.Random(seed)
    if db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard)):
        raise SystemExit("the database already holds customer cards: use --reset")
    phases = Phases()
    with phases("org"):
        store_ids, sales = create_org(scale, rng)
        model_ids = [m.id for m in load_catalogue()]
        db.session.commit()
    first = (db.session.scalar(sa.select(sa.func.max(CustomerCard.id))) or 0) + 1
    with phases("cards, events"), bulk_loading("customer_card", "card_event"):
        cards, events = load_cards(
            card_and_event_rows(scale, rng, store_ids, sales, model_ids, first)
        )
    with phases("test drives"), bulk_loading("test_drive_booking", "test_drive_entry"):
        bookings = create_test_drives(rng, store_ids, model_ids)
    with phases("visits"), bulk_loading("visit"):
        visits = create_visits(rng)
    today = _now().astimezone(SHANGHAI).date()
    contract_tables = ("memo", "memo_version", "contract", "contract_event", "payment")
    with phases("contracts"), bulk_loading(*contract_tables):
        deals = create_contracts(
            rng, store_ids[: scale.contract_stores], scale.contracts_per_store, _now(), today,
            bulk_load,
        )  # fmt: skip
    with phases("deliveries"):
        handovers = create_deliveries(rng, _now(), today, bulk_load)
    with phases("follow-ups"):
        followups = create_followups(today)
    with phases("targets, plans"):
        pdca = create_pdca(rng, today, bulk_load)
    with phases("audits"), bulk_loading("card_audit_tick"):
        pdca["card_audit_tick"] = create_audits(rng, today, bulk_load)
    with phases("vacuum, analyze"):
        if _is_pg():
            db.session.execute(
                sa.text("select setval(pg_get_serial_sequence('customer_card', 'id'), :v)"),
                {"v": first + cards},
            )
            db.session.commit()
            # VACUUM as autovacuum would have by the time a real database reaches this size: it
            # sets the visibility map, without which the index-only scans of the count queries
            # ("store today", "my day") visit the heap row by row. Only this schema's tables: a
            # database-wide run deadlocks with DDL elsewhere (other test workers' schemas).
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text(f"VACUUM (ANALYZE) {names}"))
        else:
            db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    rows = {
        "stores": len(store_ids),
        "users": db.session.scalar(sa.select(sa.func.count()).select_from(User)),
        "customer_card": cards,
        "card_event": events,
        "test_drive_booking": bookings,
        "visit": visits,
        "contract": deals["contract"],
        "contract_event": deals["contract_event"],
        "payment": deals["payment"],
        "delivery": handovers["delivery"],
        "followup_task": followups["followup_task"],
        **pdca,
    }
    return Report(time.perf_counter() - started, rows, database_bytes(), dict(phases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="store")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--reset", action="store_true", help="empty every table first")
    parser.add_argument(
        "--add-deliveries",
        action="store_true",
        help="only (re)make the deliveries of an already generated database",
    )
    parser.add_argument(
        "--add-followups",
        action="store_true",
        help="only (re)make the follow-up tasks of an already generated database",
    )
    parser.add_argument(
        "--add-audits",
        action="store_true",
        help="only (re)make the card box audits of an already generated database",
    )
    args = parser.parse_args()

    import flask_migrate

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # `bench` as a package

    from webapp import create_app

    overrides = {"SQLALCHEMY_DATABASE_URI": args.database_url} if args.database_url else {}
    app = create_app(overrides)
    Path(app.instance_path).mkdir(exist_ok=True)
    with app.app_context():
        flask_migrate.upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        if args.add_deliveries:
            from bench.deliveries_data import create_deliveries

            moment = _now()
            made = create_deliveries(
                random.Random(args.seed), moment, moment.astimezone(SHANGHAI).date(), bulk_load
            )
            analyze = "ANALYZE delivery, delivery_entry, delivery_prep" if _is_pg() else "ANALYZE"
            db.session.execute(sa.text(analyze))
            db.session.commit()
            sys.stdout.write(f"deliveries: {made}\n")
            return
        if args.add_followups:
            from bench.followup_data import create_followups

            made = create_followups(_now().astimezone(SHANGHAI).date())
            db.session.commit()
            if _is_pg():  # as autovacuum would have: the visibility map for index-only scans
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM (ANALYZE) followup_task, job_day"))
            sys.stdout.write(f"follow-ups: {made}\n")
            return
        if args.add_audits:
            from bench.pdca_data import create_audits
            from webapp.pdca.audit_models import CardAuditTick

            db.session.execute(sa.delete(CardAuditTick))
            db.session.execute(
                sa.update(CustomerCard)
                .where(
                    CustomerCard.audit_owner_month.is_not(None)
                    | CustomerCard.audit_manager_month.is_not(None)
                )
                .values(
                    audit_owner_month=None,
                    audit_manager_month=None,
                    updated_at=CustomerCard.updated_at,
                )
            )
            with bulk_loading("card_audit_tick"):
                made = create_audits(
                    random.Random(args.seed), _now().astimezone(SHANGHAI).date(), bulk_load
                )
            if _is_pg():  # as autovacuum would have: the visibility map for index-only scans
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                    conn.execute(sa.text("VACUUM (ANALYZE) card_audit_tick, customer_card"))
            sys.stdout.write(f"card box audit ticks: {made}\n")
            return
        if args.reset:
            reset_business_tables()
        report = generate(args.scale, args.seed)
    sys.stdout.write("\n".join([f"scale={args.scale} seed={args.seed}", *report.lines()]) + "\n")
    sys.stdout.write(f"log in as e.g. b001-salesperson-20 / {BENCH_PASSWORD}\n")


if __name__ == "__main__":
    main()
