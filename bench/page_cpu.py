"""What one request of a page costs in CPU, in process: the app's share and PostgreSQL's.

    .venv/bin/python bench/page_cpu.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench
    .venv/bin/python bench/page_cpu.py --database-url … --user b001-sales_manager-02 \
        --paths "/ping,/pdca/audit?month=2026-10" --profile 25

`load.py` measures latency under concurrent load and compares every page with the floor
(`/ping`). On a machine whose cores the load client, the app and PostgreSQL share, that
ratio follows what one request costs the machine in CPU; this script measures that cost
directly, so a change can be judged without the noise of a loaded machine.

It logs in through the Flask test client (no network, no gunicorn) as a user of the
generated data, requests each path `--requests` times after a warm-up, in `--rounds` rounds,
and prints for each path the best round's
- app CPU: this process's CPU time per request (`time.process_time`);
- wall time per request;
- PostgreSQL CPU per request: the CPU the server's processes used meanwhile, read from
  /proc (a local PostgreSQL on Linux; "—" otherwise);
- the body's bytes as the tablets get it (brotli);
- the app CPU and the app + PostgreSQL CPU as multiples of the first path's (`/ping`, the
  floor, unless `--paths` says otherwise).

`--vary module:NAME=A,B` measures the paths once for each value of a module's constant
(`webapp.pdca.audit:CARDS_PAGE=30,20`), the values taking turns round after round, and prints
each value's best rounds: on a machine whose speed drifts by tens of per cent within a minute,
runs made one after the other compare the machine's phases, not the code.

`--profile N` then runs one more round of each path but the first under cProfile with a CPU
clock, and prints the N functions with the most cumulative time and the share of the time
spent in each package. cProfile's own cost inflates code that makes many small calls
(templates) more than code that waits in C (the database driver): read its shares as a map,
not as a measurement.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import importlib
import os
import pstats
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TOKEN_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
DEFAULT_PATHS = "/ping,/my-day"
# Pages are measured as the tablets get them: compressed.
HEADERS = {"Accept-Encoding": "br, gzip"}


@dataclass(frozen=True)
class Figures:
    """One path's best round: per request, in milliseconds (bytes: the last body's)."""

    path: str
    app_cpu: float
    wall: float
    db_cpu: float | None
    size: int


def postgres_cpu_seconds() -> float | None:
    """The CPU time (user + system) of every PostgreSQL process on this machine so far, or
    None where /proc cannot tell (not Linux, or no PostgreSQL running here)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks, found = 0, False
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() != "postgres":
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while being read
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
        found = True
    return ticks / os.sysconf("SC_CLK_TCK") if found else None


def logged_in_client(app, username: str):
    """A test client with a session of `username`, logged in through the login form."""
    from bench.generate import BENCH_PASSWORD  # imports the models: after the app is made

    client = app.test_client()
    token = TOKEN_RE.search(client.get("/login").data)
    form = {"username": username, "password": BENCH_PASSWORD}
    if token:
        form["csrf_token"] = token.group(1).decode()
    response = client.post("/login", data=form)
    if response.status_code != 303:
        raise SystemExit(f"log in as {username} failed: HTTP {response.status_code}")
    return client


def measure(client, path: str, requests: int, rounds: int, headers: dict[str, str]) -> Figures:
    """The best of `rounds` rounds of `requests` GETs of `path` (after a warm-up of 20)."""
    for _ in range(20):
        response = client.get(path, headers=headers)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}")
    size = len(response.data)
    best: Figures | None = None
    for _ in range(rounds):
        db_before = postgres_cpu_seconds()
        cpu_before, wall_before = time.process_time(), time.perf_counter()
        for _ in range(requests):
            client.get(path, headers=headers)
        cpu = (time.process_time() - cpu_before) * 1000 / requests
        wall = (time.perf_counter() - wall_before) * 1000 / requests
        db_after = postgres_cpu_seconds()
        db = None
        if db_before is not None and db_after is not None:
            db = (db_after - db_before) * 1000 / requests
        if best is None or cpu < best.app_cpu:
            best = Figures(path, cpu, wall, db, size)
    assert best is not None
    return best


