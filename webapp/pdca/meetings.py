"""The daily meetings of step ① (集客活动 PDCA) around 附表二 (webapp.pdca.schedule).

At the evening meeting (夕会) the sales manager reviews every salesperson's schedule of the
next day, writes a comment on it, and marks the day's failed cases for discussion: a line
whose result is "not done", or a card whose follow-up was missed. The store sets the meeting's
hour; from it the daily jobs remind each salesperson whose next day is still empty. At the
morning meeting (早会) the manager reads out the plan of the day beside the duty roster
(排班表, webapp.reception) and the schedules.

The comment, the marks for discussion, the day's plan and the evening hour are the manager's;
a salesperson reads their own schedule of the morning and the comment on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.auth.services import staff_ids
from webapp.customers.models import CustomerCard, Stage
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id
from webapp.jobs.models import JobDay
from webapp.monthly import MANAGERS, is_manager, reach
from webapp.org.models import Store
from webapp.pdca.schedule import (
    NOTE_LIMIT,
    SCHEDULE_ROLES,
    Sheet,
    parse_clock,
    store_sheets,
    text_field,
)
from webapp.pdca.schedule_models import (
    DEFAULT_EVENING_AT,
    ActivitySchedule,
    MeetingCase,
    MeetingDay,
    MeetingSetting,
    ScheduleLine,
)
from webapp.reception.models import DutyRoster
from webapp.reception.services.roster import roster_for
from webapp.timeutil import SHANGHAI, local_today, now

COMMENT_LIMIT = 1000
PLAN_LIMIT = 1000
EVENING_JOB = "evening_meeting"


# --- The manager's review -------------------------------------------------------------------


@dataclass
class Review:
    """The evening meeting of `day` for the manager: each salesperson's schedule of the next
    day (to comment on), their failed lines of the day (to mark for discussion), their cards
    whose follow-up is overdue (to mark), the cards marked, and the store's evening hour."""

    day: date
    plans: list[Sheet]
    failed: dict[int, list[ScheduleLine]]
    open_results: dict[int, int]
    overdue: dict[int, list[tuple[int, str, date]]]
    cases: dict[int, list[MeetingCase]]
    evening_at: time

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)


def _day_lines(actor: User, day: date) -> list[ScheduleLine]:
    stmt = scoped(
        sa.select(ScheduleLine)
        .join(ActivitySchedule, ActivitySchedule.id == ScheduleLine.schedule_id)
        .where(ActivitySchedule.day == day, ActivitySchedule.store_id == actor.store_id)
        .order_by(ScheduleLine.at, ScheduleLine.id),
        ScheduleLine,
        actor,
    )
    return list(db.session.scalars(stmt))


def _cases(actor: User, day: date) -> list[MeetingCase]:
    stmt = scoped(
        sa.select(MeetingCase)
        .where(MeetingCase.day == day, MeetingCase.store_id == actor.store_id)
        .order_by(MeetingCase.id),
        MeetingCase,
        actor,
    )
    return list(db.session.scalars(stmt))


def review(actor: User, day: date) -> Review:
    """The manager's evening meeting of `day` (see Review). PermissionDenied for other roles."""
    require_role(actor, *MANAGERS)
    plans = store_sheets(actor, day + timedelta(days=1))
    ids = [s.owner_id for s in plans]
    failed: dict[int, list[ScheduleLine]] = {pid: [] for pid in ids}
    open_results: dict[int, int] = dict.fromkeys(ids, 0)
    for line in _day_lines(actor, day):
        if line.owner_id not in failed:
            continue
        if line.result == "not_done":
            failed[line.owner_id].append(line)
        elif not line.result:
            open_results[line.owner_id] += 1
    cases: dict[int, list[MeetingCase]] = {pid: [] for pid in ids}
    for case in _cases(actor, day):
        cases.setdefault(case.owner_id, []).append(case)
    marked = {c.card_id for rows in cases.values() for c in rows}
    overdue: dict[int, list[tuple[int, str, date]]] = {pid: [] for pid in ids}
    if ids:
        stmt = scoped(
            sa.select(
                CustomerCard.id,
                CustomerCard.owner_id,
                CustomerCard.name,
                CustomerCard.next_follow_up_due,
            )
            .where(
                CustomerCard.owner_id.in_(ids),
                CustomerCard.next_follow_up_due <= day,
                CustomerCard.stage != Stage.LOST.value,
            )
            .order_by(CustomerCard.next_follow_up_due, CustomerCard.name, CustomerCard.id),
            CustomerCard,
            actor,
        )
        for row in db.session.execute(stmt):
            if row.id not in marked and len(overdue[row.owner_id]) < 20:
                overdue[row.owner_id].append((row.id, row.name, row.next_follow_up_due))
    return Review(day, plans, failed, open_results, overdue, cases, evening_hour(actor.store_id))


