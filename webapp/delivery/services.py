"""Step ⑦ 车辆交付, the day's rules: scheduling a contract's delivery, the salesperson's
preparation list (online ticks), the store's board, the VIP arrival notice, and the handover
that delivers the contract, makes the card a C card and plans the two follow-ups.

Every use case takes the acting user, checks role and scope through webapp.access, validates
everything before it writes, and commits once. Who does what:

- schedule and complete: the contract's salesperson or the sales manager (admin);
- the preparation list: the same, and the store's service advisor (the PDS);
- the board: salesperson, manager, service advisor and greeter see the whole store's board,
  which holds neither prices nor phone numbers (its query reads no money column);
- the arrival: the greeter, the salesperson or the manager.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User, UserRole
from webapp.blobs import find_blob
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard, Stage
from webapp.customers.services import apply_stage_change
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import (
    ChecklistKind,
    Delivery,
    DeliveryChecklist,
    DeliveryEntry,
    DeliveryPrep,
    DeliveryState,
)
from webapp.delivery.prep import latest_ticks, refresh_prep
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.followup.engine import plan_for
from webapp.inputs import parse_date, parse_id, text_errors
from webapp.labels import label
from webapp.negotiation import contracts
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.push.services import notify
from webapp.reception.services.roster import on_duty_ids
from webapp.timeutil import SHANGHAI, local_date_of, local_day_bounds, local_today, now
from webapp.transactions import commit_unique

S = ContractState
D = DeliveryState
SALES_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
MANAGERS = (Role.SALES_MANAGER, Role.ADMIN)
BOARD_ROLES = (*SALES_ROLES, Role.SERVICE_ADVISOR, Role.GREETER)
PAGE_ROLES = (*SALES_ROLES, Role.SERVICE_ADVISOR)
ARRIVE_ROLES = (*SALES_ROLES, Role.GREETER)
SCHEDULE_STATES = (S.SIGNED.value, S.DEPOSIT_PAID.value, S.ALLOCATED.value, S.BALANCE_PAID.value)
COMPANIONS_LIMIT = 100
BOARD_DAYS = 7
BOARD_URL = "/delivery/board"


# --- Reading ---------------------------------------------------------------------------------


def get_delivery(actor: User, delivery_id: int, *, lock: bool = False) -> Delivery:
    """A delivery the actor may open (the greeter uses the board, not the page): NotFound
    outside the actor's scope, PermissionDenied for other roles."""
    require_role(actor, *PAGE_ROLES)
    return _scoped_delivery(actor, delivery_id, lock=lock)


def _scoped_delivery(actor: User, delivery_id: int, *, lock: bool = False) -> Delivery:
    if not lock:
        return get_scoped(Delivery, delivery_id, actor)
    stmt = scoped(sa.select(Delivery).where(Delivery.id == delivery_id), Delivery, actor)
    found = db.session.scalars(
        stmt.with_for_update().execution_options(populate_existing=True)
    ).first()
    if found is None:
        raise NotFound()
    return found


def delivery_of_contract(actor: User, contract: Contract) -> Delivery | None:
    """The contract's delivery (the contract is already in the actor's scope)."""
    return db.session.scalar(sa.select(Delivery).where(Delivery.contract_id == contract.id))


def may_plan(actor: User, contract: Contract) -> bool:
    """Whether the actor may schedule or complete this contract's delivery."""
    return actor.has_role(*SALES_ROLES) and contracts.is_owner_or_manager(actor, contract)


def store_advisors(store_id: int) -> list[User]:
    """The store's active service advisors, by name."""
    stmt = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active, UserRole.role == Role.SERVICE_ADVISOR.value)
        .order_by(User.display_name, User.id)
    )
    return list(db.session.scalars(stmt).unique())


# --- Scheduling ------------------------------------------------------------------------------


