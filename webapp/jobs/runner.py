"""The scheduled notices of delivery day, one idempotent pass at a time (`flask jobs run`).

`run_due(at)` sends what is due at `at`:

- the day's digest ("delivery_today"), from DIGEST_AT store-local time, to everyone involved
  in a store's deliveries of the day: the salespeople owning them and the service advisors
  named on them, and everyone on duty (webapp.reception.services.roster.on_duty_ids: the
  salespeople on today's roster, or all of them when no roster is set, and the managers,
  greeters, service advisors, finance and car keepers);
- the preparation reminder ("delivery_prep"), from PREP_REMINDER_AT, for each of tomorrow's
  deliveries whose preparation list still has required "before" items unticked (the "day"
  items cannot be done the day before), to its owner and the store's sales managers;
- the follow-up task notices ("task_due"): each open task whose due time has come today, to
  its owner (once: a task falls due on one day; what stays open is the overdue digest's);
- once a day per store, from FOLLOWUP_AT (webapp.followup): the missing follow-up tasks are
  made by the store's rules, the tasks overdue by the store's setting are escalated to the
  sales managers ("task_escalated": one notice a manager and day, however many tasks), each
  salesperson with an H-grade card whose follow-up is overdue is told ("h_overdue"), and the
  managers get the digest of what is overdue ("overdue_digest"); from day N-3 to the month's
  end, each salesperson without next month's targets (附表一) is reminded ("targets_due"). A
  JobDay row, claimed in the store's transaction, makes this once per store and day;
- once a day per store, from the store's evening meeting hour (webapp.pdca.schedule, 17:30
  by default): each salesperson without a line on tomorrow's activity schedule (附表二) is
  reminded ("evening_due"), claimed by a JobDay row in the same way.

Exactly once per person, notice and (store-local) day, however many passes run at once: the
SentNotice row is inserted first (INSERT … ON CONFLICT DO NOTHING … RETURNING), and only the
people whose row was inserted by this pass are notified, in the same transaction. Each store
is committed apart, so a failure in one store does not lose the others; nothing is held in
memory between passes. Notices carry no personal data (see webapp.push.services.notify).
"""

from __future__ import annotations

import logging
import threading
import time as clock
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from webapp.auth.models import Role, User
from webapp.auth.services import staff_ids
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import ChecklistKind, Delivery, DeliveryEntry, DeliveryState
from webapp.extensions import db
from webapp.followup import engine, overdue
from webapp.followup.models import FollowUpTask
from webapp.followup.rules import store_rules, store_settings
from webapp.jobs.models import JobDay, SentNotice
from webapp.org.models import Store
from webapp.pdca import meetings
from webapp.pdca import plan as targets
from webapp.push.services import notify
from webapp.reception.services.roster import on_duty_ids
from webapp.timeutil import SHANGHAI, add_months, local_date_of, local_day_bounds, now

log = logging.getLogger(__name__)

DIGEST = "delivery_today"
PREP = "delivery_prep"
TASK = "task_due"
ESCALATED = "task_escalated"
H_OVERDUE = "h_overdue"
OVERDUE_DIGEST = "overdue_digest"
TARGETS_DUE = "targets_due"
EVENING_DUE = "evening_due"
KINDS = (DIGEST, PREP, TASK, ESCALATED, H_OVERDUE, OVERDUE_DIGEST, TARGETS_DUE, EVENING_DUE)
FOLLOWUP_JOB = "followup"

MY_DAY_URL = "/"
OVERDUE_URL = "/followup/overdue"
PLAN_URL = "/pdca/plan"
SCHEDULE_URL = "/pdca/schedule"

BOARD_URL = "/delivery/board"
OPEN_STATES = (DeliveryState.PLANNED.value, DeliveryState.ARRIVED.value)
# A closed store sends nothing.
ACTIVE_STORES = sa.select(Store.id).where(Store.active).scalar_subquery()


def delivery_url(delivery_id: int) -> str:
    """The delivery's page, where its preparation list is ticked."""
    return f"/delivery/{delivery_id}"


def card_url(card_id: int) -> str:
    """The customer's card, whose follow-up is due (its timeline holds the delivery)."""
    return f"/customers/{card_id}"


class Planned(NamedTuple):
    """An open delivery of the day, as the jobs need it."""

    id: int
    store_id: int
    owner_id: int
    service_advisor_id: int | None


