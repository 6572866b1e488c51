"""Load benchmark: gunicorn on loopback, real users of the generated data, p50/p95/p99 per page.

    .venv/bin/python bench/generate.py --scale group --database-url $PG --reset
    .venv/bin/python bench/load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench

It starts gunicorn (sync workers, as many as gunicorn.conf.py runs: one per core) against the
chosen database, logs in as real salespeople, a greeter and a manager of the data, and drives
the tablet pages and htmx fragments with concurrent clients, each page for a fixed time.
Besides each page's figures it measures the *floor*: a logged-in endpoint with no query
(/ping) in the same run, before and after every page, and prints each page's p50 as a
multiple of the floor beside it. It reads the SQL statement count of every response
(X-SQL-Count) and the workers' memory from /proc. Traffic goes to 127.0.0.1 only, and every
loop is bounded in time.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import runpy
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PASSWORD = "bench-password-2026"  # noqa: S105 - the generator's password for its own users
ACCEPT = "br, gzip"
TOKEN_RE = re.compile(r'"X-CSRFToken": "([^"]+)"')
INPUT_TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Session:
    """One logged-in client: its cookie and CSRF token."""

    port: int
    username: str
    cookie: str = ""
    token: str = ""

    def request(
        self, method: str, path: str, form: dict | None = None, headers: dict | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        body = urlencode(form).encode() if form is not None else None
        send = {"Accept-Encoding": ACCEPT, "Connection": "close", **(headers or {})}
        if self.cookie:
            send["Cookie"] = self.cookie
        if body is not None:
            send["Content-Type"] = "application/x-www-form-urlencoded"
            if self.token:
                send["X-CSRFToken"] = self.token
        conn.request(method, path, body=body, headers=send)
        response = conn.getresponse()
        data = response.read()
        result = (response.status, data, {k.lower(): v for k, v in response.getheaders()})
        conn.close()
        if "set-cookie" in result[2] and "showroom_session=" in result[2]["set-cookie"]:
            self.cookie = result[2]["set-cookie"].split(";")[0]
        return result

    def login(self) -> None:
        status, body, headers = self.request("GET", "/login")
        token = INPUT_TOKEN_RE.search(_text(body, headers))
        assert token, "no CSRF token on /login"
        status, body, headers = self.request(
            "POST",
            "/login",
            {"username": self.username, "password": PASSWORD, "csrf_token": token.group(1)},
        )
        if status != 303:
            raise SystemExit(f"login as {self.username} failed: HTTP {status}")
        status, body, headers = self.request("GET", "/account/password")
        self.token = TOKEN_RE.search(_text(body, headers)).group(1)  # type: ignore[union-attr]


def _text(body: bytes, headers: dict[str, str]) -> str:
    encoding = headers.get("content-encoding")
    if encoding == "br":
        import brotli

        body = brotli.decompress(body)
    elif encoding == "gzip":
        import gzip

        body = gzip.decompress(body)
    return body.decode()


@dataclass
class Page:
    """A page or fragment to drive: a function of (session, rng) → (method, path, form, headers)."""

    name: str
    role: str
    build: Callable[[Session, random.Random], tuple[str, str, dict | None, dict | None]]


@dataclass
class Result:
    name: str
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    sql: list[int] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU ms per request: client/app/db
    floor_p50: float = 0.0  # ms: the floor measured just before and just after this page

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def conf_workers() -> int:
    """The number of workers gunicorn.conf.py gives production."""
    return int(runpy.run_path(str(ROOT / "gunicorn.conf.py"))["workers"])


def start_gunicorn(
    url: str, port: int, workers: int, extra_env: dict[str, str] | None = None
) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SQL_COUNT_HEADER": "1",
        "SECRET_KEY": "bench-" + "x" * 32,
        "INSTANCE_PATH": tempfile.mkdtemp(prefix="bench-instance-"),
        # Many clients log in from one address in a second; count failures generously.
        "LOGIN_LIMIT_ADDRESS": "10000 per minute",
        **(extra_env or {}),
    }
    proc = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "webapp:create_app()",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=2).request("GET", "/offline")
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("gunicorn did not start")


TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (processes that ended count 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICK


def database_pids() -> list[int]:
    """The local PostgreSQL server's processes (its backends do the queries)."""
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def worker_pids(master: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True, check=False)
    return [int(p) for p in out.stdout.split()]


