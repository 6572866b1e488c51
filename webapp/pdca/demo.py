"""Demo data of the PDCA pages: two months of the demo store's history (last month and this
one up to yesterday) for sales1-3, and their targets and the store's plan, so that 附表一 shows
real figures from `make run` on.

The history is written as records of the past, which no use case can do today: walk-in
visits, cards opened, test drives done, contracts signed (copied from the demo's delivered
contract: same memo, model and price), deliveries completed and lost sales, in a fixed
pattern by day and person. Next month's targets are set for sales1 and sales2 only, so that
sales3 is the one the N-3 reminder is for.

Idempotent: a store that has targets gets nothing more.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers.models import DEFAULT_GRADE_RULES, CustomerCard, Grade, Stage
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.negotiation.models import LostSale
from webapp.org.models import Store
from webapp.pdca.audit_demo import seed_audits
from webapp.pdca.models import SalesTarget, StorePlan
from webapp.pdca.schedule_demo import seed_schedules
from webapp.reception.models import Visit
from webapp.testdrive.models import BookingStatus, TestDriveBooking, TestDriveCar, TestDriveRoute
from webapp.timeutil import SHANGHAI, add_months, local_today

SELLERS = ("sales1", "sales2", "sales3")
SURNAMES = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨朱秦尤许何吕施张"
# Targets per person of a month: visits, new A cards, test drives, orders, deliveries.
TARGETS = {
    "sales1": (45, 30, 18, 8, 7),
    "sales2": (40, 26, 15, 7, 6),
    "sales3": (35, 22, 12, 6, 5),
}
COMMENTS = {
    -1: "上月订单达成不错，但试乘试驾率偏低，本月每位顾问至少邀约一次试驾。",
    0: "本月主推卡罗拉双擎，月底前完成交车冲刺；Hot 卡每周复盘。",
}


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _days(first: date, until: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((until - first).days)]


def _stay(opened: bool, drove: bool, n: int) -> int:
    """Minutes in the showroom, so that the dashboard's time in the showroom has every
    bucket: a look round without an A card 8–26, a needs analysis with one 25–55, a test
    drive besides 65–105."""
    if drove:
        return 65 + 20 * (n % 3)
    if opened:
        return 25 + 15 * (n % 3)
    return 8 + 9 * (n % 3)


def _history(
    store: Store,
    seller: User,
    rank: int,
    days: list[date],
    template: Contract,
    car_id: int | None,
    route_id: int | None,
) -> dict[str, int]:
    """One salesperson's visits, cards, drives, contracts, deliveries and lost sales."""
    made = dict.fromkeys(("visits", "cards", "drives", "orders", "deliveries", "lost"), 0)
    for n, day in enumerate(days):
        walk_ins = (n * (rank + 2) + rank) % 4  # 0-3 groups a day, a different rhythm each
        for k in range(walk_ins):
            arrived = _at(day, 10 + 2 * k, 15 * rank)
            opened = (n + k) % 3 != 0  # two walk-ins in three leave an A card
            card = None
            if opened:
                grade = "HABC"[(n + k + rank) % 4]
                surname = SURNAMES[(n * 3 + k + rank * 7) % len(SURNAMES)]
                card = CustomerCard(
                    store_id=store.id,
                    owner_id=seller.id,
                    name=f"{surname}先生" if (n + k) % 2 else f"{surname}女士",
                    title="mr" if (n + k) % 2 else "ms",
                    mobile=f"139{rank}{n:03d}{k:04d}",
                    source="walk_in",
                    model_id=template.model_id,
                    grade=grade,
                    created_at=arrived + timedelta(minutes=20),
                    last_contact_at=arrived,
                    # Spread over the grade's interval from today, so an open card is neither
                    # overdue nor piled on one day.
                    next_follow_up_due=local_today()
                    + timedelta(days=(n + k) % (DEFAULT_GRADE_RULES[Grade(grade)][1] + 1)),
                )
                db.session.add(card)
                db.session.flush()
                made["cards"] += 1
            drives = bool(card is not None and car_id and route_id) and (n + k) % 2 == 0
            db.session.add(
                Visit(
                    store_id=store.id,
                    day=day,
                    kind="walk_in",
                    time_in=arrived,
                    time_out=arrived
                    + timedelta(minutes=_stay(card is not None, drives, n // 2 + rank)),
                    owner_id=seller.id,
                    card_id=card.id if card else None,
                    name=card.name if card else "",
                    title=card.title if card else "",
                )
            )
            made["visits"] += 1
            if card is None:
                continue
            if drives:  # half the cards test-drive
                start = arrived + timedelta(minutes=30)
                db.session.add(
                    TestDriveBooking(
                        store_id=store.id,
                        card_id=card.id,
                        owner_id=seller.id,
                        driver_id=seller.id,
                        car_id=car_id,
                        route_id=route_id,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=25),
                        status=BookingStatus.DONE.value,
                    )
                )
                made["drives"] += 1
            if (n + k + rank) % 5 == 0:  # one card in five orders
                made["orders"] += 1
                _order(store, seller, card, template, arrived, made, delivered=n % 2 == 0)
            elif (n + k + rank) % 7 == 3:  # and some are lost
                card.stage = Stage.LOST.value
                card.next_follow_up_due = None
                db.session.add(
                    LostSale(
                        store_id=store.id,
                        card_id=card.id,
                        model_id=template.model_id,
                        competitor_brand="本田",
                        competitor_model="雅阁",
                        reasons=["price"] if n % 2 else ["product", "financing"],
                        stage_reached="quotation",
                        salesperson_id=seller.id,
                        recorded_by_id=seller.id,
                        recorded_at=arrived + timedelta(days=1),
                    )
                )
                made["lost"] += 1
    return made


def _order(
    store: Store,
    seller: User,
    card: CustomerCard,
    template: Contract,
    at: datetime,
    made: dict[str, int],
    delivered: bool,
) -> None:
    """A contract signed an hour after the visit; delivered a week later when `delivered`
    and that day has come."""
    signed = at + timedelta(hours=1)
    handed = signed + timedelta(days=7)
    delivered = delivered and handed.date() < local_today()
    card.stage = Stage.OWNER.value if delivered else Stage.ORDERED.value
    if delivered:  # an owner's contacts are the follow-up tasks' (step ⑧)
        card.next_follow_up_due = None
    contract = Contract(
        number=f"{template.number}-P{card.id}",
        store_id=store.id,
        card_id=card.id,
        owner_id=seller.id,
        memo_version_id=template.memo_version_id,
        model_id=template.model_id,
        sfx_id=template.sfx_id,
        colour_id=template.colour_id,
        state=(ContractState.DELIVERED if delivered else ContractState.SIGNED).value,
        contract_date=signed.astimezone(SHANGHAI).date(),
        delivery_date=handed.astimezone(SHANGHAI).date(),
        total=template.total,
        deposit_due=template.deposit_due,
        balance_due=template.balance_due,
        paid_total=template.total if delivered else 0,
        signed_at=signed,
    )
    db.session.add(contract)
    db.session.flush()
    if delivered:
        card.purchased_on = handed.astimezone(SHANGHAI).date()
        db.session.add(
            Delivery(
                store_id=store.id,
                contract_id=contract.id,
                card_id=card.id,
                owner_id=seller.id,
                scheduled_at=handed,
                state=DeliveryState.COMPLETED.value,
                arrived_at=handed,
                completed_at=handed + timedelta(minutes=50),
            )
        )
        made["deliveries"] += 1


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent), with the schedules of 附表二 and the
    meetings (webapp.pdca.schedule_demo) and the card box audits (webapp.pdca.audit_demo);
    return a line saying what happened."""
    plan, schedules = _seed_plan(store, users), seed_schedules(store, users)
    return f"{plan} {schedules} {seed_audits(store, users)}"


def _seed_plan(store: Store, users: dict[str, User]) -> str:
    """The history, the targets and the plans (附表一)."""
    if db.session.scalar(
        sa.select(SalesTarget.id).where(SalesTarget.store_id == store.id).limit(1)
    ):
        return "PDCA demo already present; nothing changed."
    template = db.session.scalar(
        sa.select(Contract)
        .where(Contract.store_id == store.id, Contract.state == ContractState.DELIVERED.value)
        .order_by(Contract.id)
        .limit(1)
    )
    sellers = [users[name] for name in SELLERS if name in users]
    if template is None or not sellers or "manager" not in users:
        return "No PDCA demo: the delivered contract or the demo staff are missing."
    car_id = db.session.scalar(
        sa.select(TestDriveCar.id).where(TestDriveCar.store_id == store.id).limit(1)
    )
    route_id = db.session.scalar(
        sa.select(TestDriveRoute.id).where(TestDriveRoute.store_id == store.id).limit(1)
    )
    this_month = local_today().replace(day=1)
    last_month = add_months(this_month, -1)
    days = _days(last_month, local_today())
    totals = dict.fromkeys(("visits", "cards", "drives", "orders", "deliveries", "lost"), 0)
    for rank, seller in enumerate(sellers):
        for name, n in _history(store, seller, rank, days, template, car_id, route_id).items():
            totals[name] += n
    manager = users["manager"]
    for offset in (-1, 0, 1):
        month = add_months(this_month, offset)
        for name, seller in zip(SELLERS, sellers, strict=False):
            if offset == 1 and name == "sales3":
                continue  # next month's targets still missing: the N-3 reminder's
            visits, a_cards, drives, orders, deliveries = TARGETS[name]
            db.session.add(
                SalesTarget(
                    store_id=store.id,
                    owner_id=seller.id,
                    month=month,
                    visits=visits,
                    a_cards=a_cards,
                    test_drives=drives,
                    orders=orders,
                    deliveries=deliveries,
                    note="重点跟进 H 级客户" if name == "sales1" else "",
                    updated_by_id=seller.id,
                )
            )
        if offset in COMMENTS:
            db.session.add(
                StorePlan(
                    store_id=store.id,
                    month=month,
                    visits=130,
                    a_cards=85,
                    test_drives=50,
                    orders=22,
                    deliveries=20,
                    comment=COMMENTS[offset],
                    updated_by_id=manager.id,
                )
            )
    db.session.commit()
    return (
        f"PDCA demo: {len(days)} days of history ({totals['visits']} visits, {totals['cards']} "
        f"cards, {totals['drives']} test drives, {totals['orders']} orders, "
        f"{totals['deliveries']} deliveries, {totals['lost']} lost), targets and plans."
    )
