"""Demo data of 附表二 活动预订表 and the meetings: schedules of sales1-3 for yesterday, today
and tomorrow, so that the evening review and the morning meeting show something from
`make run` on.

Yesterday's lines have their results (sales1's line not done was marked for discussion),
today's early lines too (one not done, for tonight's evening meeting to mark); tomorrow's
are planned for sales1 and sales2, with the manager's comment on sales1's; sales3 has
nothing for tomorrow, so that the evening reminder is for them. The manager's plan of today
is written. The lines are written as records of the past, which no use case can do (a line
in the past is refused).

Idempotent: a store that has schedules gets nothing more.
"""

from __future__ import annotations

from datetime import date, time, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers.models import CustomerCard, Stage
from webapp.extensions import db
from webapp.org.models import Store
from webapp.pdca.schedule_models import ActivitySchedule, MeetingDay, ScheduleLine
from webapp.timeutil import local_today, now

SELLERS = ("sales1", "sales2", "sales3")
# (hour, minute, purpose, note, result, result note) per line; a card is picked in turn.
Line = tuple[int, int, str, str, str, str]
PAST: tuple[Line, ...] = (
    (9, 30, "call", "确认周末来店时间", "done", "周六上午10点来店"),
    (11, 0, "visit", "送报价单到公司", "not_done", "客户出差，改到下周"),
    (14, 30, "test_drive", "卡罗拉双擎试驾", "done", "试驾满意，考虑付定金"),
    (16, 0, "call", "交车后安全到达回访", "done", "已到家，用车顺利"),
)
TOMORROW: tuple[Line, ...] = (
    (9, 30, "call", "回访上周来店的H级客户", "", ""),
    (10, 30, "appointment", "带家人来店看车", "", ""),
    (15, 0, "call", "跟进贷款材料", "", ""),
)
COMMENT = "H级客户上午先打电话，下午试驾前确认车辆已准备好。"
PLAN = "上午集中电话回访H级客户；下午卡罗拉双擎试驾活动，全员在展厅接待。"


def _cards(store: Store, seller: User) -> list[int]:
    stmt = (
        sa.select(CustomerCard.id)
        .where(
            CustomerCard.store_id == store.id,
            CustomerCard.owner_id == seller.id,
            CustomerCard.stage != Stage.LOST.value,
        )
        .order_by(CustomerCard.id)
        .limit(4)
    )
    return list(db.session.scalars(stmt))


def _schedule(store: Store, seller: User, day: date, lines: tuple[Line, ...], cards: list[int]):
    schedule = ActivitySchedule(store_id=store.id, owner_id=seller.id, day=day)
    db.session.add(schedule)
    for n, (hour, minute, purpose, note, result, result_note) in enumerate(lines):
        schedule.lines.append(
            ScheduleLine(
                store_id=store.id,
                owner_id=seller.id,
                at=time(hour, minute),
                card_id=cards[n % len(cards)] if cards else None,
                purpose=purpose,
                note=note,
                result=result,
                result_note=result_note,
                discuss=result == "not_done",
            )
        )
    return schedule


def seed_schedules(store: Store, users: dict[str, User]) -> str:
    """Load the schedules' demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(
        sa.select(ActivitySchedule.id).where(ActivitySchedule.store_id == store.id).limit(1)
    ):
        return "Schedule demo already present; nothing changed."
    sellers = [(name, users[name]) for name in SELLERS if name in users]
    manager = users.get("manager")
    if not sellers or manager is None:
        return "No schedule demo: the demo staff are missing."
    today = local_today()
    made = 0
    for rank, (name, seller) in enumerate(sellers):
        cards = _cards(store, seller)
        # Yesterday, everything recorded; the not-done case of sales2 was not discussed.
        past = _schedule(store, seller, today - timedelta(days=1), PAST[rank % 2 :], cards)
        for line in past.lines:
            line.discuss = line.discuss and name == "sales1"
        # Today: the first two lines have their results (not marked yet: tonight's meeting
        # does it); the rest is still open.
        current = _schedule(store, seller, today, PAST, cards)
        for n, line in enumerate(current.lines):
            line.discuss = False
            if n >= 2:
                line.result, line.result_note = "", ""
        if name != "sales3":
            ahead = _schedule(store, seller, today + timedelta(days=1), TOMORROW, cards)
            if name == "sales1":
                ahead.comment = COMMENT
                ahead.commented_by_id = manager.id
                ahead.commented_at = now()
        made += 1
    db.session.add(MeetingDay(store_id=store.id, day=today, plan=PLAN, updated_by_id=manager.id))
    db.session.commit()
    return f"Schedule demo: 附表二 of {made} salespeople for yesterday, today and tomorrow."
