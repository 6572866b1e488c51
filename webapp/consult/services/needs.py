"""The needs analysis of step ③: the questionnaire's answers (card fields onto the A card,
the rest with the analysis), the summary the customer confirms, the recommended model, and
the model the presentation shows.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped
from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.consult.models import NeedsAnalysis, Questionnaire
from webapp.consult.services.common import active_model, card_event
from webapp.consult.services.questionnaire import current_questionnaire
from webapp.customers import services as cards
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.fields import FieldError
from webapp.inputs import parse_date, text_errors, text_problem_in
from webapp.labels import label
from webapp.timeutil import now

MAX_ANSWER = 500
# What update_card needs besides the answers: the card's own values pass through.
CARD_FORM_FIELDS = cards.FORM_FIELDS


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


def range_key(item: dict[str, Any]) -> str:
    """The form name of the budget range beside the budget question."""
    return f"{item['key']}_range"


def _budget_answer(item: dict[str, Any], value: str, raw_range: Any, errors: dict) -> str:
    """The budget answer with its range (customers.services.budget_with_range): the amount
    typed, else the range's figure; a bad range or one that disagrees is the question's error."""
    if raw_range in (None, "") or item["key"] in errors:
        return value
    try:
        amount = cards.clean_budget(value) if value else None
        chosen = cards.budget_with_range(amount, raw_range)
    except FieldError as error:
        errors[item["key"]] = error.message
        return value
    if chosen is None:
        return value
    return value or str(chosen.quantize(Decimal("1")))


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
        if field == "budget":
            value = _budget_answer(item, value, posted.get(range_key(item)), errors)
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
    card_event(
        card, actor, "needs_confirmed", note=analysis.summary, data={"analysis_id": analysis.id}
    )
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
    model = active_model(model_id)
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
    card_event(
        card,
        actor,
        "model_recommended",
        note=note,
        data={"model_id": model.id, "model": model.name_zh},  # type: ignore[union-attr]
    )
    db.session.commit()
    return analysis


def presented_model(
    card: CustomerCard, analysis: NeedsAnalysis | None, model_id: Any
) -> VehicleModel | None:
    """The model to present: the one asked for (NotFound when it is not an active model),
    else the recommended one, else the card's model of interest (None without one)."""
    if model_id not in (None, ""):
        model = active_model(model_id)
        if model is None:
            raise NotFound()
        return model
    if analysis is not None and analysis.recommended_model_id:
        return analysis.recommended_model
    return card.model
