"""The contract (新车订购单, 附表十一) from the confirmed memo to the delivered car: its states,
who may move it, the payments finance records, the car allocated from stock, the delays told
to the customer and the contact plan while the customer waits.

States: draft → submitted → approved or rejected (with a note; a rejected contract may be
submitted again) → signed (the customer's signature on screen) → deposit paid → vehicle
allocated → balance paid → delivered; or cancelled, with a reason, from any state before
delivery. `TRANSITIONS` lists every move; anything else is refused with a message naming the
state, and nothing changes. Every move writes a ContractEvent and an entry on the card's
timeline, in one transaction with the move.

Only the sales manager (or admin) approves and rejects; only finance records payments; the
owner or the manager does the rest. A contract signed is cancelled by the manager alone. The contact
plan of the wait (`contact_plan`) is planned and closed by these moves.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.blobs import BlobError, BlobRefused, claim_blob
from webapp.customers.card import record_event
from webapp.customers.models import Stage
from webapp.customers.services import apply_stage_change
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date, text_errors
from webapp.labels import label
from webapp.negotiation.contact_plan import (
    WAITING_STATES,
    add_contact,
    close_contacts,
    plan_contacts,
    plan_holiday_gifts,
)
from webapp.negotiation.contact_plan import due_contacts as due_contacts  # my day's, too
from webapp.negotiation.contract_models import (
    Approval,
    ContactKind,
    Contract,
    ContractContact,
    ContractEvent,
    ContractState,
    Memo,
    MemoVersion,
    Payment,
    PaymentKind,
    PaymentMethod,
)
from webapp.negotiation.memos import manager_ids, result_of
from webapp.negotiation.pricing import FEN, MAX_AMOUNT, ZERO
from webapp.org.models import Store
from webapp.push.services import notify
from webapp.stock import services as stock
from webapp.stock.models import Vehicle, VehicleStatus
from webapp.timeutil import local_today, now

S = ContractState
SALES_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
DECIDE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
PAYMENT_ROLES = (Role.FINANCE,)
VIEW_ROLES = (*SALES_ROLES, Role.FINANCE)
OPEN_STATES = tuple(s.value for s in S if s not in (S.DELIVERED, S.CANCELLED))
# A contract past signing: the customer's money is in, the manager alone cancels; the
# customer waits for the car (WAITING_STATES): delays and the contact plan apply.
BINDING_STATES = tuple(S(state) for state in WAITING_STATES)
NOTE_LIMIT = 200
MESSAGE_LIMIT = 300
BALANCE_REMINDER_DAYS = 2

# (from, to) → the action's code; the action's roles are checked by its function.
TRANSITIONS: dict[tuple[S, S], str] = {
    (S.DRAFT, S.SUBMITTED): "submit",
    (S.REJECTED, S.SUBMITTED): "submit",
    (S.SUBMITTED, S.APPROVED): "approve",
    (S.SUBMITTED, S.REJECTED): "reject",
    (S.APPROVED, S.SIGNED): "sign",
    (S.SIGNED, S.DEPOSIT_PAID): "pay_deposit",
    (S.DEPOSIT_PAID, S.ALLOCATED): "allocate",
    (S.ALLOCATED, S.BALANCE_PAID): "pay_balance",
    (S.BALANCE_PAID, S.DELIVERED): "deliver",
    **{(s, S.CANCELLED): "cancel" for s in S if s not in (S.DELIVERED, S.CANCELLED)},
}


def state_problem(contract: Contract, to: S) -> str | None:
    """Why the contract cannot move to `to` now, or None."""
    if (S(contract.state), to) in TRANSITIONS:
        return None
    return _(
        "This contract is %(state)s: it cannot become %(to)s.",
        state=label("contract_state", contract.state),
        to=label("contract_state", to.value),
    )


def _move(actor: User, contract: Contract, to: S, note: str = "") -> None:
    """Change the state, log it and put it on the card's timeline (no commit)."""
    problem = state_problem(contract, to)
    if problem:
        raise ValidationError({"state": problem})
    previous = contract.state
    contract.state = to.value
    db.session.add(
        ContractEvent(
            store_id=contract.store_id,
            contract=contract,
            kind="state",
            from_state=previous,
            to_state=to.value,
            note=note,
            actor_id=actor.id,
        )
    )
    record_event(
        contract.card,
        actor.id,
        "contract",
        note=note,
        data={"contract_id": contract.id, "number": contract.number, "from": previous, "to": to},
    )


