"""What the contract pages (新车订购单, 附表十一) read: the scoped list with its counts per
state, the manager's approval queue, one contract with what the acting user may do to it now,
and the customer's signature, kept as an encrypted sensitive blob and shown only to the sales
roles after a recent password entry, every view logged.

The rules of the moves themselves are in negotiation.contracts.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased, joinedload

from webapp.access import require_role, scoped, scoped_statement
from webapp.auth.models import User
from webapp.blobs import BlobError, store_blob
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.negotiation import contracts
from webapp.negotiation.contract_models import Contract, ContractState, Memo, MemoVersion
from webapp.org.models import Store
from webapp.privacy.services import view_image
from webapp.sql import in_codes, inline_int

S = ContractState
# The happy path shown as the contract's progress line.
PROGRESS = (
    S.DRAFT,
    S.SUBMITTED,
    S.APPROVED,
    S.SIGNED,
    S.DEPOSIT_PAID,
    S.ALLOCATED,
    S.BALANCE_PAID,
    S.DELIVERED,
)
STATE_CODES = tuple(s.value for s in S)
COUNTED_STATES = contracts.OPEN_STATES  # the list's chips count these; the closed ones link
# A signature drawn on a tablet is a few dozen KB; the data URL is base64 (4/3 of the bytes).
SIGNATURE_PREFIX = "data:image/png;base64,"

# Who sees the store's contracts, and so the salesperson of each row.
STORE_WIDE = tuple(Contract.store_wide_roles)

OWNER = aliased(User, name="contract_owner")


@dataclass(frozen=True)
class ContractRow:
    """One line of the contract list or of the approval queue."""

    id: int
    number: str
    state: str
    customer: str
    title: str
    model_zh: str
    model_en: str
    sfx_code: str
    sfx_grade: str
    colour_zh: str | None
    colour_en: str | None
    total: Decimal
    delivery_date: date | None
    contract_date: date
    owner_name: str
    updated_at: datetime


@dataclass(frozen=True)
class RowPage:
    """One page of contract rows (`PAGE_SIZE` a page) and whether a next page exists."""

    rows: list[ContractRow]
    page: int
    has_more: bool


@dataclass(frozen=True)
class ContractList(RowPage):
    """A page of the list, with the count of each open state (all the actor sees)."""

    counts: dict[str, int]


def _name(column: Any, key: Any, label: str) -> Any:
    """A name read by a scalar subquery, not a join: PostgreSQL weighs the join orders of
    every joined table when it plans (seven tables took it 1.2 ms, four times as long as
    running the statement), while a subquery per row of a 26-row page costs microseconds."""
    table = column.class_
    return sa.select(column).where(table.id == key).scalar_subquery().label(label)


_COLUMNS = (
    Contract.id,
    Contract.number,
    Contract.state,
    CustomerCard.name.label("customer"),
    CustomerCard.title,
    _name(VehicleModel.name_zh, Contract.model_id, "model_zh"),
    _name(VehicleModel.name_en, Contract.model_id, "model_en"),
    _name(Sfx.code, Contract.sfx_id, "sfx_code"),
    _name(Sfx.grade, Contract.sfx_id, "sfx_grade"),
    _name(Colour.name_zh, Contract.colour_id, "colour_zh"),
    _name(Colour.name_en, Contract.colour_id, "colour_en"),
    Contract.total,
    Contract.delivery_date,
    Contract.contract_date,
    _name(OWNER.display_name, Contract.owner_id, "owner_name"),
    Contract.updated_at,
)


def _joined(page: sa.Select, order: tuple[Any, ...]) -> sa.Select:
    """The page of contract ids (chosen on the contract table alone) joined to the names."""
    return (
        sa.select(*_COLUMNS)
        .join(CustomerCard, CustomerCard.id == Contract.card_id)
        .where(Contract.id.in_(page.scalar_subquery()))
        .order_by(*order)
    )


# The page's bounds are written into the SQL when it runs (see webapp.sql.inline_int).
_LIMIT = inline_int("limit")
_OFFSET = inline_int("offset")
_NEWEST = (Contract.created_at.desc(), Contract.id.desc())
_OLDEST_WAITING = (Contract.updated_at, Contract.id)


def _list_statement(scope: Callable[[sa.Select], sa.Select], by_state: bool) -> sa.Select:
    page = scope(sa.select(Contract.id))
    if by_state:
        page = page.where(Contract.state == sa.bindparam("state"))
    page = page.order_by(*_NEWEST).limit(_LIMIT).offset(_OFFSET)
    return _joined(page, _NEWEST)


def _count_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    # Open states only: delivered and cancelled contracts pile up for years and their count
    # helps nobody at the table, while counting them would cost more every month.
    counted = scope(sa.select(Contract.state, sa.func.count()))
    return counted.where(in_codes(Contract.state, COUNTED_STATES)).group_by(Contract.state)


def _approval_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    # Waiting since the submission: a submitted contract changes only when it is decided.
    page = scope(sa.select(Contract.id).where(in_codes(Contract.state, (S.SUBMITTED.value,))))
    page = page.order_by(*_OLDEST_WAITING).limit(_LIMIT)
    return _joined(page.offset(_OFFSET), _OLDEST_WAITING)


def _rows(stmt: sa.Select, params: dict[str, Any]) -> list[ContractRow]:
    # Plain columns, no ORM entities: one round trip, no lazy loads.
    return [ContractRow(**row._mapping) for row in db.session.connection().execute(stmt, params)]


def _page(stmt: sa.Select, params: dict[str, Any], page: int) -> tuple[list[ContractRow], bool]:
    """Page `page` of the statement's rows, and whether another follows (one row more is read
    to know)."""
    size = int(current_app.config.get("PAGE_SIZE", 25))
    rows = _rows(stmt, {**params, "limit": size + 1, "offset": (page - 1) * size})
    return rows[:size], len(rows) > size


def list_contracts(actor: User, state: str = "", page: int = 1) -> ContractList:
    """The contracts the actor sees (a salesperson their own; the manager, admin and finance
    their store's), newest first, of one state or all, a page at a time, with the count of
    each open state. Raises PermissionDenied (greeter and other roles: contracts show prices)."""
    require_role(actor, *contracts.VIEW_ROLES)
    by_state = state in STATE_CODES
    stmt, scope = scoped_statement(Contract, actor, _list_statement, by_state)
    rows, has_more = _page(stmt, {**scope, "state": state} if by_state else scope, page)
    count_stmt, scope = scoped_statement(Contract, actor, _count_statement)
    counts = dict.fromkeys(COUNTED_STATES, 0)
    for code, n in db.session.connection().execute(count_stmt, scope):
        counts[code] = n
    return ContractList(rows, page, has_more, counts)


def approval_queue(actor: User, page: int = 1) -> RowPage:
    """The store's submitted contracts, oldest first, a page at a time. Manager and admin:
    PermissionDenied for the others."""
    require_role(actor, *contracts.DECIDE_ROLES)
    stmt, scope = scoped_statement(Contract, actor, _approval_statement)
    rows, has_more = _page(stmt, scope, page)
    return RowPage(rows, page, has_more)


# --- One contract ----------------------------------------------------------------------------


def _page_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    # The card's and the users' own eager loads (owner, store, model) are not needed here.
    # Of the card and the people, only what the page shows: the card alone has forty columns.
    return scope(sa.select(Contract).where(Contract.id == sa.bindparam("contract_id"))).options(
        joinedload(Contract.card).load_only(CustomerCard.name, CustomerCard.title).lazyload("*"),
        joinedload(Contract.model),
        joinedload(Contract.sfx),
        joinedload(Contract.colour),
        joinedload(Contract.vehicle),
        joinedload(Contract.owner).load_only(User.display_name).lazyload("*"),
        joinedload(Contract.decided_by).load_only(User.display_name).lazyload("*"),
    )


def contract_page(actor: User, contract_id: int) -> Contract:
    """A contract the actor may see, with its card, car and people loaded (the statement is
    built once per process: its seven joined loads cost more to build than to run).
    Raises PermissionDenied (roles without contracts), NotFound (not in scope)."""
    require_role(actor, *contracts.VIEW_ROLES)
    stmt, scope = scoped_statement(Contract, actor, _page_statement)
    contract = db.session.scalar(stmt, {**scope, "contract_id": contract_id})
    if contract is None:
        raise NotFound()
    return contract


@dataclass(frozen=True)
class Actions:
    """The moves the acting user may make on the contract now."""

    submit: bool = False
    decide: bool = False
    sign: bool = False
    cancel: bool = False

    @property
    def any(self) -> bool:
        return self.submit or self.decide or self.sign or self.cancel


def contract_for_signing(actor: User, contract_id: int) -> Contract:
    """The contract the actor may have signed: its owner, or the store's manager or admin.
    Raises PermissionDenied, NotFound."""
    contract = contract_page(actor, contract_id)
    require_role(actor, *contracts.SALES_ROLES)
    if not contracts.is_owner_or_manager(actor, contract):
        raise PermissionDenied()
    return contract


def check_decider(actor: User, contract_id: int) -> Contract:
    """The contract, when the actor is one who decides on contracts (PermissionDenied first,
    as contracts.decide does), in their scope (NotFound)."""
    require_role(actor, *contracts.DECIDE_ROLES)
    return contracts.get_contract(actor, contract_id)


def actions_for(actor: User, contract: Contract) -> Actions:
    """What the page offers, by the same rules contracts.py enforces."""
    if not actor.has_role(*contracts.SALES_ROLES):
        return Actions()
    mine = contracts.is_owner_or_manager(actor, contract)
    manager = actor.has_role(*contracts.DECIDE_ROLES)
    state = contract.state
    binding = state in {s.value for s in contracts.BINDING_STATES}
    return Actions(
        submit=mine and contracts.state_problem(contract, S.SUBMITTED) is None,
        decide=manager and state == S.SUBMITTED.value,
        sign=mine and state == S.APPROVED.value,
        cancel=mine
        and contracts.state_problem(contract, S.CANCELLED) is None
        and (manager or not binding),
    )


@dataclass(frozen=True)
class Step:
    code: str
    done: bool
    current: bool


def progress(contract: Contract) -> list[Step]:
    """The happy path with the steps reached and the one the contract stands at (a rejected
    contract stands at the submission, to be sent again; a cancelled one shows how far it
    came, with no current step)."""
    state = contract.state
    at = {
        S.REJECTED.value: S.SUBMITTED.value,
    }.get(state, state)
    codes = [s.value for s in PROGRESS]
    if at in codes:
        index = codes.index(at)
    else:  # cancelled: the last step reached before it
        reached = [e.from_state for e in contract.events if e.to_state == S.CANCELLED.value]
        index = codes.index(reached[-1]) if reached and reached[-1] in codes else -1
    return [
        Step(
            code,
            i < index or (i == index and state != S.REJECTED.value),
            i == index and state != S.CANCELLED.value,
        )
        for i, code in enumerate(codes)
    ]


def money(contract: Contract) -> dict[str, Decimal]:
    """The money lines of the page: what was agreed, what came in, what is still due."""
    return {
        "total": contract.total,
        "deposit_due": contract.deposit_due,
        "balance_due": contract.balance_due,
        "loan_principal": contract.loan_principal,
        "paid_total": contract.paid_total,
        "outstanding": contracts.outstanding(contract),
    }


def store_of(contract: Contract) -> Store:
    """The contract's store (its name heads the printed order)."""
    store = db.session.get(Store, contract.store_id)
    if store is None:
        raise NotFound()
    return store


# --- From a memo version -------------------------------------------------------------------


def version_for_contract(actor: User, version_id: int) -> MemoVersion:
    """The memo version a contract is made from, in the actor's scope (the salesperson's own
    memo, the store's for the manager). Raises PermissionDenied, NotFound."""
    require_role(actor, *contracts.SALES_ROLES)
    stmt = scoped(
        sa.select(MemoVersion).join(Memo, Memo.id == MemoVersion.memo_id), Memo, actor
    ).where(MemoVersion.id == version_id)
    version = db.session.scalar(
        stmt.options(
            joinedload(MemoVersion.memo).joinedload(Memo.card),
            joinedload(MemoVersion.sfx).joinedload(Sfx.model),
            joinedload(MemoVersion.colour),
        )
    )
    if version is None:
        raise NotFound()
    return version


# --- The signature ---------------------------------------------------------------------------


def _signature_bytes(data_url: Any) -> bytes:
    """The PNG bytes of a signature posted as a data URL."""
    if not isinstance(data_url, str) or not data_url.startswith(SIGNATURE_PREFIX):
        raise ValidationError({"signature": _("Ask the customer to sign in the box.")})
    encoded = data_url[len(SIGNATURE_PREFIX) :]
    limit = current_app.config["BLOB_MAX_BYTES"]
    if len(encoded) > limit * 4 // 3 + 4:
        raise ValidationError(
            {"signature": _("The file is too large (at most %(mb)d MB).", mb=limit // 2**20)}
        )
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            {"signature": _("The signature could not be kept: sign again.")}
        ) from None


def sign_with_image(actor: User, contract_id: int, data_url: Any) -> Contract:
    """The customer signed on screen: the PNG is checked, re-encoded and stored encrypted as a
    sensitive blob of the contract's store, then claimed by the contract (contracts.sign).
    The state is checked first, so a refused move stores nothing.
    Raises PermissionDenied, NotFound, ValidationError."""
    contract = contract_for_signing(actor, contract_id)
    if problem := contracts.state_problem(contract, S.SIGNED):
        raise ValidationError({"state": problem})
    data = _signature_bytes(data_url)
    try:
        blob = store_blob(data, "image/png", "signature", contract.store_id, actor)
    except BlobError as exc:
        db.session.rollback()
        raise ValidationError({"signature": exc.message}) from exc
    return contracts.sign(actor, contract_id, blob.sha256)


def may_see_signature(actor: User, contract: Contract) -> bool:
    """Whether the page may offer the signature image: the sales roles of the contract's scope
    (finance handles the money and does not need the customer's signature)."""
    return contract.signature_sha256 is not None and actor.has_role(*contracts.SALES_ROLES)


def signature_image(actor: User, contract_id: int) -> tuple[bytes, str]:
    """The decrypted signature image of a signed contract, logged as a view of sensitive data.
    Raises PermissionDenied (not a sales role), NotFound (out of scope, not signed, purged),
    ReauthRequired (no recent password entry)."""
    contract = contracts.get_contract(actor, contract_id)
    require_role(actor, *contracts.SALES_ROLES)
    if contract.signature_sha256 is None:
        raise NotFound()
    return view_image(actor, contract.store_id, "contract", contract.id, contract.signature_sha256)
