"""The test-drive checklists (before the drive, the ride, the swap, the drive) and the
feedback form 附表九 of step ⑤, kept as versioned item lists (webapp.itemlists) that admins
edit; packet entries record the version they were filled against.

Every use case commits once; bad input raises ValidationError with a message per field.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import itemlists
from webapp.access import require_role
from webapp.auth.models import Role, User
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.testdrive.models import ChecklistKind, ChecklistTemplate

TEMPLATE_ROLES = (Role.ADMIN,)

ITEM_TYPES = ("tick", "score", "text", "choice", "multi")
CHOICE_TYPES = ("choice", "multi")
# Options are stored codes (their labels are in webapp.testdrive.labels), never display words.
OPTION_CODE = re.compile(r"[a-z][a-z0-9_]{0,19}")
MAX_ITEMS = 60
# Options are separated by a slash or a comma (Latin or Chinese) or 、.
OPTION_SEPARATORS = r"[/,，、]"
LAYOUT = _l("write key | 中文 | English | type | options | required.")
OPTION_RULE = _l(
    "options are codes: lower-case letters, digits and _ (e.g. steady / sporty); "
    "their labels come from the option tables."
)
KEY_RULE = _l("the key is lower-case letters, digits and _ (e.g. belts_on).")


def _item(
    key: str,
    zh: str,
    en: str,
    kind: str = "tick",
    options: list[str] | None = None,
    required: bool = False,
) -> dict[str, Any]:
    return {
        "key": key,
        "label_zh": zh,
        "label_en": en,
        "type": kind,
        "options": options or [],
        "required": required,
    }


DEFAULT_TEMPLATES: dict[str, list[dict[str, Any]]] = {
    ChecklistKind.PREDRIVE.value: [
        _item(
            "process_explained",
            "说明试乘试驾流程（销售顾问先驾驶及原因）",
            "Process explained (salesperson drives first, and why)",
            required=True,
        ),
        _item(
            "route_explained",
            "说明试驾路线（须按路线行驶）",
            "Route explained (must be followed)",
            required=True,
        ),
        _item(
            "licence_checked",
            "查验驾驶证并留存复印件",
            "Driving licence checked and copy kept",
            required=True,
        ),
        _item(
            "agreement_signed",
            "签署安全协议及试乘试驾记录表",
            "Safety agreement and test-drive record signed",
            required=True,
        ),
        _item("controls_briefed", "介绍主要操作装置", "Main controls briefed", required=True),
    ],
    ChecklistKind.RIDE.value: [
        _item("passengers_back", "其他乘客坐后排", "Extra passengers in the back"),
        _item("belts_on", "全员系好安全带", "Everyone belted", required=True),
        _item("demo_acceleration", "演示加速性能", "Acceleration demonstrated"),
        _item("demo_braking", "演示制动性能", "Braking demonstrated"),
        _item("demo_quietness", "演示静谧性", "Quietness demonstrated"),
        _item("demo_handling", "演示操控与转向", "Handling and steering demonstrated"),
        _item("explained_features", "边驾驶边讲解车辆特点", "Features explained while driving"),
    ],
    ChecklistKind.SWAP.value: [
        _item(
            "safe_point", "在指定安全地点换手", "Swapped at the marked safe point", required=True
        ),
        _item("seat_adjusted", "协助调整座椅", "Seat adjusted with the customer", required=True),
        _item("mirrors_adjusted", "协助调整后视镜", "Mirrors adjusted", required=True),
        _item(
            "belt_confirmed", "确认舒适并系好安全带", "Comfort and belt confirmed", required=True
        ),
        _item("safety_reminder", "安全提醒", "Safety reminder given", required=True),
        _item(
            "walk_in_sight",
            "在客户视线内走到副驾驶座",
            "Moved to the passenger seat in the customer's sight",
        ),
        _item("music_offered", "询问是否播放音乐", "Music offered"),
    ],
    ChecklistKind.DRIVE.value: [
        _item(
            "driving_style",
            "客户驾驶风格",
            "Customer's driving style",
            "choice",
            ["steady", "assured", "sporty", "cautious"],
        ),
        _item(
            "focus_points",
            "客户关注点",
            "What the customer focused on",
            "multi",
            [
                "power",
                "handling",
                "comfort",
                "quietness",
                "space",
                "fuel_economy",
                "safety",
                "technology",
            ],
        ),
        _item("bends_warned", "弯道前提醒", "Warned before bends"),
        _item("prompted_feel", "提示客户体会车辆特点", "Prompted what to notice"),
    ],
    ChecklistKind.AFTER.value: [
        _item(
            "time_enough",
            "试驾时间是否充足",
            "Was the time enough?",
            "choice",
            ["enough", "too_short"],
            required=True,
        ),
        _item("another_drive_offered", "邀请客户再试驾一次", "Offered another drive"),
        _item("praised", "赞美客户的驾驶", "Praised the customer's driving", required=True),
        _item(
            "back_to_table", "引导客户回到洽谈桌", "Back to the negotiation table", required=True
        ),
        _item(
            "intention_asked", "询问购买意向", "Asked about the purchase intention", required=True
        ),
    ],
    ChecklistKind.FEEDBACK.value: [
        _item("power", "动力性", "Power", "score", required=True),
        _item("handling", "操控性", "Handling", "score", required=True),
        _item("braking", "制动性", "Braking", "score", required=True),
        _item("comfort", "舒适性", "Comfort", "score", required=True),
        _item("quietness", "静谧性", "Quietness", "score", required=True),
        _item("visibility", "视野", "Visibility", "score", required=True),
        _item("audio", "音响", "Audio", "score", required=True),
        _item("overall", "综合评价", "Overall", "score", required=True),
        _item("likes", "满意之处", "What the customer liked", "text"),
        _item("concerns", "顾虑之处", "Concerns", "text"),
        _item(
            "intention",
            "购买意向",
            "Intention to buy",
            "choice",
            ["buy_now", "soon", "thinking", "not_now"],
            required=True,
        ),
    ],
}


def ensure_default_templates(created_by_id: int | None = None) -> int:
    """Add version 1 of every checklist kind that has no template yet; return how many.

    Used by the demo data and by tests. Flushes only: the caller commits.
    """
    existing = set(db.session.scalars(sa.select(ChecklistTemplate.kind).distinct()))
    added = 0
    for kind, items in DEFAULT_TEMPLATES.items():
        if kind in existing:
            continue
        itemlists.first_version(ChecklistTemplate, items, created_by_id, kind=kind)
        added += 1
    db.session.flush()
    return added


def current_templates() -> dict[str, ChecklistTemplate]:
    """The current version of each checklist kind."""
    stmt = sa.select(ChecklistTemplate).where(ChecklistTemplate.current)
    return {t.kind: t for t in db.session.scalars(stmt)}


def template_versions(actor: User) -> dict[str, list[ChecklistTemplate]]:
    """Every version of every kind, newest first (admins). Raises PermissionDenied."""
    require_role(actor, *TEMPLATE_ROLES)
    stmt = sa.select(ChecklistTemplate).order_by(
        ChecklistTemplate.kind, ChecklistTemplate.version.desc()
    )
    result: dict[str, list[ChecklistTemplate]] = {k.value: [] for k in ChecklistKind}
    for template in db.session.scalars(stmt):
        result.setdefault(template.kind, []).append(template)
    return result


def current_template(actor: User, kind: str) -> ChecklistTemplate | None:
    """The current version of one kind for the admin's editor. Raises PermissionDenied, NotFound."""
    require_role(actor, *TEMPLATE_ROLES)
    if kind not in {k.value for k in ChecklistKind}:
        raise NotFound()
    return itemlists.current_version(ChecklistTemplate, kind=kind)