def _note(value: Any, *, required: bool, field: str = "note", limit: int = NOTE_LIMIT) -> str:
    errors = text_errors({field: value})
    if errors:
        raise ValidationError(errors)
    text = (value or "").strip() if isinstance(value, str) else ""
    if required and not text:
        raise ValidationError({field: _("Write a note for the salesperson and the customer.")})
    if len(text) > limit:
        raise ValidationError({field: _("At most %(n)d characters.", n=limit)})
    return text


# --- Reading ---------------------------------------------------------------------------------


def get_contract(actor: User, contract_id: int, *, lock: bool = False) -> Contract:
    """A contract the actor may see (NotFound otherwise); `lock` takes its row for update."""
    require_role(actor, *VIEW_ROLES)
    if not lock:
        return get_scoped(Contract, contract_id, actor)
    stmt = scoped(sa.select(Contract).where(Contract.id == contract_id), Contract, actor)
    contract = db.session.scalars(
        stmt.with_for_update().execution_options(populate_existing=True)
    ).first()
    if contract is None:
        raise NotFound()
    return contract


def is_owner_or_manager(actor: User, contract: Contract) -> bool:
    return contract.owner_id == actor.id or actor.has_role(*DECIDE_ROLES)


def require_sales(actor: User, contract: Contract) -> None:
    """The contract's owner, or the store's manager or admin. Raises PermissionDenied."""
    require_role(actor, *SALES_ROLES)
    if not is_owner_or_manager(actor, contract):
        raise PermissionDenied()


# --- From memo to approval -------------------------------------------------------------------


def create_contract(actor: User, version_id: int, delivery_date: Any) -> Contract:
    """A draft contract from the customer's confirmed memo version, with the delivery date the
    customer accepted (not before the contract date). Commits."""
    require_role(actor, *SALES_ROLES)
    version = db.session.get(MemoVersion, version_id) if isinstance(version_id, int) else None
    if version is None:
        raise NotFound()
    memo = version.memo
    card = memo.card
    get_scoped(Memo, memo.id, actor)  # the actor's own memo, or their store's for a manager
    if version.confirmed_at is None or version.number != memo.latest_number:
        raise ValidationError(
            {"version": _("Make the contract from the latest version the customer confirmed.")}
        )
    if version.approval in (Approval.PENDING.value, Approval.REJECTED.value):
        raise ValidationError({"version": _("The discount waits for the manager's approval.")})
    if card.stage not in (Stage.PROSPECT.value, Stage.ORDERED.value):
        raise ValidationError({"version": _("This card is closed: reopen it first.")})
    if open_contract_ref(card.id) is not None:
        raise ValidationError({"version": _("This customer already has an open contract.")})
    today = local_today()
    day = delivery_date if isinstance(delivery_date, date) else parse_date(delivery_date)
    if day is None:
        raise ValidationError(
            {"delivery_date": _("Enter the delivery date the customer accepted.")}
        )
    if day < today:
        raise ValidationError(
            {"delivery_date": _("The delivery date cannot be before the contract date.")}
        )
    result = result_of(version)
    contract = Contract(
        number="",
        store_id=memo.store_id,
        card=card,
        card_id=card.id,
        owner_id=memo.owner_id,
        memo_version_id=version.id,
        model_id=version.sfx.model_id,
        sfx_id=version.sfx_id,
        colour_id=version.colour_id,
        state=S.DRAFT.value,
        contract_date=today,
        delivery_date=day,
        total=result.total,
        deposit_due=result.schedule.deposit,
        balance_due=result.schedule.balance_due,
        loan_principal=result.schedule.loan_principal,
    )
    db.session.add(contract)
    db.session.flush()
    contract.number = contract_number(contract)
    db.session.add(
        ContractEvent(
            store_id=contract.store_id, contract=contract, kind="state", to_state=S.DRAFT.value,
            actor_id=actor.id,
        )
    )  # fmt: skip
    record_event(
        card,
        actor.id,
        "contract",
        data={"contract_id": contract.id, "number": contract.number, "to": S.DRAFT.value},
    )
    db.session.commit()
    return contract


