"""The three delivery checklists as versioned item lists (webapp.itemlists) with the
standard's items as their first version: the salesperson's preparation list (交车前的准备,
before the day and on the day), 附表十四 交车过程及文件确认表 and 附表十五 新车交接确认表.

An item is {"key", "label_zh", "label_en", "type": "tick", "required": bool, "part": code};
`part` groups the items on the page and in print (PARTS). Every tick records the version it
was made against, so an edited list never changes what an old delivery meant.

Admins edit a list as text, one item a line: `key | 中文 | English | part | required`
(`items_text`, `parse_items`, `save_list`); saving changed items makes the next version.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from webapp import itemlists
from webapp.access import require_role
from webapp.auth.models import Role, User
from webapp.delivery.models import ChecklistKind, DeliveryChecklist
from webapp.delivery.prep import refresh_open_preps
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db

K = ChecklistKind

# The groups of items, in page order, per list.
PARTS: dict[str, dict[str, Any]] = {
    K.PREPARATION.value: {"before": _l("Before the day"), "day": _l("On the day")},
    K.PROCESS.value: {
        "fees": _l("Fees explained"),
        "service": _l("Service introduction (service advisor)"),
        "documents": _l("Documents and keys handed over"),
        "ceremony": _l("Ceremony and farewell"),
    },
    K.HANDOVER.value: {
        "exterior": _l("Exterior"),
        "interior": _l("Interior"),
        "equipment": _l("Equipment and operation"),
        "accessories": _l("Accessories and gifts"),
        "documents": _l("Documents, keys and fuel"),
    },
}


def _item(part: str, key: str, zh: str, en: str, required: bool = True) -> dict[str, Any]:
    return {
        "key": key,
        "label_zh": zh,
        "label_en": en,
        "type": "tick",
        "required": required,
        "part": part,
    }


DEFAULT_ITEMS: dict[str, list[dict[str, Any]]] = {
    K.PREPARATION.value: [
        _item("before", "pds_requested", "已委托售后服务部门进行PDS", "PDS requested from service"),
        _item("before", "pds_done", "PDS已完成", "PDS done"),
        _item(
            "before",
            "payment_confirmed",
            "再次确认付款条件和付款情况",
            "Payment terms and payments re-confirmed",
        ),
        _item(
            "before",
            "promises_confirmed",
            "再次确认对顾客的承诺事项（精品、赠品、文件）",
            "Every promise re-confirmed (accessories, gifts, documents)",
        ),
        _item(
            "before",
            "customer_called",
            "电话联系顾客，确认交车时间、来店人员，告知交车流程和所需时间",
            "Customer called: time, who comes, the process and how long it takes",
        ),
        _item(
            "day",
            "car_cleaned",
            "车辆内外清洗，车内铺保护纸垫",
            "Car cleaned inside and out, paper mats",
        ),
        _item(
            "day",
            "car_checked",
            "检查车窗、后视镜、烟灰缸、备胎和工具",
            "Windows, mirrors, ashtray, spare tyre and tools checked",
        ),
        _item("day", "fuel_quarter", "油箱加注1/4箱燃油", "At least 1/4 tank of fuel"),
        _item("day", "navigation_set", "导航设定经销店位置", "Navigation set to the store"),
        _item("day", "clock_radio_set", "校正时钟，调整收音机频道", "Clock and radio set"),
        _item("day", "welcome_board", "展厅门口设置交车恭喜牌", "Welcome board at the door"),
        _item("day", "area_ready", "交车区打扫干净，设置告示牌", "Delivery area clean and signed"),
    ],
    K.PROCESS.value: [
        _item(
            "fees",
            "order_fees",
            "用《新车订购单》说明各项购车费用",
            "Purchase costs explained with the order (附表十一)",
        ),
        _item(
            "fees",
            "registration_fees",
            "用《上牌手续及费用清单》说明其他相关费用",
            "Other fees explained with the registration list (附表十二)",
        ),
        _item("service", "advisor_introduced", "介绍服务顾问（S/A）", "Service advisor introduced"),
        _item(
            "service",
            "maintenance_schedule",
            "用《保养手册》说明车辆检查和保养日程",
            "Inspection and maintenance schedule explained",
        ),
        _item(
            "service",
            "warranty",
            "用《保修手册》说明保修期限和项目",
            "Warranty period and items explained",
        ),
        _item(
            "service", "service_network", "介绍FTMS售后服务网络", "FTMS service network introduced"
        ),
        _item(
            "service",
            "hours_booking",
            "说明服务部营业时间和预约流程",
            "Service hours and how to book explained",
        ),
        _item("service", "rescue_24h", "说明24小时救援服务", "24-hour rescue service explained"),
        _item(
            "documents",
            "documents_handed",
            "清点并移交车辆文件",
            "Vehicle documents counted and handed over",
        ),
        _item("documents", "keys_handed", "移交车辆钥匙", "Keys handed over"),
        _item(
            "ceremony",
            "managers_introduced",
            "介绍销售部长、服务部长",
            "Sales and service managers introduced",
            False,
        ),
        _item(
            "ceremony", "flowers_photo", "赠送鲜花，拍摄纪念照", "Flowers given, photo taken", False
        ),
        _item(
            "ceremony",
            "followup_agreed",
            "确认顾客可接受的售后跟踪和联系方式",
            "How the customer wants to be followed up agreed",
        ),
    ],
    K.HANDOVER.value: [
        _item(
            "exterior",
            "paint_body",
            "车身漆面无划痕、无凹陷",
            "Paint and body without scratches or dents",
        ),
        _item("exterior", "glass_mirrors", "车窗玻璃、后视镜完好", "Glass and mirrors intact"),
        _item(
            "exterior",
            "tyres_wheels",
            "轮胎、轮毂完好，备胎和工具齐全",
            "Tyres, wheels, spare and tools",
        ),
        _item("interior", "seats_trim", "座椅、内饰整洁无损", "Seats and trim clean and undamaged"),
        _item("interior", "protective_film", "去除保护膜", "Protective film removed", False),
        _item("equipment", "lights_wipers", "灯光、雨刮操作说明", "Lights and wipers explained"),
        _item(
            "equipment",
            "aircon_audio",
            "空调、音响操作说明",
            "Air conditioning and audio explained",
        ),
        _item(
            "equipment",
            "driver_manual",
            "用《驾驶员手册》介绍新车使用",
            "New car explained with the driver's manual",
        ),
        _item(
            "equipment", "safety_notes", "用《安全注意事项》进行安全说明", "Safety notes explained"
        ),
        _item(
            "accessories",
            "accessories_fitted",
            "确认定购的精品、附属件",
            "Ordered accessories confirmed",
        ),
        _item("accessories", "gifts_given", "确认赠品", "Gifts confirmed"),
        _item(
            "documents",
            "certificate_invoice",
            "合格证、发票等文件齐全",
            "Certificate, invoice and papers complete",
        ),
        _item("documents", "keys_count", "钥匙数量确认", "Number of keys confirmed"),
        _item(
            "documents", "fuel_told", "告知赠送1/4箱燃油", "Customer told of the 1/4 tank of fuel"
        ),
    ],
}


def ensure_default_checklists(created_by_id: int | None = None) -> int:
    """Add version 1 of each list that has none yet; return how many. Flushes only."""
    existing = set(db.session.scalars(sa.select(DeliveryChecklist.kind).distinct()))
    added = 0
    for kind, items in DEFAULT_ITEMS.items():
        if kind in existing:
            continue
        itemlists.first_version(DeliveryChecklist, items, created_by_id, kind=kind)
        added += 1
    db.session.flush()
    return added


def current_checklists() -> dict[str, DeliveryChecklist]:
    """The current version of each list. A store's first delivery adds the standard's lists
    when none exist yet (a concurrent first use adds them once: the other insert fails on
    the unique key and reads them back)."""
    found = {
        c.kind: c
        for c in db.session.scalars(sa.select(DeliveryChecklist).where(DeliveryChecklist.current))
    }
    if len(found) == len(DEFAULT_ITEMS):
        return found
    try:
        ensure_default_checklists()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    return {
        c.kind: c
        for c in db.session.scalars(sa.select(DeliveryChecklist).where(DeliveryChecklist.current))
    }


# --- The admin's editor -----------------------------------------------------------------------

# Who edits the lists.
EDIT_ROLES = (Role.ADMIN,)
MAX_ITEMS = 60
# Far more than 60 lines of five columns need: a pasted novel is refused before it is read.
MAX_TEXT = 20_000
LAYOUT = _l("write key | 中文 | English | part | required.")
KEY_RULE = _l("the key is lower-case letters, digits and _ (e.g. pds_done).")
# The lists' names on the admin's pages.
KIND_TITLES: dict[str, Any] = {
    K.PREPARATION.value: _l("Preparation before delivery"),
    K.PROCESS.value: _l("Delivery process and documents"),
    K.HANDOVER.value: _l("New car handover"),
}


def _kind(kind: str) -> str:
    if kind not in PARTS:
        raise NotFound()
    return kind


def list_versions(actor: User) -> dict[str, list[DeliveryChecklist]]:
    """Every version of the three lists, newest first, in page order (admins). The standard's
    lists are added first when none exist yet. Raises PermissionDenied."""
    require_role(actor, *EDIT_ROLES)
    current_checklists()
    stmt = sa.select(DeliveryChecklist).order_by(
        DeliveryChecklist.kind, DeliveryChecklist.version.desc()
    )
    result: dict[str, list[DeliveryChecklist]] = {kind: [] for kind in PARTS}
    for row in db.session.scalars(stmt):
        result.setdefault(row.kind, []).append(row)
    return result


def current_list(actor: User, kind: str) -> DeliveryChecklist | None:
    """The current version of one list, for the admin's editor (the standard's when none was
    saved yet). Raises PermissionDenied, NotFound."""
    require_role(actor, *EDIT_ROLES)
    return current_checklists().get(_kind(kind))


def items_text(items: list[dict[str, Any]]) -> str:
    """Items as the editor's text: key | 中文 | English | part | required."""
    return itemlists.lines_text(
        [
            item["key"],
            item.get("label_zh", ""),
            item.get("label_en", ""),
            item.get("part", ""),
            "required" if item.get("required") else "",
        ]
        for item in items
    )


