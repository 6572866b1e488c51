"""The page CPU benchmark on the generator's tiny data: it logs in, measures and profiles."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from bench.generate import generate
from bench.page_cpu import Figures, logged_in_client, report, run
from webapp.auth.models import User, UserRole
from webapp.extensions import db


def a_salesperson() -> str:
    return db.session.scalar(
        sa.select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "salesperson")
        .order_by(User.id)
        .limit(1)
    )


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
