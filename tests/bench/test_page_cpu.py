"""The page CPU benchmark on the generator's tiny data: it logs in, measures and profiles."""

from __future__ import annotations

import pytest

from bench.generate import generate
from bench.page_cpu import Figures, alternate, logged_in_client, report, run
from tests.bench.generated import a_salesperson
from webapp.pdca import audit


def test_prints_each_page_against_the_floor_with_a_profile(app):
    generate("tiny", seed=7)
    out = run(app, a_salesperson(), ["/ping", "/my-day"], requests=3, rounds=2, top=5)
    lines = out.splitlines()
    assert lines[0].split()[:3] == ["path", "app", "CPU"]
    floor, page = lines[1].split(), lines[2].split()
    assert floor[0] == "/ping" and floor[-2:] == ["1.0×", "1.0×"]
    assert page[0] == "/my-day" and float(page[1]) > 0 and int(page[4]) > 0
    assert "== /my-day: cProfile, CPU clock, 3 requests" in out
    assert "own time by package" in out


def test_a_wrong_password_or_a_failing_page_stops_with_a_message(app):
    generate("tiny", seed=7)
    with pytest.raises(SystemExit, match="log in as nobody failed"):
        logged_in_client(app, "nobody")
    with pytest.raises(SystemExit, match="GET /no-such-page: HTTP 404"):
        run(app, a_salesperson(), ["/no-such-page"], requests=1, rounds=1, top=0)


def test_multiples_are_of_the_first_path():
    table = report(
        [Figures("/ping", 2.0, 2.5, 0.5, 12), Figures("/page", 6.0, 7.0, None, 900)]
    ).splitlines()
    assert table[1].split()[-2:] == ["1.0×", "1.0×"]
    assert table[2].split()[3] == "—"
    assert table[2].split()[-2:] == ["3.0×", "2.4×"]  # 6.0 / 2.0; (6.0 + 0) / (2.0 + 0.5)


def test_a_varied_constant_takes_each_value_in_turn_and_is_restored(app, monkeypatch):
    generate("tiny", seed=7)
    seen, before = [], audit.CARDS_PAGE
    real = audit.month_audit

    def spy(*args, **kwargs):
        seen.append(audit.CARDS_PAGE)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "month_audit", spy)
    vary = "webapp.pdca.audit:CARDS_PAGE=7, 3"
    out = alternate(app, a_salesperson(), ["/ping", "/pdca/audit"], 2, 2, vary)
    first, second = out.split("\n\n")
    assert first.splitlines()[0] == "CARDS_PAGE = 7" and second.splitlines()[0] == "CARDS_PAGE = 3"
    assert first.splitlines()[3].split()[0] == "/pdca/audit"
    # each round: warm-up and a batch under 7, then under 3; the constant is put back after
    assert seen == ([7] * 22 + [3] * 22) * 2
    assert before == audit.CARDS_PAGE


@pytest.mark.parametrize(
    "vary, message",
    [
        ("webapp.pdca.audit:CARDS_PAGE", "expected module:NAME=A,B"),
        ("webapp.pdca.audit=1,2", "expected module:NAME=A,B"),
        ("webapp.pdca.audit:NO_SUCH=1,2", "webapp.pdca.audit has no NO_SUCH"),
    ],
)
def test_a_varied_constant_that_cannot_be_set_stops_with_a_message(app, vary, message):
    with pytest.raises(SystemExit, match=message):
        alternate(app, "nobody", ["/ping"], 1, 1, vary)
