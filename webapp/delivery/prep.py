"""The preparation list's state kept per delivery (DeliveryPrep) for the board: the latest
tick of each item, and the count rewritten whenever a tick lands or the list gets a new
version. The delivery page reads the ticks themselves (`latest_ticks`)."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.delivery.models import (
    ChecklistKind,
    Delivery,
    DeliveryChecklist,
    DeliveryEntry,
    DeliveryPrep,
    DeliveryState,
)
from webapp.extensions import db


def latest_ticks(delivery_ids: list[int]) -> dict[int, dict[str, bool]]:
    """delivery id → item key → its latest preparation tick."""
    if not delivery_ids:
        return {}
    rows = db.session.execute(
        sa.select(DeliveryEntry.delivery_id, DeliveryEntry.item_key, DeliveryEntry.done)
        .where(
            DeliveryEntry.delivery_id.in_(delivery_ids),
            DeliveryEntry.kind == ChecklistKind.PREPARATION.value,
        )
        .order_by(DeliveryEntry.recorded_at, DeliveryEntry.id)
    )
    state: dict[int, dict[str, bool]] = {}
    for delivery_id, key, done in rows:
        state.setdefault(delivery_id, {})[key] = bool(done)
    return state


REFRESH_CHUNK = 500
OPEN = (DeliveryState.PLANNED.value, DeliveryState.ARRIVED.value)  # still to be handed over


def refresh_prep(delivery_ids: list[int], checklist: DeliveryChecklist) -> None:
    """Rewrite the DeliveryPrep rows of these deliveries from their ticks and `checklist`,
    the current preparation list (flushed, not committed). Their rows are locked first and
    the ticks read after, so two tablets ticking one delivery at once count each other's
    tick; the caller's own ticks are flushed before. Deliveries go in id order, in chunks."""
    if not delivery_ids:
        return
    keys = [item["key"] for item in checklist.items]
    db.session.flush()
    ids = sorted(set(delivery_ids))
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        rows = {
            row.delivery_id: row
            for row in db.session.scalars(
                sa.select(DeliveryPrep)
                .where(DeliveryPrep.delivery_id.in_(chunk))
                .order_by(DeliveryPrep.delivery_id)
                .with_for_update()
            )
        }
        missing = [delivery_id for delivery_id in chunk if delivery_id not in rows]
        stores: dict[int, int] = {}
        if missing:  # a delivery's row is made when it is scheduled: rarely read here
            stores = {
                delivery_id: store_id
                for delivery_id, store_id in db.session.execute(
                    sa.select(Delivery.id, Delivery.store_id).where(Delivery.id.in_(missing))
                )
            }
        ticks = latest_ticks(chunk)
        for delivery_id in chunk:
            row = rows.get(delivery_id)
            if row is None:
                if delivery_id not in stores:
                    continue  # no such delivery
                row = DeliveryPrep(delivery_id=delivery_id, store_id=stores[delivery_id])
                db.session.add(row)
            latest = ticks.get(delivery_id, {})
            row.checklist_id = checklist.id
            row.done = sum(1 for key in keys if latest.get(key))
            row.item_count = len(keys)
    db.session.flush()


def refresh_open_preps(checklist: DeliveryChecklist) -> int:
    """After the preparation list got a new version: the counts of every delivery not yet
    handed over or cancelled, against it. Returns how many were rewritten."""
    ids = list(db.session.scalars(sa.select(Delivery.id).where(Delivery.state.in_(OPEN))))
    refresh_prep(ids, checklist)
    return len(ids)