def _parse_time(raw: Any) -> time | None:
    if not isinstance(raw, str):
        return None
    try:
        hours, minutes = raw.strip().split(":")[:2]
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _parse_local(raw: Any) -> datetime | None:
    """A datetime-local value ("2026-12-06T18:30") in the store's zone, as aware UTC."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=SHANGHAI)
    if not 1900 <= moment.year <= 2200:
        return None
    return moment


def schedule(
    actor: User,
    contract_id: int,
    when: dict[str, Any] | datetime,
    companions: Any = "",
    service_advisor_id: Any = None,
) -> Delivery:
    """Plan (or move) the delivery of a signed contract: `when` is {"day": "YYYY-MM-DD",
    "time": "HH:MM"} in the store's time (or an aware datetime); the contract's delivery
    date follows the day, logged like a delay. The contract's salesperson or the manager;
    errors next to the field, nothing saved. Commits."""
    contract = contracts.get_contract(actor, contract_id, lock=True)
    contracts.require_sales(actor, contract)
    if contract.state not in SCHEDULE_STATES:
        db.session.rollback()
        raise ValidationError(
            {
                "state": _(
                    "This contract is %(state)s: only a signed contract can have its "
                    "delivery scheduled.",
                    state=label("contract_state", contract.state),
                )
            }
        )
    errors: dict[str, str] = text_errors({"companions": companions})
    if isinstance(when, datetime):
        local = when.astimezone(SHANGHAI)
        day, at = local.date(), local.timetz().replace(tzinfo=None)
    else:
        day = parse_date(when.get("day")) if when.get("day") else None
        at = _parse_time(when.get("time"))
    moment: datetime | None = None
    if day is None:
        errors["day"] = _("Enter the delivery date.")
    elif day < contract.contract_date:
        errors["day"] = _("The delivery date cannot be before the contract date.")
    if at is None:
        errors["time"] = _("Enter the time, for example 10:30.")
    elif day is not None and "day" not in errors:
        moment = datetime.combine(day, at, tzinfo=SHANGHAI)
        if moment <= now():
            errors["time"] = _("This time has already passed.")
    text = companions.strip() if isinstance(companions, str) else ""
    if len(text) > COMPANIONS_LIMIT:
        errors["companions"] = _("At most %(n)d characters.", n=COMPANIONS_LIMIT)
    advisor_id: int | None = None
    if service_advisor_id not in (None, ""):
        advisor_id = parse_id(service_advisor_id)
        if advisor_id not in {u.id for u in store_advisors(contract.store_id)}:
            errors["service_advisor_id"] = _("Choose an active service advisor of this store.")
    delivery = db.session.scalar(
        sa.select(Delivery).where(Delivery.contract_id == contract.id).with_for_update()
    )
    if delivery is not None and delivery.state != D.PLANNED.value:
        errors["state"] = _(
            "This delivery is %(state)s: it cannot be moved.", state=_state(delivery)
        )
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    assert moment is not None
    if delivery is None:
        delivery = Delivery(
            store_id=contract.store_id,
            contract_id=contract.id,
            card_id=contract.card_id,
            owner_id=contract.owner_id,
        )
        db.session.add(delivery)
    delivery.scheduled_at = moment
    if delivery.id is None:
        db.session.flush()
        refresh_prep([delivery.id], _preparation_list())
    contracts.move_delivery_date(actor, contract, day)
    delivery.companions = text
    delivery.service_advisor_id = advisor_id
    commit_unique("state", _("Someone else scheduled this delivery meanwhile. Reload the page."))
    return delivery


def state_label(code: str) -> str:
    """The translated label of a delivery state (webapp/delivery/labels.py)."""
    return label("delivery_state", code)


def _state(delivery: Delivery) -> str:
    return state_label(delivery.state)


# --- The preparation list --------------------------------------------------------------------


@dataclass(frozen=True)
class PrepItem:
    key: str
    label_zh: str
    label_en: str
    part: str
    done: bool


@dataclass(frozen=True)
class PrepState:
    """The preparation list of one delivery: each item of the current version and its state."""

    items: list[PrepItem]
    done: int
    total: int

    @property
    def missing(self) -> list[PrepItem]:
        return [item for item in self.items if not item.done]

    @property
    def complete(self) -> bool:
        return self.done == self.total


def _preparation_list() -> DeliveryChecklist:
    return current_checklists()[ChecklistKind.PREPARATION.value]


def _prep_of(checklist: DeliveryChecklist, ticks: dict[str, bool]) -> PrepState:
    items = [
        PrepItem(
            key=item["key"],
            label_zh=item.get("label_zh", ""),
            label_en=item.get("label_en", ""),
            part=item.get("part", ""),
            done=ticks.get(item["key"], False),
        )
        for item in checklist.items
    ]
    return PrepState(items=items, done=sum(i.done for i in items), total=len(items))


def preparation_state(delivery: Delivery) -> PrepState:
    """The current preparation list with each item's latest tick."""
    return _prep_of(_preparation_list(), latest_ticks([delivery.id]).get(delivery.id, {}))