def _required(item: dict[str, Any]) -> str:
    return "required" if item.get("required") else ""


def items_text(items: list[dict[str, Any]]) -> str:
    """Items as the editor's text: key | 中文 | English | type | options | required."""
    return itemlists.editor_text(items, "tick", _required)


def parse_items(text: str) -> list[dict[str, Any]]:
    """The editor's text → items. Raises ValidationError on "items" naming the bad line."""
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, parts in itemlists.editor_lines(text, LAYOUT):
        key, zh, en, kind, options_raw, flag = parts
        kind = kind or "tick"
        itemlists.check_key(number, key, seen, KEY_RULE)
        itemlists.check_labels(number, zh, en)
        if kind not in ITEM_TYPES:
            raise itemlists.line_error(number, _("the type is tick, score, text, choice or multi."))
        options = itemlists.parse_options(
            number, kind, options_raw, OPTION_SEPARATORS, choice_types=CHOICE_TYPES
        )
        if any(not OPTION_CODE.fullmatch(option) for option in options):
            raise itemlists.line_error(number, str(OPTION_RULE))
        if flag not in ("", "required", "必填"):
            raise itemlists.line_error(number, _('the last column is empty or "required".'))
        items.append(_item(key, zh, en, kind, options, required=bool(flag)))
    if not items:
        raise ValidationError({"items": _("Add at least one item.")})
    if len(items) > MAX_ITEMS:
        raise ValidationError({"items": _("At most %(n)d items.", n=MAX_ITEMS)})
    return items


def save_template(actor: User, kind: str, text: str) -> ChecklistTemplate:
    """Save the edited items as a new version (which becomes current); old versions stay.

    Unchanged items make no new version. Raises PermissionDenied, NotFound, ValidationError.
    """
    current = current_template(actor, kind)
    items = parse_items(text)
    return itemlists.save_version(
        ChecklistTemplate,
        current,
        items,
        actor.id,
        _("Someone saved this template meanwhile. Reload it and try again."),
        kind=kind,
    )
