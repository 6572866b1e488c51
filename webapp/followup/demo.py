"""Demo data of step ⑧: owners at each point of the follow-up cadence, so that "my day", the
overdue list, the service department's page, the letters and the CR plan show something real.

The owners bought in the past, which no use case can do today: their cards, delivered
contracts (copied from the demo's delivered contract: same memo, model and price) and
completed deliveries are written as history. Everything after that goes through the area's
own rules: the engine makes the tasks, a few are done with their results, one card is handed
to service at its first maintenance, one owner referred a friend (a new A card), and sales1
has this month's CR plan (附表四).

Idempotent: a store that has a follow-up task gets nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard, Stage
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
from webapp.followup import cr_plan, engine
from webapp.followup import services as svc
from webapp.followup.models import FollowUpTask
from webapp.monthly import this_month
from webapp.negotiation.contract_models import Contract, ContractState
from webapp.org.models import Store
from webapp.timeutil import SHANGHAI, local_today


@dataclass(frozen=True)
class Owner:
    """A demo owner: who sells, the name, how many days ago the car was handed over, when the
    first call was agreed (days after the delivery), whether the car had its first
    maintenance (days ago)."""

    seller: str
    name: str
    title: str
    mobile: str
    delivered_days_ago: int
    agreed_after: int | None = None
    maintained_days_ago: int | None = None


OWNERS = (
    # delivered yesterday: the safe-arrival call is overdue, the thank-you due in two days
    Owner("sales1", "孙立军", "mr", "13820000101", 1),
    # three days ago: the thank-you letter and call are due today
    Owner("sales1", "周慧敏", "ms", "13820000102", 3),
    # a week ago with the first call agreed for today
    Owner("sales1", "吴国栋", "mr", "13820000103", 7, agreed_after=7),
    # a month ago: the free-inspection reminder is due today
    Owner("sales2", "郑雅琴", "ms", "13820000104", 30),
    # 88 days ago: the first 3-monthly contact is due in two days
    Owner("sales1", "冯志强", "mr", "13820000105", 88),
    # 95 days ago: the 3-monthly contact is five days overdue (the jobs escalate it)
    Owner("sales3", "陈美玲", "ms", "13820000106", 95),
    # 200 days ago, first maintenance 20 days ago: the service advisor keeps the card
    Owner("sales1", "杨建华", "mr", "13820000107", 200, maintained_days_ago=20),
)
# What came of the tasks already done (by owner's name and task kind); every task due more
# than OPEN_DAYS ago is done too, with DONE_DEFAULT.
OPEN_DAYS = 5
DONE_DEFAULT = "已联系,车辆使用正常"
DONE = {
    ("周慧敏", "safe_arrival"): "已安全到家,对交车仪式很满意",
    ("吴国栋", "safe_arrival"): "已到家,路上顺利",
    ("吴国栋", "thank_you"): "感谢信已寄出并电话致谢,车况良好",
    ("郑雅琴", "safe_arrival"): "已安全到家",
    ("郑雅琴", "thank_you"): "感谢信已寄出,顾客表示感谢",
    ("郑雅琴", "agreed_call"): "车辆使用正常,已提醒免费车检",
}


def _history(store: Store, owner: Owner, seller: User, template: Contract, n: int) -> Delivery:
    """The owner's card, delivered contract and completed delivery, as history."""
    today = local_today()
    day = today - timedelta(days=owner.delivered_days_ago)
    handed = datetime.combine(day, time(10, 30), SHANGHAI)
    card = CustomerCard(
        store_id=store.id,
        owner_id=seller.id,
        name=owner.name,
        title=owner.title,
        mobile=owner.mobile,
        source="walk_in",
        model_id=template.model_id,
        grade="A",
        stage=Stage.OWNER.value,
        purchased_on=day,
        preferred_contact_time="工作日晚上",
        created_at=handed - timedelta(days=30),
    )
    db.session.add(card)
    db.session.flush()
    contract = Contract(
        number=f"{template.number}-H{n}",
        store_id=store.id,
        card_id=card.id,
        owner_id=seller.id,
        memo_version_id=template.memo_version_id,
        model_id=template.model_id,
        sfx_id=template.sfx_id,
        colour_id=template.colour_id,
        state=ContractState.DELIVERED.value,
        contract_date=day - timedelta(days=20),
        delivery_date=day,
        total=template.total,
        deposit_due=template.deposit_due,
        balance_due=template.balance_due,
        paid_total=template.total,
    )
    db.session.add(contract)
    db.session.flush()
    agreed = day + timedelta(days=owner.agreed_after) if owner.agreed_after else None
    delivery = Delivery(
        store_id=store.id,
        contract_id=contract.id,
        card_id=card.id,
        owner_id=seller.id,
        scheduled_at=handed,
        state=DeliveryState.COMPLETED.value,
        arrived_at=handed,
        completed_at=handed + timedelta(minutes=50),
        home_eta=handed + timedelta(hours=3),
        agreed_call_on=agreed,
    )
    db.session.add(delivery)
    db.session.add(
        CardEvent(
            store_id=store.id,
            card_id=card.id,
            actor_id=seller.id,
            kind="stage_changed",
            occurred_at=handed + timedelta(minutes=50),
            data={"from": "ordered", "to": "owner"},
        )
    )
    return delivery


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    if db.session.scalar(
        sa.select(FollowUpTask.id).where(FollowUpTask.store_id == store.id).limit(1)
    ):
        return "Follow-up demo already present; nothing changed."
    staff = users
    template = db.session.scalar(
        sa.select(Contract)
        .where(Contract.store_id == store.id, Contract.state == ContractState.DELIVERED.value)
        .order_by(Contract.id)
        .limit(1)
    )
    advisor = staff.get("service")
    if template is None or advisor is None or "sales1" not in staff:
        return "No follow-up demo: the delivered contract or the demo staff are missing."
    made: dict[str, int] = {}
    for n, owner in enumerate(OWNERS, start=1):
        if db.session.scalar(sa.select(CustomerCard.id).where(CustomerCard.mobile == owner.mobile)):
            continue
        delivery = _history(store, owner, staff[owner.seller], template, n)
        made[owner.name] = delivery.card_id
    db.session.commit()
    # The tasks as the jobs make them, as of each past day that mattered, then today.
    today = local_today()
    for days_ago in (95, 88, 65, 30, 7, 3, 1, 0):
        moment = datetime.combine(today - timedelta(days=days_ago), time(7, 30), SHANGHAI)
        engine.plan_tasks(moment, [store.id])
    done = 0
    long_ago = datetime.combine(today - timedelta(days=OPEN_DAYS), time(0), SHANGHAI)
    for task in db.session.scalars(
        sa.select(FollowUpTask).where(FollowUpTask.store_id == store.id).order_by(FollowUpTask.id)
    ).all():
        name = db.session.scalar(
            sa.select(CustomerCard.name).where(CustomerCard.id == task.card_id)
        )
        result = DONE.get((name or "", task.kind))
        if result is None and task.due_at < long_ago:
            result = DONE_DEFAULT
        if result:
            svc.complete_task(db.session.get(User, task.owner_id), task.id, result, "reached")
            done += 1
    # 杨建华's first maintenance: the card goes to the service department.
    for owner in OWNERS:
        if owner.maintained_days_ago is None or owner.name not in made:
            continue
        day = today - timedelta(days=owner.maintained_days_ago)
        svc.record_first_maintenance(advisor, made[owner.name], day.isoformat())
    # 冯志强 referred a friend: a new A card linked to his.
    sales1 = staff["sales1"]
    referrer = made.get("冯志强")
    if referrer is not None and not db.session.scalar(
        sa.select(CustomerCard.id).where(CustomerCard.mobile == "13820000201")
    ):
        cards.create_card(
            sales1,
            {
                "name": "冯志刚",
                "title": "mr",
                "mobile": "13820000201",
                "source": "owner_referral",
                "grade": "B",
                "referred_by": str(referrer),
            },
        )
        cards.record_contact(
            sales1, referrer, "phone_out", "询问用车情况,顾客推荐了弟弟", referral_asked=True
        )
    cr_plan.save_plan(
        sales1,
        sales1.id,
        this_month(),
        {
            "contacts_planned": "12",
            "events_planned": "1",
            "referrals_planned": "4",
            "note": "车主沙龙一次",
        },
    )
    tasks = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(FollowUpTask)
        .where(FollowUpTask.store_id == store.id)
    )
    return f"Follow-up demo: {len(made)} owners, {tasks} tasks ({done} done)."
