"""附表三 月度Hot管理表, the monthly Hot table: each salesperson's open prospect cards (A
cards, stage "prospect") by Hot grade H/A/B/C, the movement of the month (cards opened,
graded up, graded down, ordered, lost, each by grade), the overdue follow-ups, the cards
behind each count, and the workbook.

What a past month shows, and how:

- the H/A/B/C counts (and the cards behind them) are as of the month's end, reconstructed
  from the cards' timelines: a card counts when it was opened before the month ended, and
  its grade and stage then are the "from" of the first `grade_changed` / `stage_changed`
  event after the month's end (the card's present grade or stage when there is none);
- the movement is counted from the month's events: cards opened in the month by the grade
  they were opened with (the "from" of their first `grade_changed`, else their grade), the
  `grade_changed` events by the grade reached (up: hotter, H being the hottest), and the
  `stage_changed` events to "ordered" or "lost" by the grade the card had at that moment;
- current, not reconstructed: the owner (a card handed to a colleague counts for its present
  owner, as the timeline does not record the hand-over), the names, models and dates the
  card lists show, and the overdue follow-ups (open prospects whose next follow-up was due
  before today), which are always today's.

This month's counts are the cards as they stand now. A future month has no table (NotFound).

Every use case takes the acting user: a salesperson reaches their own line and the store's
totals (never a colleague's line or cards); the sales manager and the admin every active
salesperson of their own store (a group admin too: the group's roll-up is not here). The
counts are aggregates of the actor's own store kept to the people webapp.monthly.reach()
gives; the cards themselves are read through webapp.access.scoped().

Cost: this month's table is three grouped statements read from indexes (about 5 ms of SQL
for a store of 20,000 cards on SQLite). A past month starts from today's counts and turns
back only the cards opened, re-graded or moved since its end, so its cost grows with the
activity since then (tens of milliseconds for a month a year back at that size): the first
reading after a month ended keeps its counts and its movement
(webapp.pdca.hot_models.HotMonthClose), and later readings take them as kept, as the paper
table is filed at the month's end. A grade change synced from a tablet after that, with a
time inside the month, is not in them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.lists import local_day
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.monthly import is_manager, reach, salespeople, this_month
from webapp.pdca.hot_counts import (
    GRADES,
    MOVES,
    PROSPECT,
    as_of_cards,
    closed_month,
    grade_counts,
    move_counts,
    overdue_counts,
)
from webapp.timeutil import add_months, local_month_bounds, local_today, now
from webapp.xlsx import add_sheet, append_rows, finished, fitted, workbook

HOT_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
OVERDUE = "overdue"
LISTS = (*GRADES, OVERDUE)
CARDS_PAGE = 30

XLSX_GRADES = ("H级", "A级", "B级", "C级")
XLSX_MOVES = ("新增", "升级", "降级", "订单", "战败")
XLSX_TOTAL = "合计"


@dataclass(frozen=True, slots=True)
class HotLine:
    """One salesperson's line (owner_id None: the store's total)."""

    owner_id: int | None
    name: str
    grades: dict[str, int]
    overdue: int
    moves: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.grades.values())


@dataclass(frozen=True, slots=True)
class HotCard:
    """A card behind a count: what the table's lists show of it."""

    id: int
    name: str
    grade: str
    model_zh: str | None
    model_en: str | None
    planned_purchase_date: date | None
    last_contact_on: date | None
    next_follow_up_due: date | None

    @property
    def overdue(self) -> bool:
        return self.next_follow_up_due is not None and self.next_follow_up_due < local_today()


@dataclass(frozen=True, slots=True)
class HotCards:
    """One page of the cards behind a count of one salesperson."""

    month: date
    owner_id: int
    owner_name: str
    store_wide: bool
    kind: str  # a grade, or OVERDUE
    rows: list[HotCard]
    page: int
    has_more: bool


@dataclass(frozen=True, slots=True)
class HotTable:
    """附表三 of a month: the lines the actor may see, the store's total, the movement by
    grade of the lines shown, and what the page offers."""

    month: date
    store_name: str
    lines: list[HotLine]
    total: HotLine
    moves_by_grade: dict[str, dict[str, int]]
    people: list[tuple[int, str]]
    owner_id: int | None
    store_wide: bool
    as_of: date
    reconstructed: bool
    cards: HotCards | None = field(default=None)

    @property
    def previous_month(self) -> date:
        return add_months(self.month, -1)

    @property
    def next_month(self) -> date | None:
        following = add_months(self.month, 1)
        return following if following <= this_month() else None

    @property
    def single(self) -> HotLine | None:
        if self.owner_id is None or len(self.lines) != 1:
            return None
        return self.lines[0]


