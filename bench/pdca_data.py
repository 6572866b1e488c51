"""The manager's PDCA data for the generator: every salesperson's targets and every store's
plan for each month of the history (HISTORY_MONTHS back and next month), and a lost-sale record
(附表十三) for each lost card, recorded a few days to weeks after the card was opened, with
one or two reasons. The actuals are never stored: the pages count them from the records.
Runs inside an app context on a generated database."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.timeutil import add_months

HISTORY_MONTHS = 24
REASONS = ("price", "product", "service", "financing", "timing", "other")
REASON_WEIGHTS = (40, 20, 10, 10, 15, 5)
STAGES = ("needs_analysis", "test_drive", "quotation", "negotiation", "contract")
BRANDS = ("本田", "大众", "日产", "别克", "比亚迪", "吉利")
TARGET_COLUMNS = ("store_id", "owner_id", "month", "visits", "a_cards", "test_drives", "orders",
                  "deliveries", "note", "updated_at")  # fmt: skip
PLAN_COLUMNS = ("store_id", "month", "visits", "a_cards", "test_drives", "orders", "deliveries",
                "comment", "updated_at")  # fmt: skip
LOST_COLUMNS = ("store_id", "card_id", "competitor_brand", "competitor_model", "reasons",
                "reason_note", "stage_reached", "salesperson_id", "recorded_by_id",
                "recorded_at", "manager_comment")  # fmt: skip


def create_pdca(
    rng: random.Random, today: date, bulk_load: Callable[[str, tuple[str, ...], list], None]
) -> dict[str, int]:
    """Targets, plans and lost sales of the generated database (see the module)."""
    moment = datetime.now(UTC).replace(microsecond=0)
    first = add_months(today.replace(day=1), -HISTORY_MONTHS)
    months = [add_months(first, n) for n in range(HISTORY_MONTHS + 2)]
    people = db.session.execute(
        sa.select(User.store_id, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALESPERSON.value)
        .order_by(User.store_id, User.id)
    ).all()
    by_store: dict[int, list[int]] = {}
    for store_id, user_id in people:
        by_store.setdefault(store_id, []).append(user_id)
    targets: list[tuple] = []
    plans: list[tuple] = []
    for store_id, owners in by_store.items():
        for month in months:
            sums = [0, 0, 0, 0, 0]
            for owner_id in owners:
                visits = rng.randint(20, 60)
                line = (visits, visits // 2, visits // 3, rng.randint(3, 10), rng.randint(2, 9))
                sums = [a + b for a, b in zip(sums, line, strict=True)]
                targets.append((store_id, owner_id, month, *line, "", moment))
            plans.append((store_id, month, *sums, "", moment))
    bulk_load("sales_target", TARGET_COLUMNS, targets)
    bulk_load("store_plan", PLAN_COLUMNS, plans)
    lost_rows = []
    lost_cards = db.session.execute(
        sa.select(
            CustomerCard.id, CustomerCard.store_id, CustomerCard.owner_id, CustomerCard.created_at
        )
        .where(CustomerCard.stage == "lost")
        .order_by(CustomerCard.id)
    )
    for card_id, store_id, owner_id, created in lost_cards:
        at = min(created + timedelta(days=rng.randint(3, 40), hours=rng.randint(0, 8)), moment)
        reasons = sorted(set(rng.choices(REASONS, REASON_WEIGHTS, k=rng.randint(1, 2))))
        lost_rows.append(
            (
                store_id,
                card_id,
                rng.choice(BRANDS),
                "",
                json.dumps(reasons),
                "",
                rng.choice(STAGES),
                owner_id,
                owner_id,
                at,
                "",
            )
        )
        if len(lost_rows) >= 20_000:
            bulk_load("lost_sale", LOST_COLUMNS, lost_rows)
            lost_rows = []
    bulk_load("lost_sale", LOST_COLUMNS, lost_rows)
    db.session.commit()
    lost = db.session.scalar(sa.text("select count(*) from lost_sale"))
    return {"sales_target": len(targets), "store_plan": len(plans), "lost_sale": int(lost or 0)}
