"""Rules of steps ③ 需求分析 and ④ 商品说明: the versioned questionnaire 附表七 whose answers
fill the A card, the confirmed summary and recommended model, the six-position walkaround
(六方位) with FAB points tied to the customer's needs, competitor comparison sheets, the
catalogue hand-over and test-drive invitation on the timeline, and the daily display-car
setup checklist (展车设置).

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from webapp.access import get_scoped, require_role, scoped_statement
from webapp.auth.models import Role, User
from webapp.blobs import BlobError, store_blob
from webapp.catalog.models import VehicleModel
from webapp.consult.labels import consult_label
from webapp.consult.models import (
    POSITIONS,
    ComparisonSheet,
    DisplayCar,
    DisplayCarCheck,
    NeedsAnalysis,
    Questionnaire,
    WalkaroundPoint,
    WalkaroundRecord,
)
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_date, parse_id, text_errors, text_problem, text_problem_in
from webapp.timeutil import SHANGHAI, local_today, now
from webapp.transactions import commit_unique

CARD_ROLES = cards.CARD_ROLES
ADMIN_ROLES = (Role.ADMIN,)
# The morning setup of the display cars: whoever is on the floor ticks it.
DISPLAY_CHECK_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN, Role.CAR_KEEPER)
DISPLAY_MANAGE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)

# ---------------------------------------------------------------------------------------
# The questionnaire 附表七

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
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 40
MAX_ANSWER = 500
# What update_card needs besides the answers: the card's own values pass through.
CARD_FORM_FIELDS = (
    "name",
    "title",
    "mobile",
    "other_contact",
    "preferred_contact_time",
    "family",
    "hobbies",
    "source",
    "model_id",
    "planned_purchase_date",
    "usage",
    "budget",
    "payment",
    "trade_in",
    "current_car",
    "competitors",
    "decision_makers",
    "grade",
    "owner_id",
)


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
    _q("model_id", "您感兴趣的车型", "Model of interest", "model", field="model_id"),
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
        "谁参与购车决定",
        "Who takes part in the decision",
        "multi",
        ["本人", "配偶", "父母", "子女", "公司"],
        "decision_makers",
    ),
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
    questionnaire = Questionnaire(
        version=1, items=DEFAULT_QUESTIONS, current=True, created_by_id=created_by_id
    )
    db.session.add(questionnaire)
    db.session.flush()
    return questionnaire


def current_questionnaire() -> Questionnaire | None:
    """The current version of the questionnaire (it is the same for every store)."""
    return db.session.scalar(sa.select(Questionnaire).where(Questionnaire.current))


def questionnaire_versions(actor: User) -> list[Questionnaire]:
    """Every version, newest first (admins). Raises PermissionDenied."""
    require_role(actor, *ADMIN_ROLES)
    return list(db.session.scalars(sa.select(Questionnaire).order_by(Questionnaire.version.desc())))


def questions_text(items: list[dict[str, Any]]) -> str:
    """Questions as the editor's text: key | 中文 | English | type | options | card field."""
    lines = []
    for item in items:
        parts = [
            item["key"],
            item.get("label_zh", ""),
            item.get("label_en", ""),
            item.get("type", "text"),
            " / ".join(item.get("options") or []),
            item.get("field", ""),
        ]
        lines.append(" | ".join(parts).rstrip(" |"))
    return "\n".join(lines)


def parse_questions(text: str) -> list[dict[str, Any]]:
    """The editor's text → questions. Raises ValidationError on "items" naming the bad line."""
    items: list[dict[str, Any]] = []
    seen_keys: set[str] = set()
    seen_fields: set[str] = set()

    def fail(number: int, message: str) -> ValidationError:
        return ValidationError({"items": _("Line %(n)d: %(problem)s", n=number, problem=message)})

    # Before splitting: splitlines() also breaks at a vertical tab or a form feed.
    if (problem := text_problem(text or "")) is not None:
        raise ValidationError({"items": problem})
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 3 or len(parts) > 6:
            raise fail(number, _("write key | 中文 | English | type | options | card field."))
        parts += [""] * (6 - len(parts))
        key, zh, en, kind, options_raw, field = parts
        if field and field not in CARD_FIELDS:
            raise fail(number, _("%(field)s is not a field of the A card.", field=field))
        kind = kind or FIELD_TYPES.get(field, "text")
        if not KEY_RE.match(key):
            raise fail(number, _("the key is lower-case letters, digits and _ (e.g. usage)."))
        if key in seen_keys:
            raise fail(number, _("the key %(key)s is used twice.", key=key))
        if field and field in seen_fields:
            raise fail(number, _("the card field %(field)s is asked twice.", field=field))
        if not zh or not en or len(zh) > 100 or len(en) > 100:
            raise fail(
                number, _("give the Chinese and the English label (at most 100 characters).")
            )
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
        options = [o.strip() for o in re.split(r"[/，、]", options_raw) if o.strip()]
        if kind in ("choice", "multi") and len(options) < 2:
            raise fail(number, _("a choice needs at least two options, separated by /."))
        if kind not in ("choice", "multi") and options:
            raise fail(number, _("only a choice has options."))
        seen_keys.add(key)
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
    current = current_questionnaire()
    if current is not None and current.items == items:
        return current
    latest = db.session.scalar(sa.select(sa.func.max(Questionnaire.version)))
    db.session.execute(sa.update(Questionnaire).where(Questionnaire.current).values(current=False))
    questionnaire = Questionnaire(
        version=(latest or 0) + 1, items=items, current=True, created_by_id=actor.id
    )
    db.session.add(questionnaire)
    commit_unique("items", _("Someone saved the questionnaire meanwhile. Reload it and try again."))
    return questionnaire


