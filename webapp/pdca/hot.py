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
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.lists import local_day
from webapp.customers.models import CardEvent, CustomerCard, Stage
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.monthly import is_manager, reach, salespeople, this_month
from webapp.pdca.hot_models import HotMonthClose
from webapp.timeutil import add_months, local_month_bounds, local_today, now
from webapp.xlsx import finished, safe_cell

HOT_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
GRADES = ("H", "A", "B", "C")
MOVES = ("opened", "up", "down", "ordered", "lost")
OVERDUE = "overdue"
LISTS = (*GRADES, OVERDUE)
CARDS_PAGE = 30
PROSPECT = Stage.PROSPECT.value

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


# The timeline read beside an outer statement over card_event itself.
LATER = aliased(CardEvent, name="later")
END = sa.bindparam("end", type_=CardEvent.occurred_at.type)


def _was(kind: str, column: Any, moment: Any, inclusive: bool) -> sa.ColumnElement[str]:
    """The card's `column` (grade or stage) at `moment`: the "from" of its first `kind` event
    after it, else its value now (one index probe per card: card, kind, time)."""
    after = LATER.occurred_at >= moment if inclusive else LATER.occurred_at > moment
    later = (
        sa.select(LATER.data["from"].as_string())
        .where(LATER.card_id == CustomerCard.id, LATER.kind == kind, after)
        .order_by(LATER.occurred_at, LATER.id)
        .limit(1)
        .correlate(CustomerCard, CardEvent)
        .scalar_subquery()
    )
    return sa.func.coalesce(later, column)


def _grade_then(moment: Any, inclusive: bool) -> sa.ColumnElement[str]:
    return _was("grade_changed", CustomerCard.grade, moment, inclusive)


# The counts' statements are built once per process (building one cost more than running
# it); the store, the moments and today go in as parameters. None filters by person: the
# rows are few once grouped, the caller keeps the people it shows, and a filter on the owner
# made the planner walk the cards instead of the month's events.
STORE = sa.bindparam("store_id", type_=sa.Integer)
START = sa.bindparam("start", type_=CardEvent.occurred_at.type)
TODAY = sa.bindparam("today", type_=sa.Date)


@cache
def _now_statement() -> sa.Select:
    """Open prospects by owner and grade as they stand (read from the stage index alone)."""
    return (
        sa.select(CustomerCard.owner_id, CustomerCard.grade, sa.func.count())
        .where(CustomerCard.store_id == STORE, CustomerCard.stage == PROSPECT)
        .group_by(CustomerCard.owner_id, CustomerCard.grade)
    )


@cache
def _rewind_statement() -> sa.CompoundSelect:
    """What turns today's counts back to `end`, as (owner, grade, stage, opened since, grade
    then, stage then, count): the cards opened before `end` and re-graded or moved since,
    with the "from" of their first such event since (one pass over the events since `end`
    by the store index, ranked per card and kind), and the cards opened since. Set-based:
    one probe per card ran as a sub-plan per card on PostgreSQL."""
    ranked = (
        sa.select(
            CardEvent.card_id,
            CardEvent.kind,
            CardEvent.data["from"].as_string().label("was"),
            sa.func.row_number()
            .over(
                partition_by=(CardEvent.card_id, CardEvent.kind),
                order_by=(CardEvent.occurred_at, CardEvent.id),
            )
            .label("n"),
        )
        .where(
            CardEvent.store_id == STORE,
            CardEvent.kind.in_(("grade_changed", "stage_changed")),
            CardEvent.occurred_at >= END,
        )
        .subquery("ranked")
    )
    first = (
        sa.select(
            ranked.c.card_id,
            sa.func.max(sa.case((ranked.c.kind == "grade_changed", ranked.c.was))).label("grade"),
            sa.func.max(sa.case((ranked.c.kind == "stage_changed", ranked.c.was))).label("stage"),
        )
        .where(ranked.c.n == 1)
        .group_by(ranked.c.card_id)
        .subquery("first_since")
    )
    was_grade = sa.func.coalesce(first.c.grade, CustomerCard.grade)
    was_stage = sa.func.coalesce(first.c.stage, CustomerCard.stage)
    changed = (
        sa.select(
            CustomerCard.owner_id,
            CustomerCard.grade,
            CustomerCard.stage,
            sa.literal(False).label("opened_since"),
            was_grade.label("was_grade"),
            was_stage.label("was_stage"),
            sa.func.count(),
        )
        .select_from(first)
        .join(CustomerCard, CustomerCard.id == first.c.card_id)
        .where(CustomerCard.created_at < END)
        .group_by(
            CustomerCard.owner_id, CustomerCard.grade, CustomerCard.stage, was_grade, was_stage
        )
    )
    opened = (
        sa.select(
            CustomerCard.owner_id,
            CustomerCard.grade,
            CustomerCard.stage,
            sa.literal(True).label("opened_since"),
            CustomerCard.grade,
            CustomerCard.stage,
            sa.func.count(),
        )
        .where(CustomerCard.store_id == STORE, CustomerCard.created_at >= END)
        .group_by(CustomerCard.owner_id, CustomerCard.grade, CustomerCard.stage)
    )
    return sa.union_all(changed, opened)


