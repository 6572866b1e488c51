"""The memo's form (附表十 商谈memo): the choices it offers, the values it shows (the store's
defaults, a saved version's, the posted ones), and the reading of a posted form into a
`pricing.Quote` and the `inputs` a version keeps (amounts as strings of yuan to the fen, the
store's fees and the vehicle's names as they were), and back (`quote_of`).

No rules of saving or approval here: `memos` holds those.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date, parse_id, text_problem
from webapp.negotiation.contract_models import Memo, MemoVersion, SalesTerms
from webapp.negotiation.pricing import (
    HUNDRED,
    ZERO,
    Accessory,
    FeeTable,
    LoanTerms,
    Quote,
    QuoteResult,
    compute_quote,
    to_fen,
)
from webapp.negotiation.terms import read_decimal
from webapp.timeutil import local_today

MAX_ACCESSORIES = 20
ACCESSORY_NAME_LIMIT = 50
PAYMENTS = ("cash", "loan")
DOWN_PAYMENT_UNITS = ("yuan", "percent")


def latest_version(memo: Memo | None) -> MemoVersion | None:
    """The memo's newest version, or None."""
    return memo.versions[-1] if memo is not None and memo.versions else None


# --- The form --------------------------------------------------------------------------------


def sfx_choices() -> list[Sfx]:
    """Active SFX of active models, for the form's list."""

    stmt = (
        sa.select(Sfx)
        .join(VehicleModel, VehicleModel.id == Sfx.model_id)
        .where(Sfx.active, VehicleModel.active)
        .options(joinedload(Sfx.model))
        .order_by(VehicleModel.sort_order, VehicleModel.id, Sfx.msrp, Sfx.id)
    )
    return list(db.session.scalars(stmt).unique())


def colour_choices(sfx_list: list[Sfx]) -> list[Colour]:
    """The colours of the models of `sfx_list`."""
    model_ids = {s.model_id for s in sfx_list}
    if not model_ids:
        return []
    stmt = sa.select(Colour).where(Colour.model_id.in_(model_ids)).order_by(Colour.id)
    return list(db.session.scalars(stmt))


def commercial_estimate(terms: SalesTerms, vehicle_price: Decimal) -> Decimal:
    """The commercial cover estimate: the base amount plus the rate of the vehicle price."""
    price = max(vehicle_price, ZERO)
    return to_fen(terms.commercial_base + price * terms.commercial_rate_percent / HUNDRED)


def initial_values(card: CustomerCard, memo: Memo | None, terms: SalesTerms) -> dict[str, Any]:
    """The form's values: those of the latest version, else the store's defaults (and the
    card's model's first SFX)."""
    latest = latest_version(memo)
    if latest is not None:
        return values_of(latest)
    sfx_id = ""
    if card.model_id is not None:
        sfx_id = (
            db.session.scalar(
                sa.select(Sfx.id)
                .where(Sfx.model_id == card.model_id, Sfx.active)
                .order_by(Sfx.msrp, Sfx.id)
                .limit(1)
            )
            or ""
        )
    return {
        "sfx_id": sfx_id,
        "colour_id": "",
        "discount": "0",
        "accessories": [],
        "compulsory_insurance": str(terms.compulsory_insurance),
        "commercial_insurance": "",
        "one_stop_service": True,
        "trade_in_value": "0",
        "deposit": str(terms.default_deposit),
        "payment": "cash",
        "down_payment": "",
        "down_payment_unit": "percent",
        "term_months": "36",
        "annual_rate_percent": "",
        "purchase_date": local_today().isoformat(),
        "delivery_date": "",
        "delivery_accepted": False,
    }


