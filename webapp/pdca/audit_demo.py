"""Demo data of 卡片箱检查: last month's card box audit of the demo store complete (every card
ticked by its salesperson and by the manager, a few with findings), this month's half done
(every other card ticked by its salesperson, one in four by the manager).

Idempotent: a store that has any tick gets nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers.lists import OPEN_STAGE, month_bounds
from webapp.customers.models import CustomerCard, Stage
from webapp.extensions import db
from webapp.org.models import Store
from webapp.pdca.audit import mark_audited
from webapp.pdca.audit_models import CardAuditTick, TickKind
from webapp.timeutil import SHANGHAI, add_months, local_today, now

OWNER_FINDINGS = ("信息不全", "跟进逾期", "联系方式有误")
MANAGER_FINDINGS = ("等级不符", "计划购车日期过期", "跟进记录过于简单")


def _section(store: Store, month: date) -> list[CustomerCard]:
    start, end = month_bounds(month)
    stmt = (
        sa.select(CustomerCard)
        .where(
            CustomerCard.store_id == store.id,
            sa.or_(
                sa.and_(
                    OPEN_STAGE,
                    CustomerCard.planned_purchase_date >= start,
                    CustomerCard.planned_purchase_date < end,
                ),
                sa.and_(
                    CustomerCard.stage == Stage.OWNER.value,
                    CustomerCard.purchased_on >= start,
                    CustomerCard.purchased_on < end,
                ),
            ),
        )
        .order_by(CustomerCard.id)
    )
    return list(db.session.scalars(stmt))


def _tick(
    card: CustomerCard, month: date, kind: str, actor_id: int, finding: str, at: datetime
) -> None:
    db.session.add(
        CardAuditTick(
            store_id=card.store_id,
            card_id=card.id,
            owner_id=card.owner_id,
            month=month,
            kind=kind,
            finding=finding,
            actor_id=actor_id,
            created_at=at,
        )
    )
    db.session.execute(mark_audited(card.id, kind, month))


def seed_audits(store: Store, users: dict[str, User]) -> str:
    """Last month's audit complete with findings, this month's half done; once per store."""
    if db.session.scalar(
        sa.select(CardAuditTick.id).where(CardAuditTick.store_id == store.id).limit(1)
    ):
        return "Card audit demo already present; nothing changed."
    manager = users["manager"]
    this = local_today().replace(day=1)
    last = add_months(this, -1)
    last_day = this - timedelta(days=1)
    done = 0
    for n, card in enumerate(_section(store, last)):
        day = last_day - timedelta(days=3 - n % 3)
        at = datetime.combine(day, time(17, 10 + n % 40), SHANGHAI)
        finding = OWNER_FINDINGS[n % 3] if n % 7 == 3 else ""
        _tick(card, last, TickKind.OWNER.value, card.owner_id, finding, at)
        review = MANAGER_FINDINGS[n % 3] if n % 9 == 4 else ""
        _tick(card, last, TickKind.MANAGER.value, manager.id, review, at + timedelta(days=1))
        done += 1
    start = datetime.combine(this, time(9), SHANGHAI)
    moment = now()
    for n, card in enumerate(_section(store, this)):
        at = max(start, moment - timedelta(hours=2 + n % 20))
        if n % 2 == 0:
            finding = OWNER_FINDINGS[n % 3] if n % 6 == 2 else ""
            _tick(card, this, TickKind.OWNER.value, card.owner_id, finding, at)
        if n % 4 == 0:
            review = MANAGER_FINDINGS[n % 3] if n % 8 == 0 else ""
            _tick(
                card, this, TickKind.MANAGER.value, manager.id, review, at + timedelta(minutes=30)
            )
    db.session.commit()
    return f"Card audit demo: last month's {done} cards audited, this month's half done."