def memory_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _sep, value = line.partition(":")
        fields[key] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


@dataclass
class Fixtures:
    """Real users and records of the generated data, read once before the run."""

    salespeople: list[str]
    greeters: list[str]
    managers: list[str]
    cards: dict[str, list[tuple[int, str, str]]]  # username → [(card id, mobile, name)]
    months: dict[str, str]
    keepers: list[str]
    bookings: dict[str, list[int]]  # username → ids of their test-drive bookings
    memos: dict[str, list[int]]  # username → ids of their memos (step ⑥)
    contracts: dict[str, list[int]]  # username → ids of their contracts
    deliveries: dict[str, list[int]]  # username → ids of their coming deliveries (step ⑦)
    group_admins: list[str] = field(default_factory=list)  # the group's roll-up


def read_fixtures(url: str, n: int, per_role: int) -> Fixtures:
    """Pick real users from the first `n` stores and, for each salesperson, own cards."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        store_ids = [
            r[0]
            for r in conn.execute(sa.text("select id from store order by id limit :n"), {"n": n})
        ]
        users_sql = sa.text(
            'select u.username, u.id from "user" u join user_role r on r.user_id = u.id '
            "where r.role = :role and u.store_id in :stores and u.active order by u.id"
        ).bindparams(sa.bindparam("stores", expanding=True))

        def users(role: str) -> list[tuple[str, int]]:
            rows = conn.execute(users_sql, {"role": role, "stores": store_ids}).all()
            return [(r[0], r[1]) for r in rows]

        sales = users("salesperson")
        # Busy and quiet salespeople alike: spread the picks over the whole list.
        step = max(1, len(sales) // per_role)
        picked = sales[::step][:per_role]
        cards: dict[str, list[tuple[int, str, str]]] = {}
        months: dict[str, str] = {}
        bookings: dict[str, list[int]] = {}
        memos: dict[str, list[int]] = {}
        contracts: dict[str, list[int]] = {}
        deliveries: dict[str, list[int]] = {}
        for username, user_id in picked:
            deliveries[username] = [
                r[0]
                for r in conn.execute(
                    sa.text(
                        "select id from delivery where owner_id = :u and state = 'planned' "
                        "order by scheduled_at limit 50"
                    ),
                    {"u": user_id},
                )
            ]
            for table, into in (("memo", memos), ("contract", contracts)):
                into[username] = [
                    r[0]
                    for r in conn.execute(
                        sa.text(f"select id from {table} where owner_id = :u limit 100"),  # noqa: S608
                        {"u": user_id},
                    )
                ]
            rows = conn.execute(
                sa.text(
                    "select id, mobile, name, planned_purchase_date from customer_card "
                    "where owner_id = :u order by id desc limit 200"
                ),
                {"u": user_id},
            ).all()
            cards[username] = [(r[0], r[1], r[2]) for r in rows]
            planned = [r[3] for r in rows if r[3] is not None]
            month = max(planned) if planned else date.today()
            months[username] = f"{month:%Y-%m}" if isinstance(month, date) else str(month)[:7]
            bookings[username] = [
                r[0]
                for r in conn.execute(
                    sa.text(
                        "select id from test_drive_booking where owner_id = :u "
                        "order by starts_at desc limit 50"
                    ),
                    {"u": user_id},
                )
            ]
        managers = [u for u, _i in users("sales_manager")][:per_role]
        greeters = [u for u, _i in users("greeter")][:per_role]
        keepers = [u for u, _i in users("car_keeper")][:per_role]
        group_admins = [
            r[0]
            for r in conn.execute(
                sa.text('select username from "user" where group_admin and active order by id')
            )
        ]
    engine.dispose()
    picked = [
        (u, i) for u, i in picked if bookings[u] and memos[u] and contracts[u] and deliveries[u]
    ] or picked
    return Fixtures(
        [u for u, _i in picked],
        greeters,
        managers,
        cards,
        months,
        keepers,
        bookings,
        memos,
        contracts,
        deliveries,
        group_admins,
    )


def coming_day(r: random.Random) -> date:
    """One of the board's next 7 days, in the showroom's time."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=r.randrange(1, 8))


