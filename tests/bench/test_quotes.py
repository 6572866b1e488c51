"""The quote benchmark at a tiny scale: its random quotes are all valid and it prints a rate."""

from __future__ import annotations

import random

import pytest

from bench.quotes import main, random_quote
from webapp.negotiation.pricing import compute_quote


def test_random_quotes_are_valid() -> None:
    rng = random.Random(3)
    for _ in range(2000):
        compute_quote(random_quote(rng))


def test_the_benchmark_prints_the_median_rate(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--quotes", "200", "--runs", "3"])
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 4
    assert out[-1].startswith("200 quotes × 3 runs: p50 ")
