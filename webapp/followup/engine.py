"""The follow-up engine: the tasks the stores' rules call for, made once.

`plan_tasks(at)` reads the triggers (completed deliveries; for an owner recorded without a
delivery in the app, a C card from before it, the purchase date; first maintenances), applies
each store's rules (webapp.followup.rules) and inserts the tasks falling due within LEAD_DAYS that
do not exist yet: INSERT … ON CONFLICT (source, kind) DO NOTHING, so a rerun, or two runs at
once on PostgreSQL (the second waits on the first's uncommitted rows, then inserts nothing),
never makes a duplicate. Each store is one transaction.

When a task falls due:
- a rule on the delivery, the agreed call day or the first maintenance: at DUE_CLOCK on the
  store-local day `offset_days` after its trigger's day;
- a rule on the estimated arrival home: at that time (plus `offset_days`);
- a repeating rule (`repeat_days`): its n-th occurrence `repeat_days` after the one before;
  only the latest occurrence due by the horizon is made (a card that missed a quarter is
  not flooded with the quarters it missed).

A one-off task whose day passed more than GRACE_DAYS ago is not made any more (a store that
starts using the app, or a rule switched on, does not receive years of old calls). A rule
for the salesperson makes nothing for a card handed to service; a rule for the service
advisor needs the card's advisor.

`escalate_store` marks the tasks overdue by the store's setting for the managers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from webapp.auth.models import Role
from webapp.customers.models import CustomerCard, Stage
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
from webapp.followup.models import FollowUpTask, Trigger
from webapp.followup.rules import AGREED_CALL_DEFAULT_DAYS, Rule, store_rules
from webapp.org.models import Store
from webapp.sql import insert_rows
from webapp.timeutil import SHANGHAI, local_date_of, local_day_bounds, now

log = logging.getLogger(__name__)

LEAD_DAYS = 7
GRACE_DAYS = 30
DUE_CLOCK = time(9, 0)
CHUNK = 1000
KEY = ("source", "kind")  # a task's unique key


def due_moment(day: date) -> datetime:
    """A day-based task's due time: DUE_CLOCK on the store-local day, as UTC."""
    return datetime.combine(day, DUE_CLOCK, tzinfo=SHANGHAI).astimezone(UTC)


def delivery_source(delivery_id: int, occurrence: int | None = None) -> str:
    """The source of the tasks a delivery makes ("delivery:12", "delivery:12/3")."""
    base = f"delivery:{delivery_id}"
    return base if occurrence is None else f"{base}/{occurrence}"


def purchase_source(card_id: int, occurrence: int | None = None) -> str:
    """The source of the tasks of an owner recorded without a delivery (its purchase date)."""
    base = f"purchase:{card_id}"
    return base if occurrence is None else f"{base}/{occurrence}"


def maintenance_source(card_id: int, occurrence: int | None = None) -> str:
    """The source of the tasks the first maintenance of a card makes."""
    base = f"maintenance:{card_id}"
    return base if occurrence is None else f"{base}/{occurrence}"


@dataclass(frozen=True, slots=True)
class Subject:
    """One trigger's occurrence on a card: what the rules count from."""

    store_id: int
    card_id: int
    source: str  # without the occurrence
    kind: str  # the Trigger family: "delivery" or "first_maintenance"
    day: date  # the delivery's day, or the first maintenance's
    home_eta: datetime | None
    agreed_call_on: date | None
    salesperson_id: int
    service_advisor_id: int | None
    handed: bool


def occurrence(rule: Rule, subject: Subject, today: date) -> tuple[datetime, str] | None:
    """The task a rule calls for on a subject as of `today`: (due time, source), or None."""
    horizon = today + timedelta(days=LEAD_DAYS)
    if rule.trigger == Trigger.HOME_ETA:
        if subject.kind != Trigger.DELIVERY or subject.home_eta is None:
            return None
        due = subject.home_eta + timedelta(days=rule.offset_days)
        day = local_date_of(due)
    else:
        if rule.trigger == Trigger.FIRST_MAINTENANCE:
            if subject.kind != Trigger.FIRST_MAINTENANCE:
                return None
            base = subject.day
        elif subject.kind != Trigger.DELIVERY:
            return None
        elif rule.trigger == Trigger.AGREED_CALL:
            base = subject.agreed_call_on or subject.day + timedelta(days=AGREED_CALL_DEFAULT_DAYS)
        else:
            base = subject.day
        day = base + timedelta(days=rule.offset_days)
        due = due_moment(day)
    if day > horizon:
        return None
    if rule.repeat_days:
        n = (horizon - day).days // rule.repeat_days
        day = day + timedelta(days=n * rule.repeat_days)
        return due_moment(day), f"{subject.source}/{n + 1}"
    if day < today - timedelta(days=GRACE_DAYS):
        return None
    return due, subject.source