def profile(client, path: str, requests: int, headers: dict[str, str], top: int) -> str:
    """cProfile (CPU clock) of `requests` GETs of `path`: the `top` functions by cumulative
    time, then the time spent in each package (own time, summed)."""
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(requests):
        client.get(path, headers=headers)
    profiler.disable()
    stats = pstats.Stats(profiler)
    lines = [f"\n== {path}: cProfile, CPU clock, {requests} requests"]
    by_package: Counter[str] = Counter()
    rows = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():
        by_package[_package(filename, name)] += own
        rows.append((cumulative, calls, own, f"{_short(filename)}:{line}({name})"))
    rows.sort(reverse=True)
    lines.append(f"{'cumulative ms/req':>18} {'own ms/req':>11} {'calls/req':>10}  function")
    for cumulative, calls, own, where in rows[:top]:
        lines.append(
            f"{cumulative * 1000 / requests:>18.3f} {own * 1000 / requests:>11.3f} "
            f"{calls / requests:>10.1f}  {where}"
        )
    total = sum(by_package.values()) or 1.0
    lines.append("\nown time by package")
    for package, own in by_package.most_common(15):
        lines.append(f"{100 * own / total:>6.1f} %  {package}")
    return "\n".join(lines)


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/webapp/"):
        if marker in filename:
            return ("webapp/" if marker == "/webapp/" else "") + filename.split(marker, 1)[1]
    return filename


def _package(filename: str, name: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/webapp/templates/" in filename:
        return "webapp templates"
    if "/webapp/" in filename:
        return "webapp " + filename.split("/webapp/", 1)[1].split("/", 1)[0]
    if filename == "~":
        return "built-in " + name.split(" of ")[0].strip("<>").replace("built-in method ", "")
    return "standard library"


def report(figures: Sequence[Figures]) -> str:
    """The table: a line per path, multiples of the first path's CPU."""
    floor = figures[0]
    floor_total = floor.app_cpu + (floor.db_cpu or 0.0)
    lines = [
        f"{'path':<40} {'app CPU ms':>10} {'wall ms':>8} {'PG CPU ms':>9} {'bytes':>7} "
        f"{'app / floor':>11} {'app+PG / floor':>14}"
    ]
    for f in figures:
        db = "—" if f.db_cpu is None else f"{f.db_cpu:.2f}"
        total = f.app_cpu + (f.db_cpu or 0.0)
        lines.append(
            f"{f.path[:40]:<40} {f.app_cpu:>10.2f} {f.wall:>8.2f} {db:>9} {f.size:>7} "
            f"{f.app_cpu / floor.app_cpu:>10.1f}× {total / floor_total:>13.1f}×"
        )
    return "\n".join(lines)


def run(app, username: str, paths: Sequence[str], requests: int, rounds: int, top: int) -> str:
    """Everything the script prints, for an app whose database holds the generated data."""
    client = logged_in_client(app, username)
    figures = [measure(client, path, requests, rounds, HEADERS) for path in paths]
    out = report(figures)
    if top:
        for path in paths[1:]:
            out += "\n" + profile(client, path, requests, HEADERS, top)
    return out


def alternate(
    app, username: str, paths: Sequence[str], requests: int, rounds: int, vary: str
) -> str:
    """`vary` (`module:NAME=A,B,…`): for each round, each value in turn set on the module and
    every path measured once; then each value's table of its best rounds."""
    target, _, raw = vary.partition("=")
    module_name, _, name = target.partition(":")
    values = [ast.literal_eval(v.strip()) for v in raw.split(",")] if raw else []
    if not (module_name and name and values):
        raise SystemExit(f"--vary {vary!r}: expected module:NAME=A,B")
    module = importlib.import_module(module_name)
    if not hasattr(module, name):
        raise SystemExit(f"--vary: {module_name} has no {name}")
    original = getattr(module, name)
    client = logged_in_client(app, username)
    best: dict[tuple[int, str], Figures] = {}
    try:
        for _ in range(rounds):
            for i, value in enumerate(values):
                setattr(module, name, value)
                for path in paths:
                    f = measure(client, path, requests, 1, HEADERS)
                    if (i, path) not in best or f.app_cpu < best[i, path].app_cpu:
                        best[i, path] = f
    finally:
        setattr(module, name, original)
    return "\n\n".join(
        f"{name} = {value!r}\n" + report([best[i, path] for path in paths])
        for i, value in enumerate(values)
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="CPU of one request per page, in process.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--user", default="b001-salesperson-20", help="a generated user")
    parser.add_argument("--paths", default=DEFAULT_PATHS, help="comma-separated; floor first")
    parser.add_argument("--requests", type=int, default=300, help="per round and path")
    parser.add_argument("--rounds", type=int, default=3, help="the best round is printed")
    parser.add_argument("--vary", default="", metavar="MODULE:NAME=A,B", help="values in turn")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="cProfile's top N")
    args = parser.parse_args(argv)
    if not args.database_url:
        raise SystemExit("--database-url (or DATABASE_URL) is required: run generate.py first")
    os.environ["DATABASE_URL"] = args.database_url
    from webapp import create_app

    app = create_app({"RATELIMIT_ENABLED": False})
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    if args.vary:
        out = alternate(app, args.user, paths, args.requests, args.rounds, args.vary)
    else:
        out = run(app, args.user, paths, args.requests, args.rounds, args.profile)
    sys.stdout.write(out + "\n")


if __name__ == "__main__":
    main()
