"""Money rules of the quotation (附表十 商谈memo) and the registration fees (附表十二).

Pure functions over `Decimal` amounts in yuan: no database, no clock, no floats. Results are
rounded to the fen (0.01) half up, as on Chinese invoices; intermediate values keep their full
precision and only results are rounded.

Purchase tax (车辆购置税) is 10 % of the taxable price, the invoice price without the 13 % VAT
(price ÷ 1.13, rounded to the fen as the invoice prints it). New-energy vehicles (BEV, PHEV,
EREV; a hybrid HEV such as a 双擎 is not new-energy) get a relief that depends on the purchase
date, listed in `NEV_TAX_PERIODS`: exempt up to 30,000 yuan in 2024–2025, halved with the
reduction capped at 15,000 yuan in 2026–2027, full tax from 2028. The full tax and the relief
are each rounded to the fen, as the tax form prints them, and the tax paid is their difference.
The rule is chosen by the purchase date alone, so a back-dated purchase keeps the rule of its
own date. No rule is recorded for new-energy purchases before 2024: they are refused with a
ValidationError on `purchase_date` rather than guessed. A new policy is one more row of
`NEV_TAX_PERIODS`.

Loans are equal-instalment (等额本息): monthly = P·r(1+r)^n / ((1+r)^n − 1) with r = annual
rate / 12, and P / n at 0 %. Every instalment is the monthly amount rounded to the fen (there
is no last-instalment correction), so the total repaid is that amount × n; on a 0 % loan it can
differ from the principal by a few fen.

Bad input raises webapp.errors.ValidationError with a field → message dict; the messages are
translated when the error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext

from flask_babel import gettext as _

from webapp.errors import ValidationError

FEN = Decimal("0.01")
ZERO = Decimal(0)
HUNDRED = Decimal(100)
VAT_RATE = Decimal("0.13")
PURCHASE_TAX_RATE = Decimal("0.10")
MAX_AMOUNT = Decimal("100000000")
MAX_TERM_MONTHS = 60
MAX_ANNUAL_RATE_PERCENT = Decimal(36)
PRECISION = 40


def to_fen(amount: Decimal) -> Decimal:
    """`amount` rounded to the fen, half up (0.005 → 0.01)."""
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class NevTaxPeriod:
    """The purchase-tax relief for new-energy vehicles bought from `start` (inclusive) to `end`
    (exclusive; None: open-ended). `relief_share` of the full tax is waived (1: exempt, 0.5:
    halved, 0: none), at most `relief_cap` yuan per vehicle (None: no cap)."""

    start: date
    end: date | None
    relief_share: Decimal
    relief_cap: Decimal | None

    def covers(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


NEV_TAX_PERIODS: tuple[NevTaxPeriod, ...] = (
    NevTaxPeriod(date(2024, 1, 1), date(2026, 1, 1), Decimal(1), Decimal(30000)),
    NevTaxPeriod(date(2026, 1, 1), date(2028, 1, 1), Decimal("0.5"), Decimal(15000)),
    NevTaxPeriod(date(2028, 1, 1), None, ZERO, None),
)


def nev_tax_period(purchase_date: date) -> NevTaxPeriod:
    """The new-energy relief in force on `purchase_date`; ValidationError before the first."""
    period = _nev_period(purchase_date)
    if period is None:
        raise ValidationError({"purchase_date": _no_rule_message()})
    return period


def _nev_period(purchase_date: date) -> NevTaxPeriod | None:
    return next((p for p in NEV_TAX_PERIODS if p.covers(purchase_date)), None)


def _no_rule_message() -> str:
    return _(
        "No purchase-tax rule is recorded for new-energy vehicles bought before %(year)d.",
        year=NEV_TAX_PERIODS[0].start.year,
    )


def taxable_price(price: Decimal) -> Decimal:
    """The invoice price without VAT (price ÷ 1.13), to the fen."""
    with localcontext() as ctx:
        ctx.prec = PRECISION
        return to_fen(price / (1 + VAT_RATE))


@dataclass(frozen=True)
class PurchaseTax:
    """The purchase tax as the tax form shows it: the full tax (应纳税额), the new-energy relief
    (减免税额) and what is paid (`payable`, the full tax less the relief)."""

    full: Decimal
    relief: Decimal
    payable: Decimal


def purchase_tax_breakdown(price: Decimal, *, new_energy: bool, purchase_date: date) -> PurchaseTax:
    """车辆购置税 on a vehicle invoiced at `price` (VAT included) and bought on `purchase_date`.

    The full tax is 10 % of the taxable price, to the fen; the relief is the period's share of
    the full tax, at most its cap, to the fen (half up, so a half fen goes to the customer).
    """
    _check_amounts({"price": price})
    with localcontext() as ctx:
        ctx.prec = PRECISION
        full = to_fen(taxable_price(price) * PURCHASE_TAX_RATE)
        relief = ZERO
        if new_energy:
            period = nev_tax_period(purchase_date)
            relief = full * period.relief_share
            if period.relief_cap is not None:
                relief = min(relief, period.relief_cap)
            relief = to_fen(relief)
    return PurchaseTax(full=full, relief=relief, payable=full - relief)


def purchase_tax(price: Decimal, *, new_energy: bool, purchase_date: date) -> Decimal:
    """The purchase tax paid on a vehicle invoiced at `price`, bought on `purchase_date`."""
    return purchase_tax_breakdown(price, new_energy=new_energy, purchase_date=purchase_date).payable


@dataclass(frozen=True)
class LoanResult:
    """An equal-instalment loan: each of `term_months` instalments is `monthly`."""

    principal: Decimal
    term_months: int
    annual_rate_percent: Decimal
    monthly: Decimal
    total_repaid: Decimal
    total_interest: Decimal


def loan_payment(principal: Decimal, annual_rate_percent: Decimal, term_months: int) -> LoanResult:
    """The monthly payment, total repaid and total interest of an equal-instalment loan of
    `principal` yuan over `term_months` (1–60) at `annual_rate_percent` (0–36, e.g. 3.99)."""
    errors = _amount_errors({"loan_principal": principal})
    errors.update(_loan_term_errors(annual_rate_percent, term_months))
    if errors:
        raise ValidationError(errors)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        if annual_rate_percent == 0:
            exact = principal / term_months
        else:
            r = annual_rate_percent / HUNDRED / 12
            growth = (1 + r) ** term_months
            exact = principal * r * growth / (growth - 1)
        monthly = to_fen(exact)
        total = monthly * term_months
    return LoanResult(
        principal=principal,
        term_months=term_months,
        annual_rate_percent=annual_rate_percent,
        monthly=monthly,
        total_repaid=total,
        total_interest=total - principal,
    )


@dataclass(frozen=True)
class Accessory:
    """An accessory (精品) of the quote; a gift is listed at its price but charged 0."""

    name: str
    price: Decimal
    is_gift: bool = False

    @property
    def charged(self) -> Decimal:
        return ZERO if self.is_gift else self.price


@dataclass(frozen=True)
class FeeTable:
    """A store's registration fees (附表十二), besides the purchase tax: the plate fee (上牌费),
    the inspection fee (检测费) and the one-stop service fee (一条龙服务费)."""

    plate_fee: Decimal
    inspection_fee: Decimal
    service_fee: Decimal


@dataclass(frozen=True)
class LoanTerms:
    """The customer's loan wish: the down payment in yuan, or in percent of the vehicle price
    when `down_payment_in_percent`; the term in months and the annual rate in percent."""

    term_months: int
    annual_rate_percent: Decimal
    down_payment: Decimal = ZERO
    down_payment_in_percent: bool = False


@dataclass(frozen=True)
class Quote:
    """What the salesperson enters into 附表十: the vehicle, its discount and purchase date,
    accessories, the insurance amounts (from the insurer's fee table), the store's registration
    fees, the trade-in value, the deposit and, for a loan, its terms. Without the one-stop
    service the customer registers the car alone and no service fee is charged."""

    list_price: Decimal
    purchase_date: date
    fees: FeeTable
    discount: Decimal = ZERO
    new_energy: bool = False
    accessories: tuple[Accessory, ...] = ()
    compulsory_insurance: Decimal = ZERO
    commercial_insurance: Decimal = ZERO
    one_stop_service: bool = True
    trade_in_value: Decimal = ZERO
    deposit: Decimal = ZERO
    loan: LoanTerms | None = None


@dataclass(frozen=True)
class RegistrationFees:
    """附表十二's amounts: purchase tax by the rule of the purchase date (`purchase_tax` is what
    is paid; its full amount and new-energy relief are in `purchase_tax_detail`), and the store's
    fees."""

    purchase_tax_detail: PurchaseTax
    plate_fee: Decimal
    inspection_fee: Decimal
    service_fee: Decimal

    @property
    def purchase_tax(self) -> Decimal:
        return self.purchase_tax_detail.payable

    @property
    def total(self) -> Decimal:
        return self.purchase_tax + self.plate_fee + self.inspection_fee + self.service_fee


@dataclass(frozen=True)
class PaymentSchedule:
    """Who pays what, when: the deposit at signing; at delivery the customer pays
    `balance_due` (the rest of the down payment and every other line) and the bank pays
    `loan_principal`. Without a loan the down payment is the vehicle price."""

    deposit: Decimal
    down_payment: Decimal
    loan_principal: Decimal
    loan: LoanResult | None
    balance_due: Decimal


@dataclass(frozen=True)
class QuoteResult:
    """The lines of 附表十 and the payment schedule; `total` is what the customer owes in all
    (gifts at 0, the trade-in subtracted)."""

    list_price: Decimal
    discount: Decimal
    vehicle_price: Decimal
    accessories: tuple[Accessory, ...]
    accessories_total: Decimal
    compulsory_insurance: Decimal
    commercial_insurance: Decimal
    registration: RegistrationFees
    trade_in_value: Decimal
    total: Decimal
    schedule: PaymentSchedule

    @property
    def insurance_total(self) -> Decimal:
        return self.compulsory_insurance + self.commercial_insurance

    @property
    def lines(self) -> tuple[tuple[str, Decimal], ...]:
        """(code, amount) in the memo's order; the trade-in is negative, the sum is `total`."""
        return (
            ("vehicle_price", self.vehicle_price),
            ("accessories", self.accessories_total),
            ("compulsory_insurance", self.compulsory_insurance),
            ("commercial_insurance", self.commercial_insurance),
            ("purchase_tax", self.registration.purchase_tax),
            ("plate_fee", self.registration.plate_fee),
            ("inspection_fee", self.registration.inspection_fee),
            ("service_fee", self.registration.service_fee),
            ("trade_in", -self.trade_in_value),
        )