@dataclass
class Report:
    """What one pass sent: notices per kind, and the stores that failed."""

    sent: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    failed_stores: list[int] = field(default_factory=list)
    tasks_made: int = 0
    escalated: int = 0

    @property
    def total(self) -> int:
        return sum(self.sent.values())

    def __str__(self) -> str:
        counts = ", ".join(f"{kind} {n}" for kind, n in self.sent.items())
        work = f"; tasks made {self.tasks_made}, escalated {self.escalated}"
        failed = f"; failed stores {self.failed_stores}" if self.failed_stores else ""
        return counts + work + failed


def local_clock(name: str, default: time) -> time:
    """A "HH:MM" setting as a time; a malformed one falls back to `default` (logged)."""
    raw = str(current_app.config.get(name) or default.strftime("%H:%M"))
    try:
        hour, minute = (int(part) for part in raw.strip().split(":"))
        return time(hour, minute)
    except ValueError:
        log.warning("jobs: %s=%r is not HH:MM; using %s", name, raw, default.strftime("%H:%M"))
        return default


# --- Exactly once ---------------------------------------------------------------------------


def claim(kind: str, user_ids: Iterable[int], day: date, ref: int = 0) -> list[int]:
    """Insert a SentNotice row per user unless one exists; the users whose row this call
    inserted, i.e. those to notify now. In the caller's transaction: a concurrent pass
    inserting the same rows waits for it on PostgreSQL and then inserts nothing."""
    ids = sorted(set(user_ids))  # one order in every pass: no deadlock between passes
    if not ids:
        return []
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    at = now()
    stmt = (
        insert(SentNotice)
        .values([{"kind": kind, "user_id": u, "day": day, "ref": ref, "sent_at": at} for u in ids])
        .on_conflict_do_nothing(index_elements=["kind", "user_id", "day", "ref"])
        .returning(SentNotice.user_id)
    )
    return sorted(db.session.execute(stmt).scalars())


def _send(
    sent: dict[str, int],
    store_id: int,
    kind: str,
    user_ids: Iterable[int],
    *,
    day: date,
    ref_id: int | None,
    url: str,
) -> None:
    """Claim and notify: one notice per user not yet notified of (kind, day, ref)."""
    won = claim(kind, user_ids, day, ref_id or 0)
    if won:
        notify(won, store_id=store_id, kind=kind, ref_id=ref_id, url=url)
        sent[kind] += len(won)


# --- Who --------------------------------------------------------------------------------------


def _active(user_ids: Iterable[int]) -> set[int]:
    ids = set(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(sa.select(User.id).where(User.id.in_(ids), User.active)))


def digest_recipients(store_id: int, day: date, deliveries: list[Planned]) -> set[int]:
    """Everyone involved in the store's deliveries of `day` (see the module's docstring)."""
    people = {d.owner_id for d in deliveries}
    people |= {d.service_advisor_id for d in deliveries if d.service_advisor_id}
    return _active(people) | on_duty_ids(store_id, day)


# --- What -------------------------------------------------------------------------------------


def _deliveries(store_ids: list[int] | None, day: date) -> dict[int, list[Planned]]:
    """The open deliveries scheduled on a store-local day, per store."""
    start, end = local_day_bounds(day)
    stmt = (
        sa.select(Delivery.id, Delivery.store_id, Delivery.owner_id, Delivery.service_advisor_id)
        .where(
            Delivery.scheduled_at >= start,
            Delivery.scheduled_at < end,
            Delivery.state.in_(OPEN_STATES),
            Delivery.store_id.in_(ACTIVE_STORES),
        )
        .order_by(Delivery.store_id, Delivery.id)
    )
    if store_ids is not None:
        stmt = stmt.where(Delivery.store_id.in_(store_ids))
    found: dict[int, list[Planned]] = {}
    for row in db.session.execute(stmt):
        found.setdefault(row.store_id, []).append(Planned(*row))
    return found


