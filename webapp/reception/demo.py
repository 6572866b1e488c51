"""Demo data of reception: today's roster (sales1, sales2, sales3) and a register of visits —
open and closed, one with no A card yet, a repeat customer, a phone call, different models,
greetings a few minutes after arrival, and one arrival still waiting to be greeted.

The register is placed by the store's clock (Asia/Shanghai, opening at STORE_OPENS_AT, closing
at STORE_CLOSES_AT, 09:00 and 18:00 by default) at the time of the load:

- during opening hours, today's visits lie between opening and now, the day so far shrunk to
  fit when the store opened less than the register's 2½ hours ago; two visits are still open
  and the latest arrival, sales1's, waits un-greeted, so the arrival banner shows (the push
  demo's arrival notice points at it);
- after closing, today's register within today's hours, every visit closed;
- before opening (or in its first 20 minutes), yesterday's register within yesterday's hours,
  every visit closed, with yesterday's roster; today gets its roster only.

Every time in is in the past and every closed visit lasted at least a minute. Idempotent
(nothing is added when today's roster exists); the caller commits.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.card import next_due
from webapp.customers.models import CardEvent, CustomerCard
from webapp.customers.services import grade_rules
from webapp.extensions import db
from webapp.org.models import Store
from webapp.reception.models import DutyRoster, RosterEntry, Visit, VisitKind
from webapp.reception.services.roster import roster_for
from webapp.timeutil import SHANGHAI, now

# The register spans this many minutes before its end (the first arrival).
SPAN_MINUTES = 150
# Before this many minutes of opening the day so far is too short: yesterday's register instead.
SHORTEST_DAY_MINUTES = 20


@dataclass(frozen=True)
class Row:
    """One demo visit: minutes before the register's end in and out (None: still open),
    minutes after arrival the salesperson greeted (None: waiting), and what the greeter and
    the salesperson wrote."""

    who: int  # index into the team
    kind: VisitKind
    ago_in: int
    ago_out: int | None
    greeted_after: int | None
    name: str
    title: str
    people: int
    model: str
    purpose: str
    companions: str
    influencer: str
    drinks: bool
    assignment: str
    grade: str | None
    result: str | None
    card: str  # "new": an A card opened for the visit, "none": no A card yet, "repeat"
    mobile: str
    after_hours_out: int = 0  # minutes before the end it closed, when the day is over


ROWS = (
    Row(0, VisitKind.WALK_IN, 150, 95, 2, "陈", "mr", 2, "CCROSS", "browse", "妻子", "妻子",
        True, "rotation", "B", "follow_up", "new", "13920485106"),
    Row(1, VisitKind.WALK_IN, 120, None, 1, "刘", "ms", 3, "RAV4", "test_drive", "丈夫和孩子",
        "丈夫", True, "rotation", None, None, "none", "15822317342", after_hours_out=60),
    Row(2, VisitKind.WALK_IN, 70, 20, 1, "", "mr", 1, "", "negotiate", "", "", True,
        "repeat_owner", "A", "follow_up", "repeat", ""),
    Row(0, VisitKind.PHONE_OUT, 40, 32, None, "张", "ms", 1, "BZ3", "", "", "", False,
        "direct", "A", "test_drive_booked", "new", "18622049518"),
    Row(2, VisitKind.WALK_IN, 12, None, 3, "黄", "mr", 2, "AVALON", "browse", "父亲", "父亲",
        True, "rotation", None, None, "new", "17702251963", after_hours_out=5),
    Row(0, VisitKind.WALK_IN, 3, None, None, "孙", "ms", 2, "HARRIER", "browse", "朋友", "",
        False, "rotation", None, None, "new", "13512094476"),
)  # fmt: skip

PHONE_PREP = (
    "Who 张女士 · What 邀约试驾 · When 周六上午 · Where 本店 · Why 关注续航和充电 · "
    "How 先问用车场景 · How much 预算 17 万"
)


@dataclass(frozen=True)
class Plan:
    """Where the register goes: its day, the moment its last arrival is counted back from, how
    much the minutes shrink, and whether the store is open (visits may still be open)."""

    day: date
    end: datetime
    scale: float
    open_now: bool


def _clock(name: str, default: time) -> time:
    raw = str(current_app.config.get(name, default.strftime("%H:%M")))
    try:
        hour, minute = (int(p) for p in raw.split(":"))
        return time(hour, minute)
    except ValueError:
        return default


def plan_for(moment: datetime) -> Plan:
    """The register's place for a load at `moment` (see the module's docstring)."""
    local = moment.astimezone(SHANGHAI)
    today = local.date()
    opens, closes = _clock("STORE_OPENS_AT", time(9)), _clock("STORE_CLOSES_AT", time(18))

    def at(day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, SHANGHAI)

    opening = at(today, opens)
    if local < opening + timedelta(minutes=SHORTEST_DAY_MINUTES):
        yesterday = today - timedelta(days=1)
        return Plan(yesterday, at(yesterday, closes) - timedelta(minutes=30), 1.0, False)
    if local >= at(today, closes):
        return Plan(today, at(today, closes) - timedelta(minutes=30), 1.0, False)
    elapsed = (local - opening).total_seconds() / 60
    return Plan(today, moment, min(1.0, (elapsed - 2) / SPAN_MINUTES), True)


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _times(row: Row, plan: Plan) -> tuple[datetime, datetime | None, datetime | None]:
    """Time in, time out and greeting of a row under the plan."""
    time_in = _minute(plan.end - timedelta(minutes=math.ceil(row.ago_in * plan.scale)))
    ago_out = row.ago_out if plan.open_now or row.ago_out is not None else row.after_hours_out
    time_out = None
    if ago_out is not None:
        time_out = _minute(plan.end - timedelta(minutes=math.floor(ago_out * plan.scale)))
        time_out = min(max(time_out, time_in + timedelta(minutes=1)), plan.end)
    greeted = None
    if row.greeted_after is not None:
        after = max(1, round(row.greeted_after * plan.scale))
        greeted = min(time_in + timedelta(minutes=after), time_out or plan.end, plan.end)
    return time_in, time_out, greeted


def _roster(store: Store, day: date, team: list[User], manager: User) -> None:
    roster = DutyRoster(store_id=store.id, day=day, set_by_id=manager.id)
    roster.entries = [RosterEntry(user_id=p.id, position=n) for n, p in enumerate(team, 1)]
    db.session.add(roster)


def seed_demo(store: Store, users: dict[str, User], moment: datetime | None = None) -> str:
    """Today's roster and the register for the demo store (placed by `moment`, now by
    default), unless a roster for today exists."""
    team = [users[name] for name in ("sales1", "sales2", "sales3") if name in users]
    if not team:
        return "Reception demo: no salespeople, nothing added."
    moment = moment or now()
    today = moment.astimezone(SHANGHAI).date()
    if roster_for(store.id, today) is not None:
        return "Reception demo: today's roster already present."
    greeter = users.get("greeter") or team[0]
    manager = users.get("manager") or team[0]
    plan = plan_for(moment)
    _roster(store, today, team, manager)
    if plan.day != today and roster_for(store.id, plan.day) is None:
        _roster(store, plan.day, team, manager)

    models = {m.code: m for m in db.session.scalars(sa.select(VehicleModel))}
    rules = grade_rules(store.id)
    repeat_card = db.session.scalar(
        sa.select(CustomerCard)
        .where(CustomerCard.store_id == store.id, CustomerCard.owner_id == team[-1].id)
        .order_by(CustomerCard.id)
    )
    added = 0
    for row in ROWS:
        if row.greeted_after is None and row.kind is VisitKind.WALK_IN and not plan.open_now:
            continue  # nobody waits at the door of a closed store
        who = team[row.who % len(team)]
        card = repeat_card if row.card == "repeat" else None
        if row.card == "repeat" and card is None:
            continue
        model = models.get(row.model)
        model_id = card.model_id if card is not None else (model.id if model else None)
        time_in, time_out, greeted = _times(row, plan)
        phone = row.kind is VisitKind.PHONE_OUT
        visit = Visit(
            store_id=store.id,
            day=plan.day,
            kind=row.kind.value,
            time_in=time_in,
            time_out=time_out,
            people=row.people,
            repeat=card is not None,
            card=card,
            owner_id=who.id,
            name=card.name if card is not None else row.name,
            title=card.title if card is not None else row.title,
            mobile=card.mobile if card is not None else "",
            model_id=model_id,
            source="phone_in" if phone else "walk_in",
            greeted_at=greeted,
            greeted_by_id=who.id if greeted is not None else None,
            purpose=row.purpose,
            companions=row.companions,
            influencer=row.influencer,
            drinks_offered=row.drinks,
            grade=(row.grade or "B") if time_out is not None else None,
            result=(row.result or "follow_up") if time_out is not None else None,
            test_drive=False,
            next_step="周六上午试驾" if row.result == "test_drive_booked" else "",
            prep_notes=PHONE_PREP if phone else "",
            assignment=row.assignment,
            registered_by_id=(who if phone else greeter).id,
            closed_by_id=who.id if time_out is not None else None,
        )
        taken = db.session.scalar(
            sa.select(CustomerCard.id).where(
                CustomerCard.store_id == store.id, CustomerCard.mobile == row.mobile
            )
        )
        if row.card == "new" and taken is None:
            card = CustomerCard(
                store_id=store.id,
                owner_id=who.id,
                name=row.name,
                title=row.title,
                mobile=row.mobile,
                source=visit.source,
                model_id=model_id,
                grade=row.grade or "C",
                created_at=time_in,
                last_contact_at=time_in,
                next_follow_up_due=next_due(plan.day, row.grade or "C", rules),
            )
            db.session.add(card)
            db.session.add(
                CardEvent(
                    store_id=store.id,
                    card=card,
                    actor_id=greeter.id,
                    kind="created",
                    occurred_at=time_in,
                )
            )
            visit.card = card
            visit.mobile = card.mobile
        db.session.add(visit)
        added += 1
    db.session.flush()
    when = "today" if plan.day == today else "yesterday"
    return f"Reception demo: roster of {len(team)} and {added} visits for {when}."
