"""附表一 计划·实绩表, plan and actual: each salesperson's targets of a month beside what the
records show (webapp.pdca.actuals), with the achievement and the rates the standard reads; the
store's plan with the manager's comment; saving them; the XLSX export.

By day N-3 of each month every salesperson enters next month's targets; the manager sets the
store's plan, sees the salespeople's totals against it and comments. Nobody types an actual.

Every use case takes the acting user: a salesperson reaches their own line and the store's
total (never a colleague's line); the sales manager and the admin every active salesperson's
of their store. A person outside that reach is NotFound.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role, scoped, scoped_statement
from webapp.auth.models import Role, User
from webapp.auth.services import staff_ids
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import clean_text, text_errors
from webapp.monthly import (
    MANAGERS,
    is_manager,
    month_error,
    percent,
    reach,
    salespeople,
)
from webapp.pdca.actuals import Actuals, Rates, month_actuals, total
from webapp.pdca.models import MEASURES, SalesTarget, StorePlan
from webapp.sql import in_list
from webapp.timeutil import add_months
from webapp.xlsx import append_rows, finished, workbook

PLAN_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
TARGET_MAX = 9999
NOTE_LIMIT = 500
COMMENT_LIMIT = 1000
DEADLINE_DAYS = 3  # targets of next month by day N-3 of this one

XLSX_MEASURES = (
    ("visits", "来店组数"),
    ("a_cards", "新增A卡"),
    ("test_drives", "试乘试驾"),
    ("orders", "订单"),
    ("deliveries", "交车"),
)
XLSX_RATES = ("留档率", "试乘试驾率", "成交率", "交车率")
XLSX_TOTAL = "合计"
XLSX_PLAN = "店计划"
NO_RATE = "—"


def deadline(month: date) -> date:
    """The day by which the targets of `month` are due: day N-3 of the month before, N being
    its last day (27 November for December)."""
    return month - timedelta(days=DEADLINE_DAYS + 1)


@dataclass(frozen=True, slots=True)
class Measure:
    """One measure of a line: the target and the actual, and the achievement in percent."""

    target: int
    actual: int

    @property
    def achieved(self) -> int | None:
        return percent(self.actual, self.target)


@dataclass(frozen=True, slots=True)
class PlanLine:
    """One salesperson's line (owner_id None: the salespeople's total)."""

    owner_id: int | None
    name: str
    measures: dict[str, Measure]
    actuals: Actuals
    rates: Rates
    note: str
    has_target: bool


@dataclass(frozen=True, slots=True)
class PlanSheet:
    """附表一 of a month: the lines the actor may see, the salespeople's total (the store's
    actuals), the store's plan against it, and what the page offers."""

    month: date
    store_name: str
    lines: list[PlanLine]
    total: PlanLine
    plan: dict[str, int]
    plan_comment: str
    has_plan: bool
    people: list[tuple[int, str]]
    owner_id: int | None
    locked: str | None
    store_wide: bool
    due_by: date

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
    def single(self) -> PlanLine | None:
        if self.owner_id is None or len(self.lines) != 1:
            return None
        return self.lines[0]

    def plan_achieved(self, name: str) -> int | None:
        """The store's actual against its plan, in percent."""
        return percent(self.total.measures[name].actual, self.plan.get(name, 0))


def _targets_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The month's targets (measures and note) of the salespeople `ids`."""
    columns = [getattr(SalesTarget, m) for m in MEASURES]
    return scope(
        sa.select(SalesTarget.owner_id, *columns, SalesTarget.note).where(
            in_list(SalesTarget.owner_id, "ids"),
            SalesTarget.month == sa.bindparam("month", type_=sa.Date),
        )
    )


def _targets(actor: User, month: date, ids: list[int]) -> dict[int, sa.Row]:
    """The month's targets by salesperson, as rows (a measure or `note` by attribute)."""
    if not ids:
        return {}
    stmt, scope = scoped_statement(SalesTarget, actor, _targets_statement)
    rows = db.session.connection().execute(stmt, {**scope, "ids": ids, "month": month})
    return {row.owner_id: row for row in rows}


@dataclass(frozen=True)
class _StoreFigures:
    """The store's side of a month: the salespeople's targets summed, and its plan."""

    targets: dict[str, int]
    plan: dict[str, int]
    comment: str
    has_plan: bool


@cache
def _store_figures_statement() -> sa.Select:
    """The salespeople's targets summed over the store, beside the store's plan when it has
    one (a left join on the one row of sums): one round trip."""
    store = sa.bindparam("store_id")
    month = sa.bindparam("month", type_=sa.Date)
    sums = (
        sa.select(
            *(sa.func.coalesce(sa.func.sum(getattr(SalesTarget, m)), 0).label(m) for m in MEASURES)
        )
        .where(SalesTarget.store_id == store, SalesTarget.month == month)
        .subquery("targets")
    )
    plan = sa.and_(StorePlan.store_id == store, StorePlan.month == month)
    return sa.select(
        *(sums.c[m] for m in MEASURES),
        *(getattr(StorePlan, m) for m in MEASURES),
        StorePlan.comment,
        StorePlan.id,
    ).select_from(sums.outerjoin(StorePlan, plan))