def _grade_counts(store_id: int, ids: list[int]) -> dict[int, dict]:
    """Open prospects by owner (of `ids`) and grade as they stand now."""
    wanted = set(ids)
    found: dict[int, dict[str, int]] = {}
    for owner_id, grade, n in db.session.execute(_now_statement(), {"store_id": store_id}):
        if owner_id in wanted and grade in GRADES:
            found.setdefault(owner_id, {})[grade] = int(n)
    return found


def _rebuilt_counts(store_id: int, end: datetime) -> dict[int, dict[str, int]]:
    """Every owner's open prospects by grade at `end`: today's counts turned back by the cards
    opened, re-graded or moved since."""
    found: dict[int, dict[str, int]] = {}
    for owner_id, grade, n in db.session.execute(_now_statement(), {"store_id": store_id}):
        found.setdefault(owner_id, {})[grade] = int(n)
    params = {"store_id": store_id, "end": end}
    for owner_id, grade, stage, new, was_grade, was_stage, n in db.session.execute(
        _rewind_statement(), params
    ):
        mine = found.setdefault(owner_id, {})
        if stage == PROSPECT:
            mine[grade] = mine.get(grade, 0) - int(n)
        if not new and was_stage == PROSPECT:
            mine[was_grade] = mine.get(was_grade, 0) + int(n)
    return found


def _kept(store_id: int, month: date) -> dict[str, Any] | None:
    """The counts kept of a closed month, or None."""
    return db.session.scalar(
        sa.select(HotMonthClose.counts).where(
            HotMonthClose.store_id == store_id, HotMonthClose.month == month
        )
    )


Moves = dict[int, dict[tuple[str, str], int]]


def _move_key(key: str) -> tuple[str, str]:
    """A kept movement's key "move|grade" as (move, grade)."""
    move, _bar, grade = key.partition("|")
    return move, grade


def _closed_month(
    store_id: int, month: date, start: datetime, end: datetime
) -> tuple[dict[int, dict[str, int]], Moves]:
    """A closed month's counts and movement, every owner's, as kept; or rebuilt and kept now:
    the first reading after the month's end writes them (in a savepoint, committed at once; a
    concurrent first reading that kept them first wins, and both show the same figures)."""
    kept = _kept(store_id, month)
    if kept is not None:
        grades = {int(owner): dict(counts) for owner, counts in kept["grades"].items()}
        moves: Moves = {
            int(owner): {_move_key(key): n for key, n in counts.items()}
            for owner, counts in kept["moves"].items()
        }
        return grades, moves
    grades = {
        owner: {g: n for g, n in counts.items() if g in GRADES and n}
        for owner, counts in _rebuilt_counts(store_id, end).items()
        if owner is not None
    }
    moves = _move_counts(store_id, None, start, end)
    record = {
        "grades": {str(owner): counts for owner, counts in grades.items()},
        "moves": {
            str(owner): {f"{move}|{grade}": n for (move, grade), n in counts.items()}
            for owner, counts in moves.items()
        },
    }
    try:
        with db.session.begin_nested():
            db.session.add(HotMonthClose(store_id=store_id, month=month, counts=record))
        db.session.commit()
    except sa.exc.IntegrityError:
        pass  # kept by a concurrent reading: the savepoint is rolled back, the figures agree
    return grades, moves


def _as_of_cards(store_id: int, owner_id: int, past: bool) -> sa.Subquery:
    """One owner's cards of the store with their grade and stage: now, or at `end` (a
    parameter) for a past month (two index probes per card)."""
    if not past:
        stmt = sa.select(
            CustomerCard.id.label("card_id"),
            CustomerCard.grade.label("grade"),
            CustomerCard.stage.label("stage"),
        ).where(CustomerCard.store_id == store_id, CustomerCard.owner_id == owner_id)
        return stmt.subquery("cards_now")
    stmt = sa.select(
        CustomerCard.id.label("card_id"),
        _was("grade_changed", CustomerCard.grade, END, inclusive=True).label("grade"),
        _was("stage_changed", CustomerCard.stage, END, inclusive=True).label("stage"),
    ).where(
        CustomerCard.store_id == store_id,
        CustomerCard.owner_id == owner_id,
        CustomerCard.created_at < END,
    )
    return stmt.subquery("cards_then")