def _due_tasks(store_ids: list[int] | None, at: datetime) -> dict[int, list[tuple[int, int, int]]]:
    """(task id, owner id, card id) of the open tasks falling due today by `at`, per store."""
    start, _end = local_day_bounds(local_date_of(at))
    stmt = (
        sa.select(
            FollowUpTask.store_id, FollowUpTask.id, FollowUpTask.owner_id, FollowUpTask.card_id
        )
        .where(
            FollowUpTask.done_at.is_(None),
            FollowUpTask.due_at >= start,
            FollowUpTask.due_at <= at,
            FollowUpTask.store_id.in_(ACTIVE_STORES),
        )
        .order_by(FollowUpTask.store_id, FollowUpTask.id)
    )
    if store_ids is not None:
        stmt = stmt.where(FollowUpTask.store_id.in_(store_ids))
    found: dict[int, list[tuple[int, int, int]]] = {}
    for store_id, task_id, owner_id, card_id in db.session.execute(stmt):
        found.setdefault(store_id, []).append((task_id, owner_id, card_id))
    return found


def before_items() -> set[str]:
    """The keys of the required "before the day" items of the current preparation list."""
    checklist = current_checklists().get(ChecklistKind.PREPARATION.value)
    if checklist is None:
        return set()
    return {
        item["key"]
        for item in checklist.items
        if item.get("required", True) and item.get("part") == "before"
    }


def ticked(delivery_ids: list[int]) -> dict[int, set[str]]:
    """Delivery id → the preparation items whose latest entry is a tick."""
    if not delivery_ids:
        return {}
    stmt = (
        sa.select(DeliveryEntry.delivery_id, DeliveryEntry.item_key, DeliveryEntry.done)
        .where(
            DeliveryEntry.delivery_id.in_(delivery_ids),
            DeliveryEntry.kind == ChecklistKind.PREPARATION.value,
        )
        .order_by(DeliveryEntry.recorded_at, DeliveryEntry.id)
    )
    latest: dict[tuple[int, str], bool] = {}
    for delivery_id, key, done in db.session.execute(stmt):
        latest[(delivery_id, key)] = done
    result: dict[int, set[str]] = {d: set() for d in delivery_ids}
    for (delivery_id, key), done in latest.items():
        if done:
            result[delivery_id].add(key)
    return result


# --- One pass ---------------------------------------------------------------------------------


def _store_pass(
    store_id: int,
    day: date,
    today: list[Planned],
    tomorrow: list[Planned],
    tasks: list[tuple[int, int, int]],
    required: set[str],
    followup_at: datetime | None = None,
    evening: bool = False,
) -> tuple[dict[str, int], int, int]:
    """Everything due for one store, in the current transaction (not committed here);
    the notices sent per kind, the tasks made and the tasks escalated."""
    sent = dict.fromkeys(KINDS, 0)
    made = escalated = 0
    if followup_at is not None and claim_day(FOLLOWUP_JOB, store_id, day):
        made, escalated = _followup_day(sent, store_id, day, followup_at)
    if today:
        people = digest_recipients(store_id, day, today)
        _send(sent, store_id, DIGEST, people, day=day, ref_id=None, url=BOARD_URL)
    if tomorrow and required:
        done = ticked([d.id for d in tomorrow])
        late = [d for d in tomorrow if required - done[d.id]]
        managers = staff_ids(store_id, [Role.SALES_MANAGER.value]) if late else set()
        for delivery in late:
            people = _active({delivery.owner_id}) | managers
            url = delivery_url(delivery.id)
            _send(sent, store_id, PREP, people, day=day, ref_id=delivery.id, url=url)
    for task_id, owner_id, card_id in tasks:
        people = _active({owner_id})
        _send(sent, store_id, TASK, people, day=day, ref_id=task_id, url=card_url(card_id))
    if evening and claim_day(meetings.EVENING_JOB, store_id, day):
        missing = meetings.missing_schedules(store_id, day + timedelta(days=1))
        _send(sent, store_id, EVENING_DUE, missing, day=day, ref_id=None, url=SCHEDULE_URL)
    return sent, made, escalated