def contract_number(contract: Contract) -> str:
    """The order number printed on 附表十一: store code, contract date and the row's id."""
    store = db.session.get(Store, contract.store_id)
    code = store.code if store is not None else str(contract.store_id)
    return f"{code}-{contract.contract_date:%Y%m%d}-{contract.id:05d}"[:30]


def submit(actor: User, contract_id: int) -> Contract:
    """Send the contract to the sales manager: a push and an inbox notice each."""
    contract = get_contract(actor, contract_id, lock=True)
    require_sales(actor, contract)
    _move(actor, contract, S.SUBMITTED)
    notify(
        manager_ids(contract.store_id),
        store_id=contract.store_id,
        kind="approval",
        ref_id=contract.id,
        url=f"/negotiation/contracts/{contract.id}",
    )
    db.session.commit()
    return contract


def decide(actor: User, contract_id: int, approve: bool, note: Any) -> Contract:
    """The manager approves or rejects a submitted contract; a rejection needs a note."""
    require_role(actor, *DECIDE_ROLES)
    contract = get_contract(actor, contract_id, lock=True)
    text = _note(note, required=not approve)
    _move(actor, contract, S.APPROVED if approve else S.REJECTED, text)
    contract.decision_note = text
    contract.decided_by_id = actor.id
    contract.decided_at = now()
    notify(
        [contract.owner_id],
        store_id=contract.store_id,
        kind="contract_decided",
        ref_id=contract.id,
        url=f"/negotiation/contracts/{contract.id}",
    )
    db.session.commit()
    return contract


def sign(actor: User, contract_id: int, signature_sha256: str) -> Contract:
    """The customer signed the order on screen: the signature (an uploaded, sensitive blob
    of this store) becomes the contract's, the card moves to ordered, and the contact plan
    of the wait is made."""
    contract = get_contract(actor, contract_id, lock=True)
    require_sales(actor, contract)
    if problem := state_problem(contract, S.SIGNED):
        raise ValidationError({"state": problem})
    try:
        blob = claim_blob(
            signature_sha256 or "",
            store_id=contract.store_id,
            purpose="signature",
            user_id=actor.id,
        )
    except (BlobError, BlobRefused) as exc:
        db.session.rollback()
        raise ValidationError(
            {"signature": _("The signature could not be kept: sign again.")}
        ) from exc
    if blob is None:
        raise ValidationError({"signature": _("Ask the customer to sign in the box.")})
    contract.signature_sha256 = blob.sha256
    contract.signed_at = now()
    _move(actor, contract, S.SIGNED)
    card = contract.card
    if card.stage == Stage.PROSPECT.value:
        apply_stage_change(actor, card, Stage.ORDERED.value, "", None)
    plan_contacts(contract, local_today())
    db.session.commit()
    return contract


# --- Money -----------------------------------------------------------------------------------