def past_month(r: random.Random) -> str:
    """This month or one of the eleven before it, as YYYY-MM (Shanghai)."""
    from webapp.timeutil import add_months, local_today

    return f"{add_months(local_today().replace(day=1), -r.randrange(12)):%Y-%m}"


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def pages(fx: Fixtures) -> list[Page]:
    """The tablet pages and fragments, each with realistic, varied parameters."""

    def card(s: Session, r: random.Random) -> tuple[int, str, str]:
        return r.choice(fx.cards[s.username])

    return [
        Page("floor: /ping", "sales", lambda s, r: ("GET", "/ping", None, None)),
        Page("my day", "sales", lambda s, r: ("GET", "/my-day", None, None)),
        Page("my day (fragment)", "sales", lambda s, r: ("GET", "/my-day", None, hx("my-day"))),
        Page(
            "search phone prefix",
            "sales",
            lambda s, r: (
                "POST",
                "/customers/",
                {"q": card(s, r)[1][: r.choice((4, 5, 7))]},
                hx("customer-results"),
            ),
        ),
        Page(
            "search name",
            "sales",
            lambda s, r: ("POST", "/customers/", {"q": card(s, r)[2][:1]}, hx("customer-results")),
        ),
        Page(
            "card + timeline",
            "sales",
            lambda s, r: ("GET", f"/customers/{card(s, r)[0]}", None, None),
        ),
        Page(
            "timeline (fragment)",
            "sales",
            lambda s, r: ("GET", f"/customers/{card(s, r)[0]}", None, hx("timeline")),
        ),
        Page(
            "card box month",
            "sales",
            lambda s, r: ("GET", f"/customers/box?month={fx.months[s.username]}", None, None),
        ),
        Page("new card form", "sales", lambda s, r: ("GET", "/customers/new", None, None)),
        Page(
            "greeter phone lookup",
            "greeter",
            lambda s, r: (
                "POST",
                "/customers/",
                {"q": "13" + str(r.randrange(10, 99))},
                hx("customer-results"),
            ),
        ),
        Page(
            "card test drives (fragment)",
            "sales",
            lambda s, r: (
                "GET",
                f"/testdrive/cards/{card(s, r)[0]}/drives",
                None,
                hx("card-drives"),
            ),
        ),
        Page(
            "test-drive packet",
            "sales",
            lambda s, r: (
                "GET",
                f"/testdrive/bookings/{r.choice(fx.bookings[s.username])}/packet",
                None,
                None,
            ),
        ),
        Page("bookings today", "sales", lambda s, r: ("GET", "/testdrive/bookings", None, None)),
        Page(
            "keeper car schedule", "keeper", lambda s, r: ("GET", "/testdrive/schedule", None, None)
        ),
        Page("store today", "manager", lambda s, r: ("GET", "/store-today", None, None)),
        Page(
            "store today: by salesperson",
            "manager",
            lambda s, r: ("GET", "/store-today/by-salesperson", None, hx("store-lines")),
        ),
        Page("manager card box", "manager", lambda s, r: ("GET", "/customers/box", None, None)),
        # 附表一: the month's plan and actuals, this month or one of the last twelve.
        Page(
            "plan and actual (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/plan?month={past_month(r)}", None, None),
        ),
        Page(
            "plan and actual (sales)",
            "sales",
            lambda s, r: ("GET", f"/pdca/plan?month={past_month(r)}", None, hx("plan-sheet")),
        ),
        # The dashboards (one chart a page), this month or one of the last twelve.
        Page(
            "funnel (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/dashboard/funnel?month={past_month(r)}", None, None),
        ),
        Page(
            "funnel (sales)",
            "sales",
            lambda s, r: (
                "GET",
                f"/pdca/dashboard/funnel?month={past_month(r)}",
                None,
                hx("dashboard-body"),
            ),
        ),
        Page(
            "plan by month (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/dashboard/plan?month={past_month(r)}", None, None),
        ),
        Page(
            "lost reasons (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/dashboard/lost?month={past_month(r)}", None, None),
        ),
        Page(
            "follow-up completion (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/dashboard/followup?month={past_month(r)}", None, None),
        ),
        Page(
            "showroom time (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/dashboard/showroom?month={past_month(r)}", None, None),
        ),
        # 附表三 and the card box audit of a month.
        Page(
            "hot table (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/hot?month={past_month(r)}", None, None),
        ),
        Page(
            "hot table (sales)",
            "sales",
            lambda s, r: ("GET", f"/pdca/hot?month={past_month(r)}", None, None),
        ),
        Page(
            "card box audit (manager)",
            "manager",
            lambda s, r: ("GET", f"/pdca/audit?month={past_month(r)}", None, None),
        ),
        Page(
            "card box audit (sales)",
            "sales",
            lambda s, r: ("GET", f"/pdca/audit?month={past_month(r)}", None, None),
        ),
        # A group admin's roll-up: every store of the group, a line per store.
        Page(
            "group roll-up: funnel",
            "group",
            lambda s, r: ("GET", f"/pdca/dashboard/funnel?month={past_month(r)}", None, None),
        ),
        Page(
            "group roll-up: plan by month",
            "group",
            lambda s, r: ("GET", f"/pdca/dashboard/plan?month={past_month(r)}", None, None),
        ),
        Page(
            "group roll-up: showroom time",
            "group",
            lambda s, r: ("GET", f"/pdca/dashboard/showroom?month={past_month(r)}", None, None),
        ),
        Page(
            "group roll-up: follow-ups",
            "group",
            lambda s, r: ("GET", f"/pdca/dashboard/followup?month={past_month(r)}", None, None),
        ),
        # Step ⑥ (the generator gives 5,000 contracts to each of the first stores).
        Page(
            "memo page",
            "sales",
            lambda s, r: (
                "GET",
                f"/negotiation/memos/{r.choice(fx.memos[s.username])}",
                None,
                None,
            ),
        ),
        Page(
            "contract page",
            "sales",
            lambda s, r: (
                "GET",
                f"/negotiation/contracts/{r.choice(fx.contracts[s.username])}",
                None,
                None,
            ),
        ),
        Page("contract list", "sales", lambda s, r: ("GET", "/negotiation/contracts", None, None)),
        Page(
            "manager contract list",
            "manager",
            lambda s, r: ("GET", "/negotiation/contracts", None, None),
        ),
        Page(
            "approval queue", "manager", lambda s, r: ("GET", "/negotiation/approvals", None, None)
        ),
        # Step ⑦ (`bench/generate.py` makes a delivery for each contract that reached one).
        Page("delivery board", "sales", lambda s, r: ("GET", "/delivery/board", None, None)),
        Page(
            "delivery board (greeter)",
            "greeter",
            lambda s, r: ("GET", "/delivery/board", None, None),
        ),
        Page(
            "board day (fragment)",
            "sales",
            lambda s, r: (
                "GET",
                f"/delivery/board/{(day := coming_day(r))}",
                None,
                hx(f"day-{day}"),
            ),
        ),
        Page(
            "delivery page",
            "sales",
            lambda s, r: (
                "GET",
                f"/delivery/{r.choice(fx.deliveries[s.username] or [0])}",
                None,
                None,
            ),
        ),
    ]


