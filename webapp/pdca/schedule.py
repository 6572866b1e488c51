"""附表二 活动预订表 and the daily meetings of step ① (集客活动 PDCA).

At the evening meeting (夕会) each salesperson builds the schedule of the next day: time,
customer, purpose and note per line; afterwards each line gets its result (done / not done,
with a word on what happened). The sales manager reviews every salesperson's schedule, writes
a comment on it, and marks the day's failed cases for discussion: a line whose result is "not
done", or a card whose follow-up was missed. At the morning meeting (早会) the manager reads
out the plan of the day beside the duty roster (排班表, webapp.reception) and the schedules.

Suggested lines are computed, never stored on their own. What the records already put on a
salesperson's day is offered beside the schedule: their open follow-up tasks due that day,
their booked test drives, their planned deliveries and the cards whose next follow-up falls
due that day. One tap stores a suggestion as a line (or all of them at once), with the
record's time and customer; the line keeps its `source` ("followup:12"), so it is not
offered again, and it can be changed or removed like any other. Storing the suggestions when
the schedule is first opened would make a page view write, and would freeze records that
still move (a test drive rebooked after the evening meeting shows its new time here).

Every use case takes the acting user: a salesperson reaches their own schedule and the
manager's comment on it, never a colleague's; the sales manager and the admin every active
salesperson's of their store. Lines are written by their salesperson only; the comment, the
marks for discussion, the day's plan and the evening hour by the manager. Times are the
showroom's (Asia/Shanghai); a line in the past is refused, and nothing is half-saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.auth.services import staff_ids
from webapp.customers.models import CustomerCard, Stage
from webapp.delivery.models import Delivery, DeliveryState
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.inputs import clean_text, parse_date, parse_id, text_problem
from webapp.jobs.models import JobDay
from webapp.monthly import MANAGERS, is_manager, reach
from webapp.org.models import Store
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
from webapp.testdrive.models import BookingStatus, TestDriveBooking
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today, now
from webapp.xlsx import finished, safe_cell

SCHEDULE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
DAYS_AHEAD = 14  # a schedule is built at most two weeks ahead
DAYS_BACK = 366  # and read back a year
NOTE_LIMIT = 200
COMMENT_LIMIT = 1000
PLAN_LIMIT = 1000
CARD_CHOICES = 300  # the cards offered in a line's customer list
DEFAULT_CARD_TIME = time(10, 0)  # a card's follow-up has a day, not a time
EVENING_JOB = "evening_meeting"

PURPOSES: dict[str, Any] = {
    "call": _l("Call"),
    "visit": _l("Visit the customer"),
    "appointment": _l("Appointment at the store"),
    "test_drive": _l("Test drive"),
    "delivery": _l("Delivery"),
    "other": _l("Other"),
}
PURPOSES_ZH = {
    "call": "电话",
    "visit": "拜访",
    "appointment": "预约来店",
    "test_drive": "试乘试驾",
    "delivery": "交车",
    "other": "其他",
}
RESULTS: dict[str, Any] = {"done": _l("Done"), "not_done": _l("Not done")}
RESULTS_ZH = {"done": "已完成", "not_done": "未完成", "": ""}
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")

XLSX_HEADERS = ["日期", "销售顾问", "时间", "顾客", "目的", "备注", "结果", "结果说明"]


# --- Days and input -------------------------------------------------------------------------


def tomorrow() -> date:
    """The day the evening meeting plans: the showroom's tomorrow."""
    return local_today() + timedelta(days=1)


def day_arg(raw: str | None, default: date) -> date:
    """A page's `YYYY-MM-DD` (`default` when missing); a day outside the readable range, or
    unreadable, is NotFound (no link makes one)."""
    if not raw:
        return default
    day = parse_date(raw)
    today = local_today()
    if day is None or not today - timedelta(days=DAYS_BACK) <= day <= today + timedelta(
        days=DAYS_AHEAD
    ):
        raise NotFound()
    return day


def parse_clock(raw: str) -> time | None:
    """ "HH:MM" (24 hours) as a time, else None."""
    match = _CLOCK.match(raw.strip())
    return time(int(match[1]), int(match[2])) if match else None


