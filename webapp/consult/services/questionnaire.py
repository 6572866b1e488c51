"""The questionnaire 来店顾客调查问卷 (附表七) of step ③: a versioned item list
(webapp.itemlists) that admins edit, whose questions may fill a field of the A card.

Every use case commits once; bad input raises ValidationError with a message per field.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp import itemlists
from webapp.access import require_role
from webapp.auth.models import User
from webapp.consult.models import Questionnaire
from webapp.consult.services.common import ADMIN_ROLES
from webapp.customers import services as cards
from webapp.errors import ValidationError
from webapp.extensions import db

QUESTION_TYPES = ("text", "choice", "multi", "date", "number", "yesno", "model", "payment")
# Card fields whose answer has one fixed shape; text fields take text, choice or multi.
FIELD_TYPES = {
    "model_id": "model",
    "planned_purchase_date": "date",
    "budget": "number",
    "payment": "payment",
    "trade_in": "yesno",
}
TEXT_CARD_FIELDS = tuple(cards.TEXT_FIELDS)
CARD_FIELDS = (*FIELD_TYPES, *(f for f in TEXT_CARD_FIELDS if f != "name"))
MAX_QUESTIONS = 40
CHOICE_TYPES = ("choice", "multi")
# Options are separated by a slash, a Chinese comma or 、 (a Latin comma stays in an option).
OPTION_SEPARATORS = r"[/，、]"
LAYOUT = _l("write key | 中文 | English | type | options | card field.")
KEY_RULE = _l("the key is lower-case letters, digits and _ (e.g. usage).")


def _q(
    key: str, zh: str, en: str, kind: str, options: list[str] | None = None, field: str = ""
) -> dict[str, Any]:
    return {
        "key": key,
        "label_zh": zh,
        "label_en": en,
        "type": kind,
        "options": options or [],
        "field": field,
    }


DEFAULT_QUESTIONS: list[dict[str, Any]] = [
    _q(
        "visit_purpose",
        "本次来店目的",
        "Purpose of today's visit",
        "choice",
        ["初次看车", "再次比较", "试乘试驾", "商谈价格", "提车或售后", "其他"],
    ),
    _q(
        "companions",
        "今天同行的人",
        "Who came along today",
        "multi",
        ["独自来店", "配偶", "父母", "子女", "朋友", "同事"],
    ),
    _q("model_id", "您感兴趣的车型", "Model of interest", "model", field="model_id"),
    _q(
        "purchase_purpose",
        "购车目的",
        "Purpose of the purchase",
        "choice",
        ["首次购车", "换购", "增购"],
    ),
    _q(
        "usage",
        "购车主要用途",
        "Main use of the car",
        "multi",
        ["上下班通勤", "家庭出行", "长途自驾", "商务接待", "接送孩子"],
        "usage",
    ),
    _q(
        "priorities",
        "您最看重的方面",
        "What matters most",
        "multi",
        ["省油", "安全", "空间", "舒适", "动力操控", "科技配置", "保值"],
    ),
    _q("budget", "购车预算（元）", "Budget (yuan)", "number", field="budget"),
    _q("payment", "付款方式", "Cash or loan", "payment", field="payment"),
    _q(
        "planned_purchase_date",
        "计划购车时间",
        "Planned purchase date",
        "date",
        field="planned_purchase_date",
    ),
    _q("current_car", "现在开的车", "Current car", "text", field="current_car"),
    _q("trade_in", "是否置换现有车辆", "Trade in the current car?", "yesno", field="trade_in"),
    _q("competitors", "还在考虑的其他车型", "Other cars considered", "text", field="competitors"),
    _q(
        "decision_makers",
        "谁决定或影响购车",
        "Who decides or influences the purchase",
        "multi",
        ["本人", "配偶", "父母", "子女", "朋友", "公司"],
        "decision_makers",
    ),
    _q("occupation", "职业", "Occupation", "text", field="occupation"),
    _q("address", "居住区域", "Where the customer lives", "text", field="address"),
    _q("family", "家庭成员", "Family", "text", field="family"),
    _q("hobbies", "兴趣爱好", "Hobbies", "text", field="hobbies"),
    _q("main_driver", "主要驾驶人", "Main driver", "choice", ["本人", "配偶", "家人", "司机"]),
    _q("colour", "喜欢的颜色", "Preferred colour", "text"),
]


def ensure_default_questionnaire(created_by_id: int | None = None) -> Questionnaire:
    """Version 1 of 附表七 when there is none yet (demo data, tests). Flushes only."""
    current = current_questionnaire()
    if current is not None:
        return current
    questionnaire = itemlists.first_version(Questionnaire, DEFAULT_QUESTIONS, created_by_id)
    db.session.flush()
    return questionnaire


def current_questionnaire() -> Questionnaire | None:
    """The current version of the questionnaire (it is the same for every store)."""
    return itemlists.current_version(Questionnaire)


def questionnaire_versions(actor: User) -> list[Questionnaire]:
    """Every version, newest first (admins). Raises PermissionDenied."""
    require_role(actor, *ADMIN_ROLES)
    return list(db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.version.desc())))


def _card_field(item: dict[str, Any]) -> str:
    return item.get("field", "")


def questions_text(items: list[dict[str, Any]]) -> str:
    """Questions as the editor's text: key | 中文 | English | type | options | card field."""
    return itemlists.editor_text(items, "text", _card_field)