def drive(page: Page, sessions: list[Session], seconds: float, seed: int) -> Result:
    """All clients hit one page (varied parameters) for `seconds`."""
    result = Result(page.name)
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(session: Session, n: int) -> None:
        rng = random.Random(seed * 100 + n)
        while time.perf_counter() < stop:
            method, path, form, headers = page.build(session, rng)
            started = time.perf_counter()
            try:
                status, body, response_headers = session.request(method, path, form, headers)
            except OSError:
                with lock:
                    result.errors += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                if status != 200:
                    result.errors += 1
                    continue
                result.latencies.append(elapsed)
                result.sizes.append(len(body))
                result.sql.append(int(response_headers.get("x-sql-count", "-1")))

    threads = [threading.Thread(target=client, args=(s, i)) for i, s in enumerate(sessions)]
    began = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - began
    return result


def measured(page: Page, sessions: list[Session], seconds: float, seed: int, master: int) -> Result:
    """drive() with the CPU time it cost: the load client, the app's workers and the database
    (the database's processes, whoever they serve: keep the machine otherwise idle)."""
    workers, db = worker_pids(master), database_pids()
    before = (time.process_time(), cpu_seconds(workers), cpu_seconds(db))
    result = drive(page, sessions, seconds, seed)
    after = (time.process_time(), cpu_seconds(workers), cpu_seconds(db))
    n = max(1, len(result.latencies) + result.errors)
    result.cpu = {
        name: (b - a) * 1000 / n
        for name, a, b in zip(("client", "app", "db"), before, after, strict=True)
    }
    return result


