"""The A-C card's own writes, which every area goes through to change a card (the timeline,
the grade, the last contact), and the store's grade rules that set the next follow-up.

They validate nothing and never commit: the calling use case has validated its input and
commits once, with the card's changes and its own rows together.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from webapp.customers.models import (
    DEFAULT_GRADE_RULES,
    CardEvent,
    CustomerCard,
    Grade,
    GradeRule,
    Stage,
)
from webapp.extensions import db
from webapp.timeutil import SHANGHAI, local_today


def grade_rules(store_id: int) -> dict[Grade, tuple[int, int]]:
    """The store's (purchase window, follow-up interval) per grade, defaults filled in."""
    rules = dict(DEFAULT_GRADE_RULES)
    for rule in db.session.scalars(sa.select(GradeRule).where(GradeRule.store_id == store_id)):
        rules[Grade(rule.grade)] = (rule.purchase_within_days, rule.follow_up_days)
    return rules


def next_due(from_day: date, grade: str, rules: dict[Grade, tuple[int, int]]) -> date:
    """The next follow-up date after a contact on `from_day` for this grade."""
    return from_day + timedelta(days=rules[Grade(grade)][1])


def suggest_grade(planned: date | None, rules: dict[Grade, tuple[int, int]], today: date) -> str:
    """The grade whose purchase window contains the planned purchase date."""
    if planned is None:
        return Grade.C.value
    days = (planned - today).days
    for grade in (Grade.H, Grade.A, Grade.B):
        if days <= rules[grade][0]:
            return grade.value
    return Grade.C.value


OPEN_STAGES = (Stage.PROSPECT.value, Stage.ORDERED.value, Stage.OWNER.value)


def record_event(
    card: CustomerCard, actor_id: int | None, kind: str, note: str = "", data: dict | None = None
) -> CardEvent:
    """Add an event to the card's timeline."""
    target = {"card": card} if card.id is None else {"card_id": card.id}
    event = CardEvent(
        store_id=card.store_id, actor_id=actor_id, kind=kind, note=note, data=data or {}, **target
    )
    db.session.add(event)
    return event


def schedule_follow_up(card: CustomerCard, rules: dict | None = None) -> None:
    """Set the next follow-up due by the card's grade, counted from its last contact (today
    when there was none); a lost card has none."""
    if card.stage not in OPEN_STAGES:
        return
    base = (
        card.last_contact_at.astimezone(SHANGHAI).date() if card.last_contact_at else local_today()
    )
    card.next_follow_up_due = next_due(base, card.grade, rules or grade_rules(card.store_id))


def change_grade(
    card: CustomerCard, grade: str, actor_id: int | None, rules: dict | None = None
) -> bool:
    """Re-grade the card: the timeline notes it and the next follow-up moves to the new
    grade's interval. False when the grade is unchanged."""
    if grade == card.grade:
        return False
    record_event(card, actor_id, "grade_changed", data={"from": card.grade, "to": grade})
    card.grade = grade
    schedule_follow_up(card, rules)
    return True


def record_drive_feedback(
    actor_id: int | None,
    card: CustomerCard,
    driving_style: str,
    focus_points: list[str],
    at: Any = None,
) -> bool:
    """Note what the test drive showed on the card: the customer's driving style (a code)
    and focus points (codes). An empty style or list keeps what the card holds. The timeline
    notes the change and the card's version moves on (the mapper's version counter). False
    when nothing changed."""
    changes: dict[str, Any] = {}
    if driving_style and driving_style != card.driving_style:
        changes["driving_style"] = {"from": card.driving_style, "to": driving_style}
        card.driving_style = driving_style
    points = list(dict.fromkeys(focus_points))
    if points and points != list(card.focus_points or []):
        changes["focus_points"] = {"from": list(card.focus_points or []), "to": points}
        card.focus_points = points
    if not changes:
        return False
    event = record_event(card, actor_id, "drive_feedback", data=changes)
    if at is not None:
        event.occurred_at = at
    return True


def contact_made(card: CustomerCard, moment: Any, rules: dict | None = None) -> None:
    """A contact with the customer happened at `moment`: the follow-up counts from it."""
    card.last_contact_at = moment
    schedule_follow_up(card, rules)