def claim_day(job: str, store_id: int, day: date) -> bool:
    """Whether this pass is the one doing `job` for the store on `day` (see JobDay)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(JobDay)
        .values(job=job, store_id=store_id, day=day, done_at=now())
        .on_conflict_do_nothing(index_elements=["job", "store_id", "day"])
        .returning(JobDay.store_id)
    )
    return db.session.execute(stmt).first() is not None


def _followup_day(sent: dict[str, int], store_id: int, day: date, at: datetime) -> tuple[int, int]:
    """The store's daily follow-up work (see the module's docstring); (made, escalated)."""
    made = engine.plan_store(store_id, store_rules([store_id])[store_id], day)
    days = store_settings([store_id])[store_id].escalate_after_days
    escalated = engine.escalate_store(store_id, days, at)
    managers = staff_ids(store_id, [Role.SALES_MANAGER.value])
    if escalated:  # one notice a manager for the day's escalations, not one per task
        _send(sent, store_id, ESCALATED, managers, day=day, ref_id=None, url=OVERDUE_URL)
    late = overdue.hot_overdue_owners(store_id, day)
    _send(sent, store_id, H_OVERDUE, _active(late), day=day, ref_id=None, url=MY_DAY_URL)
    if overdue.store_has_overdue(store_id, day):
        _send(sent, store_id, OVERDUE_DIGEST, managers, day=day, ref_id=None, url=OVERDUE_URL)
    month = add_months(day.replace(day=1), 1)
    if day >= targets.deadline(month):  # N-3 or later: next month's targets are due
        missing = targets.missing_targets(store_id, month)
        url = f"{PLAN_URL}?month={month:%Y-%m}"
        _send(sent, store_id, TARGETS_DUE, missing, day=day, ref_id=None, url=url)
    return made, len(escalated)


def run_due(at: datetime | None = None, store_ids: Iterable[int] | None = None) -> Report:
    """One pass: send what is due at `at` (UTC; now by default), store by store, each store
    committed apart. A store that fails is rolled back, logged and listed in the report; the
    next pass tries it again (its SentNotice rows and notices were rolled back together)."""
    at = at or now()
    if at.tzinfo is None:
        raise ValueError("run_due needs an aware datetime")
    stores = sorted(set(store_ids)) if store_ids is not None else None
    local = at.astimezone(SHANGHAI)
    day = local.date()
    digest_due = local.time() >= local_clock("DIGEST_AT", time(8))
    prep_due = local.time() >= local_clock("PREP_REMINDER_AT", time(17))

    followup_due = local.time() >= local_clock("FOLLOWUP_AT", time(7, 30))
    today = _deliveries(stores, day) if digest_due else {}
    tomorrow = _deliveries(stores, day + timedelta(days=1)) if prep_due else {}
    tasks = _due_tasks(stores, at)
    required = before_items() if tomorrow else set()
    db.session.commit()  # end the reading transaction: each store below gets its own

    daily = set(_followup_stores(stores, day)) if followup_due else set()
    evening = set(meetings.evening_due_stores(stores, at))
    report = Report()
    for store_id in sorted(set(today) | set(tomorrow) | set(tasks) | daily | evening):
        try:
            sent, made, escalated = _store_pass(
                store_id,
                day,
                today.get(store_id, []),
                tomorrow.get(store_id, []),
                tasks.get(store_id, []),
                required,
                at if store_id in daily else None,
                store_id in evening,
            )
            db.session.commit()
        except Exception:
            db.session.rollback()
            log.exception("jobs: store %s failed; the next pass tries again", store_id)
            report.failed_stores.append(store_id)
            continue
        for kind, n in sent.items():
            report.sent[kind] += n
        report.tasks_made += made
        report.escalated += escalated
    return report


def _followup_stores(store_ids: list[int] | None, day: date) -> list[int]:
    """The active stores whose daily follow-up work is not done yet on `day`."""
    done = sa.select(JobDay.store_id).where(JobDay.job == FOLLOWUP_JOB, JobDay.day == day)
    stmt = sa.select(Store.id).where(Store.active, Store.id.not_in(done))
    if store_ids is not None:
        stmt = stmt.where(Store.id.in_(store_ids))
    return list(db.session.scalars(stmt))


def run_loop(every: float = 60.0, stop: threading.Event | None = None) -> int:
    """`flask jobs loop`: a pass every `every` seconds until `stop` is set; each pass's error
    is logged and the loop goes on. Returns how many passes ran."""
    stop = stop or threading.Event()
    passes = 0
    while not stop.is_set():
        started = clock.monotonic()
        try:
            report = run_due(now())
            if report.total or report.failed_stores:
                log.info("jobs: %s", report)
        except Exception:  # the database restarting: log, wait, go on
            db.session.rollback()
            log.exception("jobs: the pass failed; trying again")
        finally:
            db.session.remove()
        passes += 1
        stop.wait(max(0.0, every - (clock.monotonic() - started)))
    return passes
