"""附表二 活动预订表, the salesperson's schedule of a day (step ①, 集客活动 PDCA).

At the evening meeting (夕会) each salesperson builds the schedule of the next day: time,
customer, purpose and note per line; afterwards each line gets its result (done / not done,
with a word on what happened). The manager's review of the schedules, the cases for
discussion, the evening hour and the morning meeting (早会) are webapp.pdca.meetings'.

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
from webapp.customers.models import CustomerCard, Stage
from webapp.delivery.models import Delivery, DeliveryState
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.inputs import clean_text, parse_date, parse_id, text_problem
from webapp.monthly import is_manager, reach
from webapp.pdca.schedule_models import (
    ActivitySchedule,
    ScheduleLine,
)
from webapp.testdrive.models import BookingStatus, TestDriveBooking
from webapp.timeutil import SHANGHAI, local_day_bounds, local_today, now
from webapp.xlsx import append_rows, finished, workbook

SCHEDULE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
DAYS_AHEAD = 14  # a schedule is built at most two weeks ahead
DAYS_BACK = 366  # and read back a year
NOTE_LIMIT = 200
CARD_CHOICES = 300  # the cards offered in a line's customer list
DEFAULT_CARD_TIME = time(10, 0)  # a card's follow-up has a day, not a time

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


def text_field(
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
    note = text_field(data, "note", NOTE_LIMIT, errors)
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
    note = text_field(data, "result_note", NOTE_LIMIT, errors)
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
    sheets = store_sheets(actor, day, owner_id)
    book, page = workbook(f"活动预订表 {day:%Y-%m-%d}", XLSX_HEADERS)
    append_rows(page, xlsx_rows(sheets))
    return finished(book, page, "A2")


def xlsx_filename(day: date) -> str:
    return f"activity-schedule-{day:%Y-%m-%d}.xlsx"