def _text(
    data: Mapping[str, Any], name: str, limit: int, errors: dict[str, str], required: bool = False
) -> str:
    raw = data.get(name)
    value = raw if isinstance(raw, str) else ""
    if (problem := text_problem(value)) is not None:
        errors[name] = problem
        return ""
    value = clean_text(value).strip()
    if len(value) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    elif required and not value:
        errors[name] = _("Fill this in.")
    return value


def _moment(day: date, at: time) -> datetime:
    return datetime.combine(day, at, SHANGHAI)


def _local_time(moment: datetime) -> time:
    return moment.astimezone(SHANGHAI).time().replace(second=0, microsecond=0)


def past_error(day: date, at: time | None) -> tuple[str, str] | None:
    """(field, message) when a line on `day` at `at` lies in the past, else None."""
    today = local_today()
    if day < today:
        return "day", _("This day is over: plan today or a later day.")
    if day > today + timedelta(days=DAYS_AHEAD):
        return "day", _("At most %(n)d days ahead.", n=DAYS_AHEAD)
    if at is not None and day == today and _moment(day, at) <= now():
        return "at", _("This time has passed: pick a later time.")
    return None


# --- Reading --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A line the records put on the day, not yet on the schedule."""

    source: str
    at: time
    card_id: int | None
    customer: str
    purpose: str
    note: str


@dataclass
class Sheet:
    """One salesperson's 附表二 of a day: the lines, the suggestions not taken yet, the
    manager's comment, and what the salesperson may still do."""

    day: date
    owner_id: int
    name: str
    schedule: ActivitySchedule | None
    lines: list[ScheduleLine]
    suggestions: list[Suggestion] = field(default_factory=list)

    @property
    def comment(self) -> str:
        return self.schedule.comment if self.schedule else ""

    @property
    def previous_day(self) -> date:
        return self.day - timedelta(days=1)

    @property
    def next_day(self) -> date:
        return self.day + timedelta(days=1)

    @property
    def editable(self) -> bool:
        """Lines may be added and removed before the day is over (today: later times)."""
        return local_today() <= self.day <= local_today() + timedelta(days=DAYS_AHEAD)

    @property
    def removable(self) -> bool:
        """Lines are removed before their day only."""
        return self.day > local_today()

    @property
    def results_open(self) -> bool:
        """Results are recorded from the day of the line on."""
        return self.day <= local_today()

    @property
    def done(self) -> int:
        return sum(1 for line in self.lines if line.result == "done")

    @property
    def not_done(self) -> int:
        return sum(1 for line in self.lines if line.result == "not_done")


def _schedules(actor: User, day: date, ids: list[int]) -> dict[int, ActivitySchedule]:
    if not ids:
        return {}
    stmt = scoped(
        sa.select(ActivitySchedule)
        .options(selectinload(ActivitySchedule.lines).joinedload(ScheduleLine.card))
        .where(ActivitySchedule.owner_id.in_(ids), ActivitySchedule.day == day),
        ActivitySchedule,
        actor,
    )
    return {s.owner_id: s for s in db.session.scalars(stmt)}


