"""The follow-up rules of a store, as data: on a trigger (the delivery, the estimated arrival
home, the call day agreed at the farewell, the first maintenance), after so many days and
again every so many, a task for the card's salesperson or service advisor with a message.

The defaults are the standard's (`DEFAULT_RULES`); a store that never edited its rules has
no rows and follows the defaults. The first save writes the whole set for the store, so a
later change of the defaults does not move a store's own choices. The store's settings
(after how many overdue days a task goes to the manager, the thank-you letter's text) live
beside them (`FollowUpSetting`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role
from webapp.auth.models import Role, User
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.followup.models import FollowUpRule, FollowUpSetting, TaskKind, Trigger
from webapp.inputs import text_errors

EDIT_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
OWNER_ROLES = (Role.SALESPERSON.value, Role.SERVICE_ADVISOR.value)
MAX_OFFSET = 730
MIN_REPEAT, MAX_REPEAT = 7, 730
MESSAGE_LIMIT = 200
LETTER_LIMIT = 2000
ESCALATE_RANGE = (1, 30)
# Without an agreed day, the first call about the car is a week after the delivery.
AGREED_CALL_DEFAULT_DAYS = 7
CODE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
MAX_RULES = 20


@dataclass(frozen=True, slots=True)
class Rule:
    """One follow-up rule (a store's row, or a default)."""

    code: str
    trigger: str
    offset_days: int
    repeat_days: int | None
    owner_role: str
    message: str = ""  # empty: the kind's standard text (webapp.followup.labels)
    active: bool = True
    position: int = 0


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(TaskKind.SAFE_ARRIVAL, Trigger.HOME_ETA, 0, None, Role.SALESPERSON.value, position=10),
    Rule(TaskKind.THANK_YOU, Trigger.DELIVERY, 3, None, Role.SALESPERSON.value, position=20),
    Rule(TaskKind.AGREED_CALL, Trigger.AGREED_CALL, 0, None, Role.SALESPERSON.value, position=30),
    Rule(TaskKind.FREE_INSPECTION, Trigger.DELIVERY, 30, None, Role.SALESPERSON.value, position=40),
    Rule(TaskKind.QUARTERLY, Trigger.DELIVERY, 90, 90, Role.SALESPERSON.value, position=50),
    Rule(
        TaskKind.SERVICE_QUARTERLY,
        Trigger.FIRST_MAINTENANCE,
        90,
        90,
        Role.SERVICE_ADVISOR.value,
        position=60,
    ),
)
DEFAULT_CODES = frozenset(rule.code for rule in DEFAULT_RULES)


@dataclass(frozen=True, slots=True)
class Setting:
    """A store's follow-up settings."""

    escalate_after_days: int = 3
    letter_body: str = ""  # empty: the standard letter (webapp.followup.letters)


def _from_row(row: FollowUpRule) -> Rule:
    return Rule(
        code=row.code,
        trigger=row.trigger,
        offset_days=row.offset_days,
        repeat_days=row.repeat_days,
        owner_role=row.owner_role,
        message=row.message,
        active=row.active,
        position=row.position,
    )


def store_rules(store_ids: Iterable[int]) -> dict[int, list[Rule]]:
    """Each store's rules in order, the defaults for a store with none of its own."""
    ids = sorted(set(store_ids))
    found: dict[int, list[Rule]] = {}
    if ids:
        stmt = (
            sa.select(FollowUpRule)
            .where(FollowUpRule.store_id.in_(ids))
            .order_by(FollowUpRule.store_id, FollowUpRule.position, FollowUpRule.id)
        )
        for row in db.session.scalars(stmt):
            found.setdefault(row.store_id, []).append(_from_row(row))
    return {store_id: found.get(store_id, list(DEFAULT_RULES)) for store_id in ids}


def rules_for(store_id: int) -> list[Rule]:
    """The store's rules in order (the defaults until the store saves its own)."""
    return store_rules([store_id])[store_id]


def store_settings(store_ids: Iterable[int]) -> dict[int, Setting]:
    """Each store's settings, the defaults for a store that never saved any."""
    ids = sorted(set(store_ids))
    found: dict[int, Setting] = {}
    if ids:
        stmt = sa.select(FollowUpSetting).where(FollowUpSetting.store_id.in_(ids))
        for row in db.session.scalars(stmt):
            found[row.store_id] = Setting(row.escalate_after_days, row.letter_body)
    return {store_id: found.get(store_id, Setting()) for store_id in ids}


def setting_for(store_id: int) -> Setting:
    return store_settings([store_id])[store_id]


# --- Editing ----------------------------------------------------------------------------------


