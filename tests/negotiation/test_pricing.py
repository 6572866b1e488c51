"""The quotation's money rules: purchase tax by purchase date, equal-instalment loans, quotes.

Expected values are worked out here by hand or with exact fractions, never by the module.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import replace
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from webapp.errors import ValidationError
from webapp.negotiation.pricing import (
    NEV_TAX_PERIODS,
    Accessory,
    FeeTable,
    LoanTerms,
    Quote,
    compute_quote,
    loan_payment,
    purchase_tax,
    purchase_tax_breakdown,
)

D = Decimal
FEES = FeeTable(plate_fee=D("500"), inspection_fee=D("150"), service_fee=D("1000"))


def fen(value: Fraction) -> Decimal:
    """A non-negative exact value rounded to the fen, half up."""
    cents = math.floor(value * 100 + Fraction(1, 2))
    return D(cents) / 100


def expected_tax(price: str, share: Fraction = Fraction(0), cap: int | None = None) -> Decimal:
    taxable = fen(Fraction(price) / Fraction(113, 100))
    full = fen(Fraction(taxable) / 10)
    relief = Fraction(full) * share
    if cap is not None:
        relief = min(relief, Fraction(cap))
    return full - fen(relief)


def expected_monthly(principal: str, rate_percent: str, months: int) -> Decimal:
    p = Fraction(principal)
    r = Fraction(rate_percent) / 100 / 12
    if r == 0:
        return fen(p / months)
    growth = (1 + r) ** months
    return fen(p * r * growth / (growth - 1))


def errors_of(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as raised:
        call()
    return raised.value.errors


# --- purchase tax ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "price", "new_energy", "bought", "expected"),
    [
        # 119800 / 1.13 = 106017.699… → 106017.70; × 10 % = 10601.77
        ("petrol Corolla", "119800", False, date(2026, 3, 1), "10601.77"),
        # a hybrid (双擎) is not new-energy: full tax. 139800 / 1.13 → 123716.81 → 12371.68
        ("hybrid Corolla 双擎", "139800", False, date(2026, 3, 1), "12371.68"),
        ("hybrid in 2025 still pays in full", "139800", False, date(2025, 6, 1), "12371.68"),
        # bZ3 BEV in 2026: 129800 / 1.13 → 114867.26 → full 11486.73, relief 5743.365 → 5743.37
        ("bZ3 BEV 2026 halved", "129800", True, date(2026, 5, 20), "5743.36"),
        ("bZ3 BEV 2025 exempt", "129800", True, date(2025, 5, 20), "0.00"),
        ("bZ3 BEV 2028 full tax", "129800", True, date(2028, 1, 1), "11486.73"),
        # 399800 / 1.13 → 353805.31 → full 35380.53; half is 17690.27 > 15000 cap
        ("NEV above the cap 2026", "399800", True, date(2026, 1, 1), "20380.53"),
        ("NEV above the cap 2027", "399800", True, date(2027, 12, 31), "20380.53"),
        # the exemption is at most 30000: 35380.53 − 30000
        ("NEV above the cap 2025", "399800", True, date(2025, 12, 31), "5380.53"),
        ("NEV above the cap 2024", "399800", True, date(2024, 1, 1), "5380.53"),
        # 339000 / 1.13 = 300000 exactly: full 30000, exactly at both caps
        ("NEV at the cap 2025", "339000", True, date(2025, 7, 1), "0.00"),
        ("NEV at the cap 2026", "339000", True, date(2026, 7, 1), "15000.00"),
        ("petrol car before 2024", "119800", False, date(2023, 6, 1), "10601.77"),
        ("free car", "0", True, date(2026, 1, 1), "0.00"),
    ],
)
def test_purchase_tax_follows_the_rule_of_the_purchase_date(
    case: str, price: str, new_energy: bool, bought: date, expected: str
) -> None:
    assert purchase_tax(D(price), new_energy=new_energy, purchase_date=bought) == D(expected)


@pytest.mark.parametrize(
    ("price", "bought", "share", "cap"),
    [
        ("119800", date(2026, 2, 1), Fraction(1, 2), 15000),
        ("169800", date(2026, 2, 1), Fraction(1, 2), 15000),
        ("349800", date(2027, 2, 1), Fraction(1, 2), 15000),
        ("169800", date(2024, 2, 1), Fraction(1), 30000),
        ("349800", date(2025, 2, 1), Fraction(1), 30000),
        ("349800", date(2030, 2, 1), Fraction(0), None),
    ],
)
def test_new_energy_tax_matches_the_formula(
    price: str, bought: date, share: Fraction, cap: int | None
) -> None:
    assert purchase_tax(D(price), new_energy=True, purchase_date=bought) == expected_tax(
        price, share, cap
    )


def test_the_breakdown_shows_full_tax_relief_and_payable() -> None:
    tax = purchase_tax_breakdown(D("129800"), new_energy=True, purchase_date=date(2026, 5, 20))
    assert (tax.full, tax.relief, tax.payable) == (D("11486.73"), D("5743.37"), D("5743.36"))


def test_a_back_dated_2025_purchase_keeps_the_2025_exemption_when_computed_in_2026() -> None:
    # The module reads no clock: the December 2025 purchase is exempt whenever it is computed,
    # while the same car bought a day later, in 2026, pays half.
    quote = Quote(
        list_price=D("129800"), purchase_date=date(2025, 12, 31), fees=FEES, new_energy=True
    )
    assert compute_quote(quote).registration.purchase_tax == D("0.00")
    next_day = replace(quote, purchase_date=date(2026, 1, 1))
    assert compute_quote(next_day).registration.purchase_tax == D("5743.36")


def test_a_new_energy_purchase_before_2024_is_refused_on_the_purchase_date() -> None:
    errors = errors_of(
        lambda: purchase_tax(D("129800"), new_energy=True, purchase_date=date(2023, 12, 31))
    )
    assert set(errors) == {"purchase_date"}


def test_the_periods_follow_each_other_without_gaps() -> None:
    for earlier, later in itertools.pairwise(NEV_TAX_PERIODS):
        assert earlier.end == later.start
    assert NEV_TAX_PERIODS[-1].end is None


# --- loans ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "rate", "months", "monthly", "total", "interest"),
    [
        ("100000", "0", 36, "2777.78", "100000.08", "0.08"),
        ("80000", "0", 12, "6666.67", "80000.04", "0.04"),
        ("100", "0", 3, "33.33", "99.99", "-0.01"),
        ("100000", "4.8", 12, "8551.59", "102619.08", "2619.08"),
        ("100000", "3.99", 36, "2951.95", "106270.20", "6270.20"),
        ("100000", "4.8", 60, "1877.97", "112678.20", "12678.20"),
        ("120000", "3.5", 12, "10190.60", "122287.20", "2287.20"),
        ("60000", "36", 60, "2167.98", "130078.80", "70078.80"),
    ],
)
def test_equal_instalment_loans(
    principal: str, rate: str, months: int, monthly: str, total: str, interest: str
) -> None:
    loan = loan_payment(D(principal), D(rate), months)
    assert loan.monthly == D(monthly) == expected_monthly(principal, rate, months)
    assert loan.total_repaid == D(total)
    assert loan.total_interest == D(interest)
    assert loan.term_months == months


@pytest.mark.parametrize(
    ("principal", "rate", "months", "field"),
    [
        ("100000", "3.99", 0, "term_months"),
        ("100000", "3.99", 61, "term_months"),
        ("100000", "3.99", -12, "term_months"),
        ("100000", "-0.01", 36, "annual_rate_percent"),
        ("100000", "36.01", 36, "annual_rate_percent"),
        ("100000", "NaN", 36, "annual_rate_percent"),
        ("-1", "3.99", 36, "loan_principal"),
    ],
)
def test_bad_loans_are_refused_on_their_field(
    principal: str, rate: str, months: int, field: str
) -> None:
    errors = errors_of(lambda: loan_payment(D(principal), D(rate), months))
    assert set(errors) == {field}
    assert errors[field]


def test_the_rate_limits_themselves_are_allowed() -> None:
    assert loan_payment(D("1000"), D("36"), 60).monthly == expected_monthly("1000", "36", 60)
    assert loan_payment(D("1000"), D("0"), 1).monthly == D("1000.00")


# --- quotes -----------------------------------------------------------------------------------


def full_quote(**changes) -> Quote:
    quote = Quote(
        list_price=D("169800"),
        discount=D("10000"),
        purchase_date=date(2026, 3, 15),
        new_energy=True,
        fees=FEES,
        accessories=(
            Accessory("floor mats", D("800"), is_gift=True),
            Accessory("dash camera", D("1200")),
            Accessory("window film", D("3000"), is_gift=True),
        ),
        compulsory_insurance=D("950"),
        commercial_insurance=D("4200"),
        trade_in_value=D("30000"),
        deposit=D("5000"),
        loan=LoanTerms(
            term_months=36,
            annual_rate_percent=D("3.99"),
            down_payment=D("30"),
            down_payment_in_percent=True,
        ),
    )
    return replace(quote, **changes)


def test_a_full_quote_with_gifts_trade_in_and_loan() -> None:
    result = compute_quote(full_quote())
    assert result.vehicle_price == D("159800")
    # gifts are listed at their price but only the dash camera is charged
    assert [a.name for a in result.accessories] == ["floor mats", "dash camera", "window film"]
    assert [a.charged for a in result.accessories] == [D(0), D("1200"), D(0)]
    assert result.accessories_total == D("1200")
    assert result.insurance_total == D("5150")
    # 159800 / 1.13 → 141415.93 → full 14141.59; half 7070.795 → relief 7070.80
    assert result.registration.purchase_tax_detail.full == D("14141.59")
    assert result.registration.purchase_tax == D("7070.79")
    assert result.registration.total == D("8720.79")  # 7070.79 + 500 + 150 + 1000
    # 159800 + 1200 + 950 + 4200 + 8720.79 − 30000
    assert result.total == D("144870.79")
    schedule = result.schedule
    assert schedule.down_payment == D("47940.00")  # 30 % of 159800
    assert schedule.loan_principal == D("111860.00")
    assert schedule.loan is not None
    assert schedule.loan.monthly == expected_monthly("111860", "3.99", 36)
    assert schedule.deposit == D("5000")
    # 144870.79 − 111860 − 5000
    assert schedule.balance_due == D("28010.79")
    assert sum(amount for _, amount in result.lines) == result.total
    assert dict(result.lines)["trade_in"] == D("-30000")


def test_a_cash_quote_without_one_stop_service() -> None:
    quote = Quote(
        list_price=D("119800"),
        discount=D("5000"),
        purchase_date=date(2026, 3, 15),
        fees=FEES,
        one_stop_service=False,
        compulsory_insurance=D("950"),
        deposit=D("2000"),
    )
    result = compute_quote(quote)
    # 114800 / 1.13 → 101592.92 → 10159.29
    assert result.registration.purchase_tax == D("10159.29")
    assert result.registration.service_fee == D(0)
    # 114800 + 950 + 10159.29 + 500 + 150
    assert result.total == D("126559.29")
    assert result.schedule.loan is None
    assert result.schedule.loan_principal == D(0)
    assert result.schedule.down_payment == D("114800")
    assert result.schedule.balance_due == D("124559.29")


def test_a_down_payment_in_yuan() -> None:
    loan = LoanTerms(term_months=12, annual_rate_percent=D("0"), down_payment=D("59800"))
    result = compute_quote(full_quote(loan=loan))
    assert result.schedule.loan_principal == D("100000")
    assert result.schedule.loan is not None
    assert result.schedule.loan.monthly == D("8333.33")


@pytest.mark.parametrize(
    ("case", "changes", "field"),
    [
        ("discount above the list price", {"discount": D("169800.01")}, "discount"),
        ("negative list price", {"list_price": D("-1")}, "list_price"),
        ("negative discount", {"discount": D("-1")}, "discount"),
        (
            "negative plate fee",
            {"fees": replace(FEES, plate_fee=D("-500"))},
            "plate_fee",
        ),
        (
            "negative inspection fee",
            {"fees": replace(FEES, inspection_fee=D("-1"))},
            "inspection_fee",
        ),
        ("negative service fee", {"fees": replace(FEES, service_fee=D("-1"))}, "service_fee"),
        (
            "negative accessory price",
            {"accessories": (Accessory("mats", D("1")), Accessory("film", D("-3000")))},
            "accessories-1-price",
        ),
        (
            "negative compulsory insurance",
            {"compulsory_insurance": D("-950")},
            "compulsory_insurance",
        ),
        (
            "negative commercial insurance",
            {"commercial_insurance": D("-1")},
            "commercial_insurance",
        ),
        ("negative trade-in", {"trade_in_value": D("-1")}, "trade_in_value"),
        ("negative deposit", {"deposit": D("-1")}, "deposit"),
        ("float price", {"list_price": 169800.0}, "list_price"),
        ("three decimals", {"discount": D("10.005")}, "discount"),
        ("infinite price", {"list_price": D("Infinity")}, "list_price"),
        ("term of 0 months", {"loan": LoanTerms(0, D("3.99"))}, "term_months"),
        ("term above 60 months", {"loan": LoanTerms(72, D("3.99"))}, "term_months"),
        ("rate below 0", {"loan": LoanTerms(36, D("-1"))}, "annual_rate_percent"),
        ("rate above 36 %", {"loan": LoanTerms(36, D("36.5"))}, "annual_rate_percent"),
        (
            "down payment above the price",
            {"loan": LoanTerms(36, D("3.99"), down_payment=D("159800.01"))},
            "down_payment",
        ),
        (
            "down payment above 100 %",
            {"loan": LoanTerms(36, D("3.99"), D("101"), down_payment_in_percent=True)},
            "down_payment",
        ),
        (
            "negative down payment",
            {"loan": LoanTerms(36, D("3.99"), down_payment=D("-1"))},
            "down_payment",
        ),
        ("deposit above the total", {"loan": None, "deposit": D("144870.80")}, "deposit"),
        # with the loan the customer pays 144870.79 − 111860 = 33010.79 in all
        ("deposit above the total less the loan", {"deposit": D("33010.80")}, "deposit"),
        ("trade-in above the total", {"trade_in_value": D("999999")}, "trade_in_value"),
        (
            "loan above what is due after the trade-in",
            {"trade_in_value": D("100000"), "loan": LoanTerms(36, D("3.99"))},
            "down_payment",
        ),
        ("new-energy bought before 2024", {"purchase_date": date(2023, 12, 31)}, "purchase_date"),
    ],
)
def test_bad_quotes_are_refused_on_their_field(case: str, changes: dict, field: str) -> None:
    errors = errors_of(lambda: compute_quote(full_quote(**changes)))
    assert set(errors) == {field}
    assert isinstance(errors[field], str) and errors[field]


def test_the_limits_themselves_are_allowed() -> None:
    # discount equal to the price, 100 % down payment, deposit equal to what is due
    result = compute_quote(
        full_quote(
            loan=LoanTerms(60, D("36"), D("100"), down_payment_in_percent=True),
            deposit=D("144870.79"),
        )
    )
    assert result.schedule.loan_principal == D(0)
    assert result.schedule.balance_due == D(0)
    free = compute_quote(
        full_quote(discount=D("169800"), loan=None, deposit=D(0), trade_in_value=D(0))
    )
    assert free.vehicle_price == D(0)


def test_every_problem_is_reported_at_once() -> None:
    errors = errors_of(
        lambda: compute_quote(
            full_quote(
                discount=D("200000"),
                fees=replace(FEES, plate_fee=D("-1")),
                loan=LoanTerms(0, D("40")),
            )
        )
    )
    assert set(errors) == {"discount", "plate_fee", "term_months", "annual_rate_percent"}


# --- properties -------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=10_000_000_00).map(lambda c: D(c) / 100)
days = st.dates(min_value=date(2024, 1, 1), max_value=date(2035, 12, 31))


@settings(max_examples=300, deadline=None)
@given(price=amounts, new_energy=st.booleans(), bought=days)
def test_tax_is_never_negative_nor_above_the_full_tax(
    price: Decimal, new_energy: bool, bought: date
) -> None:
    tax = purchase_tax_breakdown(price, new_energy=new_energy, purchase_date=bought)
    assert D(0) <= tax.payable <= tax.full
    assert tax.payable + tax.relief == tax.full
    assert tax.full == expected_tax(str(price))


@settings(max_examples=300, deadline=None)
@given(
    principal=st.integers(min_value=1000_00, max_value=5_000_000_00).map(lambda c: D(c) / 100),
    rate=st.integers(min_value=50, max_value=3600).map(lambda c: D(c) / 100),
    months=st.integers(min_value=1, max_value=60),
)
def test_a_loan_with_interest_repays_more_than_its_principal(
    principal: Decimal, rate: Decimal, months: int
) -> None:
    loan = loan_payment(principal, rate, months)
    assert loan.total_repaid >= principal
    assert loan.total_interest == loan.total_repaid - principal
    assert loan.monthly == expected_monthly(str(principal), str(rate), months)


@settings(max_examples=200, deadline=None)
@given(principal=amounts, months=st.integers(min_value=1, max_value=60))
def test_a_zero_rate_loan_repays_its_principal_to_within_rounding(
    principal: Decimal, months: int
) -> None:
    loan = loan_payment(principal, D(0), months)
    assert abs(loan.total_repaid - principal) <= D("0.005") * months


@settings(max_examples=200, deadline=None)
@given(
    price=st.integers(min_value=50_000_00, max_value=600_000_00).map(lambda c: D(c) / 100),
    discount_share=st.integers(min_value=0, max_value=20),
    new_energy=st.booleans(),
    bought=days,
    down_share=st.integers(min_value=0, max_value=100),
    months=st.integers(min_value=1, max_value=60),
    gift=st.booleans(),
)
def test_quote_lines_add_up_and_the_schedule_pays_the_total(
    price: Decimal,
    discount_share: int,
    new_energy: bool,
    bought: date,
    down_share: int,
    months: int,
    gift: bool,
) -> None:
    quote = Quote(
        list_price=price,
        discount=(price * discount_share / 100).quantize(D("0.01")),
        purchase_date=bought,
        new_energy=new_energy,
        fees=FEES,
        accessories=(Accessory("film", D("3000"), is_gift=gift),),
        compulsory_insurance=D("950"),
        loan=LoanTerms(months, D("3.99"), D(down_share), down_payment_in_percent=True),
    )
    result = compute_quote(quote)
    assert sum(amount for _, amount in result.lines) == result.total
    schedule = result.schedule
    assert schedule.deposit + schedule.loan_principal + schedule.balance_due == result.total
    assert schedule.down_payment + schedule.loan_principal == result.vehicle_price
    assert result.accessories_total == (D(0) if gift else D("3000"))
