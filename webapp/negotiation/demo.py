"""Demo data of step ⑥: one lost sale of sales1's, this week, with the manager's comment, so
the weekly won/lost review has something to show.

Idempotent: a store that has a lost-sale record gets nothing more.
"""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers.models import CustomerCard, Stage
from webapp.customers.services import apply_stage_change
from webapp.extensions import db
from webapp.negotiation.models import LostSale
from webapp.org.models import Store
from webapp.timeutil import now


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(sa.select(LostSale.id).where(LostSale.store_id == store.id).limit(1)):
        return "Lost-sale demo already present; nothing changed."
    sales, manager = users.get("sales1"), users.get("manager")
    if sales is None or manager is None:
        return "No lost-sale demo: the demo staff are missing."
    card = db.session.scalar(
        sa.select(CustomerCard)
        .where(
            CustomerCard.store_id == store.id,
            CustomerCard.owner_id == sales.id,
            CustomerCard.stage == Stage.PROSPECT.value,
        )
        .order_by(CustomerCard.id.desc())
        .limit(1)
    )
    if card is None:
        return "No lost-sale demo: no open card of sales1."
    apply_stage_change(sales, card, Stage.LOST.value, "本田 思域: 本田店给了更低的报价", None)
    db.session.add(
        LostSale(
            store_id=store.id,
            card_id=card.id,
            model_id=card.model_id,
            competitor_brand="本田",
            competitor_model="思域",
            reasons=["price", "financing"],
            reason_note="本田店给了更低的报价和两年免息",
            stage_reached="quotation",
            salesperson_id=sales.id,
            recorded_by_id=sales.id,
            recorded_at=now(),
            manager_comment="报价时没有介绍我们的金融方案，下周复盘话术。",
            commented_by_id=manager.id,
            commented_at=now(),
        )
    )
    db.session.flush()
    return "1 lost sale with a manager comment."
