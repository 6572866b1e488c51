"""Demo data of steps ③ ④: questionnaire 附表七 v1, walkaround FAB points, comparison sheets
against the main rivals, and the demo store's display cars with today's checklists."""

from __future__ import annotations

from datetime import date

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

# model code → [(position, feature, advantage, benefit, needs)]: at least one point at each of
# the six positions for every model of the demo catalogue. Facts of the car, no claims about
# other makes.
FAB: dict[str, list[tuple[str, str, str, str, tuple[str, ...]]]] = {
    "COROLLA": [
        (
            "front45",
            "TNGA架构低重心车身",
            "车身姿态稳、风阻小",
            "高速和弯道开起来更稳当",
            ("performance",),
        ),
        (
            "front45",
            "Toyota Safety Sense 智行安全",
            "预碰撞安全系统、车道偏离辅助、自适应巡航",
            "堵车和长途开得更轻松，家人更安心",
            ("safety", "tech"),
        ),
        (
            "driver_side",
            "高强度钢车身与多气囊",
            "碰撞时分散、吸收能量",
            "为车内每位乘员提供保护",
            ("safety",),
        ),
        ("rear", "规整的后备箱开口", "装卸方便", "婴儿车、行李箱放取省力", ("space",)),
        (
            "passenger_side",
            "2700mm轴距",
            "后排膝部空间充裕",
            "一家人长途乘坐也舒适",
            ("space", "comfort"),
        ),
        (
            "engine_bay",
            "1.8L 双擎混动（THS）",
            "低速时多由电机驱动，无需外接充电",
            "城市通勤油耗低，加油即走",
            ("economy", "value"),
        ),
        (
            "engine_bay",
            "1.5L Dynamic Force 发动机 + CVT",
            "动力输出平顺",
            "日常驾驶省心",
            ("economy",),
        ),
        (
            "interior",
            "中控触摸屏，支持 CarPlay",
            "手机互联、语音控制",
            "导航、音乐操作一步到位",
            ("tech",),
        ),
    ],
    "CCROSS": [
        (
            "front45",
            "TNGA-C 平台城市SUV",
            "尺寸适中、视野高",
            "通勤好开，停车不发愁",
            ("economy", "comfort"),
        ),
        (
            "driver_side",
            "SUV坐姿与较高离地间隙",
            "上下车不用弯腰，视野开阔",
            "长辈上下车省力，路况看得清",
            ("comfort", "safety"),
        ),
        ("rear", "规整后备箱", "开口宽、地台平", "购物、接孩子的东西都好放", ("space",)),
        (
            "passenger_side",
            "后排座椅 6/4 分割放倒",
            "坐人装物两不误",
            "周末出游装载更灵活",
            ("space",),
        ),
        (
            "engine_bay",
            "2.0L 双擎混动",
            "城市工况电机参与驱动，无需外接充电",
            "每天通勤油耗低",
            ("economy", "value"),
        ),
        (
            "interior",
            "Toyota Safety Sense 与倒车影像",
            "主动安全与泊车辅助",
            "新手也开得放心",
            ("safety", "tech"),
        ),
    ],
    "CROWN": [
        ("front45", "皇冠旗舰轿车造型", "庄重大气", "商务接待得体", ("business",)),
        (
            "driver_side",
            "长轴距车身",
            "后排腿部空间宽裕",
            "后排乘客坐得舒展",
            ("space", "business"),
        ),
        (
            "rear",
            "大容量后备箱",
            "可放多个行李箱",
            "商务出行、机场接送都方便",
            ("space", "business"),
        ),
        (
            "passenger_side",
            "隔音玻璃与车身隔音材料",
            "车内安静",
            "长途乘坐不易疲劳，通话清楚",
            ("comfort",),
        ),
        (
            "engine_bay",
            "2.5L 双擎混动",
            "起步由电机驱动，平顺安静",
            "城市驾驶舒适又省油",
            ("comfort", "economy"),
        ),
        (
            "interior",
            "后排独立空调出风口",
            "后排温度自己调",
            "后排乘客冬暖夏凉",
            ("comfort", "business"),
        ),
    ],
    "CKLUGER": [
        ("front45", "大型SUV车身", "车内空间大、坐姿高", "全家出行坐得下、看得远", ("space",)),
        ("driver_side", "三排7座布局", "第三排座椅可放倒", "六七口人一车出行", ("space",)),
        (
            "rear",
            "电动尾门，后两排放倒空间大",
            "装载灵活",
            "露营装备、大件行李一车装下",
            ("space",),
        ),
        (
            "passenger_side",
            "第二排座椅可前后滑动",
            "按需调节后排腿部空间",
            "大人小孩都坐得舒服",
            ("comfort", "space"),
        ),
        (
            "engine_bay",
            "2.5L 双擎 E-Four 智能电四驱",
            "后轴电机按需驱动后轮",
            "雨雪湿滑路面起步更稳",
            ("safety", "performance"),
        ),
        ("interior", "三区自动空调", "前排左右与后排分别设定温度", "一家人各自舒适", ("comfort",)),
    ],
    "AVALON": [
        ("front45", "TNGA-K 中大型轿车", "车身低宽、姿态稳重", "商务接待大方得体", ("business",)),
        (
            "driver_side",
            "4990mm车长、2870mm轴距",
            "车内空间宽敞",
            "后排乘客坐得舒展",
            ("space", "business"),
        ),
        ("rear", "全LED尾灯", "辨识度高、夜间醒目", "后车更容易看见，更安全", ("safety",)),
        (
            "passenger_side",
            "前排双层隔音玻璃",
            "车内更安静",
            "长途通话、休息不受打扰",
            ("comfort", "business"),
        ),
        (
            "engine_bay",
            "2.5L 双擎混动",
            "平顺安静、油耗低",
            "开起来舒服，用车成本也低",
            ("economy", "comfort"),
        ),
        (
            "interior",
            "JBL 音响系统",
            "多扬声器布置，音场饱满",
            "路上听音乐更享受",
            ("comfort", "tech"),
        ),
    ],
    "RAV4": [
        (
            "front45",
            "SUV造型与较高离地间隙",
            "通过性好",
            "城市坑洼路、郊外土路都从容",
            ("performance",),
        ),
        (
            "driver_side",
            "E-Four 电子四驱（双擎四驱版）",
            "雨雪路面自动分配前后轮动力",
            "冬天带家人出行更安心",
            ("safety", "performance"),
        ),
        ("rear", "大后备箱，后排可放倒", "装载灵活", "露营装备、婴儿车一次装下", ("space",)),
        (
            "passenger_side",
            "后排地板平整",
            "中间乘客脚下不局促",
            "后排坐三个人也舒服",
            ("space", "comfort"),
        ),
        (
            "engine_bay",
            "2.5L 双擎混动",
            "动力足、油耗低，无需外接充电",
            "有劲又省油",
            ("economy", "performance"),
        ),
        ("interior", "双区自动空调", "主副驾温度独立设定", "前排各自舒适", ("comfort",)),
    ],
    "HARRIER": [
        ("front45", "溜背式都市SUV造型", "线条流畅、辨识度高", "停在哪里都有格调", ("business",)),
        (
            "driver_side",
            "TNGA-K 平台",
            "车身刚性好",
            "行驶质感扎实、安静",
            ("comfort", "performance"),
        ),
        ("rear", "贯穿式尾灯", "夜间轮廓清晰", "后车更容易注意到", ("safety",)),
        ("passenger_side", "隔音玻璃与吸音材料", "车内安静", "通话、休息不受打扰", ("comfort",)),
        (
            "engine_bay",
            "2.5L 双擎四驱",
            "电机辅助，平顺省油",
            "动力从容，用车成本低",
            ("economy", "performance"),
        ),
        ("interior", "全景天窗与软质内饰", "座舱明亮、触感细腻", "长途乘坐更惬意", ("comfort",)),
    ],
    "PRADO": [
        ("front45", "非承载式车身", "车架结构坚固", "复杂路况更可靠", ("performance",)),
        (
            "driver_side",
            "全时四驱与中央差速锁",
            "湿滑、越野路面牵引力强",
            "自驾远行更有底气",
            ("performance", "safety"),
        ),
        ("rear", "尾门玻璃可单独开启", "取放小件不必开整扇尾门", "停车位窄时也方便", ("space",)),
        ("passenger_side", "高坐姿与大面积侧窗", "视野开阔", "乘客一路看得见风景", ("comfort",)),
        (
            "engine_bay",
            "2.4T 双擎混动",
            "涡轮发动机与电机配合，低速扭矩足",
            "爬长坡、带拖挂更从容",
            ("performance",),
        ),
        (
            "interior",
            "多地形选择系统",
            "按路况选择驾驶模式",
            "沙地、泥地、雪地都能应对",
            ("performance", "tech"),
        ),
    ],
    "LC": [
        ("front45", "TNGA-F 平台非承载式车身", "车身刚性高", "越野和公路都可靠", ("performance",)),
        (
            "driver_side",
            "全时四驱与中央差速锁",
            "各种路面都有牵引力",
            "远途自驾更安心",
            ("performance", "safety"),
        ),
        ("rear", "大容量行李舱", "长途装备放得下", "自驾远行一车装下", ("space",)),
        ("passenger_side", "高离地间隙", "通过性好", "烂路、涉水路段也能通行", ("performance",)),
        ("engine_bay", "3.5T V6 双涡轮发动机", "动力充沛", "高原、拖拽也从容", ("performance",)),
        ("interior", "全景影像", "看清车辆四周", "窄路、越野行车更有把握", ("safety", "tech")),
    ],
    "BZ3": [
        ("front45", "低风阻轿车造型", "风阻小", "高速续航更长", ("economy",)),
        ("driver_side", "2880mm轴距", "后排空间宽敞", "一家人乘坐舒适", ("space", "comfort")),
        ("rear", "后备箱开口规整", "日常装载方便", "购物、出行行李好放", ("space",)),
        ("passenger_side", "电池组布置在地板下", "重心低", "过弯稳当", ("performance", "safety")),
        (
            "engine_bay",
            "前置电驱系统（135kW / 180kW）",
            "电机响应快、运转安静",
            "起步加速迅速安静",
            ("performance", "comfort"),
        ),
        ("engine_bay", "磷酸铁锂刀片电池", "热稳定性好", "用车更安心", ("safety",)),
        (
            "interior",
            "CLTC 续航 517km / 616km",
            "按版本选择续航",
            "日常通勤一周一充",
            ("economy", "value"),
        ),
        (
            "interior",
            "大尺寸中控屏与语音控制",
            "常用功能说一句就能操作",
            "开车时少分心",
            ("tech", "safety"),
        ),
    ],
    "BZ5": [
        ("front45", "纯电SUV封闭式前脸", "风阻低", "续航更长", ("economy",)),
        ("driver_side", "长轴距车身", "车内空间宽裕", "全家出行坐得舒服", ("space",)),
        ("rear", "电动尾门", "手提物品也能开启", "购物、出游装卸更方便", ("space",)),
        (
            "passenger_side",
            "后排平地板",
            "中间乘客脚下不局促",
            "后排三人乘坐更舒适",
            ("space", "comfort"),
        ),
        (
            "engine_bay",
            "前置电驱系统（160kW / 200kW）",
            "动力响应快、安静",
            "城市加速从容",
            ("performance",),
        ),
        (
            "interior",
            "智能驾驶辅助",
            "高速领航辅助、自动泊车辅助",
            "长途和停车更轻松",
            ("tech", "safety"),
        ),
    ],
}