def tick(actor: User, delivery_id: int, item_key: Any, done: bool) -> DeliveryEntry:
    """Tick (or untick) an item of the preparation list: an insert-only entry against the
    current version; the latest entry of an item is its state. Commits."""
    delivery = get_delivery(actor, delivery_id, lock=True)
    if delivery.state in (D.COMPLETED.value, D.CANCELLED.value):
        db.session.rollback()
        raise ValidationError(
            {"item": _("This delivery is %(state)s: its list is closed.", state=_state(delivery))}
        )
    checklist = _preparation_list()
    if item_key not in {item["key"] for item in checklist.items}:
        db.session.rollback()
        raise ValidationError({"item": _("This item is not on the list: reload the page.")})
    entry = DeliveryEntry(
        store_id=delivery.store_id,
        delivery_id=delivery.id,
        kind=ChecklistKind.PREPARATION.value,
        checklist_id=checklist.id,
        item_key=item_key,
        done=bool(done),
        entry_uuid=str(uuid.uuid4()),
        recorded_by_id=actor.id,
        recorded_at=now(),
    )
    db.session.add(entry)
    refresh_prep([delivery.id], checklist)
    db.session.commit()
    return entry


# --- The board -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BoardRow:
    """One delivery on the board: no price, no phone."""

    id: int
    scheduled_at: datetime
    state: str
    model_zh: str
    model_en: str
    salesperson: str
    call_name: str  # 称谓: surname and Mr/Ms, as reception shows it
    done: int
    total: int


@dataclass(frozen=True)
class BoardDay:
    """One coming day on the board, folded: how many deliveries and how many are prepared."""

    day: date
    count: int
    ready: int


@dataclass
class Board:
    """Today's deliveries row by row; the coming days folded, each opened on demand
    (`board_day`): a busy store delivers a dozen cars a day."""

    day: date
    today: list[BoardRow] = field(default_factory=list)
    days: list[BoardDay] = field(default_factory=list)


def call_name(name: str, title: str) -> str:
    """称谓: the surname (a Chinese name's first character, or the first word) and 先生/女士."""
    name = (name or "").strip()
    surname = name.split()[0] if " " in name else name[:1]
    return f"{surname}{label('title', title)}" if title else surname


