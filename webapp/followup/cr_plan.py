"""附表四 月度CR活动计划, the monthly customer-relations plan: what each salesperson plans to
do with their owners in a month (contacts, owner events, referral requests), beside what
the records show was done, the rate, and the referrals won; saving a plan; the XLSX export.

What was done is counted from the cards' timelines, never typed: owner contacts are the
salesperson's phone calls, visits and messages on C cards; owner events their `cr_event`
entries; referral requests their `referral_asked` entries; referrals won the new cards they
own that an owner's referral brought. A month is the showroom's (Asia/Shanghai) calendar
month.

Every use case takes the acting user: a salesperson reaches their own plan, the sales
manager and the admin every active salesperson's of their store. Queries go through
webapp.access; a person outside that reach is NotFound.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User, UserRole
from webapp.customers.models import CardEvent, CustomerCard, Stage
from webapp.customers.services import CALL_KINDS
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.followup.models import CrPlan
from webapp.inputs import clean_text, text_errors
from webapp.monthly import is_manager, month_error, percent, reach
from webapp.timeutil import add_months, local_month_bounds
from webapp.xlsx import append_rows, bold_row, finished, workbook

PLAN_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
# The contacts with an owner that count towards the plan: the CR event is a measure of its
# own, so it is left out here although it is a contact on the timeline.
OWNER_CONTACT_KINDS = CALL_KINDS
EVENT_KIND = "cr_event"
REFERRAL_KIND = "referral_asked"
PLANNED_FIELDS = ("contacts_planned", "events_planned", "referrals_planned")
PLANNED_MAX = 999
NOTE_LIMIT = 500

# The columns of the sheet, as the printed form and the export name them.
XLSX_HEADERS = (
    "销售顾问",
    "车主联系计划",
    "车主联系实绩",
    "车主联系达成率",
    "车主活动计划",
    "车主活动实绩",
    "车主活动达成率",
    "转介绍请求计划",
    "转介绍请求实绩",
    "转介绍请求达成率",
    "转介绍成交",
    "备注",
)
XLSX_TOTAL = "合计"
NO_RATE = "—"


# --- Months ---------------------------------------------------------------------------------


# --- The sheet ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measure:
    """One measure of a line: planned, done (counted) and the rate in percent."""

    planned: int
    done: int

    @property
    def rate(self) -> int | None:
        return percent(self.done, self.planned)


@dataclass(frozen=True, slots=True)
class CrPlanLine:
    """One salesperson's line of the sheet (owner_id None: the store's total)."""

    owner_id: int | None
    name: str
    contacts: Measure
    events: Measure
    referrals: Measure
    referrals_won: int
    note: str
    has_plan: bool

    @property
    def measures(self) -> tuple[Measure, Measure, Measure]:
        return (self.contacts, self.events, self.referrals)


@dataclass(frozen=True, slots=True)
class CrPlanSheet:
    """附表四 of a month: a line per salesperson in reach, the store's total for a manager
    (None otherwise), and what the page needs to offer (the people to pick from, whether
    the actor may save a plan of this month and why not)."""

    month: date
    store_name: str
    lines: list[CrPlanLine]
    total: CrPlanLine | None
    people: list[tuple[int, str]]
    owner_id: int | None
    # Why the actor may not save a plan of this month (None: they may).
    locked: str | None
    store_wide: bool

    @property
    def editable(self) -> bool:
        return self.locked is None

    @property
    def previous_month(self) -> date:
        return add_months(self.month, -1)

    @property
    def next_month(self) -> date:
        return add_months(self.month, 1)

    @property
    def single(self) -> CrPlanLine | None:
        """The one salesperson's line when the sheet shows one person (their plan's form)."""
        if self.owner_id is None or len(self.lines) != 1:
            return None
        return self.lines[0]


def _done_counts(
    actor: User, ids: list[int], start: datetime, end: datetime
) -> dict[int, tuple[int, int, int]]:
    """Per salesperson: (owner contacts, owner events, referral requests) done in the month,
    in one grouped statement over the timeline."""
    if not ids:
        return {}
    on_owner_card = CustomerCard.stage == Stage.OWNER.value
    contacts = sa.func.sum(
        sa.case((sa.and_(CardEvent.kind.in_(OWNER_CONTACT_KINDS), on_owner_card), 1), else_=0)
    )
    events = sa.func.sum(sa.case((CardEvent.kind == EVENT_KIND, 1), else_=0))
    referrals = sa.func.sum(sa.case((CardEvent.kind == REFERRAL_KIND, 1), else_=0))
    stmt = scoped(
        sa.select(CardEvent.actor_id, contacts, events, referrals)
        .join(CustomerCard, CustomerCard.id == CardEvent.card_id)
        .where(
            CardEvent.actor_id.in_(ids),
            CardEvent.occurred_at >= start,
            CardEvent.occurred_at < end,
            CardEvent.kind.in_((*OWNER_CONTACT_KINDS, EVENT_KIND, REFERRAL_KIND)),
        ),
        CardEvent,
        actor,
    ).group_by(CardEvent.actor_id)
    return {
        row[0]: (int(row[1] or 0), int(row[2] or 0), int(row[3] or 0))
        for row in db.session.execute(stmt)
    }


def _referrals_won(actor: User, ids: list[int], start: datetime, end: datetime) -> dict[int, int]:
    """Per salesperson: the cards they own, opened in the month, that a referral brought."""
    if not ids:
        return {}
    stmt = scoped(
        sa.select(CustomerCard.owner_id, sa.func.count()).where(
            CustomerCard.owner_id.in_(ids),
            CustomerCard.referred_by_id.is_not(None),
            CustomerCard.created_at >= start,
            CustomerCard.created_at < end,
        ),
        CustomerCard,
        actor,
    ).group_by(CustomerCard.owner_id)
    return {row[0]: int(row[1]) for row in db.session.execute(stmt)}


def _plans(actor: User, ids: list[int], month: date) -> dict[int, CrPlan]:
    if not ids:
        return {}
    stmt = scoped(
        sa.select(CrPlan).where(CrPlan.owner_id.in_(ids), CrPlan.month == month), CrPlan, actor
    )
    return {plan.owner_id: plan for plan in db.session.scalars(stmt)}


def _total(lines: Iterable[CrPlanLine]) -> CrPlanLine:
    lines = list(lines)

    def measure(index: int) -> Measure:
        return Measure(
            sum(line.measures[index].planned for line in lines),
            sum(line.measures[index].done for line in lines),
        )

    return CrPlanLine(
        owner_id=None,
        name=_("Total"),
        contacts=measure(0),
        events=measure(1),
        referrals=measure(2),
        referrals_won=sum(line.referrals_won for line in lines),
        note="",
        has_plan=any(line.has_plan for line in lines),
    )


def month_plan(actor: User, month: date, owner_id: int | None = None) -> CrPlanSheet:
    """附表四 of `month` for the actor: their own line (a salesperson), or every active
    salesperson's of the store with the total (manager, admin), or one salesperson's when
    `owner_id` is given. PermissionDenied for other roles; NotFound for an owner outside
    the actor's reach."""
    require_role(actor, *PLAN_ROLES)
    month = month.replace(day=1)
    people, ids = reach(actor, owner_id)
    names = dict(people)
    start, end = local_month_bounds(month)
    done = _done_counts(actor, ids, start, end)
    won = _referrals_won(actor, ids, start, end)
    plans = _plans(actor, ids, month)
    lines = []
    for pid in ids:
        plan = plans.get(pid)
        contacts, events, referrals = done.get(pid, (0, 0, 0))
        lines.append(
            CrPlanLine(
                owner_id=pid,
                name=names[pid],
                contacts=Measure(plan.contacts_planned if plan else 0, contacts),
                events=Measure(plan.events_planned if plan else 0, events),
                referrals=Measure(plan.referrals_planned if plan else 0, referrals),
                referrals_won=won.get(pid, 0),
                note=plan.note if plan else "",
                has_plan=plan is not None,
            )
        )
    store_wide = is_manager(actor)
    return CrPlanSheet(
        month=month,
        store_name=actor.store.name,
        lines=lines,
        total=_total(lines) if store_wide and owner_id is None else None,
        people=people,
        owner_id=owner_id if store_wide else actor.id,
        locked=month_error(actor, month),
        store_wide=store_wide,
    )