def _card_value_as_answer(card: CustomerCard, item: dict[str, Any]) -> Any:
    value = getattr(card, item["field"])
    if item["type"] == "multi":
        return [v for v in re.split(r"[、,，]", value or "") if v.strip()]
    if item["type"] == "yesno":
        return "yes" if value else "no"
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("1"))) if value == value.to_integral() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


def answers_for(card: CustomerCard, analysis: NeedsAnalysis | None, items: list[dict]) -> dict:
    """What the form shows: card fields from the card, other answers from the last analysis."""
    extra = analysis.answers if analysis is not None else {}
    values: dict[str, Any] = {}
    for item in items:
        if item.get("field"):
            values[item["key"]] = _card_value_as_answer(card, item)
        else:
            values[item["key"]] = extra.get(item["key"], [] if item["type"] == "multi" else "")
    return values


def latest_analysis(card: CustomerCard) -> NeedsAnalysis | None:
    """The card's newest analysis (the card was already checked by get_card)."""
    return db.session.scalar(
        sa.select(NeedsAnalysis)
        .where(NeedsAnalysis.card_id == card.id, NeedsAnalysis.store_id == card.store_id)
        .order_by(NeedsAnalysis.created_at.desc(), NeedsAnalysis.id.desc())
        .limit(1)
    )


@dataclass
class NeedsPage:
    """Everything the needs-analysis page shows."""

    card: CustomerCard
    questionnaire: Questionnaire
    analysis: NeedsAnalysis | None
    values: dict[str, Any]
    models: list[VehicleModel]


def needs_page(actor: User, card_id: int) -> NeedsPage:
    """The card, the current questionnaire and the answers so far.

    Raises NotFound / PermissionDenied like the card; NotFound when no questionnaire exists.
    """
    card = cards.get_card(actor, card_id)
    questionnaire = current_questionnaire()
    if questionnaire is None:
        raise NotFound()
    analysis = latest_analysis(card)
    return NeedsPage(
        card=card,
        questionnaire=questionnaire,
        analysis=analysis,
        values=answers_for(card, analysis, questionnaire.items),
        models=cards.model_choices(),
    )


def _clean_answer(item: dict[str, Any], raw: Any, errors: dict[str, str]) -> Any:
    """One posted answer in the shape its type stores; sets errors[key] on bad input."""
    key, kind = item["key"], item["type"]
    # Checked before strip(), which would silently drop a leading vertical tab.
    if (problem := text_problem_in(raw if isinstance(raw, list) else [raw])) is not None:
        errors[key] = problem
        return [] if kind == "multi" else ""
    if kind == "multi":
        chosen = raw if isinstance(raw, list) else ([raw] if raw else [])
        chosen = [str(c).strip() for c in chosen if str(c).strip()]
        unknown = [c for c in chosen if c not in item["options"]]
        if unknown:
            errors[key] = _("Choose from the options.")
        return chosen
    value = str(raw[0] if isinstance(raw, list) and raw else raw or "").strip()
    if len(value) > MAX_ANSWER:
        errors[key] = _("At most %(n)d characters.", n=MAX_ANSWER)
    if kind == "choice" and value and value not in item["options"]:
        errors[key] = _("Choose from the options.")
    if kind == "yesno" and value not in ("", "yes", "no"):
        errors[key] = _("Choose yes or no.")
    if kind == "date" and value and parse_date(value) is None:
        errors[key] = _("Enter a date.")
    if kind == "number" and value:
        try:
            number = Decimal(value.replace(",", "").replace("¥", ""))
            if not number.is_finite() or number < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors[key] = _("Enter a number, for example 150000.")
    return value


def save_answers(
    actor: User, card_id: int, posted: dict[str, Any], card_version: int | None
) -> NeedsAnalysis:
    """Save the questionnaire: card-field answers go onto the A card (through
    customers.services.update_card, refusing a stale card version); the other answers are
    kept with the analysis record (the open one, or a new one after a confirmed summary).

    Raises NotFound / PermissionDenied like the card, ValidationError keyed by question
    (or "version" when the card changed meanwhile). Nothing is half-saved.
    """
    card = cards.get_card(actor, card_id)
    questionnaire = current_questionnaire()
    if questionnaire is None:
        raise NotFound()
    errors: dict[str, str] = {}
    if card_version is None or card_version != card.version:
        errors["version"] = _("Someone else changed this card meanwhile. Reload it and try again.")
    card_data = {field: getattr(card, field) for field in CARD_FORM_FIELDS}
    card_data["owner_id"] = ""
    extra: dict[str, Any] = {}
    by_field: dict[str, str] = {}
    for item in questionnaire.items:
        value = _clean_answer(item, posted.get(item["key"]), errors)
        field = item.get("field")
        if not field:
            extra[item["key"]] = value
            continue
        by_field[field] = item["key"]
        if item["type"] == "multi":
            card_data[field] = "、".join(value)
        elif item["type"] == "yesno":
            card_data[field] = value == "yes"
        else:
            card_data[field] = value
    if errors:
        raise ValidationError(errors)

    analysis = latest_analysis(card)
    if analysis is None or analysis.confirmed_at is not None:
        analysis = NeedsAnalysis(
            store_id=card.store_id,
            card_id=card.id,
            questionnaire_id=questionnaire.id,
            created_by_id=actor.id,
        )
        db.session.add(analysis)
    analysis.questionnaire_id = questionnaire.id
    analysis.answers = extra
    analysis.summary = ""
    try:
        cards.apply_card_changes(actor, card, card_data, card_version)
    except ValidationError as exc:
        db.session.rollback()
        mapped = {by_field.get(f, f): m for f, m in exc.errors.items()}
        raise ValidationError(mapped) from None
    db.session.commit()  # the card and this analysis together, or nothing
    return analysis