# The date the demo sheets' facts were checked, and their usual sources.
AS_OF = "2025-10-01"
MIIT = "工信部公告"
MAKER = "厂家官网配置表"

# model code → [(competitor, aliases, our version, their version, source, [(aspect, ours,
# theirs) or (aspect, ours, theirs, source)])]. Like for like (the same kind of powertrain and
# class), public specification facts only, no judgement of the competitor.
SHEETS: dict[str, list[tuple[str, list[str], str, str, str, list[tuple[str, ...]]]]] = {
    "COROLLA": [
        (
            "日产轩逸 Nissan Sylphy",
            ["轩逸", "Sylphy", "日产"],
            "双擎 1.8L E-CVT 精英版",
            "轩逸 e-POWER 超智版",
            MAKER,
            [
                ("长×宽×高", "4635 × 1780 × 1455 mm", "4652 × 1815 × 1445 mm", MIIT),
                ("轴距", "2700 mm", "2712 mm", MIIT),
                (
                    "动力形式",
                    "1.8L 发动机 + 电机（混联式 THS）",
                    "1.2L 发动机发电 + 电机驱动（串联式 e-POWER）",
                ),
                ("变速器", "E-CVT 电子无级变速", "单速减速器"),
                ("外接充电", "不需要", "不需要"),
                ("主动安全", "Toyota Safety Sense 标配", "ProPILOT 智能驾驶辅助 标配"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "本田思域 Honda Civic",
            ["思域", "Civic", "本田"],
            "双擎 1.8L E-CVT 精英版",
            "思域 e:HEV 2.0L",
            MAKER,
            [
                ("长×宽×高", "4635 × 1780 × 1455 mm", "4674 × 1802 × 1415 mm", MIIT),
                ("轴距", "2700 mm", "2735 mm", MIIT),
                ("动力形式", "1.8L 发动机 + 电机（混联式 THS）", "2.0L 发动机 + 双电机（e:HEV）"),
                ("外接充电", "不需要", "不需要"),
                ("主动安全", "Toyota Safety Sense 标配", "Honda SENSING 标配"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
    ],
    "RAV4": [
        (
            "本田CR-V Honda CR-V",
            ["CR-V", "CRV", "本田"],
            "2.5L 双擎 四驱 精英版",
            "CR-V e:HEV 2.0L 四驱",
            MAKER,
            [
                ("长×宽×高", "4600 × 1855 × 1685 mm", "4703 × 1866 × 1690 mm", MIIT),
                ("轴距", "2690 mm", "2701 mm", MIIT),
                ("动力形式", "2.5L 发动机 + 电机（混联式 THS）", "2.0L 发动机 + 双电机（e:HEV）"),
                ("四驱形式", "E-Four 电子四驱（后轴独立电机）", "智能适时四驱（传动轴连接后轴）"),
                ("外接充电", "不需要", "不需要"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "大众途观L Volkswagen Tiguan L",
            ["途观", "Tiguan", "大众"],
            "2.0L CVT 两驱 都市版",
            "途观L 300TSI 两驱",
            MAKER,
            [
                ("长×宽×高", "4600 × 1855 × 1685 mm", "4735 × 1859 × 1682 mm", MIIT),
                ("轴距", "2690 mm", "2791 mm", MIIT),
                ("发动机", "2.0L 自然吸气", "2.0T 涡轮增压"),
                ("变速器", "CVT 无级变速", "7速双离合"),
                ("驱动形式", "前驱", "前驱"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "日产奇骏 Nissan X-Trail",
            ["奇骏", "X-Trail", "日产"],
            "2.5L 双擎 四驱 精英版",
            "奇骏 e-POWER e-4ORCE 四驱",
            MAKER,
            [
                ("长×宽×高", "4600 × 1855 × 1685 mm", "4681 × 1840 × 1730 mm", MIIT),
                ("轴距", "2690 mm", "2706 mm", MIIT),
                (
                    "动力形式",
                    "2.5L 发动机 + 电机（混联式 THS）",
                    "1.5T 发动机发电 + 双电机驱动（串联式 e-POWER）",
                ),
                ("四驱形式", "E-Four 电子四驱", "e-4ORCE 双电机四驱"),
                ("外接充电", "不需要", "不需要"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "比亚迪宋PLUS BYD Song PLUS",
            ["宋", "宋PLUS", "Song", "比亚迪"],
            "双擎E+ 2.5L 插电混动 四驱",
            "宋PLUS DM-i 插电混动",
            MAKER,
            [
                ("长×宽×高", "4600 × 1855 × 1685 mm", "4775 × 1890 × 1670 mm", MIIT),
                ("轴距", "2690 mm", "2765 mm", MIIT),
                ("能源类型", "插电式混合动力", "插电式混合动力", MIIT),
                ("驱动形式", "四驱（E-Four）", "前驱"),
                ("外接充电", "支持", "支持"),
                ("整车质保", "3年或10万公里", "6年或15万公里"),
            ],
        ),
    ],
    "AVALON": [
        (
            "本田雅阁 Honda Accord",
            ["雅阁", "Accord", "本田"],
            "2.5L 双擎 豪华版",
            "雅阁 e:HEV 2.0L",
            MAKER,
            [
                ("长×宽×高", "4990 × 1850 × 1450 mm", "4980 × 1862 × 1449 mm", MIIT),
                ("轴距", "2870 mm", "2830 mm", MIIT),
                ("动力形式", "2.5L 发动机 + 电机（混联式 THS）", "2.0L 发动机 + 双电机（e:HEV）"),
                ("外接充电", "不需要", "不需要"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "大众帕萨特 Volkswagen Passat",
            ["帕萨特", "Passat", "大众"],
            "2.0L CVT 进取版",
            "帕萨特 330TSI 精英版",
            MAKER,
            [
                ("长×宽×高", "4990 × 1850 × 1450 mm", "4948 × 1836 × 1469 mm", MIIT),
                ("轴距", "2870 mm", "2871 mm", MIIT),
                ("发动机", "2.0L 自然吸气", "2.0T 涡轮增压"),
                ("变速器", "CVT 无级变速", "7速双离合"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
            ],
        ),
        (
            "日产天籁 Nissan Teana",
            ["天籁", "Teana", "日产"],
            "2.0L CVT 进取版",
            "天籁 2.0L XL 舒适版",
            MAKER,
            [
                ("长×宽×高", "4990 × 1850 × 1450 mm", "4920 × 1850 × 1447 mm", MIIT),
                ("轴距", "2870 mm", "2825 mm", MIIT),
                ("发动机", "2.0L 自然吸气", "2.0L 自然吸气"),
                ("变速器", "CVT 无级变速", "CVT 无级变速"),
                ("整车质保", "3年或10万公里", "3年或10万公里"),
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


def _row(aspect: str, ours: str, theirs: str, source: str = "") -> dict[str, str]:
    """A sheet row; its own source when it differs from the sheet's."""
    row = {"aspect": aspect, "ours": ours, "theirs": theirs}
    if source:
        row["source"] = source
    return row


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
        for competitor, aliases, ours_version, theirs_version, source, rows in sheets:
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
                    ours_version=ours_version,
                    theirs_version=theirs_version,
                    source=source,
                    as_of=date.fromisoformat(AS_OF),
                    rows=[_row(*row) for row in rows],
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
        keeper = users.get("keeper")
        manager = users.get("manager")
        # Car 1 ticked item by item and checked by the manager, car 2 marked "All OK" by the
        # car keeper, car 3 with one failed item, car 4 not checked yet (red once the store
        # opens).
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
            if index == 1 and keeper is not None:
                check.checked_by_id = keeper.id
                check.all_ok_by_id = keeper.id
                check.all_ok_at = check.checked_at
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
