"""附表三's counts: each salesperson's open prospects by Hot grade now or at a past month's
end, the month's movement by grade, and the overdue follow-ups, grouped in SQL over the
store's cards and timelines (webapp.pdca.hot builds the table and its lists from them).

A past month's grades are rebuilt from the timelines: today's counts turned back by the
cards opened, re-graded or moved since the month's end (a card's grade or stage then is the
"from" of its first `grade_changed` / `stage_changed` event after it). The first reading
after a month ended keeps its counts and movement (HotMonthClose); later readings take them
as kept. These are store-level aggregates by owner: the caller keeps the people the acting
user reaches.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from webapp.customers.models import CardEvent, CustomerCard, Stage
from webapp.extensions import db
from webapp.pdca.hot_models import HotMonthClose
from webapp.timeutil import local_today
from webapp.transactions import keep_once

GRADES = ("H", "A", "B", "C")
MOVES = ("opened", "up", "down", "ordered", "lost")
PROSPECT = Stage.PROSPECT.value


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
    """Open prospects by owner and grade as they stand, with each group's follow-ups due
    before `today` (the stage index holds the due date: one pass reads both)."""
    overdue = sa.func.count().filter(CustomerCard.next_follow_up_due < TODAY)
    return (
        sa.select(CustomerCard.owner_id, CustomerCard.grade, sa.func.count(), overdue)
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


def grade_counts(store_id: int, ids: list[int]) -> tuple[dict[int, dict], dict[int, int]]:
    """Open prospects by owner (of `ids`) and grade as they stand now, and each owner's
    overdue follow-ups (as overdue_counts)."""
    wanted = set(ids)
    found: dict[int, dict[str, int]] = {}
    overdue: dict[int, int] = {}
    params = {"store_id": store_id, "today": local_today()}
    for owner_id, grade, n, late in db.session.execute(_now_statement(), params):
        if owner_id not in wanted:
            continue
        if late:
            overdue[owner_id] = overdue.get(owner_id, 0) + int(late)
        if grade in GRADES:
            found.setdefault(owner_id, {})[grade] = int(n)
    return found, overdue


def _rebuilt_counts(store_id: int, end: datetime) -> dict[int, dict[str, int]]:
    """Every owner's open prospects by grade at `end`: today's counts turned back by the cards
    opened, re-graded or moved since."""
    found: dict[int, dict[str, int]] = {}
    now = {"store_id": store_id, "today": local_today()}
    for owner_id, grade, n, _late in db.session.execute(_now_statement(), now):
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


def closed_month(
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
    moves = move_counts(store_id, None, start, end)
    record = {
        "grades": {str(owner): counts for owner, counts in grades.items()},
        "moves": {
            str(owner): {f"{move}|{grade}": n for (move, grade), n in counts.items()}
            for owner, counts in moves.items()
        },
    }
    keep_once([HotMonthClose(store_id=store_id, month=month, counts=record)])
    return grades, moves


def as_of_cards(store_id: int, owner_id: int, past: bool) -> sa.Subquery:
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


def overdue_counts(store_id: int, ids: list[int]) -> dict[int, int]:
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


def move_counts(
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