def values_of(version: MemoVersion) -> dict[str, Any]:
    """A saved version as the form shows it (to revise it into the next version)."""
    inputs = version.inputs
    loan = inputs.get("loan") or {}
    return {
        "sfx_id": inputs.get("sfx_id", ""),
        "colour_id": inputs.get("colour_id") or "",
        "discount": inputs.get("discount", "0"),
        "accessories": list(inputs.get("accessories") or []),
        "compulsory_insurance": inputs.get("compulsory_insurance", ""),
        "commercial_insurance": inputs.get("commercial_insurance", ""),
        "one_stop_service": bool(inputs.get("one_stop_service")),
        "trade_in_value": inputs.get("trade_in_value", "0"),
        "deposit": inputs.get("deposit", ""),
        "payment": "loan" if loan else "cash",
        "down_payment": loan.get("down_payment", ""),
        "down_payment_unit": (
            "yuan" if loan and not loan.get("down_payment_in_percent") else "percent"
        ),
        "term_months": loan.get("term_months", "36"),
        "annual_rate_percent": loan.get("annual_rate_percent", ""),
        "purchase_date": local_today().isoformat(),
        "delivery_date": version.delivery_date.isoformat() if version.delivery_date else "",
        "delivery_accepted": version.delivery_accepted,
    }


def form_values(form: Any) -> dict[str, Any]:
    """The posted form as the form shows it again (after an error, or in the preview)."""
    keys = (
        "sfx_id",
        "colour_id",
        "discount",
        "compulsory_insurance",
        "commercial_insurance",
        "trade_in_value",
        "deposit",
        "payment",
        "down_payment",
        "down_payment_unit",
        "term_months",
        "annual_rate_percent",
        "purchase_date",
        "delivery_date",
    )
    values: dict[str, Any] = {k: _text(form.get(k)) for k in keys}
    values["one_stop_service"] = bool(form.get("one_stop_service"))
    values["delivery_accepted"] = bool(form.get("delivery_accepted"))
    values["accessories"] = [
        {"name": name, "price": price, "is_gift": gift} for _i, name, price, gift in _rows(form)
    ]
    return values


def _text(raw: Any) -> str:
    return raw.strip() if isinstance(raw, str) else ""


def _rows(form: Any) -> list[tuple[int, str, str, bool]]:
    """The accessory rows posted (accessories-<i>-name/price/is_gift) that are not blank,
    with their index in the form."""
    rows = []
    for i in range(MAX_ACCESSORIES):
        name = _text(form.get(f"accessories-{i}-name"))
        price = _text(form.get(f"accessories-{i}-price"))
        gift = bool(form.get(f"accessories-{i}-is_gift"))
        if name or price:
            rows.append((i, name, price, gift))
    return rows


@dataclass(frozen=True)
class Draft:
    """A form read into a quote: what compute_quote gets, what the version stores, and the
    delivery date the customer was offered."""

    quote: Quote
    result: QuoteResult
    inputs: dict[str, Any]
    sfx: Sfx
    colour: Colour | None
    delivery_date: date | None
    delivery_accepted: bool


def _amount(form: Any, name: str, errors: dict[str, str], default: Decimal) -> Decimal:
    """A money field read as a Decimal (blank: `default`); range checks are compute_quote's."""
    raw = form.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return default
    value = read_decimal(raw)
    if value is None:
        errors[name] = _("Enter an amount in yuan, for example 150000.")
        return ZERO
    return value