def parse_questions(text: str) -> list[dict[str, Any]]:
    """The editor's text → questions. Raises ValidationError on "items" naming the bad line."""
    items: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    seen_fields: set[str] = set()
    fail = itemlists.line_error
    for number, parts in itemlists.editor_lines(text, LAYOUT):
        key, zh, en, kind, options_raw, field = parts
        if field and field not in CARD_FIELDS:
            raise fail(number, _("%(field)s is not a field of the A card.", field=field))
        kind = kind or FIELD_TYPES.get(field, "text")
        itemlists.check_key(number, key, seen_keys, KEY_RULE)
        if field and field in seen_fields:
            raise fail(number, _("the card field %(field)s is asked twice.", field=field))
        itemlists.check_labels(number, zh, en)
        if kind not in QUESTION_TYPES:
            raise fail(
                number, _("the type is text, choice, multi, date, number, yesno, model or payment.")
            )
        if field in FIELD_TYPES and kind != FIELD_TYPES[field]:
            raise fail(
                number,
                _(
                    "the card field %(field)s needs the type %(type)s.",
                    field=field,
                    type=FIELD_TYPES[field],
                ),
            )
        if field in TEXT_CARD_FIELDS and kind not in ("text", "choice", "multi"):
            raise fail(number, _("a text field of the card takes text, choice or multi."))
        if not field and kind in ("model", "payment"):
            raise fail(number, _("the types model and payment belong to their card fields."))
        options = itemlists.parse_options(
            number, kind, options_raw, OPTION_SEPARATORS, CHOICE_TYPES
        )
        if field:
            seen_fields.add(field)
        items.append(_q(key, zh, en, kind, options, field))
    if not items:
        raise ValidationError({"items": _("Add at least one question.")})
    if len(items) > MAX_QUESTIONS:
        raise ValidationError({"items": _("At most %(n)d questions.", n=MAX_QUESTIONS)})
    return items


def save_questionnaire(actor: User, text: str) -> Questionnaire:
    """Save the edited questions as a new current version; old versions stay.

    Unchanged questions make no new version. Raises PermissionDenied, ValidationError.
    """
    require_role(actor, *ADMIN_ROLES)
    items = parse_questions(text)
    return itemlists.save_version(
        Questionnaire,
        current_questionnaire(),
        items,
        actor.id,
        _("Someone saved the questionnaire meanwhile. Reload it and try again."),
    )