# --- Saving a plan --------------------------------------------------------------------------


def _planned_number(raw: Any) -> int | None:
    """A planned number 0..PLANNED_MAX from a form ("12") or an int, else None."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        text = raw.strip()
        if len(text) > 4:
            return None
        value = int(text)
    else:
        return None
    return value if 0 <= value <= PLANNED_MAX else None


def _plan_owner(actor: User, owner_id: int | None) -> User:
    """The salesperson whose plan the actor saves: themself (a salesperson), or an active
    salesperson of the actor's store (manager, admin). NotFound otherwise."""
    if owner_id is None:
        raise NotFound()
    if not is_manager(actor):
        if owner_id != actor.id:
            raise NotFound()
        return actor
    stmt = (
        sa.select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.id == owner_id,
            User.store_id == actor.store_id,
            User.active,
            UserRole.role == Role.SALESPERSON.value,
        )
    )
    owner = db.session.scalar(stmt)
    if owner is None:
        raise NotFound()
    return owner


def validate_plan(actor: User, month: date, data: Mapping[str, Any]) -> dict[str, Any]:
    """The planned numbers and the note of `data`, checked; ValidationError with a message
    by field (nothing is written)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in PLANNED_FIELDS:
        number = _planned_number(data.get(name))
        if number is None:
            errors[name] = _("A whole number from 0 to 999.")
        values[name] = number
    raw_note = data.get("note")
    raw_note = "" if raw_note is None else raw_note
    if not isinstance(raw_note, str):
        errors["note"] = _("Enter text.")
    else:
        errors.update(text_errors({"note": raw_note}))
        note = clean_text(raw_note).strip()
        if "note" not in errors and len(note) > NOTE_LIMIT:
            errors["note"] = _("At most %(n)d characters.", n=NOTE_LIMIT)
        values["note"] = note
    if (problem := month_error(actor, month)) is not None:
        errors["month"] = problem
    if errors:
        raise ValidationError(errors)
    return values


def _find(actor: User, owner_id: int, month: date) -> CrPlan | None:
    stmt = scoped(
        sa.select(CrPlan).where(CrPlan.owner_id == owner_id, CrPlan.month == month),
        CrPlan,
        actor,
    )
    return db.session.scalar(stmt.with_for_update())


def save_plan(actor: User, owner_id: int | None, month: date, data: Mapping[str, Any]) -> CrPlan:
    """Set a salesperson's planned owner contacts, owner events and referral requests of
    `month`, with a note (at most 500 characters): a salesperson their own plan, of this
    month up to 12 months ahead; a manager or admin any active salesperson's of their store
    (a past month too). PermissionDenied for other roles; NotFound for an owner outside that
    reach; ValidationError by field (`contacts_planned`, `events_planned`,
    `referrals_planned`, `note`, `month`) with nothing saved. Commits."""
    require_role(actor, *PLAN_ROLES)
    month = month.replace(day=1)
    owner = _plan_owner(actor, owner_id)
    try:
        values = validate_plan(actor, month, data)
    except ValidationError:
        db.session.rollback()
        raise
    owner_key, store_id, actor_id = owner.id, owner.store_id, actor.id
    for attempt in range(2):
        plan = _find(actor, owner_key, month)
        if plan is None:
            plan = CrPlan(store_id=store_id, owner_id=owner_key, month=month)
            db.session.add(plan)
        plan.contacts_planned = values["contacts_planned"]
        plan.events_planned = values["events_planned"]
        plan.referrals_planned = values["referrals_planned"]
        plan.note = values["note"]
        plan.updated_by_id = actor_id
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            # Someone saved the first plan of this person and month at the same moment:
            # update theirs instead (once).
            db.session.rollback()
            if attempt:
                raise
            continue
        return plan
    raise AssertionError("unreachable")  # pragma: no cover


# --- The export -----------------------------------------------------------------------------


# First characters that make a spreadsheet read a cell as a formula (as in the register's
# export, webapp/reception/exports.py), and the blanks it may skip before looking.
def _rate_cell(measure: Measure) -> Any:
    value = measure.rate
    return NO_RATE if value is None else value / 100


def xlsx_rows(sheet: CrPlanSheet) -> list[list[Any]]:
    """The sheet's lines as the export's cells (rates as fractions, "—" with no plan), the
    total last with its Chinese name."""
    rows = []
    lines = [*sheet.lines, *([sheet.total] if sheet.total else [])]
    for line in lines:
        cells: list[Any] = [XLSX_TOTAL if line.owner_id is None else line.name]
        for measure in line.measures:
            cells += [measure.planned, measure.done, _rate_cell(measure)]
        cells += [line.referrals_won, line.note]
        rows.append(cells)
    return rows


def xlsx_filename(month: date) -> str:
    return f"cr-plan-{month:%Y-%m}.xlsx"


def xlsx(actor: User, month: date, owner_id: int | None = None) -> bytes:
    """附表四 of the month as an XLSX workbook with the screen's columns and Chinese headers,
    whatever the user's language. Raises as month_plan."""
    sheet = month_plan(actor, month, owner_id)
    book, page = workbook(f"月度CR活动计划 {month:%Y-%m}", XLSX_HEADERS)
    append_rows(page, xlsx_rows(sheet), percent=True)
    if sheet.total is not None:
        bold_row(page, page.max_row)
    return finished(book, page, "B2")