def merged(name: str, parts: list[Result]) -> Result:
    """One result of several runs of the same page (the floor's bursts of a round)."""
    total = Result(name)
    for part in parts:
        total.latencies += part.latencies
        total.sizes += part.sizes
        total.sql += part.sql
        total.errors += part.errors
        total.seconds += part.seconds
    n = sum(max(1, len(p.latencies) + p.errors) for p in parts) or 1
    total.cpu = {
        k: sum(p.cpu.get(k, 0) * max(1, len(p.latencies) + p.errors) for p in parts) / n
        for k in ("client", "app", "db")
    }
    total.floor_p50 = total.pct(0.5)
    return total


def run_round(
    pages_: list[Page], by_role: dict[str, list[Session]], seconds: float, seed: int, master: int
) -> list[Result]:
    """The floor, then each page followed by the floor again: every page is compared with
    the floor measured just before and just after it, so a machine whose speed drifts
    during a round (a virtual machine's neighbours) does not skew the pages measured late.
    Returns the floor (all its bursts together) first, then the pages."""
    floor_page, rest = pages_[0], pages_[1:]
    burst = max(2.0, seconds / 4)
    floors = [measured(floor_page, by_role[floor_page.role], burst, seed, master)]
    results = []
    for page in rest:
        result = measured(page, by_role[page.role], seconds, seed, master)
        floors.append(measured(floor_page, by_role[floor_page.role], burst, seed, master))
        result.floor_p50 = (floors[-2].pct(0.5) + floors[-1].pct(0.5)) / 2
        results.append(result)
    return [merged(floor_page.name, floors), *results]


