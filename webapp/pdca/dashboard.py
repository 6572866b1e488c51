"""The manager's dashboards: the funnel, plan against actual by month, the lost-sale
reasons, the follow-up completion rate and the time in the showroom, each as a chart (SVG,
webapp.pdca.charts), the table behind it and its export (CSV, XLSX).

Whose figures: `scope()` decides once per request, from the stores webapp.access lets the
acting user reach.
- A salesperson sees their own figures or the store's totals, never a colleague's.
- The sales manager and the admin see the store, or one salesperson of it.
- A group admin sees the group's roll-up (every store of the group, a line per store), or
  one store, or one salesperson of it.

The counts of visits, cards, test drives, orders, deliveries and lost sales come from
webapp.pdca.actuals, the one query layer, so a chart shows the number 附表一 shows. The
follow-up completion and the time in the showroom are read here, each in one aggregate
statement over the stores in reach.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import reachable_stores
from webapp.auth.models import Role, User
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.labels import label
from webapp.monthly import percent, salespeople
from webapp.negotiation.models import LostSale
from webapp.pdca.actuals import (
    Actuals,
    stores_month_actuals,
    stores_months_actuals,
    total,
)
from webapp.pdca.charts import Chart, Series, columns, hbars
from webapp.pdca.models import MEASURES, SalesTarget, StorePlan
from webapp.reception.stays import STAY_BUCKETS, month_stays
from webapp.reception.stays import add as add_stays
from webapp.timeutil import Minutes, add_months, local_month_bounds, now
from webapp.xlsx import append_rows, finished, safe_cell, workbook

DASHBOARD_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
MANAGER_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
CHARTS = ("funnel", "plan", "lost", "followup", "showroom")
TREND_MONTHS = 6
# A follow-up done within this long after its due time counts as on time.
ON_TIME = timedelta(hours=24)


def chart_titles() -> dict[str, str]:
    return {
        "funnel": _("Funnel"),
        "plan": _("Plan and actual by month"),
        "lost": _("Lost-sale reasons"),
        "followup": _("Follow-up completion"),
        "showroom": _("Time in the showroom"),
    }


def measure_labels() -> dict[str, str]:
    return {
        "visits": _("Visits"),
        "a_cards": _("New A cards"),
        "test_drives": _("Test drives"),
        "orders": _("Orders"),
        "deliveries": _("Deliveries"),
    }


@dataclass(frozen=True, slots=True)
class Scope:
    """Whose figures a dashboard shows, and what the filters offer."""

    month: date
    store_ids: tuple[int, ...]  # the stores counted
    store_id: int | None  # the store picked (None: the group's roll-up)
    owner_id: int | None  # one salesperson, or None for the stores' totals
    stores: list[tuple[int, str]]  # the stores the user may pick (a group admin: several)
    people: list[tuple[int, str]]  # the salespeople the user may pick
    group: bool  # the user reaches several stores

    @property
    def rollup(self) -> bool:
        """The group's roll-up: a line per store."""
        return self.group and self.store_id is None

    def store_names(self) -> dict[int, str]:
        return dict(self.stores)


def scope(actor: User, month: date, store_id: int | None, owner_id: int | None) -> Scope:
    """The scope of a dashboard page for the actor (see the module's docstring). Other
    roles: PermissionDenied; a store or person out of reach: NotFound."""
    if not actor.has_role(*DASHBOARD_ROLES):
        raise PermissionDenied()
    month = month.replace(day=1)
    stores = reachable_stores(actor)
    group = len(stores) > 1
    if store_id is not None and store_id not in {sid for sid, _name in stores}:
        raise NotFound()
    if not group:
        store_id = actor.store_id
    manager = actor.has_role(*MANAGER_ROLES)
    if not manager:
        # A salesperson: their own figures (the default) or the store's totals ("store").
        if owner_id not in (None, actor.id):
            raise NotFound()
        people = [(actor.id, actor.display_name)]
    elif store_id is None:
        if owner_id is not None:
            raise NotFound()
        people = []
    else:
        people = salespeople(actor, store_id)
        if owner_id is not None and owner_id not in {pid for pid, _name in people}:
            raise NotFound()
    store_ids = (store_id,) if store_id is not None else tuple(sid for sid, _n in stores)
    return Scope(month, store_ids, store_id, owner_id, stores, people, group)


# --- the tables behind the charts -------------------------------------------------------


@dataclass(slots=True)
class Table:
    """A chart's data as the page's table and the exports show it: headers and rows."""

    headers: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    numeric: set[int] = field(default_factory=set)  # the columns right-aligned


@dataclass(slots=True)
class Dashboard:
    """One dashboard page: its chart, its table and a line of key figures."""

    name: str
    title: str
    chart: Chart
    table: Table
    figures: list[tuple[str, str]] = field(default_factory=list)  # (label, value)