def save_comment(
    actor: User, owner_id: int, day: date, data: Mapping[str, Any]
) -> ActivitySchedule:
    """The manager comments on a salesperson's schedule of `day` (made empty when there is
    none yet, so the comment reaches them). NotFound for a person out of reach;
    ValidationError for a comment too long. Commits."""
    require_role(actor, *MANAGERS)
    _people, [pid] = reach(actor, owner_id)
    errors: dict[str, str] = {}
    comment = text_field(data, "comment", COMMENT_LIMIT, errors)
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    stmt = sa.select(ActivitySchedule).where(
        ActivitySchedule.owner_id == pid, ActivitySchedule.day == day
    )
    schedule = db.session.scalar(stmt)
    if schedule is None:
        schedule = ActivitySchedule(store_id=actor.store_id, owner_id=pid, day=day)
        db.session.add(schedule)
    schedule.comment = comment
    schedule.commented_by_id = actor.id
    schedule.commented_at = now()
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # the salesperson's first line made the row meanwhile
        db.session.rollback()
        schedule = db.session.scalars(stmt).one()
        schedule.comment, schedule.commented_by_id, schedule.commented_at = comment, actor.id, now()
        db.session.commit()
    return schedule


def mark_line(actor: User, line_id: int, discuss: bool) -> ScheduleLine:
    """The manager marks a line whose result is "not done" for discussion (or unmarks it).
    NotFound out of the store; ValidationError for a line not failed. Commits."""
    require_role(actor, *MANAGERS)
    line = get_scoped(ScheduleLine, line_id, actor)
    if discuss and line.result != "not_done":
        db.session.rollback()
        raise ValidationError({"line": _("Only a line not done is discussed.")})
    line.discuss = discuss
    db.session.commit()
    return line


def mark_card(actor: User, day: date, data: Mapping[str, Any]) -> MeetingCase:
    """The manager marks a salesperson's card for discussion at the meeting of `day`, with a
    note. ValidationError (next to the card) for a card out of the store or not a
    salesperson's; nothing saved. Commits; marking a card twice keeps one mark."""
    require_role(actor, *MANAGERS)
    errors: dict[str, str] = {}
    card: CustomerCard | None = None
    card_id = parse_id(data.get("card_id"))
    if card_id is not None:
        card = db.session.scalar(
            scoped(sa.select(CustomerCard).where(CustomerCard.id == card_id), CustomerCard, actor)
        )
    if card is None or card.owner_id not in {pid for pid, _n in reach(actor, None)[0]}:
        errors["card_id"] = _("Pick a card of one of the store's salespeople.")
    note = text_field(data, "case_note", NOTE_LIMIT, errors)
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    assert card is not None
    existing = db.session.scalar(
        sa.select(MeetingCase).where(MeetingCase.day == day, MeetingCase.card_id == card.id)
    )
    if existing is not None:
        existing.note = note or existing.note
        db.session.commit()
        return existing
    case = MeetingCase(
        store_id=actor.store_id,
        owner_id=card.owner_id,
        day=day,
        card_id=card.id,
        note=note,
        created_by_id=actor.id,
    )
    db.session.add(case)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:  # marked at once from another tablet
        db.session.rollback()
        return db.session.scalars(
            sa.select(MeetingCase).where(MeetingCase.day == day, MeetingCase.card_id == card.id)
        ).one()
    return case


def unmark_card(actor: User, case_id: int) -> date:
    """The manager takes a card off the meeting's list. NotFound out of the store. Commits."""
    require_role(actor, *MANAGERS)
    case = get_scoped(MeetingCase, case_id, actor)
    day = case.day
    db.session.delete(case)
    db.session.commit()
    return day


# --- The store's evening hour and the reminder ----------------------------------------------