def _store_figures(actor: User, month: date) -> _StoreFigures:
    """The actor's own store's summed targets (a salesperson sees the sum too; a group admin
    their store's, like the actuals) and plan of the month."""
    params = {"store_id": actor.store_id, "month": month}
    row = db.session.connection().execute(_store_figures_statement(), params).one()
    n = len(MEASURES)
    targets = {m: int(v) for m, v in zip(MEASURES, row[:n], strict=True)}
    has_plan = row[-1] is not None
    plan = dict(zip(MEASURES, row[n : 2 * n], strict=True)) if has_plan else {}
    return _StoreFigures(targets, plan, row[-2] or "", has_plan)


def _line(
    owner_id: int | None,
    name: str,
    targets: Mapping[str, int],
    actual: Actuals,
    note: str,
    has_target: bool,
) -> PlanLine:
    return PlanLine(
        owner_id=owner_id,
        name=name,
        measures={m: Measure(int(targets.get(m, 0)), getattr(actual, m)) for m in MEASURES},
        actuals=actual,
        rates=Rates.of(actual),
        note=note,
        has_target=has_target,
    )


def month_sheet(actor: User, month: date, owner_id: int | None = None) -> PlanSheet:
    """附表一 of `month` for the actor: their own line (a salesperson) or every active
    salesperson's (manager, admin; one with `owner_id`), always with the store's total
    against the store's plan. PermissionDenied for other roles; NotFound out of reach."""
    require_role(actor, *PLAN_ROLES)
    month = month.replace(day=1)
    people, ids = reach(actor, owner_id)
    names = dict(people)
    counts = month_actuals(actor, month)
    targets = _targets(actor, month, ids)
    lines = []
    for pid in ids:
        target = targets.get(pid)
        values = {m: getattr(target, m) for m in MEASURES} if target else {}
        lines.append(
            _line(
                pid,
                names[pid],
                values,
                counts.get(pid, Actuals()),
                target.note if target else "",
                target is not None,
            )
        )
    store = _store_figures(actor, month)
    store_wide = is_manager(actor)
    return PlanSheet(
        month=month,
        store_name=actor.store.name,
        lines=lines,
        total=_line(None, _("Store total"), store.targets, total(counts), "", True),
        plan=store.plan,
        plan_comment=store.comment,
        has_plan=store.has_plan,
        people=people,
        owner_id=owner_id if store_wide else actor.id,
        locked=month_error(actor, month),
        store_wide=store_wide,
        due_by=deadline(month),
    )


# --- Saving ---------------------------------------------------------------------------------