def _lines(scope: Scope, month: date) -> dict[tuple[int, int | None], Actuals]:
    """The month's counts in the scope: by store and person, or (the group's roll-up) by
    store only."""
    return stores_month_actuals(scope.store_ids, month, by_owner=not scope.rollup)


def _pick(scope: Scope, counts: dict[tuple[int, int | None], Actuals]) -> Actuals:
    """The scope's total of the counts: one person's, or the stores'."""
    if scope.owner_id is None:
        return total(list(counts.values()))
    return total([line for (_s, owner), line in counts.items() if owner == scope.owner_id])


def _shown(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def funnel(scope: Scope) -> Dashboard:
    """Visits → new A cards → test drives → orders → deliveries of the month: each step's
    count and its share of the visits; the roll-up adds a line per store."""
    counts = _lines(scope, scope.month)
    picked = _pick(scope, counts)
    names = measure_labels()
    items = []
    table = Table(
        [_("Step"), _("Count"), _("Of visits"), _("Of the step before")], numeric={1, 2, 3}
    )
    before: int | None = None
    for measure in MEASURES:
        value = getattr(picked, measure)
        share = _shown(percent(value, picked.visits))
        items.append(
            (names[measure], value, f"{value} · {share}" if measure != "visits" else str(value))
        )
        step = _shown(percent(value, before)) if before is not None else "—"
        table.rows.append([names[measure], value, share, step])
        before = value
    if scope.rollup:
        table = _rollup_table(scope, counts)
    figures = [
        (_("Closing rate"), _shown(percent(picked.orders, picked.visits))),
        (_("Test-drive rate"), _shown(percent(picked.test_drives, picked.visits))),
        (_("Lost sales"), str(picked.lost)),
    ]
    chart = hbars(chart_titles()["funnel"], items, "chart-funnel")
    return Dashboard("funnel", chart_titles()["funnel"], chart, table, figures)


def _rollup_table(scope: Scope, counts: dict[tuple[int, int | None], Actuals]) -> Table:
    """The group's roll-up: a line per store with the five counts and the closing rate, and
    the group's total last."""
    names = measure_labels()
    headers = [_("Store"), *(names[m] for m in MEASURES), _("Closing rate"), _("Lost sales")]
    table = Table(headers, numeric=set(range(1, len(headers))))
    by_store: dict[int, Actuals] = {}
    for (store_id, _owner), line in counts.items():
        by_store[store_id] = by_store.get(store_id, Actuals()) + line
    for store_id, name in scope.stores:
        line = by_store.get(store_id, Actuals())
        table.rows.append(_rollup_row(name, line))
    table.rows.append(_rollup_row(_("Group total"), total(list(by_store.values()))))
    return table


def _rollup_row(name: str, line: Actuals) -> list[Any]:
    return [
        name,
        *(getattr(line, m) for m in MEASURES),
        _shown(percent(line.orders, line.visits)),
        line.lost,
    ]


@cache
def _targets_statement(measure: str, one_person: bool) -> sa.Select:
    """The targets of `measure` summed by store and month over [first, last] of the stores
    `store_ids` (of the salesperson `owner_id` with `one_person`)."""
    stmt = (
        sa.select(
            SalesTarget.store_id, SalesTarget.month, sa.func.sum(getattr(SalesTarget, measure))
        )
        .where(
            SalesTarget.store_id.in_(sa.bindparam("store_ids", expanding=True)),
            SalesTarget.month >= sa.bindparam("first", type_=sa.Date),
            SalesTarget.month <= sa.bindparam("last", type_=sa.Date),
        )
        .group_by(SalesTarget.store_id, SalesTarget.month)
    )
    if one_person:
        stmt = stmt.where(SalesTarget.owner_id == sa.bindparam("owner_id"))
    return stmt


@cache
def _plans_statement(measure: str) -> sa.Select:
    """The stores' plans of `measure` over [first, last] of the stores `store_ids`."""
    return sa.select(StorePlan.store_id, StorePlan.month, getattr(StorePlan, measure)).where(
        StorePlan.store_id.in_(sa.bindparam("store_ids", expanding=True)),
        StorePlan.month >= sa.bindparam("first", type_=sa.Date),
        StorePlan.month <= sa.bindparam("last", type_=sa.Date),
    )


def _targets(scope: Scope, months: list[date], measure: str) -> dict[date, int | None]:
    """The target of `measure` in each month: one person's, or for each store its plan
    (the salespeople's targets summed where the store has no plan), summed over the stores.
    None where nothing is set. Two statements, each built once per measure."""
    params: dict[str, Any] = {
        "store_ids": list(scope.store_ids),
        "first": months[0],
        "last": months[-1],
        "owner_id": scope.owner_id,
    }
    conn = db.session.connection()
    stmt = _targets_statement(measure, scope.owner_id is not None)
    summed = {(row[0], row[1]): int(row[2] or 0) for row in conn.execute(stmt, params)}
    plans: dict[tuple[int, date], int] = {}
    if scope.owner_id is None:
        rows = conn.execute(_plans_statement(measure), params)
        plans = {(row[0], row[1]): int(row[2] or 0) for row in rows}
    out: dict[date, int | None] = {}
    for month in months:
        found = [
            plans.get((sid, month), summed.get((sid, month)))
            for sid in scope.store_ids
            if (sid, month) in plans or (sid, month) in summed
        ]
        out[month] = sum(v for v in found if v is not None) if found else None
    return out


def plan_trend(scope: Scope, measure: str = "orders") -> Dashboard:
    """Target against actual of one measure over TREND_MONTHS months up to the scope's
    month, with the achievement of each."""
    if measure not in MEASURES:
        raise NotFound()
    months = [add_months(scope.month, -back) for back in range(TREND_MONTHS - 1, -1, -1)]
    targets = _targets(scope, months, measure)
    by_month = stores_months_actuals(
        scope.store_ids, months[0], len(months), measure, by_owner=not scope.rollup
    )
    actuals = [getattr(_pick(scope, lines), measure) for lines in by_month]
    names = measure_labels()
    table = Table([_("Month"), _("Target"), _("Actual"), _("Achieved")], numeric={1, 2, 3})
    for month, actual in zip(months, actuals, strict=True):
        target = targets[month]
        table.rows.append(
            [
                f"{month:%Y-%m}",
                "—" if target is None else target,
                actual,
                _shown(percent(actual, target or 0)),
            ]
        )
    chart = columns(
        f"{chart_titles()['plan']} · {names[measure]}",
        [f"{m.month}月" for m in months],
        [
            Series("chart-target", _("Target"), [targets[m] or 0 for m in months]),
            Series("chart-actual", _("Actual"), actuals),
        ],
    )
    this_target = targets[months[-1]]
    figures = [
        (names[measure], f"{actuals[-1]} / {'—' if this_target is None else this_target}"),
        (_("Achieved"), _shown(percent(actuals[-1], this_target or 0))),
    ]
    return Dashboard("plan", chart_titles()["plan"], chart, table, figures)


def lost_reasons(scope: Scope) -> Dashboard:
    """The lost sales of the month by reason (a sale may give several reasons)."""
    start, end = local_month_bounds(scope.month)
    stmt = sa.select(LostSale.reasons).where(
        LostSale.store_id.in_(scope.store_ids),
        LostSale.recorded_at >= start,
        LostSale.recorded_at < end,
    )
    if scope.owner_id is not None:
        stmt = stmt.where(LostSale.salesperson_id == scope.owner_id)
    reasons: Counter[str] = Counter()
    lost = 0
    for row in db.session.scalars(stmt):
        lost += 1
        reasons.update(set(row or ()))
    ranked = sorted(reasons.items(), key=lambda item: (-item[1], item[0]))
    table = Table([_("Reason"), _("Lost sales"), _("Share")], numeric={1, 2})
    items = []
    for code, n in ranked:
        name = label("lost_reason", code)
        share = _shown(percent(n, lost))
        items.append((name, n, f"{n} · {share}"))
        table.rows.append([name, n, share])
    chart = hbars(chart_titles()["lost"], items, "chart-lost")
    figures = [(_("Lost sales"), str(lost))]
    return Dashboard("lost", chart_titles()["lost"], chart, table, figures)


def followup_completion(scope: Scope) -> Dashboard:
    """The follow-ups due in the month so far: done on time (within ON_TIME of the due
    time), done late, and still open; by person for a store, by store for the roll-up."""
    start, end = local_month_bounds(scope.month)
    moment = now()
    until = min(end, moment)
    task = FollowUpTask
    late = Minutes(task.due_at, task.done_at) > ON_TIME.total_seconds() / 60
    key = task.store_id if scope.rollup else task.owner_id
    stmt = (
        sa.select(
            key.label("key"),
            sa.func.count().label("due"),
            sa.func.count(task.done_at).label("done"),
            sa.func.count(sa.case((sa.and_(task.done_at.is_not(None), late), 1))).label("late"),
        )
        .where(task.store_id.in_(scope.store_ids), task.due_at >= start, task.due_at < until)
        .group_by(key)
    )
    if scope.owner_id is not None:
        stmt = stmt.where(task.owner_id == scope.owner_id)
    found = {row.key: (row.due, row.done, row.late) for row in db.session.execute(stmt)}
    due = sum(v[0] for v in found.values())
    done = sum(v[1] for v in found.values())
    done_late = sum(v[2] for v in found.values())
    on_time = done - done_late
    open_ = due - done
    items = [
        (_("Done on time"), on_time, f"{on_time} · {_shown(percent(on_time, due))}"),
        (_("Done late"), done_late, f"{done_late} · {_shown(percent(done_late, due))}"),
        (_("Not done"), open_, f"{open_} · {_shown(percent(open_, due))}"),
    ]
    chart = hbars(chart_titles()["followup"], items, "chart-followup")
    first = _("Store") if scope.rollup else _("Salesperson")
    headers = [first, _("Follow-ups due"), _("Done"), _("Done late"), _("Completion")]
    table = Table(headers, numeric={1, 2, 3, 4})
    names = scope.store_names() if scope.rollup else dict(_people_named(scope, found))
    for key_id, (n_due, n_done, n_late) in sorted(
        found.items(), key=lambda kv: names.get(kv[0], "")
    ):
        table.rows.append(
            [names.get(key_id, "—"), n_due, n_done, n_late, _shown(percent(n_done, n_due))]
        )
    figures = [
        (_("Completion"), _shown(percent(done, due))),
        (_("On time"), _shown(percent(on_time, due))),
        (_("Follow-ups due"), str(due)),
    ]
    return Dashboard("followup", chart_titles()["followup"], chart, table, figures)


def _people_named(scope: Scope, found: dict[Any, Any]) -> list[tuple[int, str]]:
    """The names of the people in `found` (service advisors own follow-ups too)."""
    ids = [key for key in found if key is not None]
    if not ids:
        return []
    stmt = sa.select(User.id, User.display_name).where(
        User.id.in_(ids), User.store_id.in_(scope.store_ids)
    )
    return [(row.id, row.display_name) for row in db.session.execute(stmt)]


def showroom_time(scope: Scope) -> Dashboard:
    """How long the month's walk-ins stayed (time in to time out), in buckets, with the
    average; visits still open are left out (webapp.reception.stays counts them)."""
    stays = month_stays(scope.store_ids, scope.month, by_owner=not scope.rollup)
    found: dict[int, tuple[int, float]] = {}
    for (_store_id, owner_id), buckets in stays.items():
        if scope.owner_id is not None and owner_id != scope.owner_id:
            continue
        add_stays(found, buckets)
    visits = sum(n for n, _m in found.values())
    spent = sum(m for _n, m in found.values())
    table = Table([_("Time in the showroom"), _("Visits"), _("Share")], numeric={1, 2})
    items = []
    for index, (low, high) in enumerate(STAY_BUCKETS):
        name = (
            _("%(low)d–%(high)d min", low=low, high=high)
            if high
            else _("%(low)d min or more", low=low)
        )
        n = found.get(index, (0, 0.0))[0]
        share = _shown(percent(n, visits))
        items.append((name, n, f"{n} · {share}"))
        table.rows.append([name, n, share])
    average = round(spent / visits) if visits else None
    figures = [
        (_("Visits"), str(visits)),
        (_("Average stay"), "—" if average is None else _("%(n)d min", n=average)),
    ]
    chart = hbars(chart_titles()["showroom"], items, "chart-stay")
    return Dashboard("showroom", chart_titles()["showroom"], chart, table, figures)


def dashboard(actor: User, name: str, scope_: Scope, measure: str = "orders") -> Dashboard:
    """The dashboard `name` (one of CHARTS) in the scope; NotFound for another name."""
    if not actor.has_role(*DASHBOARD_ROLES):
        raise PermissionDenied()
    if name == "funnel":
        return funnel(scope_)
    if name == "plan":
        return plan_trend(scope_, measure)
    if name == "lost":
        return lost_reasons(scope_)
    if name == "followup":
        return followup_completion(scope_)
    if name == "showroom":
        return showroom_time(scope_)
    raise NotFound()


# --- exports ----------------------------------------------------------------------------


def export_name(board: Dashboard, scope_: Scope, suffix: str) -> str:
    """The export's file name: the chart, the month and the format (ASCII)."""
    return f"dashboard-{board.name}-{scope_.month:%Y-%m}.{suffix}"


def as_csv(board: Dashboard) -> bytes:
    """The table as CSV in UTF-8 with a BOM (what Excel and WPS need to read Chinese)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([safe_cell(h) for h in board.table.headers])
    for row in board.table.rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def as_xlsx(board: Dashboard, month: date) -> bytes:
    """The table as a workbook with the page's headers."""
    book, sheet = workbook(f"{board.title} {month:%Y-%m}", board.table.headers)
    append_rows(sheet, board.table.rows)
    return finished(book, sheet)