def read_form(card: CustomerCard, terms: SalesTerms, form: Any) -> Draft:
    """Read the memo form into a quote. Raises ValidationError (field → message) on any
    problem, including those compute_quote finds (mapped to the form's fields)."""
    errors: dict[str, str] = {}
    sfx_id = parse_id(form.get("sfx_id"))
    sfx = db.session.get(Sfx, sfx_id) if sfx_id is not None else None
    if sfx is None or not sfx.active:
        errors["sfx_id"] = _("Choose a model and SFX from the list.")
    colour = None
    colour_raw = form.get("colour_id")
    if colour_raw not in (None, ""):
        colour_id = parse_id(colour_raw)
        colour = db.session.get(Colour, colour_id) if colour_id is not None else None
        if colour is None or (sfx is not None and colour.model_id != sfx.model_id):
            errors["colour_id"] = _("Choose a colour of this model.")
            colour = None
    list_price = sfx.msrp if sfx is not None else ZERO
    discount = _amount(form, "discount", errors, ZERO)
    accessories = []
    for i, name, price_raw, gift in _rows(form):
        if not name:
            errors[f"accessories-{i}-name"] = _("Name the accessory.")
        elif (problem := text_problem(name)) is not None:
            errors[f"accessories-{i}-name"] = problem
        elif len(name) > ACCESSORY_NAME_LIMIT:
            errors[f"accessories-{i}-name"] = _("At most %(n)d characters.", n=ACCESSORY_NAME_LIMIT)
        price = read_decimal(price_raw) if price_raw else ZERO
        if price is None:
            errors[f"accessories-{i}-price"] = _("Enter an amount in yuan, for example 150000.")
            price = ZERO
        accessories.append((i, Accessory(name=name, price=price, is_gift=gift)))
    compulsory = _amount(form, "compulsory_insurance", errors, terms.compulsory_insurance)
    commercial = _amount(
        form, "commercial_insurance", errors, commercial_estimate(terms, list_price - discount)
    )
    trade_in = _amount(form, "trade_in_value", errors, ZERO)
    deposit = _amount(form, "deposit", errors, terms.default_deposit)
    one_stop = bool(form.get("one_stop_service"))
    payment = form.get("payment") or "cash"
    if payment not in PAYMENTS:
        errors["payment"] = _("Choose cash or loan.")
    loan = None
    if payment == "loan":
        unit = form.get("down_payment_unit") or "yuan"
        if unit not in DOWN_PAYMENT_UNITS:
            errors["down_payment_unit"] = _("Choose yuan or percent.")
        down = _amount(form, "down_payment", errors, ZERO)
        term_raw = _text(form.get("term_months"))
        term = (
            int(term_raw) if term_raw.isascii() and term_raw.isdigit() and len(term_raw) < 4 else -1
        )
        rate = read_decimal(form.get("annual_rate_percent"))
        if rate is None:
            errors["annual_rate_percent"] = _("Enter the annual rate in percent, for example 3.99.")
            rate = ZERO
        loan = LoanTerms(
            term_months=term,
            annual_rate_percent=rate,
            down_payment=down,
            down_payment_in_percent=unit == "percent",
        )
    purchase_raw = form.get("purchase_date")
    purchase_date = local_today()
    if purchase_raw not in (None, ""):
        parsed = parse_date(purchase_raw)
        if parsed is None:
            errors["purchase_date"] = _("Enter a date.")
        else:
            purchase_date = parsed
    delivery_date = None
    delivery_raw = form.get("delivery_date")
    if delivery_raw not in (None, ""):
        delivery_date = parse_date(delivery_raw)
        if delivery_date is None:
            errors["delivery_date"] = _("Enter a date.")
        elif delivery_date < local_today():
            errors["delivery_date"] = _("The delivery date cannot be in the past.")
    delivery_accepted = bool(form.get("delivery_accepted"))
    if delivery_accepted and delivery_date is None and "delivery_date" not in errors:
        errors["delivery_date"] = _("Enter the delivery date the customer accepted.")
    fees = FeeTable(
        plate_fee=terms.plate_fee,
        inspection_fee=terms.inspection_fee,
        service_fee=terms.service_fee,
    )
    quote = Quote(
        list_price=list_price,
        purchase_date=purchase_date,
        fees=fees,
        discount=discount,
        new_energy=bool(sfx.new_energy) if sfx is not None else False,
        accessories=tuple(item for _i, item in accessories),
        compulsory_insurance=compulsory,
        commercial_insurance=commercial,
        one_stop_service=one_stop,
        trade_in_value=trade_in,
        deposit=deposit,
        loan=loan,
    )
    result = None
    if not errors.get("sfx_id"):
        try:
            result = compute_quote(quote)
        except ValidationError as exc:
            for field, message in exc.errors.items():
                errors.setdefault(_form_field(field, accessories), message)
    if errors or result is None:
        raise ValidationError(errors)
    if sfx is None:  # for the type checker: an error was raised above
        raise ValidationError({"sfx_id": _("Choose a model and SFX from the list.")})
    inputs = _inputs(quote, sfx, colour, payment == "loan")
    return Draft(quote, result, inputs, sfx, colour, delivery_date, delivery_accepted)