def _month_end(month: date) -> tuple[datetime, datetime, bool, date]:
    """(start, end, past, as_of) of a month: a past month is counted as of its last day."""
    start, end = local_month_bounds(month)
    current = this_month()
    if month > current:
        raise NotFound()
    if month == current:
        return start, min(end, now()), False, local_today()
    return start, end, True, add_months(month, 1) - timedelta(days=1)


def month_table(
    actor: User,
    month: date,
    owner_id: int | None = None,
    cards: str | None = None,
    page: int = 1,
) -> HotTable:
    """附表三 of `month` for the actor: their own line (a salesperson) or every active
    salesperson's (manager, admin; one with `owner_id`), with the store's total; with `cards`
    (a grade or "overdue") and one person shown, the page `page` of the cards behind that
    count. PermissionDenied for other roles; NotFound for a person out of reach, a future
    month, or a card list without one person."""
    require_role(actor, *HOT_ROLES)
    month = month.replace(day=1)
    start, end, past, as_of = _month_end(month)
    people, ids = reach(actor, owner_id)
    store_wide = is_manager(actor)
    # The store's totals are counted over its active salespeople: a salesperson's table
    # carries them too, without the colleagues' lines.
    totals_ids = [pid for pid, _name in (people if store_wide else salespeople(actor))]
    store_id = actor.store_id
    if past:
        wanted = set(totals_ids)
        every_grade, every_move = closed_month(store_id, month, start, end)
        grades = {o: counts for o, counts in every_grade.items() if o in wanted}
        moves = {o: counts for o, counts in every_move.items() if o in wanted}
        overdue = overdue_counts(store_id, totals_ids)
    else:
        grades, overdue = grade_counts(store_id, totals_ids)
        moves = move_counts(store_id, totals_ids, start, end)
    names = dict(people)
    lines = [_line(pid, names[pid], grades, overdue, moves) for pid in ids]
    total = _sum_line(
        [_line(pid, "", grades, overdue, moves) for pid in totals_ids], _("Store total")
    )
    shown = ids if (owner_id is not None or not store_wide) else totals_ids
    by_grade = {m: dict.fromkeys(GRADES, 0) for m in MOVES}
    for pid in shown:
        for (move, grade), n in moves.get(pid, {}).items():
            by_grade[move][grade] += n
    table = HotTable(
        month=month,
        store_name=actor.store.name,
        lines=lines,
        total=total,
        moves_by_grade=by_grade,
        people=people,
        owner_id=owner_id if store_wide else actor.id,
        store_wide=store_wide,
        as_of=as_of,
        reconstructed=past,
    )
    if cards is None:
        return table
    found = month_cards(actor, month, owner_id, cards, page)
    return HotTable(**{**_fields(table), "cards": found})


def _fields(table: HotTable) -> dict[str, Any]:
    return {name: getattr(table, name) for name in table.__dataclass_fields__}


def month_cards(
    actor: User, month: date, owner_id: int | None, kind: str, page: int = 1
) -> HotCards:
    """The page `page` of the cards behind one count (a grade, or "overdue") of one
    salesperson in 附表三 of `month`: the actor themself (a salesperson), or the one a
    manager names. PermissionDenied for other roles; NotFound for an unknown list, a future
    month, no person or a person out of reach."""
    require_role(actor, *HOT_ROLES)
    month = month.replace(day=1)
    _start, end, past, _as_of = _month_end(month)
    people, ids = reach(actor, owner_id)
    store_wide = is_manager(actor)
    if kind not in LISTS or len(ids) != 1 or (store_wide and owner_id is None):
        raise NotFound()
    [person] = ids
    rows, has_more = card_page(actor, person, kind, past, end, page)
    name = dict(people)[person]
    return HotCards(month, person, name, store_wide, kind, rows, page, has_more)


def _line(
    pid: int,
    name: str,
    grades: dict[int, dict[str, int]],
    overdue: dict[int, int],
    moves: dict[int, dict[tuple[str, str], int]],
) -> HotLine:
    mine = moves.get(pid, {})
    return HotLine(
        owner_id=pid,
        name=name,
        grades={g: grades.get(pid, {}).get(g, 0) for g in GRADES},
        overdue=overdue.get(pid, 0),
        moves={m: sum(n for (move, _g), n in mine.items() if move == m) for m in MOVES},
    )


