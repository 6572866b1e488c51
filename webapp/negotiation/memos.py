"""The negotiation memo (附表十 商谈memo) of a card, in numbered versions.

Every save makes a new MemoVersion; none is changed afterwards but for the sales manager's
word on its discount and the customer's confirmation. A version's `inputs` hold the quote as
entered, with the store's fees and the vehicle's names as they were, so the memo prints the
same for ever: `result_of` recomputes its lines from them with `pricing.compute_quote`.

A discount above the store's threshold, and above any discount already approved on the memo,
waits for the sales manager (each manager of the store gets an inbox notice); the customer
confirms only the latest version, and only once its discount is settled.

The salesperson works on their own cards' memos, the manager and the admin on the store's;
the greeter, finance and the other roles get PermissionDenied, another store's memo NotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import Colour, Sfx
from webapp.customers.models import CustomerCard
from webapp.customers.services import get_card
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date, parse_id, text_problem
from webapp.negotiation.contract_models import Approval, Memo, MemoVersion, SalesTerms
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
from webapp.negotiation.terms import read_decimal, terms_for
from webapp.org.models import Store
from webapp.push.services import notify
from webapp.stock.models import Vehicle, VehicleStatus
from webapp.timeutil import local_today, now
from webapp.transactions import commit_unique

MEMO_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
DECIDE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
MAX_ACCESSORIES = 20
ACCESSORY_NAME_LIMIT = 50
QUESTIONS_LIMIT = 500
PENDING_LIMIT = 100
NOTE_LIMIT = 200
PAYMENTS = ("cash", "loan")
DOWN_PAYMENT_UNITS = ("yuan", "percent")
# The question the memo asks the customer before they confirm it.
CONFIRM_QUESTION = _l("Do you have any questions about this quotation?")

# The memo's lines (pricing.QuoteResult.lines codes) as printed.
LINE_LABELS: dict[str, Any] = {
    "vehicle_price": _l("Vehicle price"),
    "accessories": _l("Accessories (精品)"),
    "compulsory_insurance": _l("Compulsory insurance (交强险)"),
    "commercial_insurance": _l("Commercial insurance"),
    "purchase_tax": _l("Purchase tax (购置税)"),
    "plate_fee": _l("Plate fee"),
    "inspection_fee": _l("Inspection fee"),
    "service_fee": _l("One-stop service fee"),
    "trade_in": _l("Trade-in value"),
}
APPROVAL_LABELS: dict[str, Any] = {
    Approval.NOT_NEEDED.value: _l("No approval needed"),
    Approval.PENDING.value: _l("Waiting for the manager"),
    Approval.APPROVED.value: _l("Discount approved"),
    Approval.REJECTED.value: _l("Discount rejected"),
}


# --- Reading ---------------------------------------------------------------------------------


def memo_for_card(actor: User, card_id: int) -> tuple[CustomerCard, Memo | None]:
    """The card and its memo (None before the first save), for the card's salesperson, the
    store's manager and admin. Raises PermissionDenied (other roles), NotFound."""
    require_role(actor, *MEMO_ROLES)
    card = get_card(actor, card_id)
    memo = db.session.scalar(sa.select(Memo).where(Memo.card_id == card.id))
    return card, memo


def get_memo(actor: User, memo_id: int) -> Memo:
    """A memo the actor may see, with its card and versions. Raises PermissionDenied, NotFound."""
    require_role(actor, *MEMO_ROLES)
    return get_scoped(Memo, memo_id, actor, joinedload(Memo.card))


def get_version(actor: User, memo_id: int, number: int) -> tuple[Memo, MemoVersion]:
    """Version `number` of a memo the actor may see. Raises PermissionDenied, NotFound."""
    memo = get_memo(actor, memo_id)
    version = next((v for v in memo.versions if v.number == number), None)
    if version is None:
        raise NotFound()
    return memo, version


def _version_by_id(actor: User, version_id: int) -> MemoVersion:
    stmt = scoped(
        sa.select(MemoVersion).join(Memo, Memo.id == MemoVersion.memo_id), Memo, actor
    ).where(MemoVersion.id == version_id)
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound()
    return version


def store_of(memo: Memo) -> Store:
    """The store the memo belongs to (its name heads the customer's copy)."""
    store = db.session.get(Store, memo.store_id)
    if store is None:
        raise NotFound()
    return store


def latest_version(memo: Memo | None) -> MemoVersion | None:
    """The memo's newest version, or None."""
    return memo.versions[-1] if memo is not None and memo.versions else None


def version_url(memo_id: int, number: int) -> str:
    """The version's page (also outside a request, as in a command or a test)."""
    if has_request_context():
        return url_for("negotiation.memo_version", memo_id=memo_id, number=number)
    with current_app.test_request_context():
        return url_for("negotiation.memo_version", memo_id=memo_id, number=number)


