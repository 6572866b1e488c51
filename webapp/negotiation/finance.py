"""What finance and the salesperson read while the customer waits for the car (step ⑥
履约与余款处理): finance's queue of contracts waiting for money, the finance panel of one
contract (payments, allocation, delay, planned contacts) with what the acting user may do, the
cars a contract may get, and the apology sent to the customer when the delivery moves.

The rules of the moves themselves are in negotiation.contracts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.extensions import db
from webapp.labels import label
from webapp.negotiation import contracts
from webapp.negotiation.contract_models import (
    Contract,
    ContractContact,
    ContractState,
    Payment,
    PaymentKind,
)
from webapp.stock.models import Vehicle
from webapp.timeutil import local_today

S = ContractState
# Who reads finance's queue; only finance records payments (contracts.PAYMENT_ROLES).
QUEUE_ROLES = (Role.FINANCE, Role.SALES_MANAGER, Role.ADMIN)
QUEUE_LIMIT = 200
# The state in which each payment is due.
DUE_KIND = {S.SIGNED.value: PaymentKind.DEPOSIT.value, S.ALLOCATED.value: PaymentKind.BALANCE.value}
DELAY_DEFAULT_DAYS = 7


def due_kind(contract: Contract) -> str | None:
    """The payment the contract waits for now (deposit or balance), or None."""
    return DUE_KIND.get(contract.state)


def amount_due(contract: Contract) -> Decimal:
    """What finance should receive now: the deposit agreed, or the balance still owed."""
    if contract.state == S.SIGNED.value:
        return min(contract.deposit_due, contracts.outstanding(contract))
    return contracts.outstanding(contract)


@dataclass(frozen=True)
class QueueRow:
    """One contract waiting for money: which payment and how much."""

    contract: Contract
    kind: str
    due: Decimal


def payment_queue(actor: User) -> list[QueueRow]:
    """The store's contracts waiting for a deposit (signed) or a balance (allocated), the
    oldest contract first. Raises PermissionDenied for roles other than finance, the sales
    manager and the admin."""
    require_role(actor, *QUEUE_ROLES)
    stmt = scoped(
        sa.select(Contract)
        .where(Contract.state.in_(list(DUE_KIND)))
        .options(
            joinedload(Contract.card),
            joinedload(Contract.owner),
            joinedload(Contract.model),
            joinedload(Contract.sfx),
            joinedload(Contract.colour),
            joinedload(Contract.vehicle),
        )
        .order_by(Contract.contract_date, Contract.id)
        .limit(QUEUE_LIMIT),
        Contract,
        actor,
    )
    return [
        QueueRow(contract=c, kind=DUE_KIND[c.state], due=amount_due(c))
        for c in db.session.scalars(stmt).unique()
    ]


@dataclass(frozen=True)
class FinancePanel:
    """The finance part of a contract page, and what the acting user may do there."""

    contract: Contract
    payments: list[Payment]
    contacts: list[ContractContact]
    due_kind: str | None
    amount_due: Decimal
    can_pay: bool
    can_allocate: bool
    can_delay: bool
    can_see_contacts: bool


# Built once: a statement object that is reused keeps its cache key (see webapp.access).
_PAYMENTS = (
    sa.select(Payment)
    .where(Payment.contract_id == sa.bindparam("contract_id"))
    .options(joinedload(Payment.recorded_by).load_only(User.display_name).lazyload("*"))
    .order_by(Payment.received_on, Payment.id)
)
_CONTACTS = (
    sa.select(ContractContact)
    .where(ContractContact.contract_id == sa.bindparam("contract_id"))
    .order_by(ContractContact.due_on, ContractContact.id)
)


def panel(actor: User, contract: Contract) -> FinancePanel:
    """The panel of a contract the actor has already been allowed to see."""
    sales = actor.has_role(*contracts.SALES_ROLES) and contracts.is_owner_or_manager(
        actor, contract
    )
    payments = list(db.session.scalars(_PAYMENTS, {"contract_id": contract.id}))
    contacts: list[ContractContact] = []
    if sales:
        contacts = list(db.session.scalars(_CONTACTS, {"contract_id": contract.id}))
    kind = due_kind(contract)
    return FinancePanel(
        contract=contract,
        payments=payments,
        contacts=contacts,
        due_kind=kind,
        amount_due=amount_due(contract) if kind else Decimal(0),
        can_pay=kind is not None and actor.has_role(*contracts.PAYMENT_ROLES),
        can_allocate=sales and contract.state == S.DEPOSIT_PAID.value,
        can_delay=sales and contract.state in contracts.WAITING_STATES,
        can_see_contacts=sales,
    )


def contract_for_allocation(actor: User, contract_id: int) -> tuple[Contract, list[Vehicle]]:
    """The contract (its owner or the manager) and the cars it may get. Raises NotFound,
    PermissionDenied."""
    contract = contracts.get_contract(actor, contract_id)
    contracts.require_sales(actor, contract)
    return contract, contracts.allocation_choices(actor, contract)


def allocation_problem(contract: Contract) -> str | None:
    """Why the contract cannot get a car now (its state), or None."""
    return contracts.state_problem(contract, S.ALLOCATED)


def delay_problem(contract: Contract) -> str | None:
    """Why the contract's delivery cannot be delayed now (its state), or None."""
    if contract.state in contracts.WAITING_STATES:
        return None
    return _(
        "This contract is %(state)s: only a signed contract waiting for its car can be delayed.",
        state=label("contract_state", contract.state),
    )


def contract_for_delay(actor: User, contract_id: int) -> Contract:
    """The contract its owner or the manager may delay. Raises NotFound, PermissionDenied."""
    contract = contracts.get_contract(actor, contract_id)
    contracts.require_sales(actor, contract)
    return contract


def default_delay_date(contract: Contract) -> date:
    """The date the form suggests: a week after the current one (or after today)."""
    base = max(contract.delivery_date or local_today(), local_today())
    return base + timedelta(days=DELAY_DEFAULT_DAYS)


def delay_message(contract: Contract, new_date: date, salesperson: User) -> str:
    """A polite apology to the customer, always in Chinese (the customer's language whatever
    the screen's): the car, the old and the new date, what the store does meanwhile."""
    card = contract.card
    old = contract.delivery_date
    with force_locale("zh_CN"):
        return _(
            "Dear %(name)s, we are very sorry: the delivery of your %(model)s moves from "
            "%(old)s to %(new)s. We apologise for the inconvenience, will keep you informed "
            "of how the car is being prepared, and will gladly answer any question. "
            "%(salesperson)s, your sales consultant",
            name=card.name + (label("title", card.title) if card.title else ""),
            model=contract.model.name_zh if contract.model else "",
            old=_chinese_date(old) if old else "—",
            new=_chinese_date(new_date),
            salesperson=salesperson.display_name,
        )


def _chinese_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