def owner_of(rule: Rule, subject: Subject) -> int | None:
    """Who does the rule's task on this card, or None when nobody should."""
    if rule.owner_role == Role.SERVICE_ADVISOR:
        return subject.service_advisor_id
    return None if subject.handed else subject.salesperson_id


def tasks_for(rules: list[Rule], subjects: Iterable[Subject], today: date) -> Iterator[dict]:
    """The rows of the tasks the rules call for (inserted unless they exist)."""
    active = [rule for rule in rules if rule.active]
    for subject in subjects:
        for rule in active:
            owner = owner_of(rule, subject)
            if owner is None:
                continue
            found = occurrence(rule, subject, today)
            if found is None:
                continue
            due, source = found
            yield {
                "store_id": subject.store_id,
                "card_id": subject.card_id,
                "owner_id": owner,
                "kind": rule.code,
                "due_at": due,
                "source": source,
                "message": rule.message,
            }


# --- Reading the triggers -------------------------------------------------------------------


def _read(stmt: sa.Select, store_id: int, kind: str, source: Any) -> Iterator[Subject]:
    """Subjects from a statement selecting (id, card_id, day, home_eta, agreed_call_on,
    owner_id, service_advisor_id, handed_to_service_at); `source(id)` names their tasks."""
    for row in db.session.execute(stmt):
        yield Subject(
            store_id=store_id,
            card_id=row.card_id,
            source=source(row.id),
            kind=kind,
            day=local_date_of(row.day) if isinstance(row.day, datetime) else row.day,
            home_eta=row.home_eta,
            agreed_call_on=row.agreed_call_on,
            salesperson_id=row.owner_id,
            service_advisor_id=row.service_advisor_id,
            handed=row.handed_to_service_at is not None,
        )


def _card_columns(card_id: Any, day: Any, *extra: Any) -> list[Any]:
    """The columns _read() needs, with the trigger's day (and the delivery's estimate home and
    agreed call day, when there is a delivery)."""
    none_at = sa.null().label("home_eta")
    none_on = sa.null().label("agreed_call_on")
    trigger = list(extra) if extra else [none_at, none_on]
    return [
        card_id.label("card_id"),
        day.label("day"),
        *trigger,
        CustomerCard.owner_id,
        CustomerCard.service_advisor_id,
        CustomerCard.handed_to_service_at,
    ]


def _delivery_subjects(
    store_id: int, delivery_ids: list[int] | None, card_ids: list[int] | None
) -> Iterator[Subject]:
    """The completed deliveries of the store's owners: their rules count from the day."""
    columns = _card_columns(
        Delivery.card_id, Delivery.completed_at, Delivery.home_eta, Delivery.agreed_call_on
    )
    stmt = (
        sa.select(Delivery.id, *columns)
        .join(CustomerCard, CustomerCard.id == Delivery.card_id)
        .where(
            Delivery.store_id == store_id,
            Delivery.state == DeliveryState.COMPLETED.value,
            Delivery.completed_at.is_not(None),
            CustomerCard.stage == Stage.OWNER.value,
        )
    )
    if delivery_ids is not None:
        stmt = stmt.where(Delivery.id.in_(delivery_ids))
    if card_ids is not None:
        stmt = stmt.where(Delivery.card_id.in_(card_ids))
    return _read(stmt, store_id, Trigger.DELIVERY, delivery_source)


def _purchase_subjects(store_id: int, card_ids: list[int] | None) -> Iterator[Subject]:
    """The owners recorded without a delivery in the app (a C card from before it, or moved to
    owner by hand): their rules count from the purchase date."""
    delivered = sa.select(Delivery.id).where(
        Delivery.card_id == CustomerCard.id, Delivery.state == DeliveryState.COMPLETED.value
    )
    stmt = sa.select(
        CustomerCard.id, *_card_columns(CustomerCard.id, CustomerCard.purchased_on)
    ).where(
        CustomerCard.store_id == store_id,
        CustomerCard.stage == Stage.OWNER.value,
        CustomerCard.purchased_on.is_not(None),
        ~delivered.exists(),
    )
    if card_ids is not None:
        stmt = stmt.where(CustomerCard.id.in_(card_ids))
    return _read(stmt, store_id, Trigger.DELIVERY, purchase_source)


def _maintenance_subjects(store_id: int, card_ids: list[int] | None) -> Iterator[Subject]:
    """The owners whose first maintenance handed them to service."""
    stmt = sa.select(
        CustomerCard.id, *_card_columns(CustomerCard.id, CustomerCard.first_maintenance_on)
    ).where(
        CustomerCard.store_id == store_id,
        CustomerCard.stage == Stage.OWNER.value,
        CustomerCard.first_maintenance_on.is_not(None),
        CustomerCard.service_advisor_id.is_not(None),
    )
    if card_ids is not None:
        stmt = stmt.where(CustomerCard.id.in_(card_ids))
    return _read(stmt, store_id, Trigger.FIRST_MAINTENANCE, maintenance_source)