def _board_statement(scope: Any, shape: str) -> sa.Select:
    """The board's statement, built once per process and shape (access.scoped_statement):
    the deliveries between `start` and `end` with their preparation count (DeliveryPrep: a
    busy week holds a thousand ticks). Shape "rows" reads what a row shows, "summary" only
    the time and the counts. Its columns are named, so no money column is ever read."""
    window = (
        Delivery.scheduled_at >= sa.bindparam("start"),
        Delivery.scheduled_at < sa.bindparam("end"),
        Delivery.state != D.CANCELLED.value,
    )
    prepared = (
        sa.func.coalesce(DeliveryPrep.done, 0).label("done"),
        sa.func.coalesce(DeliveryPrep.item_count, 0).label("item_count"),
    )
    if shape == "summary":
        return scope(
            sa.select(Delivery.scheduled_at, *prepared)
            .outerjoin(DeliveryPrep, DeliveryPrep.delivery_id == Delivery.id)
            .where(*window)
        )
    return scope(
        sa.select(
            Delivery.id,
            Delivery.scheduled_at,
            Delivery.state,
            VehicleModel.name_zh,
            VehicleModel.name_en,
            User.display_name,
            CustomerCard.name,
            CustomerCard.title,
            *prepared,
        )
        .join(Contract, Contract.id == Delivery.contract_id)
        .join(VehicleModel, VehicleModel.id == Contract.model_id)
        .join(User, User.id == Delivery.owner_id)
        .join(CustomerCard, CustomerCard.id == Delivery.card_id)
        .outerjoin(DeliveryPrep, DeliveryPrep.delivery_id == Delivery.id)
        .where(*window)
    ).order_by(Delivery.scheduled_at, Delivery.id)


def _board_rows(actor: User, start: datetime, end: datetime, shape: str) -> sa.Result[Any]:
    stmt, params = scoped_statement(Delivery, actor, _board_statement, shape, store_only=True)
    return db.session.execute(stmt, {**params, "start": start, "end": end})


def _lines(actor: User, day: date) -> list[BoardRow]:
    start, end = local_day_bounds(day)
    return [
        BoardRow(
            id=row.id,
            scheduled_at=row.scheduled_at,
            state=row.state,
            model_zh=row.name_zh,
            model_en=row.name_en,
            salesperson=row.display_name,
            call_name=call_name(row.name, row.title),
            done=row.done,
            total=row.item_count,
        )
        for row in _board_rows(actor, start, end, "rows")
    ]


def board(actor: User, day: date | None = None) -> Board:
    """Today's deliveries of the store row by row, and each of the coming days' as a count
    of deliveries and of prepared ones. All four roles of the day see the whole store's
    board: it carries no price and no phone."""
    require_role(actor, *BOARD_ROLES)
    day = day or local_today()
    _start, today_end = local_day_bounds(day)
    _s, end = local_day_bounds(day + timedelta(days=BOARD_DAYS))
    result = Board(day=day, today=_lines(actor, day))
    counts: dict[date, list[int]] = {}
    for scheduled_at, done, total in _board_rows(actor, today_end, end, "summary"):
        count = counts.setdefault(local_date_of(scheduled_at), [0, 0])
        count[0] += 1
        count[1] += done == total
    result.days = [BoardDay(d, *count) for d, count in sorted(counts.items())]
    return result


def board_days(today: date | None = None) -> list[date]:
    """The days the board opens: today and the next BOARD_DAYS."""
    today = today or local_today()
    return [today + timedelta(days=n) for n in range(BOARD_DAYS + 1)]


def board_day(actor: User, day: date) -> list[BoardRow]:
    """One day of the board row by row: today or one of the next BOARD_DAYS days (NotFound
    for any other day)."""
    require_role(actor, *BOARD_ROLES)
    if day not in board_days():
        raise NotFound()
    return _lines(actor, day)


# --- The arrival -----------------------------------------------------------------------------


