"""The manager's PDCA data for the generator: every salesperson's targets and every store's
plan for each month of the history (HISTORY_MONTHS back and next month), a lost-sale record
(附表十三) for each lost card, recorded a few days to weeks after the card was opened, with
one or two reasons, and the card box audits of the last AUDIT_MONTHS months and of this one
(create_audits). The actuals are never stored: the pages count them from the records.
Runs inside an app context on a generated database."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from webapp.auth.models import Role, User, UserRole
from webapp.customers.models import CustomerCard, Stage
from webapp.extensions import db
from webapp.pdca.audit import SUGGESTED_FINDINGS
from webapp.pdca.audit_models import TickKind
from webapp.timeutil import SHANGHAI, add_months

HISTORY_MONTHS = 24
REASONS = ("price", "product", "service", "financing", "timing", "other")
REASON_WEIGHTS = (40, 20, 10, 10, 15, 5)
STAGES = ("needs_analysis", "test_drive", "quotation", "negotiation", "contract")
BRANDS = ("本田", "大众", "日产", "别克", "比亚迪", "吉利")
TARGET_COLUMNS = ("store_id", "owner_id", "month", "visits", "a_cards", "test_drives", "orders",
                  "deliveries", "note", "updated_at")  # fmt: skip
PLAN_COLUMNS = ("store_id", "month", "visits", "a_cards", "test_drives", "orders", "deliveries",
                "comment", "updated_at")  # fmt: skip
TICK_COLUMNS = ("store_id", "card_id", "owner_id", "month", "kind", "finding", "actor_id",
                "created_at")  # fmt: skip
# The card box audits: the months audited before this one, and how thoroughly. In a closed
# month nearly every card is ticked by its salesperson and most again by the manager; this
# month's audit is under way.
AUDIT_MONTHS = 12
OWNER_TICKED, MANAGER_TICKED = 0.92, 0.75
OWNER_TICKED_NOW, MANAGER_TICKED_NOW = 0.35, 0.08
OWNER_FINDING, MANAGER_FINDING, TICKED_AGAIN = 0.04, 0.08, 0.5
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


def _months_end(month: date) -> datetime:
    """The start of the month after `month`, Shanghai midnight, in UTC."""
    local = datetime.combine(add_months(month, 1), datetime.min.time(), SHANGHAI)
    return local.astimezone(UTC)


def create_audits(
    rng: random.Random, today: date, bulk_load: Callable[[str, tuple[str, ...], list], None]
) -> int:
    """The card box audits (card_audit_tick) of the last AUDIT_MONTHS months and this one, on
    the cards each month's section holds now (A cards by planned purchase date, C cards by
    purchase date, as webapp.pdca.audit reads them): the salesperson's ticks in the month's
    last week, the manager's in the days after it (this month's before now), a finding on a
    few, and a few cards ticked again once their finding was seen to. Returns the ticks."""
    now = datetime.now(UTC).replace(microsecond=0)
    this_month = today.replace(day=1)
    first = add_months(this_month, -AUDIT_MONTHS)
    end = add_months(this_month, 1)
    managers: dict[int, list[int]] = {}
    for store_id, user_id in db.session.execute(
        sa.select(User.store_id, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.SALES_MANAGER.value)
        .order_by(User.store_id, User.id)
    ):
        managers.setdefault(store_id, []).append(user_id)
    open_stages = (Stage.PROSPECT.value, Stage.ORDERED.value)
    filed = sa.case(
        (CustomerCard.stage == Stage.OWNER.value, CustomerCard.purchased_on),
        else_=CustomerCard.planned_purchase_date,
    )
    cards = db.session.execute(
        sa.select(
            CustomerCard.id,
            CustomerCard.store_id,
            CustomerCard.owner_id,
            filed,
            CustomerCard.created_at,
        )
        .where(
            sa.or_(
                sa.and_(
                    CustomerCard.stage.in_(open_stages),
                    CustomerCard.planned_purchase_date >= first,
                    CustomerCard.planned_purchase_date < end,
                ),
                sa.and_(
                    CustomerCard.stage == Stage.OWNER.value,
                    CustomerCard.purchased_on >= first,
                    CustomerCard.purchased_on < end,
                ),
            )
        )
        .order_by(CustomerCard.id)
    )
    owner, manager = TickKind.OWNER.value, TickKind.MANAGER.value
    rows: list[tuple] = []
    made = 0

    def at(start: datetime, stop: datetime) -> datetime:
        span = max(int((min(stop, now) - start).total_seconds()), 1)
        return start + timedelta(seconds=rng.randrange(span))

    for card_id, store_id, owner_id, filed_on, created in cards:
        month = filed_on.replace(day=1)
        closed = month < this_month
        month_end = _months_end(month)
        if closed:
            own_from, own_to = month_end - timedelta(days=7), month_end
            check_from, check_to = month_end, month_end + timedelta(days=6)
        else:
            own_from = check_from = _months_end(add_months(month, -1))
            own_to = check_to = now
        # Nobody ticks a card before it exists.
        own_from, check_from = max(own_from, created), max(check_from, created)
        if own_from >= min(own_to, now):
            continue
        finding = SUGGESTED_FINDINGS
        base = (store_id, card_id, owner_id, month)
        if rng.random() < (OWNER_TICKED if closed else OWNER_TICKED_NOW):
            ticked = at(own_from, own_to)
            found = rng.choice(finding) if rng.random() < OWNER_FINDING else ""
            rows.append((*base, owner, found, owner_id, ticked))
            if found and rng.random() < TICKED_AGAIN:
                rows.append((*base, owner, "", owner_id, at(ticked, own_to)))
        if managers.get(store_id) and rng.random() < (
            MANAGER_TICKED if closed else MANAGER_TICKED_NOW
        ):
            found = rng.choice(finding) if rng.random() < MANAGER_FINDING else ""
            checker = rng.choice(managers[store_id])
            rows.append((*base, manager, found, checker, at(check_from, check_to)))
        if len(rows) >= 50_000:
            bulk_load("card_audit_tick", TICK_COLUMNS, rows)
            made += len(rows)
            rows = []
    bulk_load("card_audit_tick", TICK_COLUMNS, rows)
    # What each tick writes on its card (webapp.pdca.audit.mark_audited): the month of the
    # card's latest tick of each check. PostgreSQL: both in one pass over the cards (each
    # update writes a new version of the row and of its indexes' entries).
    if db.engine.dialect.name == "postgresql":
        latest = (
            "(array_agg(month ORDER BY created_at DESC, id DESC) FILTER (WHERE kind = '{}'))[1]"
        )
        db.session.execute(
            sa.text(
                "UPDATE customer_card SET audit_owner_month = latest.owner_month, "  # noqa: S608
                "audit_manager_month = latest.manager_month FROM ("
                f"SELECT card_id, {latest.format(owner)} AS owner_month, "
                f"{latest.format(manager)} AS manager_month "
                "FROM card_audit_tick GROUP BY card_id"
                ") AS latest WHERE latest.card_id = customer_card.id"
            )
        )
    else:
        for column, kind in (("audit_owner_month", owner), ("audit_manager_month", manager)):
            db.session.execute(
                sa.text(
                    f"UPDATE customer_card SET {column} = ("  # noqa: S608
                    "SELECT t.month FROM card_audit_tick t WHERE t.card_id = customer_card.id "
                    "AND t.kind = :kind ORDER BY t.created_at DESC, t.id DESC LIMIT 1) "
                    "WHERE id IN (SELECT card_id FROM card_audit_tick WHERE kind = :kind)"
                ),
                {"kind": kind},
            )
    db.session.commit()
    return made + len(rows)