def insert_missing(rows: list[dict[str, Any]]) -> int:
    """Insert the task rows that do not exist yet (by source and kind); how many were new.
    In the caller's transaction, CHUNK rows a statement (webapp.sql.insert_rows: on
    PostgreSQL the rows travel as one parameter, where a thousand-row VALUES list had eight
    thousand placeholders that psycopg converted one by one)."""
    if not rows:
        return 0
    created = now()
    # One order in every run: two runs at once wait on each other's rows, never deadlock.
    ordered = [
        {**row, "result": "", "created_at": created} for row in sorted(rows, key=itemgetter(*KEY))
    ]
    connection = db.session.connection()
    table = FollowUpTask.__table__
    made = 0
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        made += len(insert_rows(connection, table, chunk, True, skip_conflicts_on=KEY))
    return made


def _recent_keys(store_id: int, rules: list[Rule], today: date) -> set[tuple[str, str]]:
    """(source, kind) of the store's tasks due since the earliest day a task of this pass
    can fall due: what the pass need not insert again. (Only a shortcut: the unique key on
    source and kind is the guarantee.)"""
    back = max([GRACE_DAYS, *(rule.repeat_days or 0 for rule in rules)])
    since, _end = local_day_bounds(today - timedelta(days=back + 1))
    stmt = sa.select(FollowUpTask.source, FollowUpTask.kind).where(
        FollowUpTask.store_id == store_id, FollowUpTask.due_at >= since
    )
    return {(row.source, row.kind) for row in db.session.execute(stmt)}


def _active_stores(store_ids: Iterable[int] | None) -> list[int]:
    stmt = sa.select(Store.id).where(Store.active).order_by(Store.id)
    if store_ids is not None:
        stmt = stmt.where(Store.id.in_(list(store_ids)))
    return list(db.session.scalars(stmt))


def plan_store(
    store_id: int,
    rules: list[Rule],
    today: date,
    *,
    delivery_ids: list[int] | None = None,
    card_ids: list[int] | None = None,
) -> int:
    """Make one store's missing tasks (optionally only those of some deliveries or cards),
    in the caller's transaction; how many were made."""
    wants_maintenance = any(
        r.active and r.trigger == Trigger.FIRST_MAINTENANCE for r in rules
    ) and (delivery_ids is None)
    rows = list(tasks_for(rules, _delivery_subjects(store_id, delivery_ids, card_ids), today))
    if delivery_ids is None:
        rows += tasks_for(rules, _purchase_subjects(store_id, card_ids), today)
    if wants_maintenance:
        rows += tasks_for(rules, _maintenance_subjects(store_id, card_ids), today)
    if delivery_ids is None and card_ids is None and rows:
        known = _recent_keys(store_id, rules, today)
        rows = [row for row in rows if (row["source"], row["kind"]) not in known]
    return insert_missing(rows)


@dataclass
class Planned:
    """What a pass made: tasks per store, and the stores that failed (left to the next)."""

    made: dict[int, int]
    failed: list[int]

    @property
    def total(self) -> int:
        return sum(self.made.values())


def plan_tasks(at: datetime | None = None, store_ids: Iterable[int] | None = None) -> Planned:
    """The jobs' pass: every active store's missing tasks, each store committed apart (a
    store that fails is rolled back, logged and left to the next pass)."""
    today = local_date_of(at or now())
    stores = _active_stores(store_ids)
    rules = store_rules(stores)
    db.session.commit()
    out = Planned({}, [])
    for store_id in stores:
        try:
            out.made[store_id] = plan_store(store_id, rules[store_id], today)
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("follow-up: store %s failed; the next pass tries again", store_id)
            out.failed.append(store_id)
    return out


def plan_for(
    store_id: int, *, delivery_ids: list[int] | None = None, card_ids: list[int] | None = None
) -> int:
    """A use case's own tasks at once (a delivery completed, a first maintenance recorded),
    in the caller's transaction: the same rows the jobs would make, so they never double."""
    rules = store_rules([store_id])[store_id]
    return plan_store(
        store_id, rules, local_date_of(now()), delivery_ids=delivery_ids, card_ids=card_ids
    )


# --- Escalation -----------------------------------------------------------------------------


def escalate_store(store_id: int, days: int, at: datetime) -> list[int]:
    """Mark the store's open tasks overdue by `days` whole store-local days (after their due
    day) as escalated to the managers; the tasks this call escalated, in the caller's
    transaction."""
    # Overdue by `days` whole days: due before the start of (today - days + 1).
    cutoff, _end = local_day_bounds(local_date_of(at) - timedelta(days=days - 1))
    stmt = (
        sa.update(FollowUpTask)
        .where(
            FollowUpTask.store_id == store_id,
            FollowUpTask.done_at.is_(None),
            FollowUpTask.escalated_at.is_(None),
            FollowUpTask.due_at < cutoff,
        )
        .values(escalated_at=at)
        .returning(FollowUpTask.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(db.session.execute(stmt).scalars())
