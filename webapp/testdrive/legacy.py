"""The test drive's stored values from before options were codes: the bilingual display
words ("近期购买 soon", "平稳 steady") the checklists, the feedback form and their entries
held, and the conversion to the codes that replaced them.

The data migration carries a frozen copy of `LEGACY_OPTIONS` and of these functions (a
migration must not import application code that may change later); tests hold this module to
the current option tables.
"""

from __future__ import annotations

from typing import Any

# Old stored option value → its code.
LEGACY_OPTIONS: dict[str, str] = {
    "平稳 steady": "steady",
    "稳健 assured": "assured",
    "激进 sporty": "sporty",
    "谨慎 cautious": "cautious",
    "马上购买 buy now": "buy_now",
    "近期购买 soon": "soon",
    "再考虑 still thinking": "thinking",
    "暂不购买 not now": "not_now",
}


def to_code(value: Any) -> Any:
    """The code of an old bilingual option value; anything else unchanged."""
    if isinstance(value, str):
        return LEGACY_OPTIONS.get(value.strip(), value)
    return value


def convert_items(items: Any) -> Any:
    """A checklist template's items with their options as codes."""
    if not isinstance(items, list):
        return items
    converted = []
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("options"), list):
            item = {**item, "options": [to_code(o) for o in item["options"]]}
        converted.append(item)
    return converted


def convert_entry_value(kind: str, value: Any) -> Any:
    """A TestDriveEntry's value with old option values as codes: a tick's value, or the
    feedback's answers and intention."""
    if kind == "feedback" and isinstance(value, dict):
        out = dict(value)
        if isinstance(out.get("answers"), dict):
            out["answers"] = {k: to_code(v) for k, v in out["answers"].items()}
        out["intention"] = to_code(out.get("intention"))
        return out
    if kind == "note":
        return value
    return to_code(value)


def convert_event_data(data: Any) -> Any:
    """A `test_drive` card event's data with its intention as a code."""
    if isinstance(data, dict) and "intention" in data:
        return {**data, "intention": to_code(data["intention"])}
    return data
