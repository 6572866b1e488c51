"""Demo data of steps ③ ④: questionnaire 附表七 v1, walkaround FAB points, comparison sheets
against the main rivals, and the demo store's display cars with today's checklists."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.consult.models import (
    ComparisonSheet,
    DisplayCar,
    DisplayCarCheck,
    WalkaroundPoint,
)
from webapp.consult.services.display_cars import items_for
from webapp.consult.services.questionnaire import ensure_default_questionnaire
from webapp.extensions import db
from webapp.org.models import Store
from webapp.timeutil import local_today, now

# model code → [(position, feature, advantage, benefit, needs)]
FAB: dict[str, list[tuple[str, str, str, str, tuple[str, ...]]]] = {
    "COROLLA": [
        (
            "front45",
            "TNGA架构低趴车身",
            "重心低、风阻小",
            "高速更稳，油耗更低",
            ("economy", "performance"),
        ),
        (
            "front45",
            "Toyota Safety Sense 智行安全",
            "预碰撞、车道保持、自适应巡航",
            "上下班堵车不累，家人更安心",
            ("safety", "tech"),
        ),
        (
            "driver_side",
            "高强度车身与多安全气囊",
            "碰撞能量分散吸收",
            "万一发生意外，乘员受到更好保护",
            ("safety",),
        ),
        ("rear", "470L后备箱", "规整开口，放得下婴儿车", "周末出游行李一次装下", ("space",)),
        (
            "passenger_side",
            "后排宽敞膝部空间",
            "2700mm轴距",
            "一家人长途乘坐也舒适",
            ("space", "comfort"),
        ),
        (
            "engine_bay",
            "1.8L双擎混动",
            "百公里油耗约4升",
            "每年油费省下几千元",
            ("economy", "value"),
        ),
        (
            "interior",
            "10.25英寸多媒体屏 CarPlay",
            "手机互联、语音控制",
            "导航听歌一步到位",
            ("tech",),
        ),
        ("interior", "保值率同级领先", "全球口碑、耐用省心", "几年后换车更值钱", ("value",)),
    ],
    "RAV4": [
        (
            "front45",
            "硬派SUV造型与高离地间隙",
            "通过性好",
            "城市烂路、郊游土路都不怕",
            ("performance",),
        ),
        (
            "driver_side",
            "E-Four 电子四驱",
            "雨雪路面自动分配动力",
            "冬天带家人出行更安全",
            ("safety", "performance"),
        ),
        ("rear", "580L大后备箱 可放倒后排", "装载灵活", "露营装备、婴儿车一次装下", ("space",)),
        (
            "passenger_side",
            "后排地板平整",
            "中间乘客不憋屈",
            "三个人坐后排也舒服",
            ("space", "comfort"),
        ),
        ("engine_bay", "2.5L双擎混动", "动力强、油耗低", "有劲又省钱", ("economy", "performance")),
        ("interior", "全景天窗与双区空调", "前后排温度独立", "父母孩子各自舒服", ("comfort",)),
    ],
    "AVALON": [
        ("front45", "TNGA-K 中大型轿车姿态", "大气稳重", "商务接待有面子", ("business",)),
        ("driver_side", "4975mm车长", "同级宽敞", "后排老板位舒展", ("space", "business")),
        ("rear", "全LED尾灯", "辨识度高、夜间醒目", "后车更容易看见，更安全", ("safety",)),
        (
            "passenger_side",
            "双层隔音玻璃",
            "车内更安静",
            "长途通话、休息不受打扰",
            ("comfort", "business"),
        ),
        (
            "engine_bay",
            "2.5L双擎",
            "平顺安静、省油",
            "开起来舒服，油费也省",
            ("economy", "comfort"),
        ),
        ("interior", "JBL 14扬声器音响", "音场饱满", "路上听音乐像在音乐厅", ("comfort", "tech")),
    ],
    "CCROSS": [
        ("front45", "城市SUV尺寸", "好停好开", "通勤停车不发愁", ("economy",)),
        (
            "engine_bay",
            "双擎混动 百公里油耗4升级",
            "省油",
            "每天通勤花费更少",
            ("economy", "value"),
        ),
        ("rear", "电动尾门", "抱着东西也能开", "购物接孩子更方便", ("space",)),
        ("interior", "智行安全与倒车影像", "主动安全齐全", "新手也开得放心", ("safety", "tech")),
    ],
}

# model code → [(competitor, aliases, [(aspect, ours, theirs)])]
SHEETS: dict[str, list[tuple[str, list[str], list[tuple[str, str, str]]]]] = {
    "COROLLA": [
        (
            "日产轩逸 Nissan Sylphy",
            ["轩逸", "Sylphy", "日产"],
            [
                ("动力", "1.8L双擎混动 / 1.5L", "1.6L / e-POWER"),
                ("油耗（WLTC）", "双擎约4.0L/100km", "1.6L约6.0L/100km"),
                ("安全配置", "全系TSS智行安全", "高配才有主动安全"),
                ("保值率（3年）", "约65%", "约58%"),
            ],
        ),
        (
            "本田思域 Honda Civic",
            ["思域", "Civic", "本田"],
            [
                ("定位", "家用舒适", "运动取向"),
                ("后排空间", "宽敞，轴距2700mm", "轴距2735mm，座椅偏低"),
                ("油耗", "双擎约4.0L", "1.5T约6.2L"),
            ],
        ),
    ],
    "RAV4": [
        (
            "本田CR-V Honda CR-V",
            ["CR-V", "CRV", "本田"],
            [
                ("动力", "2.5L双擎 E-Four", "1.5T / 2.0L混动"),
                ("四驱", "电子四驱 E-Four", "机械实时四驱（部分车型）"),
                ("后备箱", "580L", "约520L"),
                ("保值率（3年）", "约70%", "约66%"),
            ],
        ),
        (
            "大众途观L Volkswagen Tiguan L",
            ["途观", "Tiguan", "大众"],
            [
                ("油耗", "双擎约5.0L", "2.0T约8.0L"),
                ("可靠性", "混动系统质保长、故障率低", "双离合保养成本较高"),
                ("价格区间", "17.58–25.98万", "21.58–28.58万"),
            ],
        ),
        (
            "日产奇骏 Nissan X-Trail",
            ["奇骏", "X-Trail", "日产"],
            [
                ("动力", "2.5L双擎", "1.5T三缸 / e-POWER"),
                ("平顺性", "四缸平顺安静", "三缸低速抖动较明显"),
            ],
        ),
        (
            "比亚迪宋 BYD Song",
            ["宋", "宋PLUS", "Song", "比亚迪"],
            [
                ("能源", "混动，不依赖充电", "插混，需充电才最省"),
                ("长途", "加油即走", "亏电油耗升高"),
                ("保值率（3年）", "约70%", "约55%"),
            ],
        ),
    ],
    "AVALON": [
        (
            "本田雅阁 Honda Accord",
            ["雅阁", "Accord", "本田"],
            [
                ("车长", "4975mm", "4980mm"),
                ("隔音", "双层隔音玻璃", "前排隔音玻璃"),
                ("混动", "2.5L双擎", "2.0L i-MMD"),
            ],
        ),
        (
            "大众帕萨特 Volkswagen Passat",
            ["帕萨特", "Passat", "大众"],
            [
                ("油耗", "双擎约4.5L", "2.0T约7.5L"),
                ("质保", "混动电池8年或20万公里", "整车3年或10万公里"),
            ],
        ),
        (
            "比亚迪汉 BYD Han",
            ["汉", "Han", "比亚迪"],
            [
                ("能源", "混动，不依赖充电桩", "纯电或插混"),
                ("保值率（3年）", "约62%", "约50%"),
            ],
        ),
    ],
}

# model code, colour, position, sunroof
DISPLAY_CARS = [
    ("COROLLA", "超级白", "入口左侧 1号展位", False),
    ("RAV4", "珍珠白", "展厅中央 2号展位", True),
    ("AVALON", "铂青铜", "洽谈区旁 3号展位", True),
    ("CCROSS", "天青蓝", "窗边 4号展位", False),
]


def _models() -> dict[str, VehicleModel]:
    return {m.code: m for m in db.session.scalars(sa.select(VehicleModel))}


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Load this area's demo data once (idempotent); return a line saying what happened."""
    admin = users.get("admin")
    ensure_default_questionnaire(admin.id if admin else None)
    models = _models()
    added = {"points": 0, "sheets": 0, "cars": 0, "checks": 0}

    for code, points in FAB.items():
        model = models.get(code)
        if model is None:
            continue
        exists = db.session.scalar(
            sa.select(WalkaroundPoint.id).where(WalkaroundPoint.model_id == model.id).limit(1)
        )
        if exists:
            continue
        for order, (position, feature, advantage, benefit, tags) in enumerate(points):
            db.session.add(
                WalkaroundPoint(
                    model_id=model.id,
                    position=position,
                    feature=feature,
                    advantage=advantage,
                    benefit=benefit,
                    tags=list(tags),
                    sort_order=order,
                )
            )
            added["points"] += 1

    for code, sheets in SHEETS.items():
        model = models.get(code)
        if model is None:
            continue
        for competitor, aliases, rows in sheets:
            exists = db.session.scalar(
                sa.select(ComparisonSheet.id).where(
                    ComparisonSheet.model_id == model.id,
                    ComparisonSheet.competitor == competitor,
                )
            )
            if exists:
                continue
            db.session.add(
                ComparisonSheet(
                    model_id=model.id,
                    competitor=competitor,
                    aliases=aliases,
                    rows=[{"aspect": a, "ours": o, "theirs": t} for a, o, t in rows],
                    updated_by_id=admin.id if admin else None,
                )
            )
            added["sheets"] += 1

    has_cars = db.session.scalar(
        sa.select(DisplayCar.id).where(DisplayCar.store_id == store.id).limit(1)
    )
    if not has_cars:
        cars = []
        for code, colour, position, sunroof in DISPLAY_CARS:
            model = models.get(code)
            if model is None:
                continue
            car = DisplayCar(
                store_id=store.id,
                model_id=model.id,
                colour=colour,
                position=position,
                sunroof=sunroof,
            )
            db.session.add(car)
            cars.append(car)
            added["cars"] += 1
        db.session.flush()
        checker = users.get("sales1") or admin
        manager = users.get("manager")
        # Car 1 ready and checked by the manager, car 2 ready, car 3 with one failed item,
        # car 4 not checked yet (red once the store opens).
        for index, car in enumerate(cars[:3]):
            keys = items_for(car)
            items = {k: {"ok": True, "note": "", "photo": None} for k in keys}
            if index == 2:
                items["tyres_dressed"] = {"ok": False, "note": "右后轮未上光", "photo": None}
            check = DisplayCarCheck(
                store_id=store.id,
                car_id=car.id,
                day=local_today(),
                items=items,
                ready=all(i["ok"] for i in items.values()),
                checked_by_id=checker.id,  # type: ignore[union-attr]
                checked_at=now(),
            )
            if index == 0 and manager is not None:
                check.manager_checked_by_id = manager.id
                check.manager_checked_at = now()
            db.session.add(check)
            added["checks"] += 1
    db.session.commit()
    if any(added.values()):
        return (
            "Consult demo: questionnaire v1, {points} FAB points, {sheets} comparison sheets, "
            "{cars} display cars, {checks} checklists today.".format(**added)
        )
    return "Consult demo already present; nothing changed."