def _form_field(field: str, accessories: list[tuple[int, Accessory]]) -> str:
    """The form's field for a compute_quote error field."""
    if field.startswith("accessories-"):
        position = int(field.split("-")[1])
        return f"accessories-{accessories[position][0]}-price"
    if field in ("plate_fee", "inspection_fee", "service_fee"):
        # The store's fees are not on the form: a bad one is the admin's to fix.
        return "fees"
    if field == "list_price":
        return "sfx_id"
    return field


def _money(value: Decimal) -> str:
    return str(to_fen(value))


def _inputs(quote: Quote, sfx: Sfx, colour: Colour | None, loan: bool) -> dict[str, Any]:
    """What a version keeps: the quote as entered, the store's fees of the day and the
    vehicle's names, as JSON (amounts as strings of yuan to the fen)."""
    return {
        "sfx_id": sfx.id,
        "colour_id": colour.id if colour is not None else None,
        "vehicle": {
            "model_zh": sfx.model.name_zh,
            "model_en": sfx.model.name_en,
            "sfx_code": sfx.code,
            "grade": sfx.grade,
            "engine": sfx.engine,
            "colour_zh": colour.name_zh if colour is not None else "",
            "colour_en": colour.name_en if colour is not None else "",
        },
        "list_price": _money(quote.list_price),
        "new_energy": quote.new_energy,
        "purchase_date": quote.purchase_date.isoformat(),
        "discount": _money(quote.discount),
        "accessories": [
            {"name": a.name, "price": _money(a.price), "is_gift": a.is_gift}
            for a in quote.accessories
        ],
        "compulsory_insurance": _money(quote.compulsory_insurance),
        "commercial_insurance": _money(quote.commercial_insurance),
        "one_stop_service": quote.one_stop_service,
        "trade_in_value": _money(quote.trade_in_value),
        "deposit": _money(quote.deposit),
        "fees": {
            "plate_fee": _money(quote.fees.plate_fee),
            "inspection_fee": _money(quote.fees.inspection_fee),
            "service_fee": _money(quote.fees.service_fee),
        },
        "loan": (
            {
                "down_payment": str(quote.loan.down_payment),
                "down_payment_in_percent": quote.loan.down_payment_in_percent,
                "term_months": quote.loan.term_months,
                "annual_rate_percent": str(quote.loan.annual_rate_percent),
            }
            if loan and quote.loan is not None
            else None
        ),
    }


def quote_of(inputs: dict[str, Any]) -> Quote:
    """The quote a version's inputs hold."""
    loan = inputs.get("loan")
    fees = inputs["fees"]
    return Quote(
        list_price=Decimal(inputs["list_price"]),
        purchase_date=date.fromisoformat(inputs["purchase_date"]),
        fees=FeeTable(
            plate_fee=Decimal(fees["plate_fee"]),
            inspection_fee=Decimal(fees["inspection_fee"]),
            service_fee=Decimal(fees["service_fee"]),
        ),
        discount=Decimal(inputs["discount"]),
        new_energy=bool(inputs.get("new_energy")),
        accessories=tuple(
            Accessory(name=a["name"], price=Decimal(a["price"]), is_gift=bool(a["is_gift"]))
            for a in inputs.get("accessories") or []
        ),
        compulsory_insurance=Decimal(inputs["compulsory_insurance"]),
        commercial_insurance=Decimal(inputs["commercial_insurance"]),
        one_stop_service=bool(inputs.get("one_stop_service")),
        trade_in_value=Decimal(inputs["trade_in_value"]),
        deposit=Decimal(inputs["deposit"]),
        loan=(
            LoanTerms(
                term_months=int(loan["term_months"]),
                annual_rate_percent=Decimal(loan["annual_rate_percent"]),
                down_payment=Decimal(loan["down_payment"]),
                down_payment_in_percent=bool(loan["down_payment_in_percent"]),
            )
            if loan
            else None
        ),
    )