def parse_amount(raw: Any, field: str = "amount") -> Decimal:
    """A positive amount in yuan, to the fen; ValidationError on `field` otherwise."""
    try:
        value = Decimal(str(raw).replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({field: _("Enter an amount in yuan, for example 150000.")}) from None
    if not value.is_finite() or value > MAX_AMOUNT:
        raise ValidationError({field: _("Enter an amount in yuan, for example 150000.")})
    if value <= 0:
        raise ValidationError({field: _("The amount must be more than 0.")})
    if value != value.quantize(FEN):
        raise ValidationError({field: _("Enter the amount to the fen: at most two decimals.")})
    return value


def cash_due(contract: Contract) -> Decimal:
    """What the customer pays the store in all: the total less the bank's loan."""
    return contract.total - contract.loan_principal


def outstanding(contract: Contract) -> Decimal:
    return max(cash_due(contract) - contract.paid_total, ZERO)


def record_payment(actor: User, contract_id: int, data: dict[str, Any]) -> Payment:
    """Finance records money received: the deposit of a signed contract (at least the deposit
    agreed), or the balance of an allocated one (part payments until it is covered). The
    contract moves on when its part is covered."""
    require_role(actor, *PAYMENT_ROLES)
    contract = get_contract(actor, contract_id, lock=True)
    kind = data.get("kind")
    errors: dict[str, str] = {}
    if kind not in (PaymentKind.DEPOSIT.value, PaymentKind.BALANCE.value):
        errors["kind"] = _("Choose deposit or balance.")
    elif problem := state_problem(
        contract, S.DEPOSIT_PAID if kind == PaymentKind.DEPOSIT.value else S.BALANCE_PAID
    ):
        # The state refuses this payment whatever the form says: nothing else to correct.
        db.session.rollback()
        raise ValidationError({"state": problem})
    method = data.get("method")
    if method not in tuple(m.value for m in PaymentMethod):
        errors["method"] = _("Choose how the customer paid.")
    reference = (
        (data.get("reference") or "").strip() if isinstance(data.get("reference"), str) else ""
    )
    if len(reference) > 50:
        errors["reference"] = _("At most %(n)d characters.", n=50)
    errors.update(text_errors({"reference": data.get("reference")}))
    received_on = parse_date(data.get("received_on")) if data.get("received_on") else local_today()
    if received_on is None or received_on > local_today():
        errors["received_on"] = _("Enter the day the money came in, not in the future.")
    elif received_on < contract.contract_date:
        errors["received_on"] = _("The money cannot come in before the contract date.")
    amount = ZERO
    try:
        amount = parse_amount(data.get("amount"))
    except ValidationError as exc:
        errors.update(exc.errors)
    # The amount against what is agreed and owed, shown with the other fields' errors.
    if "amount" not in errors and "kind" not in errors:
        if kind == PaymentKind.DEPOSIT.value and amount < contract.deposit_due:
            errors["amount"] = _(
                "The deposit agreed is %(amount)s yuan.", amount=f"{contract.deposit_due:,.2f}"
            )
        if "amount" not in errors and amount > outstanding(contract):
            errors["amount"] = _(
                "Only %(amount)s yuan is still due.", amount=f"{outstanding(contract):,.2f}"
            )
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    payment = Payment(
        store_id=contract.store_id,
        contract=contract,
        kind=kind,
        amount=amount,
        method=method,
        reference=reference,
        received_on=received_on,
        recorded_by_id=actor.id,
    )
    db.session.add(payment)
    contract.paid_total = contract.paid_total + amount
    if kind == PaymentKind.DEPOSIT.value:
        _move(actor, contract, S.DEPOSIT_PAID)
    elif outstanding(contract) == ZERO:
        _move(actor, contract, S.BALANCE_PAID)
        close_contacts(contract, ContactKind.BALANCE)
    db.session.commit()
    return payment


# --- The car ---------------------------------------------------------------------------------


def allocation_choices(actor: User, contract: Contract) -> list[Vehicle]:
    """Cars of the store that match the contract's SFX and colour and may be reserved."""
    stmt = scoped(
        sa.select(Vehicle)
        .where(
            Vehicle.sfx_id == contract.sfx_id,
            Vehicle.status.in_([s.value for s in stock.RESERVABLE]),
        )
        .order_by(
            sa.case(
                (Vehicle.status == VehicleStatus.IN_STOCK.value, 0),
                (Vehicle.status == VehicleStatus.PDS.value, 1),
                else_=2,
            ),
            Vehicle.arrived_on.is_(None),
            Vehicle.arrived_on,
            Vehicle.id,
        )
        .limit(50),
        Vehicle,
        actor,
    )
    if contract.colour_id is not None:
        stmt = stmt.where(Vehicle.colour_id == contract.colour_id)
    return list(db.session.scalars(stmt))


def allocate(actor: User, contract_id: int, vehicle_id: Any) -> Contract:
    """Reserve a car of the contract's SFX and colour for it (one car, one contract, under a
    row lock) and remind the salesperson to ask for the balance."""
    contract = get_contract(actor, contract_id, lock=True)
    require_sales(actor, contract)
    if problem := state_problem(contract, S.ALLOCATED):
        raise ValidationError({"state": problem})
    car_id = vehicle_id if isinstance(vehicle_id, int) else None
    if car_id is None and isinstance(vehicle_id, str) and vehicle_id.isdigit():
        car_id = int(vehicle_id)
    if car_id is None:
        raise ValidationError({"vehicle_id": _("Choose a car from the stock.")})
    try:
        vehicle = stock.lock_vehicle(actor, car_id)
        if vehicle.sfx_id != contract.sfx_id or (
            contract.colour_id is not None and vehicle.colour_id != contract.colour_id
        ):
            raise ValidationError(
                {"vehicle_id": _("This car's SFX or colour is not the contract's.")}
            )
        stock.hold_vehicle(actor, car_id, contract.id)
    except (ValidationError, NotFound):
        db.session.rollback()
        raise
    contract.vehicle_id = vehicle.id
    _move(actor, contract, S.ALLOCATED, vehicle.vin)
    add_contact(contract, ContactKind.BALANCE, local_today())
    notify(
        [contract.owner_id],
        store_id=contract.store_id,
        kind="balance_due",
        ref_id=contract.id,
        url=f"/negotiation/contracts/{contract.id}",
    )
    db.session.commit()
    return contract


def deliver(actor: User, contract_id: int) -> Contract:
    """The car is handed over: the contract is delivered, the car leaves the stock."""
    contract = get_contract(actor, contract_id, lock=True)
    hand_over(actor, contract)
    db.session.commit()
    return contract


def hand_over(actor: User, contract: Contract) -> None:
    """The move to delivered of a contract loaded with its lock, without committing: the
    delivery day's handover saves it with the card and the follow-up tasks in one commit.
    Raises PermissionDenied, ValidationError (e.g. the balance is not paid)."""
    require_sales(actor, contract)
    _move(actor, contract, S.DELIVERED)
    if contract.vehicle_id is not None:
        vehicle = stock.lock_vehicle(actor, contract.vehicle_id)
        vehicle.status = VehicleStatus.DELIVERED.value
    close_contacts(contract, *ContactKind)


def cancel(actor: User, contract_id: int, reason: Any) -> Contract:
    """Cancel with a reason; once signed only the manager may. The car goes back to stock."""
    contract = get_contract(actor, contract_id, lock=True)
    require_sales(actor, contract)
    if contract.state in {s.value for s in BINDING_STATES}:
        require_role(actor, *DECIDE_ROLES)
    text = _note(reason, required=True, field="reason")
    _move(actor, contract, S.CANCELLED, text)
    contract.cancel_reason = text
    if contract.vehicle_id is not None:
        vehicle = stock.lock_vehicle(actor, contract.vehicle_id)
        if vehicle.status == VehicleStatus.RESERVED.value and vehicle.contract_id == contract.id:
            stock.unhold_vehicle(vehicle)
        contract.vehicle_id = None
    close_contacts(contract, *ContactKind)
    db.session.commit()
    return contract


# --- Waiting for the car: delays and the contact plan --------------------------------------


def record_delay(actor: User, contract_id: int, new_date: Any, message: Any) -> Contract:
    """The delivery moves: the new date (not before the contract date) and the message sent
    to the customer are logged; the holiday gifts follow the new date."""
    contract = get_contract(actor, contract_id, lock=True)
    require_sales(actor, contract)
    if contract.state not in WAITING_STATES:
        raise ValidationError(
            {
                "state": _(
                    "This contract is %(state)s: only a signed contract waiting for its car "
                    "can be delayed.",
                    state=label("contract_state", contract.state),
                )
            }
        )
    day = new_date if isinstance(new_date, date) else parse_date(new_date)
    errors: dict[str, str] = {}
    if day is None:
        errors["delivery_date"] = _("Enter the new delivery date.")
    elif day < contract.contract_date:
        errors["delivery_date"] = _("The delivery date cannot be before the contract date.")
    try:
        text = _note(message, required=True, field="message", limit=MESSAGE_LIMIT)
    except ValidationError as exc:
        errors.update(exc.errors)
        text = ""
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    move_delivery_date(actor, contract, day, text)
    db.session.commit()
    return contract


def move_delivery_date(actor: User, contract: Contract, day: date, note: str = "") -> None:
    """Set the contract's delivery date, log the move on the contract and the card's timeline
    (with the message sent to the customer, if any) and let the holiday gifts follow it.
    Nothing when the date is already that day. Does not commit; the caller has checked the
    date and the actor."""
    previous = contract.delivery_date
    if previous == day:
        return
    contract.delivery_date = day
    db.session.add(
        ContractEvent(
            store_id=contract.store_id, contract=contract, kind="delay", note=note,
            from_state=f"{previous:%Y-%m-%d}" if previous else "", to_state=f"{day:%Y-%m-%d}",
            actor_id=actor.id,
        )
    )  # fmt: skip
    record_event(
        contract.card,
        actor.id,
        "contract_delay",
        note=note,
        data={"contract_id": contract.id, "from": str(previous or ""), "to": str(day)},
    )
    plan_holiday_gifts(contract, local_today())


_OPEN_REF = (
    sa.select(Contract.id, Contract.number)
    .where(Contract.card_id == sa.bindparam("card_id"), Contract.state.in_(OPEN_STATES))
    .limit(1)
)


def open_contract_ref(card_id: int) -> sa.Row | None:
    """The id and number of the card's open contract, for a link (the card is already in the
    reader's scope)."""
    return db.session.execute(_OPEN_REF, {"card_id": card_id}).first()


def complete_contact(actor: User, contact_id: int, note: Any) -> ContractContact:
    """Mark a planned contact done, with what was said. A balance reminder on a contract not
    yet paid schedules the next one."""
    require_role(actor, *SALES_ROLES)
    contact = get_scoped(ContractContact, contact_id, actor)
    if contact.owner_id != actor.id and not actor.has_role(*DECIDE_ROLES):
        raise PermissionDenied()
    if contact.done_at is not None:
        raise ValidationError({"note": _("This contact is already done.")})
    text = _note(note, required=False, limit=MESSAGE_LIMIT)
    contact.done_at = now()
    contact.note = text
    contract = contact.contract
    record_event(
        contract.card,
        actor.id,
        "contract_contact",
        note=text,
        data={"contract_id": contract.id, "kind": contact.kind},
    )
    if contact.kind == ContactKind.BALANCE.value and contract.state == S.ALLOCATED.value:
        add_contact(
            contract, ContactKind.BALANCE, local_today() + timedelta(days=BALANCE_REMINDER_DAYS)
        )
    db.session.commit()
    return contact


# Built once: a statement object that is reused keeps its cache key (see webapp.access).
_TIMELINE = (
    sa.select(ContractEvent)
    .where(ContractEvent.contract_id == sa.bindparam("contract_id"))
    .options(joinedload(ContractEvent.actor).load_only(User.display_name).lazyload("*"))
    .order_by(ContractEvent.id)
)


def timeline(contract: Contract) -> list[ContractEvent]:
    """The contract's log, oldest first, with who did each step."""
    return list(db.session.scalars(_TIMELINE, {"contract_id": contract.id}))
