"""Demo data of reception: today's roster (sales1, sales2, sales3) and today's register —
visits open and closed, one with no A card yet, a repeat customer, and a phone call.
Idempotent (nothing is added when today's roster exists); the caller commits."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.org.models import Store
from webapp.reception.models import DutyRoster, RosterEntry, Visit, VisitKind
from webapp.reception.services.roster import roster_for
from webapp.timeutil import SHANGHAI, local_today, now


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Today's roster and register for the demo store, unless a roster for today exists."""
    team = [users[name] for name in ("sales1", "sales2", "sales3") if name in users]
    if not team:
        return "Reception demo: no salespeople, nothing added."
    today = local_today()
    if roster_for(store.id, today) is not None:
        return "Reception demo: today's roster already present."
    greeter = users.get("greeter") or team[0]
    manager = users.get("manager") or team[0]
    roster = DutyRoster(store_id=store.id, day=today, set_by_id=manager.id)
    roster.entries = [RosterEntry(user_id=p.id, position=n) for n, p in enumerate(team, 1)]
    db.session.add(roster)

    moment = now()
    opening = datetime(today.year, today.month, today.day, 9, 0, tzinfo=SHANGHAI)

    def at(minutes_ago: int) -> datetime:
        return max(opening, moment - timedelta(minutes=minutes_ago))

    models = list(db.session.scalars(sa.select(VehicleModel).where(VehicleModel.active).limit(3)))
    model_id = models[0].id if models else None
    repeat_card = db.session.scalar(
        sa.select(CustomerCard).where(
            CustomerCard.store_id == store.id, CustomerCard.owner_id == team[-1].id
        )
    )
    rows = [
        # (salesperson, kind, minutes ago in, minutes ago out, name, title, people, repeat card,
        #  assignment, grade, result)
        (team[0], VisitKind.WALK_IN, 150, 95, "陈", "mr", 2, None, "rotation", "B", "follow_up"),
        (
            team[1 % len(team)],
            VisitKind.WALK_IN,
            120,
            None,
            "刘",
            "ms",
            3,
            None,
            "rotation",
            None,
            None,
        ),
        (
            team[-1],
            VisitKind.WALK_IN,
            70,
            20,
            "",
            "mr",
            1,
            repeat_card,
            "repeat_owner",
            "A",
            "follow_up",
        ),
        (
            team[0],
            VisitKind.PHONE_OUT,
            40,
            32,
            "张",
            "ms",
            1,
            None,
            "direct",
            "A",
            "test_drive_booked",
        ),
        (team[0], VisitKind.WALK_IN, 25, None, "黄", "mr", 2, None, "rotation", None, None),
    ]
    added = 0
    for n, (who, kind, ago_in, ago_out, name, title, people, card, how, grade, result) in enumerate(
        rows
    ):
        visit = Visit(
            store_id=store.id,
            day=today,
            kind=kind.value,
            time_in=at(ago_in),
            time_out=at(ago_out) if ago_out is not None else None,
            people=people,
            repeat=card is not None,
            card=card,
            owner_id=who.id,
            name=card.name if card is not None else name,
            title=card.title if card is not None else title,
            mobile=card.mobile if card is not None else "",
            model_id=model_id,
            source="phone_in" if kind is VisitKind.PHONE_OUT else "walk_in",
            grade=grade,
            result=result,
            test_drive=False,
            next_step="周六上午试驾" if result == "test_drive_booked" else "",
            prep_notes=(
                "Who 张女士 · What 邀约试驾 · When 周六上午 · Where 本店 · Why 关注油耗 · "
                "How 先问用车场景 · How much 预算 15 万"
                if kind is VisitKind.PHONE_OUT
                else ""
            ),
            assignment=how,
            registered_by_id=(who if kind is VisitKind.PHONE_OUT else greeter).id,
            closed_by_id=who.id if ago_out is not None else None,
        )
        mobile = f"1370000{5100 + n:04d}"
        taken = db.session.scalar(
            sa.select(CustomerCard.id).where(
                CustomerCard.store_id == store.id, CustomerCard.mobile == mobile
            )
        )
        if card is None and n != 1 and taken is None:  # the 2nd visit stays without an A card
            card = CustomerCard(
                store_id=store.id,
                owner_id=who.id,
                name=name,
                title=title,
                mobile=mobile,
                source=visit.source,
                model_id=model_id,
                grade=grade or "C",
            )
            db.session.add(card)
            db.session.add(
                CardEvent(store_id=store.id, card=card, actor_id=greeter.id, kind="created")
            )
            visit.card = card
            visit.mobile = card.mobile
        db.session.add(visit)
        added += 1
    db.session.flush()
    return f"Reception demo: roster of {len(team)} and {added} visits for today."