def _sum_line(lines: list[HotLine], name: str) -> HotLine:
    return HotLine(
        owner_id=None,
        name=name,
        grades={g: sum(line.grades[g] for line in lines) for g in GRADES},
        overdue=sum(line.overdue for line in lines),
        moves={m: sum(line.moves[m] for line in lines) for m in MOVES},
    )


def card_page(
    actor: User, owner_id: int, kind: str, past: bool, end: datetime, page: int
) -> tuple[list[HotCard], bool]:
    """(rows, has_more): the page's cards behind one count of one salesperson, by planned
    purchase date (overdue: by due date, the longest overdue first)."""
    limit = CARDS_PAGE
    offset = (page - 1) * limit
    columns = (
        CustomerCard.id,
        CustomerCard.name,
        VehicleModel.name_zh,
        VehicleModel.name_en,
        CustomerCard.planned_purchase_date,
        CustomerCard.last_contact_at,
        CustomerCard.next_follow_up_due,
    )
    if kind == OVERDUE:
        chosen = (
            sa.select(CustomerCard.id.label("card_id"), CustomerCard.grade.label("grade"))
            .where(
                CustomerCard.store_id == actor.store_id,
                CustomerCard.stage == PROSPECT,
                CustomerCard.owner_id == owner_id,
                CustomerCard.next_follow_up_due < local_today(),
            )
            .subquery("chosen")
        )
        order: tuple[Any, ...] = (CustomerCard.next_follow_up_due, CustomerCard.id)
    else:
        cards = as_of_cards(actor.store_id, owner_id, past)
        chosen = (
            sa.select(cards.c.card_id, cards.c.grade)
            .where(cards.c.stage == PROSPECT, cards.c.grade == kind)
            .subquery("chosen")
        )
        order = (
            CustomerCard.planned_purchase_date.is_(None),
            CustomerCard.planned_purchase_date,
            CustomerCard.id,
        )
    # The cards themselves are read through the one scoping rule (a salesperson's own).
    stmt = scoped(
        sa.select(*columns, chosen.c.grade)
        .join(chosen, chosen.c.card_id == CustomerCard.id)
        .outerjoin(VehicleModel, VehicleModel.id == CustomerCard.model_id),
        CustomerCard,
        actor,
    )
    stmt = stmt.order_by(*order).limit(limit + 1).offset(offset)
    rows = [
        HotCard(
            id=r.id,
            name=r.name,
            grade=r.grade,
            model_zh=r.name_zh,
            model_en=r.name_en,
            planned_purchase_date=r.planned_purchase_date,
            last_contact_on=local_day(r.last_contact_at),
            next_follow_up_due=r.next_follow_up_due,
        )
        for r in db.session.execute(stmt, {"end": end})
    ]
    return rows[:limit], len(rows) > limit


# --- The export -----------------------------------------------------------------------------


def xlsx_headers() -> list[str]:
    return ["销售顾问", *XLSX_GRADES, "Hot合计", "逾期跟进", *XLSX_MOVES]


def xlsx_rows(table: HotTable) -> list[list[Any]]:
    """The table's lines as the export's cells, then the store's total."""
    rows = []
    for line in [*table.lines, table.total]:
        name = XLSX_TOTAL if line.owner_id is None else line.name
        rows.append(
            [
                name,
                *(line.grades[g] for g in GRADES),
                line.total,
                line.overdue,
                *(line.moves[m] for m in MOVES),
            ]
        )
    return rows


def xlsx_moves(table: HotTable) -> list[list[Any]]:
    """The movement by grade (rows: the moves; columns: H, A, B, C, total)."""
    out: list[list[Any]] = [["本月变动", *XLSX_GRADES, XLSX_TOTAL]]
    for move, label in zip(MOVES, XLSX_MOVES, strict=True):
        counts = table.moves_by_grade[move]
        out.append([label, *(counts[g] for g in GRADES), sum(counts.values())])
    return out


def xlsx(actor: User, month: date, owner_id: int | None = None) -> bytes:
    """附表三 of the month as an XLSX workbook with the screen's columns and Chinese headers:
    the lines and the total, then the movement by grade on a second sheet."""
    table = month_table(actor, month, owner_id)
    book, page = workbook(f"月度Hot管理表 {month:%Y-%m}", xlsx_headers())
    append_rows(page, xlsx_rows(table))
    moves_header, *moves_rows = xlsx_moves(table)
    moves = add_sheet(book, f"本月变动 {month:%Y-%m}", moves_header)
    append_rows(moves, moves_rows)
    fitted(moves, "B2")
    return finished(book, page, "B2")


def xlsx_filename(month: date) -> str:
    return f"hot-{month:%Y-%m}.xlsx"