def suggestions(
    actor: User, owner_id: int, day: date, taken: Iterable[str] = ()
) -> list[Suggestion]:
    """What the records put on `owner_id`'s `day` (see the module's docstring), by time,
    leaving out the sources in `taken`: open follow-up tasks due that day, booked test
    drives, planned deliveries, and the cards (not lost) whose next follow-up is due that
    day. Read through the actor's scope, so a salesperson only ever gets their own."""
    start, end = local_day_bounds(day)
    out: list[Suggestion] = []
    tasks = scoped(
        sa.select(FollowUpTask.id, FollowUpTask.due_at, FollowUpTask.card_id, CustomerCard.name)
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .where(
            FollowUpTask.owner_id == owner_id,
            FollowUpTask.done_at.is_(None),
            FollowUpTask.due_at >= start,
            FollowUpTask.due_at < end,
        ),
        FollowUpTask,
        actor,
    )
    for row in db.session.execute(tasks):
        out.append(
            Suggestion(
                f"followup:{row.id}", _local_time(row.due_at), row.card_id, row.name, "call", ""
            )
        )
    drives = scoped(
        sa.select(
            TestDriveBooking.id,
            TestDriveBooking.starts_at,
            TestDriveBooking.card_id,
            CustomerCard.name,
        )
        .join(CustomerCard, CustomerCard.id == TestDriveBooking.card_id)
        .where(
            TestDriveBooking.owner_id == owner_id,
            TestDriveBooking.status == BookingStatus.BOOKED.value,
            TestDriveBooking.starts_at >= start,
            TestDriveBooking.starts_at < end,
        ),
        TestDriveBooking,
        actor,
    )
    for row in db.session.execute(drives):
        out.append(
            Suggestion(
                f"testdrive:{row.id}",
                _local_time(row.starts_at),
                row.card_id,
                row.name,
                "test_drive",
                "",
            )
        )
    handovers = scoped(
        sa.select(Delivery.id, Delivery.scheduled_at, Delivery.card_id, CustomerCard.name)
        .join(CustomerCard, CustomerCard.id == Delivery.card_id)
        .where(
            Delivery.owner_id == owner_id,
            Delivery.state == DeliveryState.PLANNED.value,
            Delivery.scheduled_at >= start,
            Delivery.scheduled_at < end,
        ),
        Delivery,
        actor,
    )
    for row in db.session.execute(handovers):
        out.append(
            Suggestion(
                f"delivery:{row.id}",
                _local_time(row.scheduled_at),
                row.card_id,
                row.name,
                "delivery",
                "",
            )
        )
    cards = scoped(
        sa.select(CustomerCard.id, CustomerCard.name).where(
            CustomerCard.owner_id == owner_id,
            CustomerCard.next_follow_up_due == day,
            CustomerCard.stage != Stage.LOST.value,
        ),
        CustomerCard,
        actor,
    )
    for row in db.session.execute(cards):
        out.append(Suggestion(f"card:{row.id}", DEFAULT_CARD_TIME, row.id, row.name, "call", ""))
    skip = set(taken)
    out = [s for s in out if s.source not in skip]
    out.sort(key=lambda s: (s.at, s.source))
    return out


def _require_day_reach(
    actor: User, owner_id: int | None
) -> tuple[list[tuple[int, str]], list[int]]:
    require_role(actor, *SCHEDULE_ROLES)
    return reach(actor, owner_id)


def day_sheet(actor: User, day: date, owner_id: int | None = None) -> Sheet:
    """The actor's own 附表二 of `day` (a salesperson), or one salesperson's (manager, admin;
    `owner_id` required), with the suggestions when lines may still be added.
    PermissionDenied for other roles; NotFound for a person out of reach."""
    if owner_id is None and is_manager(actor):
        raise NotFound()
    people, ids = _require_day_reach(actor, owner_id)
    [pid] = ids
    names = dict(people)
    schedule = _schedules(actor, day, [pid]).get(pid)
    lines = list(schedule.lines) if schedule else []
    sheet = Sheet(day, pid, names[pid], schedule, lines)
    if sheet.editable:
        taken = [line.source for line in lines if line.source]
        sheet.suggestions = suggestions(actor, pid, day, taken)
    return sheet


def store_sheets(actor: User, day: date, owner_id: int | None = None) -> list[Sheet]:
    """Every active salesperson's 附表二 of `day` that the actor reaches (a salesperson: their
    own), by name."""
    people, ids = _require_day_reach(actor, owner_id)
    names = dict(people)
    schedules = _schedules(actor, day, ids)
    sheets = []
    for pid in ids:
        schedule = schedules.get(pid)
        sheets.append(
            Sheet(day, pid, names[pid], schedule, list(schedule.lines) if schedule else [])
        )
    return sheets


def card_choices(actor: User, owner_id: int) -> list[tuple[int, str]]:
    """The salesperson's cards to pick a line's customer from (not lost; the most urgent
    follow-up first), at most CARD_CHOICES."""
    stmt = scoped(
        sa.select(CustomerCard.id, CustomerCard.name)
        .where(CustomerCard.owner_id == owner_id, CustomerCard.stage != Stage.LOST.value)
        .order_by(
            CustomerCard.next_follow_up_due.is_(None),
            CustomerCard.next_follow_up_due,
            CustomerCard.name,
            CustomerCard.id,
        )
        .limit(CARD_CHOICES),
        CustomerCard,
        actor,
    )
    return [(row.id, row.name) for row in db.session.execute(stmt)]