def _pending_exists(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    waiting = scope(sa.select(MemoVersion.id).where(MemoVersion.approval == Approval.PENDING.value))
    return sa.select(sa.exists(waiting))


def pending_discount_approvals(actor: User) -> list[MemoVersion]:
    """The store's versions whose discount waits for the manager, oldest first (with the
    memo and card loaded). Manager and admin only: PermissionDenied for the others."""
    require_role(actor, *DECIDE_ROLES)
    # Most of the time nothing waits: a statement built once per process says so, and the
    # loading query (whose joined loads cost milliseconds to build) runs only when needed.
    exists, params = scoped_statement(MemoVersion, actor, _pending_exists)
    if not db.session.execute(exists, params).scalar():
        return []
    # Scoped by the version's own store column: (store_id, approval) is its index.
    stmt = scoped(
        sa.select(MemoVersion).where(MemoVersion.approval == Approval.PENDING.value),
        MemoVersion,
        actor,
    )
    stmt = (
        stmt.limit(PENDING_LIMIT)
        .options(
            joinedload(MemoVersion.memo).joinedload(Memo.card),
            joinedload(MemoVersion.sfx).joinedload(Sfx.model),
            joinedload(MemoVersion.created_by),
        )
        .order_by(MemoVersion.created_at, MemoVersion.id)
    )
    return list(db.session.scalars(stmt).unique())


# --- Stock next to the delivery date ---------------------------------------------------------


@dataclass(frozen=True)
class StockHint:
    """The store's cars of one SFX (and colour): how many in each status, and the earliest
    expected arrival of those still in transit."""

    counts: dict[str, int]
    earliest_arrival: date | None

    @property
    def available(self) -> int:
        """Cars not yet promised to anyone: in stock, in PDS or on the way."""
        return sum(
            self.counts.get(s.value, 0)
            for s in (VehicleStatus.IN_STOCK, VehicleStatus.PDS, VehicleStatus.IN_TRANSIT)
        )


def stock_for(actor: User, sfx_id: int | None, colour_id: int | None) -> StockHint:
    """The actor's store's cars matching the SFX (and the colour when given), by status, and
    the earliest arrival date in transit. Raises PermissionDenied for roles without memos."""
    require_role(actor, *MEMO_ROLES)
    counts = {s.value: 0 for s in VehicleStatus if s is not VehicleStatus.DELIVERED}
    if sfx_id is None:
        return StockHint(counts, None)
    where = [Vehicle.sfx_id == sfx_id, Vehicle.status != VehicleStatus.DELIVERED.value]
    if colour_id is not None:
        where.append(Vehicle.colour_id == colour_id)
    stmt = scoped(
        sa.select(Vehicle.status, sa.func.count(), sa.func.min(Vehicle.arrived_on))
        .select_from(Vehicle)
        .where(*where)
        .group_by(Vehicle.status),
        Vehicle,
        actor,
    )
    earliest = None
    for status, count, first_day in db.session.execute(stmt):
        counts[status] = count
        if status == VehicleStatus.IN_TRANSIT.value:
            earliest = first_day
    return StockHint(counts, earliest)


# --- The form --------------------------------------------------------------------------------


def sfx_choices() -> list[Sfx]:
    """Active SFX of active models, for the form's list."""
    from webapp.catalog.models import VehicleModel

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


def result_of(version: MemoVersion) -> QuoteResult:
    """The version's lines, totals and schedule, recomputed from what it keeps."""
    return compute_quote(quote_of(version.inputs))


def preview(actor: User, card_id: int, form: Any) -> tuple[QuoteResult | None, dict[str, str]]:
    """The quote the form would save (nothing is saved): the result, or the errors."""
    card, _memo = memo_for_card(actor, card_id)
    try:
        draft = read_form(card, terms_for(card.store_id), form)
    except ValidationError as exc:
        return None, exc.errors
    return draft.result, {}


# --- Saving ----------------------------------------------------------------------------------


def _largest_approved(memo: Memo | None) -> MemoVersion | None:
    if memo is None:
        return None
    approved = [v for v in memo.versions if v.approval == Approval.APPROVED.value]
    return max(approved, key=lambda v: (v.discount, v.number), default=None)


def _manager_ids(store_id: int) -> list[int]:
    stmt = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.store_id == store_id,
            User.active,
            UserRole.role == Role.SALES_MANAGER.value,
        )
        .order_by(User.id)
    )
    return list(dict.fromkeys(db.session.scalars(stmt)))


