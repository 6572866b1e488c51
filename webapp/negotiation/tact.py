"""The export of the store's contracts for the maker's dealer system, TACT (Toyota's "Total
Arranging and Cultivating" system): after signing the salesperson enters the contract there,
after delivery the "delivery complete" entry (交车完成输入). This app does not talk to TACT;
it only writes the CSV a person imports or copies from, one row per contract.

Two reports: the contracts signed in a date range (by contract date; a contract cancelled
after signing stays in, with its state), or the contracts delivered in a date range (by the
day of delivery, with the time "delivery complete" was recorded). UTF-8 with a byte order
mark, so Excel opens the Chinese; a cell that a spreadsheet would read as a formula gets a
leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date
from webapp.labels import label
from webapp.negotiation.contract_models import Contract, ContractEvent, ContractState
from webapp.org.models import Store
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today

S = ContractState
EXPORT_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
KINDS = ("signed", "delivered")
MAX_DAYS = 366
ROW_LIMIT = 10_000
COLUMNS = (
    "经销店代码",
    "合同号",
    "合同日期",
    "客户姓名",
    "手机号",
    "车型代码",
    "SFX代码",
    "颜色",
    "VIN",
    "成交价",
    "定金",
    "贷款金额",
    "预计交车日期",
    "合同状态",
    "交车日期",
    "交车完成时间",
    "销售顾问",
)
SIGNED_OR_LATER = (S.SIGNED, S.DEPOSIT_PAID, S.ALLOCATED, S.BALANCE_PAID, S.DELIVERED)
# A spreadsheet reads a cell starting with one of these as a formula (OWASP: CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Period:
    """Which report and which days, both ends included."""

    kind: str
    start: date
    end: date


def parse_period(args: Any) -> Period:
    """`kind`, `from` and `to` of the request; this month until today when no dates are
    given. ValidationError on the field at fault: a date that cannot be read, `from` after
    `to`, more than a year, an unknown kind."""
    errors: dict[str, str] = {}
    kind = args.get("kind") or "signed"
    if kind not in KINDS:
        errors["kind"] = _("Choose signed contracts or deliveries.")
    today = local_today()
    values: dict[str, date] = {}
    for field, default in (("from", today.replace(day=1)), ("to", today)):
        raw = (args.get(field) or "").strip()
        day = parse_date(raw) if raw else default
        if day is None:
            errors[field] = _("Enter the date like 2026-11-27.")
        else:
            values[field] = day
    if not errors:
        if values["from"] > values["to"]:
            errors["to"] = _("The end date cannot be before the start date.")
        elif (values["to"] - values["from"]).days >= MAX_DAYS:
            errors["to"] = _("At most one year at a time.")
    if errors:
        raise ValidationError(errors)
    return Period(kind=kind, start=values["from"], end=values["to"])


def require_export(actor: User) -> None:
    """PermissionDenied unless the actor is the sales manager or the admin."""
    require_role(actor, *EXPORT_ROLES)


def _delivered_on() -> Any:
    """contract id → when it was delivered (its last move to delivered)."""
    return (
        sa.select(
            ContractEvent.contract_id.label("contract_id"),
            sa.func.max(ContractEvent.at).label("at"),
        )
        .where(ContractEvent.to_state == S.DELIVERED.value, ContractEvent.kind == "state")
        .group_by(ContractEvent.contract_id)
        .subquery()
    )


def rows(actor: User, period: Period) -> list[tuple[Contract, datetime | None]]:
    """The contracts of the report with their delivery time, for the actor's own store.
    Raises PermissionDenied for roles other than the sales manager and the admin."""
    require_export(actor)
    delivered = _delivered_on()
    stmt = (
        sa.select(Contract, delivered.c.at)
        .outerjoin(delivered, delivered.c.contract_id == Contract.id)
        .where(Contract.store_id == actor.store_id)  # one dealer code per file
        .options(
            joinedload(Contract.card),
            joinedload(Contract.owner),
            joinedload(Contract.model),
            joinedload(Contract.sfx),
            joinedload(Contract.colour),
            joinedload(Contract.vehicle),
            joinedload(Contract.memo_version),
        )
        .order_by(Contract.contract_date, Contract.id)
        .limit(ROW_LIMIT)
    )
    if period.kind == "delivered":
        start, _end = local_day_bounds(period.start)
        _start, end = local_day_bounds(period.end)
        stmt = stmt.where(
            Contract.state == S.DELIVERED.value, delivered.c.at >= start, delivered.c.at < end
        )
    else:
        stmt = stmt.where(
            Contract.contract_date >= period.start,
            Contract.contract_date <= period.end,
            sa.or_(
                Contract.state.in_([s.value for s in SIGNED_OR_LATER]),
                sa.and_(Contract.state == S.CANCELLED.value, Contract.signed_at.is_not(None)),
            ),
        )
    return [(c, at) for c, at in db.session.execute(scoped(stmt, Contract, actor)).unique()]


def safe_cell(value: Any) -> str:
    """The cell's text, with a leading apostrophe when a spreadsheet would run it."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.astimezone(SHANGHAI).date()
    return value.isoformat()


def row_cells(store_code: str, contract: Contract, delivered_at: datetime | None) -> list[str]:
    """One contract as the columns of COLUMNS."""
    version = contract.memo_version
    delivered = delivered_at if contract.state == S.DELIVERED.value else None
    price = version.list_price - version.discount if version is not None else None
    cells = [
        store_code,
        contract.number,
        _day(contract.contract_date),
        contract.card.name,
        contract.card.mobile,
        contract.model.code if contract.model else "",
        contract.sfx.code if contract.sfx else "",
        contract.colour.name_zh if contract.colour else "",
        contract.vehicle.vin if contract.vehicle else "",
        _money(price),
        _money(contract.deposit_due),
        _money(contract.loan_principal),
        _day(contract.delivery_date),
        label("contract_state", contract.state),
        _day(delivered) if delivered else "",
        f"{delivered.astimezone(SHANGHAI):%H:%M}" if delivered else "",
        contract.owner.display_name if contract.owner else "",
    ]
    return [safe_cell(cell) for cell in cells]


def export_csv(actor: User, period: Period) -> bytes:
    """The report as CSV bytes: UTF-8 with a byte order mark, CRLF lines, the header first.
    The states are written in Chinese, like the header, whatever the user's language."""
    found = rows(actor, period)
    store = db.session.get(Store, actor.store_id)
    code = store.code if store is not None else ""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    with force_locale("zh_CN"):
        for contract, delivered_at in found:
            writer.writerow(row_cells(code, contract, delivered_at))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def filename(actor: User, period: Period) -> str:
    """tact-<store>-<kind>-<from>-<to>.csv, ASCII only."""
    store = db.session.get(Store, actor.store_id)
    code = "".join(ch for ch in (store.code if store else "") if ch.isascii() and ch.isalnum())
    return f"tact-{code or 'store'}-{period.kind}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.csv"