# --- Writing a schedule ---------------------------------------------------------------------


def _schedule_for(actor: User, day: date) -> ActivitySchedule:
    """The actor's schedule row of `day`, made when missing (a first line made at the same
    moment elsewhere wins; this one then reads it)."""
    stmt = sa.select(ActivitySchedule).where(
        ActivitySchedule.owner_id == actor.id, ActivitySchedule.day == day
    )
    schedule = db.session.scalar(stmt)
    if schedule is not None:
        return schedule
    try:
        with db.session.begin_nested():
            schedule = ActivitySchedule(store_id=actor.store_id, owner_id=actor.id, day=day)
            db.session.add(schedule)
    except sa.exc.IntegrityError:
        schedule = db.session.scalar(stmt)
        if schedule is None:  # pragma: no cover
            raise
    return schedule


def _own_card(actor: User, raw: Any, errors: dict[str, str]) -> int | None:
    """A line's customer: empty, or one of the actor's own cards (anything else is refused
    next to the field, whoever's it is)."""
    if raw in (None, ""):
        return None
    card_id = parse_id(raw)
    if card_id is not None:
        stmt = scoped(
            sa.select(CustomerCard.id).where(
                CustomerCard.id == card_id, CustomerCard.owner_id == actor.id
            ),
            CustomerCard,
            actor,
        )
        if db.session.scalar(stmt) is not None:
            return card_id
    errors["card_id"] = _("Pick one of your own customers.")
    return None


def add_line(actor: User, data: Mapping[str, Any]) -> ScheduleLine:
    """A salesperson adds a line of their own to their schedule of `day`: `at` (HH:MM),
    optional `card_id` (one of their cards), `purpose`, `note`. ValidationError by field (a
    day or time in the past, a purpose not on the list, a card not theirs, text too long),
    nothing saved. PermissionDenied for other roles. Commits."""
    require_role(actor, Role.SALESPERSON)
    errors: dict[str, str] = {}
    day = parse_date(data.get("day"))
    if day is None:
        errors["day"] = _("Enter a date.")
    raw_at = data.get("at") if isinstance(data.get("at"), str) else ""
    at = parse_clock(raw_at or "")
    if at is None:
        errors["at"] = _("Enter a time as HH:MM.")
    if day is not None and (past := past_error(day, at)) is not None:
        errors.setdefault(past[0], past[1])
    purpose = data.get("purpose")
    if purpose not in PURPOSES:
        errors["purpose"] = _("Pick a purpose.")
    card_id = _own_card(actor, data.get("card_id"), errors)
    note = _text(data, "note", NOTE_LIMIT, errors)
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    assert day is not None and at is not None
    schedule = _schedule_for(actor, day)
    line = ScheduleLine(
        store_id=actor.store_id,
        owner_id=actor.id,
        schedule=schedule,
        at=at,
        card_id=card_id,
        purpose=str(purpose),
        note=note,
    )
    db.session.add(line)
    db.session.commit()
    return line


def take_suggestions(actor: User, data: Mapping[str, Any]) -> int:
    """A salesperson stores suggestions of `day` as lines: `source` names one ("followup:12"),
    or "all" every one not in the past. ValidationError for a day in the past, a source not
    offered (taken already, or not theirs), or one whose time has passed. Commits; the
    number of lines made."""
    require_role(actor, Role.SALESPERSON)
    day = parse_date(data.get("day"))
    if day is None:
        raise ValidationError({"day": _("Enter a date.")})
    if (past := past_error(day, None)) is not None:
        raise ValidationError({past[0]: past[1]})
    schedule = db.session.scalar(
        sa.select(ActivitySchedule).where(
            ActivitySchedule.owner_id == actor.id, ActivitySchedule.day == day
        )
    )
    taken = [line.source for line in schedule.lines if line.source] if schedule else []
    offered = suggestions(actor, actor.id, day, taken)
    source = data.get("source")
    if source == "all":
        chosen = [s for s in offered if past_error(day, s.at) is None]
    else:
        chosen = [s for s in offered if s.source == source]
        if not chosen:
            raise ValidationError({"source": _("This suggestion is no longer offered.")})
        if (past := past_error(day, chosen[0].at)) is not None:
            raise ValidationError({"source": past[1]})
    if not chosen:
        return 0
    schedule = schedule or _schedule_for(actor, day)
    for s in chosen:
        db.session.add(
            ScheduleLine(
                store_id=actor.store_id,
                owner_id=actor.id,
                schedule=schedule,
                at=s.at,
                card_id=s.card_id,
                purpose=s.purpose,
                note=s.note,
                source=s.source,
            )
        )
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()  # the same suggestion taken at once from another tablet
        raise ValidationError({"source": _("This suggestion is no longer offered.")}) from None
    return len(chosen)