def save_version(actor: User, card_id: int, form: Any) -> MemoVersion:
    """Save the form as the next version of the card's memo (making the memo on the first
    save), in one commit. A discount above the store's threshold and above any discount
    approved on this memo waits for the manager: each sales manager of the store is notified.

    Raises PermissionDenied, NotFound, ValidationError (field → message; nothing saved)."""
    card, memo = memo_for_card(actor, card_id)
    terms = terms_for(card.store_id)
    draft = read_form(card, terms, form)
    discount = draft.quote.discount
    approval, decided = Approval.NOT_NEEDED, None
    if discount > terms.discount_threshold:
        approved = _largest_approved(memo)
        if approved is not None and discount <= approved.discount:
            approval, decided = Approval.APPROVED, approved
        else:
            approval = Approval.PENDING
    result = draft.result
    if memo is None:
        memo = Memo(
            store_id=card.store_id, card_id=card.id, owner_id=card.owner_id, latest_number=0
        )
        db.session.add(memo)
    number = memo.latest_number + 1
    memo.latest_number = number
    version = MemoVersion(
        store_id=card.store_id,
        number=number,
        sfx_id=draft.sfx.id,
        colour_id=draft.colour.id if draft.colour is not None else None,
        inputs=draft.inputs,
        list_price=result.list_price,
        discount=result.discount,
        total=result.total,
        delivery_date=draft.delivery_date,
        delivery_accepted=draft.delivery_accepted,
        approval=approval.value,
        approval_note=decided.approval_note if decided is not None else "",
        decided_by_id=decided.decided_by_id if decided is not None else None,
        decided_at=decided.decided_at if decided is not None else None,
        created_by_id=actor.id,
    )
    memo.versions.append(version)
    db.session.flush()
    if approval is Approval.PENDING:
        notify(
            _manager_ids(card.store_id),
            store_id=card.store_id,
            kind="discount_approval",
            ref_id=version.id,
            url=version_url(memo.id, number),
        )
    commit_unique("memo", _("Someone saved this memo at the same moment: save again."))
    return version


def decide_discount(actor: User, version_id: int, approve: bool, note: Any) -> MemoVersion:
    """The sales manager approves or rejects a version's discount (a rejection needs a note).

    Raises PermissionDenied (not a manager/admin), NotFound, ValidationError (not waiting,
    no note for a rejection, note too long)."""
    require_role(actor, *DECIDE_ROLES)
    version = _version_by_id(actor, version_id)
    text = note.strip() if isinstance(note, str) else ""
    errors: dict[str, str] = {}
    if version.approval != Approval.PENDING.value:
        errors["approval"] = _("This version is not waiting for a decision.")
    if isinstance(note, str) and (problem := text_problem(note)) is not None:
        errors["note"] = problem
    elif len(text) > NOTE_LIMIT:
        errors["note"] = _("At most %(n)d characters.", n=NOTE_LIMIT)
    elif not approve and not text:
        errors["note"] = _("Write why the discount is rejected.")
    if errors:
        raise ValidationError(errors)
    version.approval = (Approval.APPROVED if approve else Approval.REJECTED).value
    version.approval_note = text
    version.decided_by_id = actor.id
    version.decided_at = now()
    db.session.commit()
    return version


def confirm_version(actor: User, version_id: int, questions: Any) -> MemoVersion:
    """Record that the customer confirmed this version, with their questions if any. Only the
    latest version, once its discount is settled, and only once.

    Raises PermissionDenied, NotFound, ValidationError."""
    require_role(actor, *MEMO_ROLES)
    version = _version_by_id(actor, version_id)
    text = questions.strip() if isinstance(questions, str) else ""
    errors: dict[str, str] = {}
    if version.number != version.memo.latest_number:
        errors["confirm"] = _("Only the latest version can be confirmed.")
    elif version.approval == Approval.PENDING.value:
        errors["confirm"] = _("The discount waits for the manager's approval.")
    elif version.approval == Approval.REJECTED.value:
        errors["confirm"] = _("The manager rejected this discount: save a new version.")
    elif version.confirmed_at is not None:
        errors["confirm"] = _("The customer already confirmed this version.")
    if isinstance(questions, str) and (problem := text_problem(questions)) is not None:
        errors["questions"] = problem
    elif len(text) > QUESTIONS_LIMIT:
        errors["questions"] = _("At most %(n)d characters.", n=QUESTIONS_LIMIT)
    if errors:
        raise ValidationError(errors)
    version.customer_questions = text
    version.confirmed_at = now()
    db.session.commit()
    return version


def can_confirm(memo: Memo, version: MemoVersion) -> bool:
    """Whether the confirm button is offered for this version."""
    return (
        version.number == memo.latest_number
        and version.confirmed_at is None
        and version.approval in (Approval.NOT_NEEDED.value, Approval.APPROVED.value)
    )