def parse_items(kind: str, text: str) -> list[dict[str, Any]]:
    """The editor's text → the items of list `kind`; `part` one of PARTS[kind]'s codes.

    Raises ValidationError on "items" naming the bad line, NotFound for an unknown kind.
    """
    parts = PARTS[_kind(kind)]
    if len(text or "") > MAX_TEXT:
        raise ValidationError({"items": _("At most %(n)d items.", n=MAX_ITEMS)})
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, columns in itemlists.editor_lines(text, LAYOUT):
        key, zh, en, part, flag, extra = columns
        if extra:
            raise itemlists.line_error(number, str(LAYOUT))
        itemlists.check_key(number, key, seen, KEY_RULE)
        itemlists.check_labels(number, zh, en)
        if part not in parts:
            raise itemlists.line_error(
                number, _("the part is one of %(codes)s.", codes=", ".join(parts))
            )
        if flag not in ("", "required", "必填"):
            raise itemlists.line_error(number, _('the last column is empty or "required".'))
        items.append(_item(part, key, zh, en, required=bool(flag)))
    if not items:
        raise ValidationError({"items": _("Add at least one item.")})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("At most %(n)d items.", n=MAX_ITEMS)})
    return items


def save_list(actor: User, kind: str, text: str) -> DeliveryChecklist:
    """Save the edited items of list `kind` as its next version, which becomes current; the
    old versions stay (every tick records the version it was made against). Items equal to
    the current version's make no new version: the current one is returned. A new
    preparation list recounts every open delivery's preparation against it.

    Raises PermissionDenied, NotFound, ValidationError (nothing saved).
    """
    current = current_list(actor, kind)
    items = parse_items(kind, text)
    saved = itemlists.save_version(
        DeliveryChecklist,
        current,
        items,
        actor.id,
        _("Someone saved this checklist meanwhile. Reload it and try again."),
        kind=kind,
    )
    if kind == K.PREPARATION.value and saved.id != current.id:
        # The board's counts follow the new version for every delivery still to come.
        refresh_open_preps(saved)
        db.session.commit()
    return saved