def summary_lines(card: CustomerCard, analysis: NeedsAnalysis, zh: bool) -> list[tuple[str, str]]:
    """(question, answer) pairs of what the customer said, for the summary to confirm."""
    questionnaire = analysis.questionnaire
    values = answers_for(card, analysis, questionnaire.items)
    models = {m.id: m for m in cards.model_choices()}
    lines = []
    for item in questionnaire.items:
        value = values.get(item["key"])
        if item["type"] == "multi":
            value = "、".join(value or [])
        elif item["type"] == "model":
            model = models.get(value) if value else None
            value = (model.name_zh if zh else model.name_en) if model else ""
        elif item["type"] == "payment":
            value = "" if value in ("", "undecided") else _label_payment(value)
        elif item["type"] == "yesno":
            value = {"yes": _("Yes"), "no": ""}.get(value, "")
        elif item["type"] == "number" and value:
            value = f"¥{Decimal(str(value)):,.0f}"
        if value:
            lines.append((item["label_zh"] if zh else item["label_en"], str(value)))
    return lines


def _label_payment(code: str) -> str:
    from webapp.labels import label

    return label("payment", code)


def _analysis_for_card(actor: User, analysis_id: int) -> tuple[NeedsAnalysis, CustomerCard]:
    analysis = get_scoped(NeedsAnalysis, analysis_id, actor)
    card = cards.get_card(actor, analysis.card_id)
    return analysis, card


def get_scoped_analysis_card(actor: User, analysis_id: int) -> int:
    """The card id of an analysis the actor may open. Raises NotFound / PermissionDenied."""
    return _analysis_for_card(actor, analysis_id)[1].id


def confirm_summary(actor: User, analysis_id: int, zh: bool = True) -> NeedsAnalysis:
    """The customer confirmed the summary on screen: record the time and the summary text,
    and put it on the card's timeline. Confirming twice keeps the first time.

    Raises NotFound / PermissionDenied like the card.
    """
    analysis, card = _analysis_for_card(actor, analysis_id)
    if analysis.confirmed_at is not None:
        return analysis
    lines = summary_lines(card, analysis, zh)
    analysis.summary = "\n".join(f"{q}：{a}" for q, a in lines)
    analysis.confirmed_at = now()
    _event(card, actor, "needs_confirmed", note=analysis.summary, data={"analysis_id": analysis.id})
    db.session.commit()
    return analysis


def recommend_model(actor: User, analysis_id: int, model_id: Any, note: str) -> NeedsAnalysis:
    """Record the model recommended after the confirmed summary, on the timeline.

    Raises NotFound / PermissionDenied like the card; ValidationError when the summary is
    not confirmed yet, the model is not in the catalogue or the note is too long.
    """
    analysis, card = _analysis_for_card(actor, analysis_id)
    errors: dict[str, str] = {}
    if analysis.confirmed_at is None:
        errors["model_id"] = _("Let the customer confirm the summary first.")
    model = _active_model(model_id)
    if model is None:
        errors.setdefault("model_id", _("Choose a model from the catalogue."))
    raw_note, note = note, (note or "").strip()
    if len(note) > 500:
        errors["recommendation_note"] = _("At most %(n)d characters.", n=500)
    errors.update(text_errors({"model_id": model_id, "recommendation_note": raw_note}))
    if errors:
        raise ValidationError(errors)
    analysis.recommended_model_id = model.id  # type: ignore[union-attr]
    analysis.recommendation_note = note
    analysis.recommended_at = now()
    _event(
        card,
        actor,
        "model_recommended",
        note=note,
        data={"model_id": model.id, "model": model.name_zh},  # type: ignore[union-attr]
    )
    db.session.commit()
    return analysis


def _active_model(model_id: Any) -> VehicleModel | None:
    pk = parse_id(model_id)
    if pk is None:
        return None
    return db.session.scalar(
        sa.select(VehicleModel).where(VehicleModel.id == pk, VehicleModel.active)
    )


def _event(
    card: CustomerCard, actor: User, kind: str, note: str = "", data: dict | None = None
) -> CardEvent:
    return cards.record_event(card, actor.id, kind, note, data)


# ---------------------------------------------------------------------------------------
# Needs → tags, and the walkaround 六方位

