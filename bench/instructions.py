"""Instructions per request, counted by valgrind's callgrind: a figure that does not drift.

    .venv/bin/python bench/instructions.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench \
        --user b001-sales_manager-02 --paths "/ping,/inbox/settings,/pdca/audit?month=2026-11"
    git worktree add /tmp/base HEAD~1
    .venv/bin/python bench/instructions.py --database-url … --against /tmp/base

`load.py` and `page_cpu.py` measure time, and on a shared virtual machine time drifts by tens
of per cent within minutes: two runs one after the other compare the machine's phases as
much as the code. Callgrind counts the instructions the app's process executes instead; with
the same code, data and hash seed the count repeats to about 1 %, whatever else the machine
is doing, so it tells whether a change made a page cheaper, and by how much.

It counts the app's instructions only, not PostgreSQL's (another process), and weighs them
all alike (a cache miss costs more than an addition): `page_cpu.py` reads PostgreSQL's share,
`load.py` the latency under load.

Each path runs in a child process under `valgrind --tool=callgrind
--toggle-collect=functools_reduce`: the child logs in through the Flask test client as a
user of the generated data, warms the path up, then makes `--requests` GETs inside one call
of `functools.reduce`, and callgrind counts only what runs inside that C function, so
Python's start and the app's import are left out. (A `reduce` nested in a request toggles the
count off until it returns; SQLAlchemy calls one only while compiling a statement it has not
cached yet, which the warm-up has done.) A child takes a minute or two, most of it the
import under valgrind; `--jobs` of them run at once, one per core by default.

`--against DIR` counts the same paths with the code of another checkout too (a git worktree
of the commit before, with its translations compiled: `make catalogs` there, or copy the
.mo files) and prints both and the change.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# This checkout's login and headers, imported before a child puts another checkout's code
# first on the path (its `webapp` is imported after).
from bench.page_cpu import HEADERS, logged_in_client  # noqa: E402

COLLECTED = re.compile(r"Collected : (\d+)")
# The C function whose run callgrind counts (the child's measured loop runs inside it).
TOGGLE = "functools_reduce"
WARM_UP = 10


@dataclass(frozen=True)
class Count:
    """One path's instructions per request with one checkout's code."""

    root: Path
    path: str
    per_request: float


def child(root: Path, username: str, path: str, requests: int) -> None:
    """Run in the valgrind child: the app with the code at `root`, then `measured_gets`."""
    sys.path.insert(0, str(root))
    from webapp import create_app

    measured_gets(create_app({"RATELIMIT_ENABLED": False}), username, path, requests)


def measured_gets(app, username: str, path: str, requests: int) -> int:
    """Log in as `username`, warm `path` up, then GET it `requests` times inside one
    functools.reduce call (the part callgrind counts); the number of GETs counted."""
    client = logged_in_client(app, username)
    for _ in range(WARM_UP):
        response = client.get(path, headers=HEADERS)
        if response.status_code != 200:
            raise SystemExit(f"GET {path}: HTTP {response.status_code}")

    def one(done: int, _: int) -> int:
        client.get(path, headers=HEADERS)
        return done + 1

    return functools.reduce(one, range(requests), 0)


def valgrind_command(root: Path, username: str, path: str, requests: int) -> list[str]:
    """The command that counts `requests` GETs of `path` with the code at `root`."""
    return [
        "valgrind",
        "--tool=callgrind",
        f"--toggle-collect={TOGGLE}",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        str(root),
        "--user",
        username,
        "--paths",
        path,
        "--requests",
        str(requests),
    ]


def parse_collected(stderr: str) -> int:
    """The instruction count in callgrind's summary ("Collected : N")."""
    found = COLLECTED.search(stderr)
    if found is None:
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        raise SystemExit(f"callgrind printed no count:\n{tail}")
    return int(found.group(1))


def count(root: Path, username: str, path: str, requests: int, database_url: str) -> Count:
    """Instructions per request of `path` with the code at `root`, from a valgrind child."""
    env = os.environ | {"DATABASE_URL": database_url, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        valgrind_command(root, username, path, requests),
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-5:])
        raise SystemExit(f"{path} ({root}): exit {done.returncode}\n{tail}")
    return Count(root, path, parse_collected(done.stderr) / requests)


def report(
    paths: Sequence[str], counts: dict[tuple[Path, str], Count], roots: Sequence[Path]
) -> str:
    """A line per path: millions of instructions per request and the multiple of the first
    path's, for each checkout, then the change from the second checkout to the first."""
    floors = {root: counts[root, paths[0]].per_request for root in roots}
    head = f"{'path':<40}"
    for root in roots:
        head += f" {root.name[:12]:>12} M {'× floor':>8}"
    if len(roots) == 2:
        head += f" {'change':>8}"
    lines = [head]
    for path in paths:
        line = f"{path[:40]:<40}"
        for root in roots:
            n = counts[root, path].per_request
            line += f" {n / 1e6:>14.3f} {n / floors[root]:>7.2f}×"
        if len(roots) == 2:
            now, before = (counts[root, path].per_request for root in roots)
            line += f" {100 * (now - before) / before:>+7.1f}%"
        lines.append(line)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Instructions per request, by callgrind.")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--user", default="b001-sales_manager-02", help="a generated user")
    parser.add_argument("--paths", default="/ping,/my-day", help="comma-separated; floor first")
    parser.add_argument("--requests", type=int, default=20, help="counted GETs per path")
    parser.add_argument("--against", type=Path, help="another checkout to count too")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="children at once")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child, args.user, args.paths, args.requests)
        return
    if not args.database_url:
        raise SystemExit("--database-url (or DATABASE_URL) is required: run generate.py first")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian package valgrind)")
    paths = [p.strip() for p in args.paths.split(",") if p.strip()]
    roots = [ROOT] + ([args.against.resolve()] if args.against else [])
    jobs = [(root, path) for path in paths for root in roots]
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        found = pool.map(
            lambda job: count(job[0], args.user, job[1], args.requests, args.database_url), jobs
        )
        counts = {(c.root, c.path): c for c in found}
    sys.stdout.write(report(paths, counts, roots) + "\n")


if __name__ == "__main__":
    main()