def _number(raw: Any) -> int | None:
    """A target 0..TARGET_MAX from a form ("12") or an int, else None (a minus sign too)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        if len(raw.strip()) > 5:
            return None
        value = int(raw.strip())
    else:
        return None
    return value if 0 <= value <= TARGET_MAX else None


def _validate(
    actor: User, month: date, data: Mapping[str, Any], text_field: str, limit: int
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name in MEASURES:
        number = _number(data.get(name))
        if number is None:
            errors[name] = _("A whole number from 0 to %(n)d.", n=TARGET_MAX)
        values[name] = number
    raw = data.get(text_field)
    raw = "" if raw is None else raw
    if not isinstance(raw, str):
        errors[text_field] = _("Enter text.")
    else:
        errors.update(text_errors({text_field: raw}))
        text = clean_text(raw).strip()
        if text_field not in errors and len(text) > limit:
            errors[text_field] = _("At most %(n)d characters.", n=limit)
        values[text_field] = text
    if (problem := month_error(actor, month)) is not None:
        errors["month"] = problem
    if errors:
        raise ValidationError(errors)
    return values


def _target_owner(actor: User, owner_id: int | None) -> int:
    if owner_id is None:
        raise NotFound()
    if not is_manager(actor):
        if owner_id != actor.id:
            raise NotFound()
        return owner_id
    if owner_id not in {pid for pid, _name in salespeople(actor)}:
        raise NotFound()
    return owner_id


def save_targets(
    actor: User, owner_id: int | None, month: date, data: Mapping[str, Any]
) -> SalesTarget:
    """Set a salesperson's targets of `month` (visits, a_cards, test_drives, orders,
    deliveries: whole numbers 0..9999) with a note: a salesperson their own, this month up to
    12 months ahead; a manager or admin any active salesperson's of the store (a past month
    too). ValidationError by field with nothing saved; NotFound out of reach. Commits."""
    require_role(actor, *PLAN_ROLES)
    month = month.replace(day=1)
    owner = _target_owner(actor, owner_id)
    try:
        values = _validate(actor, month, data, "note", NOTE_LIMIT)
    except ValidationError:
        db.session.rollback()
        raise
    store_id, actor_id = actor.store_id, actor.id
    for attempt in range(2):
        stmt = scoped(
            sa.select(SalesTarget).where(SalesTarget.owner_id == owner, SalesTarget.month == month),
            SalesTarget,
            actor,
        )
        target = db.session.scalar(stmt.with_for_update())
        if target is None:
            target = SalesTarget(store_id=store_id, owner_id=owner, month=month)
            db.session.add(target)
        for name, value in values.items():
            setattr(target, name, value)
        target.updated_by_id = actor_id
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()  # the first targets of this person and month, saved at once
            if attempt:
                raise
            continue
        return target
    raise AssertionError("unreachable")  # pragma: no cover


def save_store_plan(actor: User, month: date, data: Mapping[str, Any]) -> StorePlan:
    """The sales manager (or admin) sets the store's plan of `month` and comments on it.
    PermissionDenied for other roles; ValidationError by field, nothing saved. Commits."""
    require_role(actor, *MANAGERS)
    month = month.replace(day=1)
    try:
        values = _validate(actor, month, data, "comment", COMMENT_LIMIT)
    except ValidationError:
        db.session.rollback()
        raise
    store_id, actor_id = actor.store_id, actor.id
    for attempt in range(2):
        plan = db.session.scalar(
            sa.select(StorePlan)
            .where(StorePlan.store_id == store_id, StorePlan.month == month)
            .with_for_update()
        )
        if plan is None:
            plan = StorePlan(store_id=store_id, month=month)
            db.session.add(plan)
        for name, value in values.items():
            setattr(plan, name, value)
        plan.updated_by_id = actor_id
        try:
            db.session.commit()
        except sa.exc.IntegrityError:
            db.session.rollback()
            if attempt:
                raise
            continue
        return plan
    raise AssertionError("unreachable")  # pragma: no cover


def missing_targets(store_id: int, month: date) -> list[int]:
    """The store's active salespeople without targets of `month` (for the N-3 reminder)."""
    ids = staff_ids(store_id, [Role.SALESPERSON.value])
    if not ids:
        return []
    have = set(
        db.session.scalars(
            sa.select(SalesTarget.owner_id).where(
                SalesTarget.store_id == store_id, SalesTarget.month == month
            )
        )
    )
    return sorted(pid for pid in ids if pid not in have)


# --- The export -----------------------------------------------------------------------------


def _rate(value: int | None) -> Any:
    return NO_RATE if value is None else value / 100


def xlsx_headers() -> list[str]:
    out = ["销售顾问"]
    for _name, label in XLSX_MEASURES:
        out += [f"{label}目标", f"{label}实绩", f"{label}达成率"]
    return out + list(XLSX_RATES) + ["未成交", "备注"]


def xlsx_rows(sheet: PlanSheet) -> list[list[Any]]:
    """The lines as the export's cells (rates as fractions, "—" without a base), then the
    total and, for the store, its plan."""
    rows = []
    for line in [*sheet.lines, sheet.total]:
        cells: list[Any] = [XLSX_TOTAL if line.owner_id is None else line.name]
        for name, _label in XLSX_MEASURES:
            measure = line.measures[name]
            cells += [measure.target, measure.actual, _rate(measure.achieved)]
        r = line.rates
        cells += [
            _rate(r.a_card_rate),
            _rate(r.test_drive_rate),
            _rate(r.closing_rate),
            _rate(r.delivery_rate),
            line.actuals.lost,
            line.note,
        ]
        rows.append(cells)
    plan_row: list[Any] = [XLSX_PLAN]
    for name, _label in XLSX_MEASURES:
        plan_row += [
            sheet.plan.get(name, 0),
            sheet.total.measures[name].actual,
            _rate(sheet.plan_achieved(name)),
        ]
    rows.append([*plan_row, "", "", "", "", "", sheet.plan_comment])
    return rows


def xlsx(actor: User, month: date, owner_id: int | None = None) -> bytes:
    """附表一 of the month as an XLSX workbook with the screen's columns and Chinese headers."""
    sheet = month_sheet(actor, month, owner_id)
    book, page = workbook(f"计划实绩表 {month:%Y-%m}", xlsx_headers())
    append_rows(page, xlsx_rows(sheet), percent=True)
    return finished(book, page, "B2")


def xlsx_filename(month: date) -> str:
    return f"plan-actual-{month:%Y-%m}.xlsx"