NEED_KEYWORDS: dict[str, tuple[str, ...]] = {
    "economy": ("省油", "油耗", "通勤", "混动", "economy", "fuel", "commut"),
    "safety": ("安全", "孩子", "老人", "safety", "child"),
    "space": ("空间", "家庭", "孩子", "二胎", "长途", "自驾", "space", "family"),
    "comfort": ("舒适", "静", "长途", "父母", "comfort", "quiet"),
    "performance": ("动力", "操控", "运动", "power", "sport"),
    "tech": ("科技", "智能", "配置", "tech"),
    "value": ("保值", "预算", "性价比", "value"),
    "business": ("商务", "接待", "business"),
}


def need_tags(card: CustomerCard, analysis: NeedsAnalysis | None) -> set[str]:
    """The needs the customer spoke of: keywords in the card's usage, family and hobbies and
    in the analysis's own answers (e.g. what matters most)."""
    parts = [card.usage, card.family, card.hobbies]
    if analysis is not None:
        for value in analysis.answers.values():
            parts.extend(value if isinstance(value, list) else [str(value)])
    text = " ".join(p for p in parts if p).lower()
    return {tag for tag, words in NEED_KEYWORDS.items() if any(w in text for w in words)}


@dataclass
class FabPoint:
    """A FAB point as the walkaround shows it, marked when it answers a need."""

    point: WalkaroundPoint
    matches: list[str]


@dataclass
class WalkaroundPage:
    """The walkaround of one model for one card."""

    card: CustomerCard
    model: VehicleModel | None
    models: list[VehicleModel]
    needs: set[str]
    positions: list[tuple[str, list[FabPoint], str | None]]  # position, points, ticked at
    record: WalkaroundRecord | None

    @property
    def done(self) -> int:
        return sum(1 for _p, _pts, ticked in self.positions if ticked)


def _walkaround_model(card: CustomerCard, analysis: NeedsAnalysis | None, model_id: Any):
    if model_id not in (None, ""):
        model = _active_model(model_id)
        if model is None:
            raise NotFound()
        return model
    if analysis is not None and analysis.recommended_model_id:
        return analysis.recommended_model
    return card.model


def _record(card: CustomerCard, model_id: int) -> WalkaroundRecord | None:
    return db.session.scalar(
        sa.select(WalkaroundRecord)
        .where(
            WalkaroundRecord.card_id == card.id,
            WalkaroundRecord.store_id == card.store_id,
            WalkaroundRecord.model_id == model_id,
        )
        .order_by(WalkaroundRecord.created_at.desc(), WalkaroundRecord.id.desc())
        .limit(1)
    )


def walkaround_page(actor: User, card_id: int, model_id: Any = None) -> WalkaroundPage:
    """The six positions of the model (the recommended one, else the model of interest) with
    their FAB points, the ones answering the customer's needs first and marked.

    Raises NotFound / PermissionDenied like the card; NotFound for an unknown model.
    """
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = _walkaround_model(card, analysis, model_id)
    needs = need_tags(card, analysis)
    positions: list[tuple[str, list[FabPoint], str | None]] = []
    record = None
    if model is not None:
        record = _record(card, model.id)
        points = db.session.scalars(
            sa.select(WalkaroundPoint)
            .where(WalkaroundPoint.model_id == model.id)
            .order_by(WalkaroundPoint.sort_order, WalkaroundPoint.id)
        ).all()
        ticks = record.positions if record else {}
        for position in POSITIONS:
            fab = [
                FabPoint(p, sorted(needs.intersection(p.tags or [])))
                for p in points
                if p.position == position
            ]
            fab.sort(key=lambda f: not f.matches)  # stable: the needs' points first
            positions.append((position, fab, ticks.get(position)))
    return WalkaroundPage(card, model, cards.model_choices(), needs, positions, record)


def tick_position(
    actor: User, card_id: int, model_id: Any, position: str, done: bool
) -> WalkaroundRecord:
    """Record that a position was presented (or untick it). When all six are ticked the
    walkaround goes on the card's timeline (once).

    Raises NotFound / PermissionDenied like the card, NotFound for an unknown model,
    ValidationError for an unknown position.
    """
    card = cards.get_card(actor, card_id)
    model = _active_model(model_id)
    if model is None:
        raise NotFound()
    if position not in POSITIONS:
        raise ValidationError({"position": _("Choose one of the six positions.")})
    record = _record(card, model.id)
    if record is None or (record.completed_at is not None and done):
        # A finished walkaround stays as it was; ticking again starts the next one.
        record = WalkaroundRecord(
            store_id=card.store_id, card_id=card.id, model_id=model.id, created_by_id=actor.id
        )
        db.session.add(record)
    ticks = dict(record.positions or {})
    if done:
        ticks.setdefault(position, now().isoformat())
    else:
        ticks.pop(position, None)
        record.completed_at = None
    record.positions = ticks
    if len(ticks) == len(POSITIONS) and record.completed_at is None:
        record.completed_at = now()
        db.session.flush()
        _event(
            card,
            actor,
            "walkaround",
            data={"model_id": model.id, "model": model.name_zh, "record_id": record.id},
        )
    db.session.commit()
    return record


# Walkaround points editor (admins): position | feature | advantage | benefit | tags

MAX_POINTS = 60