def evening_hour(store_id: int) -> time:
    """The store's evening meeting hour (DEFAULT_EVENING_AT without a setting)."""
    value = db.session.scalar(
        sa.select(MeetingSetting.evening_at).where(MeetingSetting.store_id == store_id)
    )
    return value or DEFAULT_EVENING_AT


def save_evening_hour(actor: User, data: Mapping[str, Any]) -> time:
    """The manager sets the store's evening meeting hour (`evening_at`, HH:MM, 12:00 to
    22:00). ValidationError next to the field. Commits."""
    require_role(actor, *MANAGERS)
    raw = data.get("evening_at")
    at = parse_clock(raw) if isinstance(raw, str) else None
    if at is None:
        raise ValidationError({"evening_at": _("Enter a time as HH:MM.")})
    if not time(12) <= at <= time(22):
        raise ValidationError({"evening_at": _("The evening meeting is between 12:00 and 22:00.")})
    setting = db.session.get(MeetingSetting, actor.store_id)
    if setting is None:
        setting = MeetingSetting(store_id=actor.store_id)
        db.session.add(setting)
    setting.evening_at = at
    setting.updated_by_id = actor.id
    db.session.commit()
    return at


def evening_due_stores(store_ids: list[int] | None, at: datetime) -> list[int]:
    """The active stores whose evening meeting hour has come on `at`'s showroom day and whose
    reminder has not been sent that day (for the daily jobs pass)."""
    local = at.astimezone(SHANGHAI)
    done = sa.select(JobDay.store_id).where(JobDay.job == EVENING_JOB, JobDay.day == local.date())
    hour = sa.select(MeetingSetting.evening_at).where(MeetingSetting.store_id == Store.id)
    stmt = sa.select(Store.id, hour.scalar_subquery()).where(Store.active, Store.id.not_in(done))
    if store_ids is not None:
        stmt = stmt.where(Store.id.in_(store_ids))
    now_clock = local.time()
    return sorted(
        store_id
        for store_id, evening_at in db.session.execute(stmt)
        if now_clock >= (evening_at or DEFAULT_EVENING_AT)
    )


def missing_schedules(store_id: int, day: date) -> list[int]:
    """The store's active salespeople without a line on `day` (for the evening reminder)."""
    ids = staff_ids(store_id, [Role.SALESPERSON.value])
    if not ids:
        return []
    have = set(
        db.session.scalars(
            sa.select(ActivitySchedule.owner_id)
            .join(ScheduleLine, ScheduleLine.schedule_id == ActivitySchedule.id)
            .where(ActivitySchedule.store_id == store_id, ActivitySchedule.day == day)
        )
    )
    return sorted(pid for pid in ids if pid not in have)


# --- The morning meeting --------------------------------------------------------------------


@dataclass
class Morning:
    """The morning meeting of `day`: the manager's plan, the duty roster and the schedules
    with their results (a salesperson's own only)."""

    day: date
    plan: str
    roster: DutyRoster | None
    sheets: list[Sheet]
    store_wide: bool

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)


def morning(actor: User, day: date) -> Morning:
    """The morning meeting of `day` for the actor. PermissionDenied for other roles."""
    require_role(actor, *SCHEDULE_ROLES)
    plan = db.session.scalar(
        sa.select(MeetingDay.plan).where(
            MeetingDay.store_id == actor.store_id, MeetingDay.day == day
        )
    )
    wide = is_manager(actor)
    return Morning(
        day=day,
        plan=plan or "",
        roster=roster_for(actor.store_id, day),
        sheets=store_sheets(actor, day),
        store_wide=wide,
    )


def save_day_plan(actor: User, day: date, data: Mapping[str, Any]) -> MeetingDay:
    """The manager writes the store's plan of `day` (today or a later day). ValidationError
    next to the field. Commits."""
    require_role(actor, *MANAGERS)
    errors: dict[str, str] = {}
    text = text_field(data, "plan", PLAN_LIMIT, errors)
    if day < local_today():
        errors.setdefault("plan", _("This day is over: plan today or a later day."))
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    stmt = sa.select(MeetingDay).where(MeetingDay.store_id == actor.store_id, MeetingDay.day == day)
    row = db.session.scalar(stmt)
    if row is None:
        row = MeetingDay(store_id=actor.store_id, day=day)
        db.session.add(row)
    row.plan = text
    row.updated_by_id = actor.id
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        row = db.session.scalars(stmt).one()
        row.plan, row.updated_by_id = text, actor.id
        db.session.commit()
    return row