def _own_line(actor: User, line_id: int) -> ScheduleLine:
    require_role(actor, Role.SALESPERSON)
    line = get_scoped(ScheduleLine, line_id, actor)
    if line.owner_id != actor.id:  # pragma: no cover - scoped() already keeps them out
        raise NotFound()
    return line


def remove_line(actor: User, line_id: int) -> date:
    """A salesperson removes a line of theirs before its day; ValidationError on the day
    itself or after. NotFound for a line not theirs. Commits; the line's day."""
    line = _own_line(actor, line_id)
    day = line.schedule.day
    if day <= local_today():
        db.session.rollback()
        raise ValidationError({"line": _("Lines are removed before their day only.")})
    db.session.delete(line)
    db.session.commit()
    return day


def record_result(actor: User, line_id: int, data: Mapping[str, Any]) -> ScheduleLine:
    """A salesperson records a line's result: `result` done / not_done and `result_note`
    (required when not done). From the line's day on; ValidationError by field, nothing
    saved. NotFound for a line not theirs. Commits."""
    line = _own_line(actor, line_id)
    errors: dict[str, str] = {}
    result = data.get("result")
    if result not in RESULTS:
        errors["result"] = _("Pick done or not done.")
    note = _text(data, "result_note", NOTE_LIMIT, errors)
    if result == "not_done" and not note and "result_note" not in errors:
        errors["result_note"] = _("Say what stopped it.")
    if line.schedule.day > local_today():
        errors["result"] = _("A result is recorded from the line's day on.")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    line.result = str(result)
    line.result_note = note
    if result == "done":
        line.discuss = False
    db.session.commit()
    return line


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
    comment = _text(data, "comment", COMMENT_LIMIT, errors)
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
    note = _text(data, "case_note", NOTE_LIMIT, errors)
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
    text = _text(data, "plan", PLAN_LIMIT, errors)
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


# --- The export -----------------------------------------------------------------------------


def xlsx_rows(sheets: list[Sheet]) -> list[list[Any]]:
    """The lines as the export's cells, the screen's columns with the day and salesperson."""
    rows: list[list[Any]] = []
    for sheet in sheets:
        for line in sheet.lines:
            rows.append(
                [
                    sheet.day.isoformat(),
                    sheet.name,
                    line.at.strftime("%H:%M"),
                    line.card.name if line.card else "",
                    PURPOSES_ZH.get(line.purpose, line.purpose),
                    line.note,
                    RESULTS_ZH.get(line.result, ""),
                    line.result_note,
                ]
            )
    return rows


def xlsx(actor: User, day: date, owner_id: int | None = None) -> bytes:
    """附表二 of `day` as an XLSX workbook with Chinese headers: the actor's own (a
    salesperson), or every salesperson's of the store (manager; one with `owner_id`)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    sheets = store_sheets(actor, day, owner_id)
    book = Workbook()
    page = book.active
    page.title = f"活动预订表 {day:%Y-%m-%d}"
    page.append(XLSX_HEADERS)
    for cell in page[1]:
        cell.font = Font(bold=True)
    for row in xlsx_rows(sheets):
        page.append([safe_cell(cell) for cell in row])
    return finished(book, page, "A2")


def xlsx_filename(day: date) -> str:
    return f"activity-schedule-{day:%Y-%m-%d}.xlsx"