def walkaround_models(actor: User) -> list[tuple[VehicleModel, int]]:
    """Every active model with its number of FAB points (admins). Raises PermissionDenied."""
    require_role(actor, *ADMIN_ROLES)
    counts = dict(
        db.session.execute(
            sa.select(WalkaroundPoint.model_id, sa.func.count()).group_by(WalkaroundPoint.model_id)
        ).all()
    )
    return [(m, counts.get(m.id, 0)) for m in cards.model_choices()]


def points_text(points: list[WalkaroundPoint]) -> str:
    return "\n".join(
        " | ".join([p.position, p.feature, p.advantage, p.benefit, ", ".join(p.tags or [])])
        for p in points
    )


def model_points(actor: User, model_id: int) -> tuple[VehicleModel, list[WalkaroundPoint]]:
    """A model and its FAB points for the admin's editor. Raises PermissionDenied, NotFound."""
    require_role(actor, *ADMIN_ROLES)
    model = _active_model(model_id)
    if model is None:
        raise NotFound()
    points = db.session.scalars(
        sa.select(WalkaroundPoint)
        .where(WalkaroundPoint.model_id == model.id)
        .order_by(WalkaroundPoint.sort_order, WalkaroundPoint.id)
    ).all()
    return model, list(points)


def parse_points(text: str) -> list[dict[str, Any]]:
    """Editor text → FAB points. Raises ValidationError on "points" naming the bad line."""
    out: list[dict[str, Any]] = []

    def fail(number: int, message: str) -> ValidationError:
        return ValidationError({"points": _("Line %(n)d: %(problem)s", n=number, problem=message)})

    if (problem := text_problem(text or "")) is not None:
        raise ValidationError({"points": problem})
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) not in (4, 5):
            raise fail(number, _("write position | feature | advantage | benefit | needs."))
        parts += [""] * (5 - len(parts))
        position, feature, advantage, benefit, tags_raw = parts
        if position not in POSITIONS:
            raise fail(number, _("the position is one of %(list)s.", list=", ".join(POSITIONS)))
        if not feature or not advantage or not benefit:
            raise fail(number, _("give the feature, the advantage and the benefit."))
        if len(feature) > 100 or len(advantage) > 200 or len(benefit) > 200:
            raise fail(number, _("the text is too long (feature 100, the others 200 characters)."))
        tags = [t.strip() for t in re.split(r"[,，、/]", tags_raw) if t.strip()]
        unknown = [t for t in tags if t not in NEED_KEYWORDS]
        if unknown:
            raise fail(number, _("unknown needs: %(list)s.", list=", ".join(unknown)))
        out.append(
            {
                "position": position,
                "feature": feature,
                "advantage": advantage,
                "benefit": benefit,
                "tags": tags,
                "sort_order": len(out),
            }
        )
    if len(out) > MAX_POINTS:
        raise ValidationError({"points": _("At most %(n)d points.", n=MAX_POINTS)})
    return out


def save_points(actor: User, model_id: int, text: str) -> list[WalkaroundPoint]:
    """Replace a model's FAB points with the edited ones. Raises PermissionDenied, NotFound,
    ValidationError."""
    model, old = model_points(actor, model_id)
    parsed = parse_points(text)
    for point in old:
        db.session.delete(point)
    new = [WalkaroundPoint(model_id=model.id, **p) for p in parsed]
    db.session.add_all(new)
    db.session.commit()
    return new


# ---------------------------------------------------------------------------------------
# Competitor comparison 竞品对比


def comparison_sheets(actor: User) -> list[ComparisonSheet]:
    """Every sheet, by model and competitor (any staff who present cars may read them)."""
    require_role(actor, *CARD_ROLES)
    return list(
        db.session.scalars(
            sa.select(ComparisonSheet)
            .join(VehicleModel, VehicleModel.id == ComparisonSheet.model_id)
            .order_by(VehicleModel.sort_order, ComparisonSheet.competitor)
        )
    )


def get_sheet(actor: User, sheet_id: int, *roles: Role) -> ComparisonSheet:
    """One sheet. Raises PermissionDenied (role), NotFound."""
    require_role(actor, *(roles or CARD_ROLES))
    sheet = db.session.get(ComparisonSheet, sheet_id)
    if sheet is None:
        raise NotFound()
    return sheet


def sheets_for_card(card: CustomerCard, model_id: int | None) -> list[ComparisonSheet]:
    """The sheets of the model whose competitor the customer named on the card."""
    named = (card.competitors or "").lower()
    if not named or model_id is None:
        return []
    stmt = sa.select(ComparisonSheet).where(ComparisonSheet.model_id == model_id)
    return [
        sheet
        for sheet in db.session.scalars(stmt.order_by(ComparisonSheet.competitor))
        if any(alias.lower() in named for alias in [sheet.competitor, *(sheet.aliases or [])])
    ]


def rows_text(rows: list[dict[str, str]]) -> str:
    return "\n".join(f"{r['aspect']} | {r['ours']} | {r['theirs']}" for r in rows)


