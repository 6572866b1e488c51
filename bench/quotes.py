"""Quote benchmark: how many 附表十 quotes the pricing rules compute per second, in process.

    .venv/bin/python bench/quotes.py                    # 20000 quotes, 5 runs
    .venv/bin/python bench/quotes.py --quotes 5000 --runs 3 --seed 7

It builds `--quotes` random but valid quotes first (list prices of the line-up's range, a
discount of up to 15 %, petrol, hybrid and new-energy cars bought in 2024–2028, one to four
accessories, some of them gifts, a trade-in of 5–15 % of the price every third quote, a loan
of 12–60 months at 0–8 % on two quotes out of three, the down payment in yuan or in percent),
then times `compute_quote` over all of them, `--runs` times. It prints the quotes per second of
each run and their p50 (median). Building the inputs is not measured; no database, no network.
The same --seed gives the same quotes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from webapp.negotiation.pricing import (
    Accessory,
    FeeTable,
    LoanTerms,
    Quote,
    compute_quote,
)

ACCESSORIES = (
    ("floor mats", 800),
    ("window film", 3000),
    ("dash camera", 1200),
    ("trunk tray", 350),
    ("door guards", 200),
    ("seat covers", 1800),
)
FIRST_DAY = date(2024, 1, 1)
DAYS = (date(2028, 12, 31) - FIRST_DAY).days


def yuan(amount: float) -> Decimal:
    """A random float turned into yuan, to the fen (the only float in the benchmark)."""
    return Decimal(round(amount * 100)) / 100


def random_quote(rng: random.Random) -> Quote:
    """One valid quote: the deposit stays below what the customer pays without the loan."""
    list_price = Decimal(rng.randrange(69800, 450000, 1000) - 200)
    discount = yuan(float(list_price) * rng.uniform(0, 0.15))
    vehicle_price = list_price - discount
    accessories = tuple(
        Accessory(name, Decimal(price), is_gift=rng.random() < 0.4)
        for name, price in rng.sample(ACCESSORIES, rng.randint(1, 4))
    )
    loan = None
    if rng.random() < 2 / 3:
        in_percent = rng.random() < 0.5
        loan = LoanTerms(
            term_months=rng.choice((12, 24, 36, 48, 60)),
            annual_rate_percent=Decimal(rng.choice(("0", "2.99", "3.99", "4.8", "7.9"))),
            down_payment=Decimal(rng.randint(20, 60))
            if in_percent
            else yuan(float(vehicle_price) * rng.uniform(0.2, 0.6)),
            down_payment_in_percent=in_percent,
        )
    return Quote(
        list_price=list_price,
        discount=discount,
        purchase_date=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
        new_energy=rng.random() < 0.3,
        fees=FeeTable(
            plate_fee=Decimal(rng.choice((125, 500, 800))),
            inspection_fee=Decimal(rng.choice((0, 150, 300))),
            service_fee=Decimal(rng.choice((500, 1000, 1500))),
        ),
        accessories=accessories,
        compulsory_insurance=Decimal(950),
        commercial_insurance=yuan(float(vehicle_price) * rng.uniform(0.02, 0.04)),
        one_stop_service=rng.random() < 0.8,
        trade_in_value=(
            yuan(float(vehicle_price) * rng.uniform(0.05, 0.15))
            if rng.random() < 1 / 3
            else Decimal(0)
        ),
        deposit=Decimal(rng.choice((2000, 3000, 5000))),
        loan=loan,
    )


def run_once(quotes: list[Quote]) -> float:
    """Quotes per second of one pass over `quotes`."""
    start = time.perf_counter()
    for quote in quotes:
        compute_quote(quote)
    return len(quotes) / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quotes", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    quotes = [random_quote(rng) for _ in range(args.quotes)]
    rates = []
    for run in range(1, args.runs + 1):
        rate = run_once(quotes)
        rates.append(rate)
        print(f"run {run}: {rate:,.0f} quotes/s")
    print(f"{len(quotes)} quotes × {args.runs} runs: p50 {statistics.median(rates):,.0f} quotes/s")


if __name__ == "__main__":
    main()