def _int_in(raw: Any, low: int, high: int) -> int | None:
    """An integer within [low, high] from a form value; None when it is not."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw if raw is not None else "").strip()
        if not re.fullmatch(r"-?\d{1,6}", text):
            return None
        value = int(text)
    return value if low <= value <= high else None


def clean_rule(raw: dict[str, Any], position: int) -> tuple[Rule | None, dict[str, str]]:
    """One rule from a form row (keys code, trigger, offset_days, repeat_days, owner_role,
    message, active): the rule, or the errors by field."""
    errors: dict[str, str] = dict(text_errors({"message": raw.get("message")}))
    code = str(raw.get("code") or "").strip()
    if not CODE_PATTERN.match(code):
        errors["code"] = _("Use 2 to 20 lower-case letters, digits or _ (starting with a letter).")
    trigger = str(raw.get("trigger") or "")
    if trigger not in {t.value for t in Trigger}:
        errors["trigger"] = _("Choose what starts the rule.")
    offset = _int_in(raw.get("offset_days"), 0, MAX_OFFSET)
    if offset is None:
        errors["offset_days"] = _(
            "A whole number of days from %(low)d to %(high)d.", low=0, high=MAX_OFFSET
        )
    repeat_raw = str(raw.get("repeat_days") or "").strip()
    repeat = None
    if repeat_raw:
        repeat = _int_in(repeat_raw, MIN_REPEAT, MAX_REPEAT)
        if repeat is None:
            errors["repeat_days"] = _(
                "Leave empty for once, or a whole number of days from %(low)d to %(high)d.",
                low=MIN_REPEAT,
                high=MAX_REPEAT,
            )
    owner_role = str(raw.get("owner_role") or "")
    if owner_role not in OWNER_ROLES:
        errors["owner_role"] = _("Choose who does it.")
    elif trigger == Trigger.FIRST_MAINTENANCE and owner_role != Role.SERVICE_ADVISOR.value:
        errors["owner_role"] = _("After the first maintenance the service advisor owns the card.")
    message = raw.get("message") if isinstance(raw.get("message"), str) else ""
    message = message.strip()
    if len(message) > MESSAGE_LIMIT and "message" not in errors:
        errors["message"] = _("At most %(n)d characters.", n=MESSAGE_LIMIT)
    if errors:
        return None, errors
    active = raw.get("active") in (True, "1", "on", "true", "y")
    assert offset is not None
    return Rule(code, trigger, offset, repeat, owner_role, message, active, position), {}


def save_rules(actor: User, rows: list[dict[str, Any]]) -> list[Rule]:
    """Replace the store's rules with these (the whole set, in order). A default rule cannot
    be removed, only switched off; codes are unique. Errors by row and field
    ({"rows": {index: {field: message}}} or {"rules": message}); nothing saved. Commits."""
    require_role(actor, *EDIT_ROLES)
    if not rows or len(rows) > MAX_RULES:
        raise ValidationError({"rules": _("Between 1 and %(n)d rules.", n=MAX_RULES)})
    rules: list[Rule] = []
    row_errors: dict[int, dict[str, str]] = {}
    for index, raw in enumerate(rows):
        rule, errors = clean_rule(raw, (index + 1) * 10)
        if errors:
            row_errors[index] = errors
        elif rule is not None:
            rules.append(rule)
    codes = [str(raw.get("code") or "").strip() for raw in rows]
    for index, code in enumerate(codes):
        if code and codes.index(code) != index:
            row_errors.setdefault(index, {})["code"] = _("This code is already used above.")
    missing = DEFAULT_CODES - set(codes)
    if row_errors:
        raise ValidationError({"rows": row_errors})  # type: ignore[dict-item]
    if missing:
        raise ValidationError(
            {"rules": _("A standard rule cannot be removed; switch it off instead.")}
        )
    for rule in rules:
        default = next((d for d in DEFAULT_RULES if d.code == rule.code), None)
        if default is not None and rule.trigger != default.trigger:
            raise ValidationError(
                {
                    "rows": {
                        codes.index(rule.code): {"trigger": _("A standard rule keeps its trigger.")}
                    }
                }  # type: ignore[dict-item]
            )
    existing = {
        row.code: row
        for row in db.session.scalars(
            sa.select(FollowUpRule).where(FollowUpRule.store_id == actor.store_id).with_for_update()
        )
    }
    for rule in rules:
        row = existing.pop(rule.code, None) or FollowUpRule(store_id=actor.store_id, code=rule.code)
        row.trigger = rule.trigger
        row.offset_days = rule.offset_days
        row.repeat_days = rule.repeat_days
        row.owner_role = rule.owner_role
        row.message = rule.message
        row.active = rule.active
        row.position = rule.position
        db.session.add(row)
    for row in existing.values():
        db.session.delete(row)
    db.session.commit()
    return rules


def save_setting(actor: User, raw: dict[str, Any]) -> Setting:
    """The store's escalation days and letter text; errors by field, nothing saved. Commits."""
    require_role(actor, *EDIT_ROLES)
    errors: dict[str, str] = dict(text_errors({"letter_body": raw.get("letter_body")}))
    days = _int_in(raw.get("escalate_after_days"), *ESCALATE_RANGE)
    if days is None:
        errors["escalate_after_days"] = _(
            "A whole number of days from %(low)d to %(high)d.",
            low=ESCALATE_RANGE[0],
            high=ESCALATE_RANGE[1],
        )
    body = raw.get("letter_body") if isinstance(raw.get("letter_body"), str) else ""
    body = body.replace("\r\n", "\n").strip()
    if len(body) > LETTER_LIMIT and "letter_body" not in errors:
        errors["letter_body"] = _("At most %(n)d characters.", n=LETTER_LIMIT)
    if errors:
        raise ValidationError(errors)
    assert days is not None
    row = db.session.get(FollowUpSetting, actor.store_id, with_for_update=True)
    if row is None:
        row = FollowUpSetting(store_id=actor.store_id)
        db.session.add(row)
    row.escalate_after_days = days
    row.letter_body = body
    db.session.commit()
    return Setting(days, body)
