"""The instruction-count benchmark: what callgrind counts, the measured GETs, the table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bench.generate import generate
from bench.instructions import (
    TOGGLE,
    Count,
    measured_gets,
    parse_collected,
    report,
    valgrind_command,
)
from tests.bench.generated import a_salesperson

CALLGRIND = [
    "valgrind",
    "--tool=callgrind",
    f"--toggle-collect={TOGGLE}",
    "--callgrind-out-file=/dev/null",
]
LOOP = """
import functools, sys
n = int(sys.argv[1])
functools.reduce(lambda acc, i: acc + sum(range(i % 50)), range(n), 0)
"""


def counted(n: int) -> int:
    done = subprocess.run(
        [*CALLGRIND, sys.executable, "-c", LOOP, str(n)],
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_collected(done.stderr)


def test_callgrind_counts_only_what_runs_inside_the_reduce():
    nothing, some, twice = counted(0), counted(2000), counted(4000)
    # Python's start alone is tens of millions of instructions: none of it is counted.
    assert nothing < 100_000
    assert 1.9 < (twice - nothing) / (some - nothing) < 2.1


def test_the_measured_gets_log_in_and_warm_the_page_up(app):
    generate("tiny", seed=7)
    assert measured_gets(app, a_salesperson(), "/my-day", 3) == 3
    with pytest.raises(SystemExit, match="GET /no-such-page: HTTP 404"):
        measured_gets(app, a_salesperson(), "/no-such-page", 1)


def test_the_child_runs_this_script_under_callgrind_with_the_other_checkout():
    command = valgrind_command(Path("base"), "b001-sales_manager-02", "/ping", 20)
    assert command[:3] == ["valgrind", "--tool=callgrind", "--toggle-collect=functools_reduce"]
    assert command[command.index("--child") + 1] == "base"
    assert command[-4:] == ["--paths", "/ping", "--requests", "20"]


def test_a_missing_count_stops_with_callgrinds_last_words():
    assert parse_collected("==1== Collected : 83283241\n==1== I refs: 83,283,241") == 83283241
    with pytest.raises(SystemExit, match="callgrind printed no count:\nvalgrind: bad option"):
        parse_collected("valgrind: bad option")


def test_the_table_gives_multiples_of_the_floor_and_the_change():
    now, before = Path("/work/main"), Path("base")
    counts = {
        (now, "/ping"): Count(now, "/ping", 4_000_000),
        (now, "/page"): Count(now, "/page", 18_000_000),
        (before, "/ping"): Count(before, "/ping", 4_000_000),
        (before, "/page"): Count(before, "/page", 20_000_000),
    }
    table = report(["/ping", "/page"], counts, [now, before]).splitlines()
    assert table[0].split()[0] == "path" and table[0].split()[-1] == "change"
    assert table[1].split() == ["/ping", "4.000", "1.00×", "4.000", "1.00×", "+0.0%"]
    assert table[2].split() == ["/page", "18.000", "4.50×", "20.000", "5.00×", "-10.0%"]