@cache
def _overdue_statement() -> sa.Select:
    return (
        sa.select(CustomerCard.owner_id, sa.func.count())
        .where(
            CustomerCard.store_id == STORE,
            CustomerCard.stage == PROSPECT,
            CustomerCard.next_follow_up_due < TODAY,
        )
        .group_by(CustomerCard.owner_id)
    )


def _overdue_counts(store_id: int, ids: list[int]) -> dict[int, int]:
    """Open prospects whose follow-up was due before today, by owner (of `ids`)."""
    params = {"store_id": store_id, "today": local_today()}
    wanted = set(ids)
    return {
        owner_id: int(n)
        for owner_id, n in db.session.execute(_overdue_statement(), params)
        if owner_id in wanted
    }


@cache
def _moves_statement() -> sa.Select:
    """The month's movement [start, end) as (owner, move, grade, was, count): the cards opened
    by the grade they were opened with, the re-grades by (to, from) and the stage changes to
    ordered or lost by the grade then. One UNION ALL."""
    opened = sa.select(
        CustomerCard.owner_id.label("owner_id"),
        sa.literal("opened").label("move"),
        _grade_then(CustomerCard.created_at, inclusive=True).label("grade"),
        sa.literal("").label("was"),
    ).where(
        CustomerCard.store_id == STORE,
        CustomerCard.created_at >= START,
        CustomerCard.created_at < END,
    )
    before = CardEvent.data["from"].as_string()
    after = CardEvent.data["to"].as_string()
    in_month = (
        CardEvent.store_id == STORE,
        CardEvent.occurred_at >= START,
        CardEvent.occurred_at < END,
    )
    # Up or down is decided by the caller from (to, from): a CASE over the grades read the
    # JSON again for every row.
    regraded = (
        sa.select(
            CustomerCard.owner_id.label("owner_id"),
            sa.literal("regraded").label("move"),
            after.label("grade"),
            before.label("was"),
        )
        .join(CustomerCard, CustomerCard.id == CardEvent.card_id)
        .where(CardEvent.kind == "grade_changed", *in_month)
    )
    moved = (
        sa.select(
            CustomerCard.owner_id.label("owner_id"),
            after.label("move"),
            _grade_then(CardEvent.occurred_at, inclusive=False).label("grade"),
            sa.literal("").label("was"),
        )
        .join(CustomerCard, CustomerCard.id == CardEvent.card_id)
        .where(
            CardEvent.kind == "stage_changed",
            *in_month,
            after.in_((Stage.ORDERED.value, Stage.LOST.value)),
        )
    )
    every = sa.union_all(opened, regraded, moved).subquery("moves")
    return sa.select(*every.c, sa.func.count()).group_by(*every.c)


def _move_counts(
    store_id: int, ids: list[int] | None, start: datetime, end: datetime
) -> dict[int, dict[tuple[str, str], int]]:
    """(move, grade) → count by owner (of `ids`, or every owner), for the month [start, end)."""
    params = {"store_id": store_id, "start": start, "end": end}
    found: dict[int, dict[tuple[str, str], int]] = {}
    wanted = None if ids is None else set(ids)
    for owner_id, move, grade, was, n in db.session.execute(_moves_statement(), params):
        if move == "regraded" and grade in GRADES and was in GRADES:
            move = "up" if GRADES.index(grade) < GRADES.index(was) else "down"
        if (wanted is None or owner_id in wanted) and move in MOVES and grade in GRADES:
            key = (move, grade)
            mine = found.setdefault(owner_id, {})
            mine[key] = mine.get(key, 0) + int(n)
    return found


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
        every_grade, every_move = _closed_month(store_id, month, start, end)
        grades = {o: counts for o, counts in every_grade.items() if o in wanted}
        moves = {o: counts for o, counts in every_move.items() if o in wanted}
    else:
        grades = _grade_counts(store_id, totals_ids)
        moves = _move_counts(store_id, totals_ids, start, end)
    overdue = _overdue_counts(store_id, totals_ids)
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
        cards = _as_of_cards(actor.store_id, owner_id, past)
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
    from openpyxl import Workbook
    from openpyxl.styles import Font

    table = month_table(actor, month, owner_id)
    book = Workbook()
    page = book.active
    page.title = f"月度Hot管理表 {month:%Y-%m}"
    page.append(xlsx_headers())
    for row in xlsx_rows(table):
        page.append([safe_cell(cell) for cell in row])
    for cell in page[1]:
        cell.font = Font(bold=True)
    moves = book.create_sheet(f"本月变动 {month:%Y-%m}")
    for row in xlsx_moves(table):
        moves.append([safe_cell(cell) for cell in row])
    for cell in moves[1]:
        cell.font = Font(bold=True)
    finished(book, moves, "B2")
    return finished(book, page, "B2")


def xlsx_filename(month: date) -> str:
    return f"hot-{month:%Y-%m}.xlsx"
