"""Demo data of the A-C cards (step ①): the demo store's grade rules and, in both demo stores,
customers with their timelines of contacts (seeded, so every load gives the same cards).

Dates are relative to the day of the load: an open card's last contact puts its next
follow-up around that day (a fifth due that day, some a day or two overdue, the rest within
the grade's follow-up days); mobiles use mainland mobile ranges (MOBILE_PREFIXES).

Idempotent: a store that holds cards gets none. The customer lists also feed
bench/generate.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, Grade, GradeRule, Stage
from webapp.customers.services import CALL_KINDS, SOURCES, grade_rules, next_due
from webapp.extensions import db
from webapp.org.models import Store
from webapp.timeutil import SHANGHAI, local_today, now

# The demo store's own grade rules (the other grades keep the defaults).
GRADE_RULES = {Grade.H: (7, 2), Grade.A: (15, 3)}

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国文辉鹏飞宇浩然晨阳欣怡"
    "子涵梓萱雨轩俊杰佳豪思远志强海燕红梅玉兰"
)
USAGES = ["上下班通勤", "周末家庭出游", "接送孩子上学", "商务接待", "长途自驾", "跑网约车"]
HOBBIES = ["钓鱼", "摄影", "露营", "羽毛球", "跑步", "自驾游", "茶艺", "篮球"]
FAMILIES = ["已婚，一个孩子", "已婚，两个孩子", "单身", "三代同堂", "新婚"]
COMPETITORS = [
    "本田雅阁",
    "大众帕萨特",
    "比亚迪汉",
    "日产天籁",
    "本田CR-V",
    "大众途观L",
    "比亚迪宋PLUS",
]
# The rivals a customer interested in a model names most (the comparison sheets' rivals).
MODEL_COMPETITORS = {
    "COROLLA": ["日产轩逸", "本田思域"],
    "RAV4": ["本田CR-V", "大众途观L", "日产奇骏", "比亚迪宋PLUS"],
    "AVALON": ["本田雅阁", "大众帕萨特", "日产天籁"],
    "CCROSS": ["本田缤智", "日产逍客"],
    "BZ3": ["比亚迪秦PLUS EV", "大众ID.3"],
}
# Mainland mobile (voice) number ranges; 140-149 hold data-only and IoT numbers, left out.
MOBILE_PREFIXES = (
    *(f"13{d}" for d in range(10)),
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "176",
    "177",
    "178",
    *(f"18{d}" for d in range(10)),
    "199",
)
ADDRESSES = [
    "河西区友谊路",
    "南开区鞍山西道",
    "和平区南京路",
    "河东区十一经路",
    "西青区大寺镇",
    "滨海新区第二大街",
    "东丽区津塘路",
]
OCCUPATIONS = ["教师", "医生", "公务员", "工程师", "个体经营", "销售经理", "会计", "设计师"]
DRIVING_STYLES = ["steady", "assured", "sporty", "cautious"]
FOCUS_POINTS = ["power", "handling", "comfort", "quietness", "space", "fuel_economy", "safety"]
NOTES = [
    "电话沟通，客户周末带家人来看车",
    "客户关注油耗和保值率，已发送配置表",
    "邀约试驾，客户答应周六上午到店",
    "客户对比竞品，重点讲解了双擎系统",
    "客户询问贷款方案，已说明首付和月供",
    "微信发送了优惠活动信息",
    "客户到店看车，坐进展车体验空间",
]


def _grade_rules(store: Store) -> None:
    for grade, (window, every) in GRADE_RULES.items():
        exists = db.session.scalar(
            sa.select(GradeRule.id).where(
                GradeRule.store_id == store.id, GradeRule.grade == grade.value
            )
        )
        if exists is None:
            db.session.add(
                GradeRule(
                    store_id=store.id,
                    grade=grade.value,
                    purchase_within_days=window,
                    follow_up_days=every,
                )
            )


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        mobile = rng.choice(MOBILE_PREFIXES) + "".join(rng.choices("0123456789", k=8))
        if mobile not in used:
            used.add(mobile)
            return mobile


def _customers(
    store: Store, owners: list[User], models: list[VehicleModel], count: int, seed: int
) -> int:
    if db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CustomerCard)
        .where(CustomerCard.store_id == store.id)
    ):
        return 0
    rng = random.Random(seed)  # noqa: S311  (the same demo cards on every load)
    today = local_today()
    moment = now()
    rules = grade_rules(store.id)
    used: set[str] = set()
    weights = [5, 3, 1][: len(owners)] or [1]
    for _i in range(count):
        owner = rng.choices(owners, weights=weights[: len(owners)])[0]
        stage = rng.choices(
            [Stage.PROSPECT, Stage.ORDERED, Stage.OWNER, Stage.LOST], weights=[70, 8, 15, 7]
        )[0]
        grade = rng.choices([Grade.H, Grade.A, Grade.B, Grade.C], weights=[10, 20, 30, 40])[0]
        window = rules[grade][0]
        created = _office_hours(moment - timedelta(days=rng.randint(1, 120)), rng)
        open_card = stage in (Stage.PROSPECT, Stage.ORDERED)
        contacted = None
        if open_card:
            # The last contact puts the next follow-up around today: some due today, a few a
            # day or two overdue, the rest within the grade's follow-up days.
            every = rules[grade][1]
            due_in = rng.choices([0, -1, -2, rng.randint(1, every)], weights=[20, 10, 5, 65])[0]
            contacted = today + timedelta(days=due_in - every)
            if created.astimezone(SHANGHAI).date() >= contacted:
                created = _office_hours(moment - timedelta(days=(today - contacted).days + 3), rng)
        model = rng.choice(models)
        card = CustomerCard(
            store_id=store.id,
            owner_id=owner.id,
            name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice([1, 2]))),
            title=rng.choice(["mr", "ms"]),
            mobile=_mobile(rng, used),
            family=rng.choice(FAMILIES),
            hobbies="、".join(rng.sample(HOBBIES, 2)),
            source=rng.choice(SOURCES),
            model_id=model.id,
            usage=rng.choice(USAGES),
            budget=Decimal(int(model.sfx[0].msrp * Decimal(rng.uniform(0.9, 1.3)) / 1000) * 1000),
            payment=rng.choice(["cash", "loan", "undecided"]),
            current_car=rng.choice(["", "", "大众朗逸 2015款", "本田飞度 2012款", "别克英朗"]),
            competitors=rng.choice(MODEL_COMPETITORS.get(model.code, COMPETITORS)),
            decision_makers=rng.choice(["本人", "本人和配偶", "父母"]),
            grade=grade.value,
            stage=stage.value,
            created_at=created,
        )
        card.trade_in = bool(card.current_car) and rng.random() < 0.5
        if rng.random() < 0.6:
            card.address = rng.choice(ADDRESSES)
            card.occupation = rng.choice(OCCUPATIONS)
        if rng.random() < 0.25:  # these customers have had a test drive (附表九)
            card.driving_style = rng.choice(DRIVING_STYLES)
            card.focus_points = rng.sample(FOCUS_POINTS, 2)
        if stage in (Stage.PROSPECT, Stage.ORDERED):
            card.planned_purchase_date = today + timedelta(days=rng.randint(-10, window + 20))
        if stage == Stage.OWNER:
            card.purchased_on = today - timedelta(days=rng.randint(0, 90))
        db.session.add(card)
        db.session.flush()
        db.session.add(
            CardEvent(
                store_id=store.id,
                card_id=card.id,
                actor_id=owner.id,
                kind="created",
                occurred_at=created,
                data={"grade": card.grade},
            )
        )
        contacts = [
            created + timedelta(days=rng.randint(1, 12) * (j + 1)) for j in range(rng.randint(0, 4))
        ]
        if contacted is not None:
            contacts = [c for c in contacts if c.astimezone(SHANGHAI).date() < contacted]
            contacts.append(datetime.combine(contacted, time(0), SHANGHAI).astimezone(UTC))
        last = created
        for when in sorted(c for c in contacts if created < c <= moment):
            last = _office_hours(when, rng)
            db.session.add(
                CardEvent(
                    store_id=store.id,
                    card_id=card.id,
                    actor_id=owner.id,
                    kind=rng.choice(CALL_KINDS),
                    occurred_at=last,
                    note=rng.choice(NOTES),
                )
            )
        card.last_contact_at = last
        if stage is not Stage.LOST:
            card.next_follow_up_due = next_due(last.astimezone(SHANGHAI).date(), card.grade, rules)
    return count


def _office_hours(moment: datetime, rng: random.Random) -> datetime:
    """The same Shanghai day, moved into showroom hours (09:00-18:59), never in the future."""
    local = moment.astimezone(SHANGHAI)
    local = local.replace(hour=rng.randint(9, 18), minute=rng.randint(0, 59), second=0)
    return min(local.astimezone(UTC), now())


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened.

    The demo store's cards belong to sales1-3; the second store's to other.sales, its
    salesperson.
    """
    _grade_rules(store)
    models = list(db.session.scalars(sa.select(VehicleModel).order_by(VehicleModel.sort_order)))
    created = _customers(
        store, [users["sales1"], users["sales2"], users["sales3"]], models, 200, 2026
    )
    other = users.get("other.sales")
    if other is not None:
        created += _customers(other.store, [other], models, 20, 7)
    db.session.flush()
    if created:
        return f"Customers demo: {created} customer cards."
    return "Customers demo already present; nothing changed."