def mark_arrived(actor: User, delivery_id: int) -> Delivery:
    """The delivery VIP is at the door: the state, when and who, and a notice to everyone on
    duty (not the one who marked it). A second mark changes nothing. Commits."""
    require_role(actor, *ARRIVE_ROLES)
    delivery = _scoped_delivery(actor, delivery_id, lock=True)
    if delivery.state in (D.ARRIVED.value, D.COMPLETED.value):
        db.session.rollback()
        return delivery
    if delivery.state != D.PLANNED.value:
        db.session.rollback()
        raise ValidationError({"state": _("This delivery is %(state)s.", state=_state(delivery))})
    day = local_date_of(delivery.scheduled_at)
    if day > local_today():
        db.session.rollback()
        raise ValidationError(
            {"state": _("This delivery is planned for %(day)s: change its date first.", day=day)}
        )
    delivery.state = D.ARRIVED.value
    delivery.arrived_at = now()
    delivery.arrived_by_id = actor.id
    people = on_duty_ids(delivery.store_id, local_today()) | {delivery.owner_id}
    if delivery.service_advisor_id:
        people.add(delivery.service_advisor_id)
    people.discard(actor.id)
    notify(
        sorted(people),
        store_id=delivery.store_id,
        kind="vip_arrival",
        ref_id=delivery.id,
        url=BOARD_URL,
    )
    db.session.commit()
    return delivery


# --- The handover ----------------------------------------------------------------------------


AGREED_CALL_MAX_DAYS = 60


def _agreed_call(raw: Any) -> tuple[date | None, str | None]:
    """The call day agreed at the farewell (optional): a day after today, within
    AGREED_CALL_MAX_DAYS; (day, None) or (None, the error)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None, None
    day = raw if isinstance(raw, date) else parse_date(raw)
    today = local_today()
    if day is None:
        return None, _("Enter a date such as 2026-12-31.")
    if day <= today:
        return None, _("The agreed call must be after today.")
    if day > today + timedelta(days=AGREED_CALL_MAX_DAYS):
        return None, _("At most %(n)d days ahead.", n=AGREED_CALL_MAX_DAYS)
    return day, None


def _complete_errors(
    delivery: Delivery, contract: Contract, home_eta: Any, agreed_call_on: Any = None
) -> dict[str, str]:
    """What stops the handover now (the state, the balance, the card, the estimate home, the
    agreed call day)."""
    errors: dict[str, str] = {}
    _day, problem = _agreed_call(agreed_call_on)
    if problem:
        errors["agreed_call_on"] = problem
    if delivery.state == D.CANCELLED.value or contract.state == S.CANCELLED.value:
        errors["state"] = _("This contract is cancelled: there is no delivery.")
    elif contract.state != S.BALANCE_PAID.value:
        errors["state"] = _("The balance is not fully paid: the car cannot be handed over.")
    elif contract.card.stage not in (Stage.ORDERED.value, Stage.PROSPECT.value, Stage.OWNER.value):
        errors["state"] = _("This card is closed: reopen it first.")
    eta = home_eta if isinstance(home_eta, datetime) else _parse_local(home_eta)
    if eta is None:
        errors["home_eta"] = _("Enter when the customer should be home.")
    elif eta <= now():
        errors["home_eta"] = _("The estimated time home cannot be before now.")
    return errors


def check_complete(
    actor: User, delivery_id: int, home_eta: Any, agreed_call_on: Any = None
) -> None:
    """complete()'s checks before a photo is stored: ValidationError, nothing written."""
    require_role(actor, *SALES_ROLES)
    delivery = get_delivery(actor, delivery_id)
    contract = contracts.get_contract(actor, delivery.contract_id)
    contracts.require_sales(actor, contract)
    if delivery.state == D.COMPLETED.value:
        return
    errors = _complete_errors(delivery, contract, home_eta, agreed_call_on)
    if errors:
        raise ValidationError(errors)


