"""Step ⑦ data for the generator: a delivery for each contract that has reached one.

A contract whose balance is paid is delivered within the week (a tenth of them today, at
times through the opening hours), its preparation list part-ticked; an allocated one is
planned for the week after; a delivered contract has its completed delivery in the past. So
each of the first stores (5,000 contracts) has about a dozen deliveries today, a hundred over
the week, and three thousand done, and the board and the delivery page read what a busy store
would give them. Runs inside an app context on a generated database (also on its own:
`bench/generate.py --add-deliveries`).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import Delivery, DeliveryEntry, DeliveryPrep
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract
from webapp.timeutil import SHANGHAI

DELIVERY_COLUMNS = (
    "id", "store_id", "contract_id", "card_id", "owner_id", "scheduled_at", "companions",
    "state", "arrived_at", "completed_at", "created_at", "updated_at", "version",
)  # fmt: skip
PREP_COLUMNS = ("delivery_id", "store_id", "checklist_id", "done", "item_count")
ENTRY_COLUMNS = (
    "store_id", "delivery_id", "kind", "checklist_id", "item_key", "done", "entry_uuid",
    "recorded_by_id", "recorded_at",
)  # fmt: skip
COMPANIONS = ("夫妻二人", "一家三口", "本人", "与父母同来")


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def create_deliveries(rng: random.Random, now: datetime, today: date, bulk_load) -> dict[str, int]:
    """Deliveries (and preparation ticks) for the contracts of the database."""
    db.session.execute(sa.delete(DeliveryEntry))
    db.session.execute(sa.delete(DeliveryPrep))
    db.session.execute(sa.delete(Delivery))
    prep = current_checklists()["preparation"]
    keys = [item["key"] for item in prep.items]
    rows = db.session.execute(
        sa.select(
            Contract.id,
            Contract.store_id,
            Contract.card_id,
            Contract.owner_id,
            Contract.state,
            Contract.contract_date,
        )
        .where(Contract.state.in_(("balance_paid", "allocated", "delivered")))
        .order_by(Contract.id)
    ).all()
    deliveries, entries, preps = [], [], []
    next_id = (db.session.scalar(sa.select(sa.func.max(Delivery.id))) or 0) + 1
    for contract_id, store_id, card_id, owner_id, state, contract_date in rows:
        delivery_id, next_id = next_id, next_id + 1
        if state == "delivered":
            day = min(today - timedelta(days=1), contract_date + timedelta(days=rng.randint(7, 40)))
            at = _at(day, rng.randint(9, 17), rng.choice((0, 15, 30, 45)))
            status, arrived, done = "completed", at, at + timedelta(hours=1)
            ticked = 0  # its ticks are not generated: its count says so
        else:
            ahead = rng.randint(0, 9) if state == "balance_paid" else rng.randint(7, 14)
            at = _at(today + timedelta(days=ahead), rng.randint(9, 17), rng.choice((0, 15, 30, 45)))
            status, arrived, done = "planned", None, None
            ticked = rng.randint(0, len(keys))
            for n, key in enumerate(keys[:ticked]):
                entries.append(
                    (store_id, delivery_id, "preparation", prep.id, key, True,
                     f"bench-{delivery_id:08d}-{n:04d}", owner_id, now - timedelta(hours=n))
                )  # fmt: skip
        deliveries.append(
            (delivery_id, store_id, contract_id, card_id, owner_id, at, rng.choice(COMPANIONS),
             status, arrived, done, at - timedelta(days=3), done or now, 1)
        )  # fmt: skip
        preps.append((delivery_id, store_id, prep.id, ticked, len(keys)))
    bulk_load("delivery", DELIVERY_COLUMNS, deliveries)
    bulk_load("delivery_entry", ENTRY_COLUMNS, entries)
    bulk_load("delivery_prep", PREP_COLUMNS, preps)
    if db.engine.dialect.name == "postgresql":  # ids were given: move the sequence past them
        db.session.execute(
            sa.text("select setval(pg_get_serial_sequence('delivery', 'id'), :v)"),
            {"v": next_id},
        )
    db.session.commit()
    return {
        "delivery": len(deliveries),
        "delivery_entry": len(entries),
        "delivery_prep": len(preps),
    }