def compute_quote(quote: Quote) -> QuoteResult:
    """附表十 for `quote`: every line, the total and the payment schedule.

    Field names of the ValidationError: list_price, discount, accessories-<i>-price,
    compulsory_insurance, commercial_insurance, plate_fee, inspection_fee, service_fee,
    trade_in_value, deposit, down_payment, term_months, annual_rate_percent, purchase_date.
    """
    amounts = {
        "list_price": quote.list_price,
        "discount": quote.discount,
        "compulsory_insurance": quote.compulsory_insurance,
        "commercial_insurance": quote.commercial_insurance,
        "plate_fee": quote.fees.plate_fee,
        "inspection_fee": quote.fees.inspection_fee,
        "service_fee": quote.fees.service_fee,
        "trade_in_value": quote.trade_in_value,
        "deposit": quote.deposit,
    }
    amounts.update(
        {f"accessories-{i}-price": item.price for i, item in enumerate(quote.accessories)}
    )
    if quote.loan is not None:
        amounts["down_payment"] = quote.loan.down_payment
    errors = _amount_errors(amounts)
    if quote.loan is not None:
        errors.update(_loan_term_errors(quote.loan.annual_rate_percent, quote.loan.term_months))
    if "list_price" not in errors and "discount" not in errors:
        if quote.discount > quote.list_price:
            errors["discount"] = _("The discount cannot exceed the list price.")
        elif (
            quote.loan is not None
            and "down_payment" not in errors
            and (problem := _down_payment_problem(quote.loan, quote.list_price - quote.discount))
        ):
            errors["down_payment"] = problem
    if quote.new_energy and _nev_period(quote.purchase_date) is None:
        errors["purchase_date"] = _no_rule_message()
    if errors:
        raise ValidationError(errors)

    vehicle_price = quote.list_price - quote.discount
    down_payment = _down_payment(quote.loan, vehicle_price)
    registration = RegistrationFees(
        purchase_tax_detail=purchase_tax_breakdown(
            vehicle_price, new_energy=quote.new_energy, purchase_date=quote.purchase_date
        ),
        plate_fee=quote.fees.plate_fee,
        inspection_fee=quote.fees.inspection_fee,
        service_fee=quote.fees.service_fee if quote.one_stop_service else ZERO,
    )
    accessories_total = sum((item.charged for item in quote.accessories), ZERO)
    total = to_fen(
        vehicle_price
        + accessories_total
        + quote.compulsory_insurance
        + quote.commercial_insurance
        + registration.total
        - quote.trade_in_value
    )
    if total < 0:
        raise ValidationError(
            {"trade_in_value": _("The trade-in value cannot exceed the rest of the total.")}
        )
    loan = None
    principal = ZERO
    if quote.loan is not None:
        principal = vehicle_price - down_payment
        loan = loan_payment(principal, quote.loan.annual_rate_percent, quote.loan.term_months)
    cash_due = total - principal
    if cash_due < 0:
        raise ValidationError(
            {
                "down_payment": _(
                    "The loan exceeds what is due after the trade-in: raise the down payment."
                )
            }
        )
    if quote.deposit > cash_due:
        message = (
            _("The deposit cannot exceed the total less the loan.")
            if loan is not None
            else _("The deposit cannot exceed the total.")
        )
        raise ValidationError({"deposit": message})
    return QuoteResult(
        list_price=quote.list_price,
        discount=quote.discount,
        vehicle_price=vehicle_price,
        accessories=quote.accessories,
        accessories_total=accessories_total,
        compulsory_insurance=quote.compulsory_insurance,
        commercial_insurance=quote.commercial_insurance,
        registration=registration,
        trade_in_value=quote.trade_in_value,
        total=total,
        schedule=PaymentSchedule(
            deposit=quote.deposit,
            down_payment=down_payment,
            loan_principal=principal,
            loan=loan,
            balance_due=cash_due - quote.deposit,
        ),
    )