def complete(
    actor: User,
    delivery_id: int,
    photo_sha256: Any = None,
    home_eta: Any = None,
    agreed_call_on: Any = None,
) -> Delivery:
    """The car is handed over: the contract is delivered and the car leaves the stock, the
    card becomes a C card, and the follow-ups its store's rules call for now are planned
    (webapp.followup.engine: the safe-arrival call at `home_eta`, a local datetime in the
    future, the thank-you, the call on `agreed_call_on`, a day after today, optional). Only
    on a contract whose balance is paid; errors next to the field, nothing saved. Commits."""
    require_role(actor, *SALES_ROLES)
    delivery = get_delivery(actor, delivery_id, lock=True)
    contract = contracts.get_contract(actor, delivery.contract_id, lock=True)
    if delivery.state == D.COMPLETED.value:
        db.session.rollback()
        return delivery
    errors = _complete_errors(delivery, contract, home_eta, agreed_call_on)
    photo = (photo_sha256 or "").strip().lower() if isinstance(photo_sha256, str) else ""
    if photo:
        blob = find_blob(photo)
        if blob is None or blob.store_id != delivery.store_id or blob.purpose != "photo":
            errors["photo"] = _("The photo could not be found: take it again.")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    eta = home_eta if isinstance(home_eta, datetime) else _parse_local(home_eta)
    assert eta is not None
    card = contract.card
    contracts.hand_over(actor, contract)
    if card.stage == Stage.PROSPECT.value:
        apply_stage_change(actor, card, Stage.ORDERED.value, "", None)
    if card.stage != Stage.OWNER.value:
        apply_stage_change(actor, card, Stage.OWNER.value, "", None)
    moment = now()
    delivery.state = D.COMPLETED.value
    delivery.completed_at = moment
    delivery.completed_by_id = actor.id
    delivery.photo_sha256 = photo or None
    delivery.home_eta = eta
    if delivery.arrived_at is None:
        delivery.arrived_at = moment
        delivery.arrived_by_id = actor.id
    delivery.agreed_call_on = _agreed_call(agreed_call_on)[0]
    plan_for(delivery.store_id, delivery_ids=[delivery.id])
    db.session.commit()
    return delivery


def _page_statement(scope: Any) -> sa.Select:
    """The delivery with what its page shows of it, in one statement built once per process
    (access.scoped_statement): building six joined loads cost more than running them."""
    contract_load = joinedload(Delivery.contract)
    return scope(sa.select(Delivery).where(Delivery.id == sa.bindparam("delivery_id"))).options(
        contract_load.joinedload(Contract.model),
        contract_load.joinedload(Contract.sfx),
        contract_load.joinedload(Contract.colour),
        joinedload(Delivery.owner).load_only(User.display_name).lazyload("*"),
        joinedload(Delivery.service_advisor).load_only(User.display_name).lazyload("*"),
        # The page shows the 称谓 and the handover checks the stage: not forty card columns.
        joinedload(Delivery.card)
        .load_only(CustomerCard.name, CustomerCard.title, CustomerCard.stage)
        .lazyload("*"),
    )


def page_data(actor: User, delivery_id: int) -> dict[str, Any]:
    """What the delivery page shows: the delivery with its contract, model and people, the
    preparation list, and what the actor may do."""
    require_role(actor, *PAGE_ROLES)
    stmt, params = scoped_statement(Delivery, actor, _page_statement)
    delivery = db.session.scalar(stmt, {**params, "delivery_id": delivery_id})
    if delivery is None:
        raise NotFound()
    contract = delivery.contract
    plan = may_plan(actor, contract)
    open_ = delivery.state in (D.PLANNED.value, D.ARRIVED.value)
    tick_ok = open_ and (
        actor.has_role(*MANAGERS, Role.SERVICE_ADVISOR) or delivery.owner_id == actor.id
    )
    return {
        "delivery": delivery,
        "contract": contract,
        "call_name": call_name(delivery.card.name, delivery.card.title),
        "prep": preparation_state(delivery),
        "can_tick": tick_ok,
        "can_arrive": delivery.state == D.PLANNED.value
        and local_date_of(delivery.scheduled_at) <= local_today()
        and actor.has_role(*ARRIVE_ROLES),
        "can_complete": plan and open_,
        "can_reschedule": plan and delivery.state == D.PLANNED.value,
        "balance_paid": contract.state == S.BALANCE_PAID.value,
        "show_money": actor.has_role(*SALES_ROLES),
    }