def _clean_sheet(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    model = _active_model(data.get("model_id"))
    if model is None:
        errors["model_id"] = _("Choose a model from the catalogue.")
    competitor = (data.get("competitor") or "").strip()
    if not competitor:
        errors["competitor"] = _("Name the competitor's model.")
    elif len(competitor) > 60:
        errors["competitor"] = _("At most %(n)d characters.", n=60)
    aliases = [a.strip() for a in re.split(r"[,，、/]", data.get("aliases") or "") if a.strip()]
    if any(len(a) > 30 for a in aliases) or len(aliases) > 10:
        errors["aliases"] = _("At most 10 names of at most 30 characters.")
    rows = []
    for number, raw in enumerate((data.get("rows") or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) != 3 or not all(parts):
            errors["rows"] = _("Line %(n)d: write aspect | ours | theirs.", n=number)
            break
        if any(len(p) > 200 for p in parts):
            errors["rows"] = _("Line %(n)d: at most 200 characters a column.", n=number)
            break
        rows.append({"aspect": parts[0], "ours": parts[1], "theirs": parts[2]})
    if not rows and "rows" not in errors:
        errors["rows"] = _("Add at least one row.")
    errors.update(text_errors(data, ("model_id", "competitor", "aliases", "rows")))
    if errors:
        raise ValidationError(errors)
    return {"model_id": model.id, "competitor": competitor, "aliases": aliases, "rows": rows}  # type: ignore[union-attr]


def save_sheet(
    actor: User, sheet_id: int | None, data: dict[str, Any], version: int | None = None
) -> ComparisonSheet:
    """Create or edit a comparison sheet (admins). A stale version is refused.

    Raises PermissionDenied, NotFound, ValidationError (also when the model already has a
    sheet for this competitor).
    """
    require_role(actor, *ADMIN_ROLES)
    sheet = get_sheet(actor, sheet_id, *ADMIN_ROLES) if sheet_id is not None else None
    if sheet is not None and version != sheet.version:
        raise ValidationError(
            {"version": _("Someone else changed this sheet meanwhile. Reload it and try again.")}
        )
    clean = _clean_sheet(data)
    if sheet is None:
        sheet = ComparisonSheet(**clean)
        db.session.add(sheet)
    else:
        for key, value in clean.items():
            setattr(sheet, key, value)
    sheet.updated_by_id = actor.id
    commit_unique("competitor", _("This model already has a sheet for that competitor."))
    return sheet


@dataclass
class ComparePage:
    """The comparison sheets offered for a card."""

    card: CustomerCard
    model: VehicleModel | None
    offered: list[ComparisonSheet]
    others: list[ComparisonSheet]
    chosen: ComparisonSheet | None


def compare_page(actor: User, card_id: int, sheet_id: int | None = None) -> ComparePage:
    """The sheets for the competitors the customer named (for the recommended model, else
    the model of interest) first, the model's other sheets after, one sheet opened.

    Raises NotFound / PermissionDenied like the card; NotFound for an unknown sheet.
    """
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = _walkaround_model(card, analysis, None)
    offered = sheets_for_card(card, model.id if model else None)
    others: list[ComparisonSheet] = []
    if model is not None:
        others = [
            s
            for s in db.session.scalars(
                sa.select(ComparisonSheet)
                .where(ComparisonSheet.model_id == model.id)
                .order_by(ComparisonSheet.competitor)
            )
            if s not in offered
        ]
    chosen = None
    if sheet_id is not None:
        chosen = get_sheet(actor, sheet_id)
    elif offered:
        chosen = offered[0]
    return ComparePage(card, model, offered, others, chosen)


# ---------------------------------------------------------------------------------------
# Catalogue hand-over and test-drive invitation


def record_catalogue(actor: User, card_id: int, note: str) -> CardEvent:
    """The catalogue was handed over (features marked, contact added): on the timeline.

    Raises NotFound / PermissionDenied like the card, ValidationError for a long note.
    """
    card = cards.get_card(actor, card_id)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"catalogue_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"catalogue_note": _("At most %(n)d characters.", n=500)})
    model = card.model
    event = _event(
        card,
        actor,
        "catalogue_given",
        note=note,
        data={"model": model.name_zh} if model else {},
    )
    db.session.commit()
    return event


def record_invitation(actor: User, card_id: int, note: str) -> CardEvent:
    """The customer was invited to a test drive: on the timeline (booking comes next).

    Raises NotFound / PermissionDenied like the card, ValidationError for a long note.
    """
    card = cards.get_card(actor, card_id)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"invite_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"invite_note": _("At most %(n)d characters.", n=500)})
    event = _event(card, actor, "test_drive_invited", note=note)
    db.session.commit()
    return event


@dataclass
class CardConsult:
    """What the card shows of steps ③ ④: the analysis state and the offered sheets."""

    card: CustomerCard
    analysis: NeedsAnalysis | None
    walkaround: WalkaroundRecord | None
    offered: list[ComparisonSheet]
    model: VehicleModel | None


def card_consult(actor: User, card_id: int) -> CardConsult:
    """The consult panel of a card. Raises NotFound / PermissionDenied like the card."""
    card = cards.get_card(actor, card_id)
    analysis = latest_analysis(card)
    model = _walkaround_model(card, analysis, None)
    record = _record(card, model.id) if model else None
    return CardConsult(
        card, analysis, record, sheets_for_card(card, model.id if model else None), model
    )


# ---------------------------------------------------------------------------------------
# Display cars and their daily setup checklist 展车设置

DISPLAY_ITEMS = (
    "plates",
    "clean",
    "tyres_dressed",
    "wheel_logo",
    "tyre_mats",
    "unlocked",
    "windows_closed",
    "sunshade_open",
    "film_removed",
    "floor_mats",
    "price_sticker",
    "steering_high",
    "headrests_low",
    "driver_seat",
    "clock_set",
    "radio_preset",
    "music",
)
SUNROOF_ONLY = frozenset({"sunshade_open"})
PHOTO_MAX_BYTES = 8 * 1024 * 1024


def items_for(car: DisplayCar | DisplayCarRow) -> tuple[str, ...]:
    """The checklist items that apply to this car (the sunshade only with a sunroof)."""
    return tuple(i for i in DISPLAY_ITEMS if car.sunroof or i not in SUNROOF_ONLY)


def opening_time() -> time:
    """The store's opening time (STORE_OPENS_AT, "HH:MM" local; 09:00 by default)."""
    raw = str(current_app.config.get("STORE_OPENS_AT", "09:00"))
    try:
        hour, minute = (int(p) for p in raw.split(":"))
        return time(hour, minute)
    except ValueError:
        return time(9, 0)


@dataclass(frozen=True, slots=True)
class ModelNames:
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class DisplayCarRow:
    """A display car as the boards show it (read as plain columns, not an ORM entity)."""

    id: int
    colour: str
    position: str
    sunroof: bool
    model: ModelNames


@dataclass
class DisplayCarStatus:
    """One display car for "store today": checked today? ready? late (red)?"""

    car: DisplayCarRow
    checked: bool
    ready: bool
    failed_items: list[str]
    checked_by: str | None
    manager_checked: bool
    check_id: int | None = None
    late: bool = False  # not ready at opening time: shown red

    @property
    def failed_labels(self) -> list[str]:
        return [consult_label("display_item", key) for key in self.failed_items]


_DISPLAY_CARS = sa.select(
    DisplayCar.id,
    DisplayCar.colour,
    DisplayCar.position,
    DisplayCar.sunroof,
    VehicleModel.name_zh,
    VehicleModel.name_en,
).join(VehicleModel, VehicleModel.id == DisplayCar.model_id)
_CHECKED_BY = aliased(User, name="checked_by")
_DISPLAY_CHECKS = sa.select(
    DisplayCarCheck.car_id,
    DisplayCarCheck.id,
    DisplayCarCheck.items,
    DisplayCarCheck.ready,
    DisplayCarCheck.manager_checked_at,
    _CHECKED_BY.display_name,
).join(_CHECKED_BY, _CHECKED_BY.id == DisplayCarCheck.checked_by_id)


def _display_cars_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The store's active display cars, by position."""
    return scope(_DISPLAY_CARS.where(DisplayCar.active)).order_by(
        DisplayCar.position, DisplayCar.id
    )


def _display_checks_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The store's display-car checks of `:day`."""
    return scope(_DISPLAY_CHECKS.where(DisplayCarCheck.day == sa.bindparam("day")))


def display_cars_today(actor: User, at: datetime | None = None) -> list[DisplayCarStatus]:
    """Every active display car of the actor's store with today's checklist state; a car not
    ready once the store has opened is `late` (red). Two queries of plain columns, whatever
    the count."""
    moment = (at or now()).astimezone(SHANGHAI)
    today = moment.date()
    opened = moment.time() >= opening_time()
    conn = db.session.connection()
    cars_stmt, scope = scoped_statement(DisplayCar, actor, _display_cars_statement)
    cars_ = [
        DisplayCarRow(
            id=row.id,
            colour=row.colour,
            position=row.position,
            sunroof=row.sunroof,
            model=ModelNames(name_zh=row.name_zh, name_en=row.name_en),
        )
        for row in conn.execute(cars_stmt, scope)
    ]
    # Today's checks of the store's cars (a check of a car no longer active is not shown).
    checks_stmt, scope = scoped_statement(DisplayCarCheck, actor, _display_checks_statement)
    checks = {row.car_id: row for row in conn.execute(checks_stmt, {**scope, "day": today})}
    out = []
    for car in cars_:
        check = checks.get(car.id)
        items = (check.items or {}) if check else {}
        failed = [k for k in items_for(car) if not (items.get(k) or {}).get("ok")] if check else []
        ready = bool(check and check.ready)
        out.append(
            DisplayCarStatus(
                car=car,
                checked=check is not None,
                ready=ready,
                failed_items=failed,
                checked_by=check.display_name if check else None,
                manager_checked=bool(check and check.manager_checked_at),
                check_id=check.id if check else None,
                late=opened and not ready,
            )
        )
    return out


def display_board(actor: User) -> list[DisplayCarStatus]:
    """The display-car page's list. Raises PermissionDenied for roles that do not check."""
    require_role(actor, *DISPLAY_CHECK_ROLES)
    return display_cars_today(actor)


def _clean_display_car(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    model = _active_model(data.get("model_id"))
    if model is None:
        errors["model_id"] = _("Choose a model from the catalogue.")
    out: dict[str, Any] = {"model_id": model.id if model else None}
    for name, limit, message in (
        ("colour", 30, _("Enter the colour.")),
        ("position", 50, _("Say where the car stands in the showroom.")),
    ):
        value = (data.get(name) or "").strip()
        if not value:
            errors[name] = message
        elif len(value) > limit:
            errors[name] = _("At most %(n)d characters.", n=limit)
        out[name] = value
    out["sunroof"] = bool(data.get("sunroof"))
    errors.update(text_errors(data, ("model_id", "colour", "position")))
    if errors:
        raise ValidationError(errors)
    return out


def create_display_car(actor: User, data: dict[str, Any]) -> DisplayCar:
    """Add a display car to the actor's store (manager, admin). Raises PermissionDenied,
    ValidationError."""
    require_role(actor, *DISPLAY_MANAGE_ROLES)
    car = DisplayCar(store_id=actor.store_id, **_clean_display_car(data))
    db.session.add(car)
    db.session.commit()
    return car


def get_display_car(actor: User, car_id: int) -> DisplayCar:
    """A display car of the actor's store. Raises NotFound (other store), PermissionDenied."""
    car = get_scoped(DisplayCar, car_id, actor)
    require_role(actor, *DISPLAY_CHECK_ROLES)
    return car


def todays_check(car: DisplayCar, day: date | None = None) -> DisplayCarCheck | None:
    return db.session.scalar(
        sa.select(DisplayCarCheck).where(
            DisplayCarCheck.car_id == car.id,
            DisplayCarCheck.store_id == car.store_id,
            DisplayCarCheck.day == (day or local_today()),
        )
    )


def save_check(
    actor: User,
    car_id: int,
    ok_items: set[str],
    notes: dict[str, str],
    photos: dict[str, tuple[bytes, str]],
) -> DisplayCarCheck:
    """Record today's setup checklist of a display car: every item ok or failed, a note and
    an optional photo on a failed item (stored encrypted as a "photo" blob). Saving again
    the same day updates it; the manager's check then has to be given again.

    Raises NotFound / PermissionDenied, ValidationError (a photo on an item that passed, a
    photo the blob store refuses, a note too long). Nothing is half-saved: photos are
    checked before the checklist row is written.
    """
    car = get_display_car(actor, car_id)
    keys = items_for(car)
    errors: dict[str, str] = {}
    for key, text in notes.items():
        if key not in keys:
            continue
        if (problem := text_problem(text)) is not None:
            errors[f"note_{key}"] = problem
        elif len(text.strip()) > 200:
            errors[f"note_{key}"] = _("At most %(n)d characters.", n=200)
    for key in photos:
        if key not in keys:
            continue
        if key in ok_items:
            errors[f"photo_{key}"] = _("A photo belongs to an item that failed.")
    if errors:
        raise ValidationError(errors)
    existing = todays_check(car)
    old_items = existing.items if existing else {}
    stored: dict[str, str] = {}
    for key, (data, mime) in photos.items():
        if key not in keys:
            continue
        try:
            blob = store_blob(data, mime, "photo", car.store_id, actor)
        except BlobError as exc:
            db.session.rollback()
            errors[f"photo_{key}"] = exc.message
            continue
        stored[key] = blob.sha256
    if errors:
        raise ValidationError(errors)
    items: dict[str, dict[str, Any]] = {}
    for key in keys:
        ok = key in ok_items
        photo = stored.get(key) or (None if ok else (old_items.get(key) or {}).get("photo"))
        items[key] = {"ok": ok, "note": (notes.get(key) or "").strip(), "photo": photo}
    check = existing or DisplayCarCheck(
        store_id=car.store_id, car_id=car.id, day=local_today(), checked_by_id=actor.id
    )
    check.items = items
    check.ready = all(i["ok"] for i in items.values())
    check.checked_by_id = actor.id
    check.checked_at = now()
    check.manager_checked_by_id = None
    check.manager_checked_at = None
    if existing is None:
        db.session.add(check)
    commit_unique("items", _("Someone saved this checklist meanwhile. Reload it and try again."))
    return check


def manager_check(actor: User, check_id: int, note: str) -> DisplayCarCheck:
    """The manager confirms a display car's checklist (推 the PDCA 'check').

    Raises NotFound (other store), PermissionDenied (not a manager), ValidationError.
    """
    check = get_scoped(DisplayCarCheck, check_id, actor)
    require_role(actor, *DISPLAY_MANAGE_ROLES)
    if (problem := text_problem(note or "")) is not None:
        raise ValidationError({"manager_note": problem})
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"manager_note": _("At most %(n)d characters.", n=500)})
    check.manager_checked_by_id = actor.id
    check.manager_checked_at = now()
    check.manager_note = note
    db.session.commit()
    return check


def check_photo(actor: User, check_id: int, key: str) -> str:
    """The sha256 of the photo on an item of a checklist of the actor's store.

    Raises NotFound (other store, no such item or no photo), PermissionDenied.
    """
    check = get_scoped(DisplayCarCheck, check_id, actor)
    require_role(actor, *DISPLAY_CHECK_ROLES)
    photo = (check.items.get(key) or {}).get("photo")
    if not photo:
        raise NotFound()
    return photo


def get_check(actor: User, check_id: int) -> DisplayCarCheck:
    """A checklist of the actor's store. Raises NotFound, PermissionDenied."""
    check = get_scoped(DisplayCarCheck, check_id, actor)
    require_role(actor, *DISPLAY_CHECK_ROLES)
    return check