def _down_payment(terms: LoanTerms | None, vehicle_price: Decimal) -> Decimal:
    """The down payment in yuan; the whole vehicle price without a loan."""
    if terms is None:
        return vehicle_price
    if terms.down_payment_in_percent:
        with localcontext() as ctx:
            ctx.prec = PRECISION
            return to_fen(vehicle_price * terms.down_payment / HUNDRED)
    return terms.down_payment


def _down_payment_problem(terms: LoanTerms, vehicle_price: Decimal) -> str | None:
    if terms.down_payment_in_percent and terms.down_payment > HUNDRED:
        return _("The down payment cannot exceed 100 percent of the vehicle price.")
    if not terms.down_payment_in_percent and terms.down_payment > vehicle_price:
        return _("The down payment cannot exceed the vehicle price.")
    return None


def _amount_errors(amounts: dict[str, Decimal]) -> dict[str, str]:
    """A message for each amount that is not a Decimal from 0 to MAX_AMOUNT, to the fen."""
    errors: dict[str, str] = {}
    for field, value in amounts.items():
        if not isinstance(value, Decimal) or not value.is_finite() or value > MAX_AMOUNT:
            errors[field] = _("Enter an amount in yuan, for example 150000.")
        elif value < 0:
            errors[field] = _("The amount cannot be negative.")
        elif value != to_fen(value):
            errors[field] = _("Enter the amount to the fen: at most two decimals.")
    return errors


def _check_amounts(amounts: dict[str, Decimal]) -> None:
    if errors := _amount_errors(amounts):
        raise ValidationError(errors)


def _loan_term_errors(annual_rate_percent: Decimal, term_months: int) -> dict[str, str]:
    errors: dict[str, str] = {}
    if (
        not isinstance(term_months, int)
        or isinstance(term_months, bool)
        or not 1 <= term_months <= MAX_TERM_MONTHS
    ):
        errors["term_months"] = _("Choose a term from 1 to %(n)d months.", n=MAX_TERM_MONTHS)
    if (
        not isinstance(annual_rate_percent, Decimal)
        or not annual_rate_percent.is_finite()
        or not ZERO <= annual_rate_percent <= MAX_ANNUAL_RATE_PERCENT
    ):
        errors["annual_rate_percent"] = _(
            "Enter an annual rate from 0 to %(n)d percent.", n=int(MAX_ANNUAL_RATE_PERCENT)
        )
    return errors