def report(results: list[Result]) -> list[str]:
    lines = [
        f"{'page':<22} {'n':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} "
        f"{'bytes':>7} {'SQL':>4} {'floor':>6} {'p50/floor':>9} {'err':>4}  "
        "CPU ms/request client/app/db"
    ]
    for r in results:
        sql = max(r.sql) if r.sql else -1
        size = int(statistics.median(r.sizes)) if r.sizes else 0
        lines.append(
            f"{r.name:<22} {len(r.latencies):>6} {r.pct(0.5):>7.1f} {r.pct(0.95):>7.1f} "
            f"{r.pct(0.99):>7.1f} {len(r.latencies) / r.seconds:>7.1f} {size:>7} {sql:>4} "
            f"{r.floor_p50:>6.1f} {r.pct(0.5) / (r.floor_p50 or 1e-9):>8.1f}x {r.errors:>4}  "
            + "/".join(f"{r.cpu.get(k, 0):.1f}" for k in ("client", "app", "db"))
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Load benchmark against the app's own floor.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument(
        "--workers",
        type=int,
        default=conf_workers(),
        help="gunicorn workers (gunicorn.conf.py's: one per core)",
    )
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=15, help="per page and round")
    parser.add_argument("--rounds", type=int, default=2, help="memory must not grow between")
    parser.add_argument("--stores", type=int, default=20, help="users come from this many stores")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument(
        "--only", default="", help="comma-separated parts of page names (the floor always runs)"
    )
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit(
            "--database-url (or DATABASE_URL) is required: run bench/generate.py first"
        )

    fx = read_fixtures(args.database_url, args.stores, args.clients)
    port = free_port()
    server = start_gunicorn(args.database_url, port, args.workers)
    out: dict = {"rounds": []}
    try:
        clients = range(args.clients)
        by_role = {
            "sales": [Session(port, u) for u in fx.salespeople[: args.clients]],
            "greeter": [Session(port, fx.greeters[i % len(fx.greeters)]) for i in clients],
            "manager": [Session(port, fx.managers[i % len(fx.managers)]) for i in clients],
            "keeper": [Session(port, fx.keepers[i % len(fx.keepers)]) for i in clients],
            "group": [Session(port, fx.group_admins[i % len(fx.group_admins)]) for i in clients]
            if fx.group_admins
            else [],
        }
        for sessions in by_role.values():
            for session in sessions:
                session.login()
        # A page whose role the data lacks (a group admin) is left out.
        all_pages = [p for p in pages(fx) if by_role.get(p.role)]
        if args.only:
            wanted = [w.strip() for w in args.only.split(",") if w.strip()]
            all_pages = [all_pages[0]] + [
                p for p in all_pages[1:] if any(w in p.name for w in wanted)
            ]
        for page in all_pages:  # warm-up: imports, template compilation, caches
            drive(page, by_role[page.role], 1.0, seed=0)
        for round_no in range(1, args.rounds + 1):
            results = run_round(all_pages, by_role, args.seconds, round_no, server.pid)
            memory = [memory_mb(pid) for pid in worker_pids(server.pid)]
            lines = report(results)
            lines.append(
                "worker memory MB (current / peak): "
                + ", ".join(f"{cur:.0f}/{peak:.0f}" for cur, peak in memory)
            )
            heading = (
                f"\nround {round_no}: {args.clients} clients, {args.workers} workers, "
                f"{args.seconds:.0f} s per page\n"
            )
            sys.stdout.write(heading + "\n".join(lines) + "\n")
            out["rounds"].append(
                {
                    "pages": {
                        r.name: {
                            "n": len(r.latencies),
                            "p50_ms": r.pct(0.5),
                            "p95_ms": r.pct(0.95),
                            "p99_ms": r.pct(0.99),
                            "rps": len(r.latencies) / r.seconds,
                            "bytes": int(statistics.median(r.sizes)) if r.sizes else 0,
                            "sql": max(r.sql) if r.sql else None,
                            "errors": r.errors,
                            "cpu_ms_per_request": r.cpu,
                            "floor_p50_ms": r.floor_p50,
                            "p50_over_floor": r.pct(0.5) / (r.floor_p50 or 1e-9),
                        }
                        for r in results
                    },
                    "memory_mb": memory,
                }
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
