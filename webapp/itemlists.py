"""Item lists kept as versioned data: the questionnaire 附表七 (consult), the test-drive
checklists and the feedback form 附表九 (testdrive), and the delivery checklists to come.

An admin edits a list as text, one item a line (`key | 中文 | English | type | options | …`,
the last column the list's own). Saving makes the next version and marks it current; the
old versions stay, because every entry records the version it was filled against. This
module holds what such lists share: reading the editor's lines with the checks every list
makes, writing items back as the editor's text, and the versions (the current one, the
first, the next). Each list keeps its own types, defaults and the checks of its last column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

import sqlalchemy as sa
from flask_babel import LazyString
from flask_babel import gettext as _

from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.transactions import commit_unique

KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
COLUMNS = 6
LABEL_MAX = 100

# The model of one version of a list: columns version, items, current and created_by_id,
# and any columns naming the list (a checklist's kind).
ListVersion = TypeVar("ListVersion")
# What a list says of its own layout and key rule: usually a lazy string of its module.
Wording = str | LazyString


def line_error(number: int, problem: str) -> ValidationError:
    """The editor's error on "items", naming the line."""
    return ValidationError({"items": _("Line %(n)d: %(problem)s", n=number, problem=problem)})


def editor_lines(text: str, layout: Wording) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank line of the editor's text: its number and its six columns, stripped,
    the missing ones blank.

    Raises ValidationError on "items" for a control character anywhere in the text, and for
    a line of fewer than three or more than six columns (`layout` says how to write one).
    """
    # Before splitting: splitlines() also breaks at a vertical tab or a form feed.
    if (problem := text_problem(text or "")) is not None:
        raise ValidationError({"items": problem})
    for number, raw in enumerate((text or "").splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [p.strip() for p in raw.split("|")]
        if len(parts) < 3 or len(parts) > COLUMNS:
            raise line_error(number, str(layout))
        yield number, parts + [""] * (COLUMNS - len(parts))


def check_key(number: int, key: str, seen: set[str], rule: Wording) -> None:
    """A key of lower-case letters, digits and _, not used before in the list; it joins
    `seen`. Raises ValidationError naming the line (`rule` is the list's wording of it)."""
    if not KEY_RE.match(key):
        raise line_error(number, str(rule))
    if key in seen:
        raise line_error(number, _("the key %(key)s is used twice.", key=key))
    seen.add(key)


def check_labels(number: int, zh: str, en: str) -> None:
    """Both labels given, neither longer than LABEL_MAX. Raises ValidationError."""
    if not zh or not en or len(zh) > LABEL_MAX or len(en) > LABEL_MAX:
        raise line_error(
            number, _("give the Chinese and the English label (at most 100 characters).")
        )


def parse_options(
    number: int, kind: str, raw: str, separators: str, choice_types: tuple[str, ...]
) -> list[str]:
    """The options column split at `separators` (a regular expression): at least two for a
    type in `choice_types`, none for any other type. Raises ValidationError."""
    options = [o.strip() for o in re.split(separators, raw) if o.strip()]
    if kind in choice_types and len(options) < 2:
        raise line_error(number, _("a choice needs at least two options, separated by /."))
    if kind not in choice_types and options:
        raise line_error(number, _("only a choice has options."))
    return options


def editor_text(
    items: list[dict[str, Any]], default_type: str, last_column: Callable[[dict[str, Any]], str]
) -> str:
    """Items as the editor's text: key | 中文 | English | type | options | the list's own
    last column, trailing empty columns left out."""
    return lines_text(
        [
            item["key"],
            item.get("label_zh", ""),
            item.get("label_en", ""),
            item.get("type", default_type),
            " / ".join(item.get("options") or []),
            last_column(item),
        ]
        for item in items
    )


def lines_text(rows: Iterable[list[str]]) -> str:
    """The editor's text of rows of columns: one line each, "|" between columns, trailing
    empty columns left out."""
    return "\n".join(" | ".join(parts).rstrip(" |") for parts in rows)


def _same_list(model: Any, names: dict[str, Any]) -> list[Any]:
    return [getattr(model, column) == value for column, value in names.items()]


def current_version(model: type[ListVersion], **names: Any) -> ListVersion | None:
    """The current version of the list `names` picks out (e.g. kind="ride"), or None."""
    stmt = sa.select(model).where(*_same_list(model, names), model.current)  # type: ignore[attr-defined]
    return db.session.scalar(stmt)


def first_version(
    model: type[ListVersion], items: list[dict[str, Any]], created_by_id: int | None, **names: Any
) -> ListVersion:
    """Version 1 of a list, current, added to the session (the caller flushes)."""
    row = model(**names, version=1, items=items, current=True, created_by_id=created_by_id)
    db.session.add(row)
    return row


def save_version(
    model: type[ListVersion],
    current: ListVersion | None,
    items: list[dict[str, Any]],
    created_by_id: int,
    conflict: str,
    **names: Any,
) -> ListVersion:
    """Make `items` the next version of the list `names` picks out, marked current (the one
    before is kept, no longer current), and commit. Items equal to the `current` version's
    make no new version: `current` is returned.

    Raises ValidationError on "items" with `conflict` when someone saved a version meanwhile.
    """
    if current is not None and current.items == items:  # type: ignore[attr-defined]
        return current
    same = _same_list(model, names)
    latest = db.session.scalar(sa.select(sa.func.max(model.version)).where(*same))  # type: ignore[attr-defined]
    db.session.execute(
        sa.update(model).where(*same, model.current).values(current=False)  # type: ignore[attr-defined]
    )
    row = model(
        **names, version=(latest or 0) + 1, items=items, current=True, created_by_id=created_by_id
    )
    db.session.add(row)
    commit_unique("items", conflict)
    return row
