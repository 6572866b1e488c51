"""Versioned item lists (webapp.itemlists), the part the questionnaire 附表七 and the test-drive
checklists share: the editor's lines and their common checks, the editor's text, and the
versions (the next one current, the one before kept, other lists untouched)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp import itemlists
from webapp.consult.services import questionnaire
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.testdrive.models import ChecklistTemplate
from webapp.testdrive.services import checklists

TICK = [{"key": "belts_on", "label_zh": "系好安全带", "label_en": "Belted", "type": "tick"}]


def versions(kind: str) -> list[tuple[int, bool]]:
    stmt = (
        sa.select(ChecklistTemplate.version, ChecklistTemplate.current)
        .where(ChecklistTemplate.kind == kind)
        .order_by(ChecklistTemplate.version)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def test_saving_a_list_makes_the_next_version_current_and_keeps_the_others(world):
    admin = world.users["admin"].id
    ride = itemlists.first_version(ChecklistTemplate, TICK, None, kind="ride")
    itemlists.first_version(ChecklistTemplate, TICK, None, kind="swap")
    db.session.commit()
    edited = [*TICK, {**TICK[0], "key": "doors_locked"}]
    saved = itemlists.save_version(ChecklistTemplate, ride, edited, admin, "", kind="ride")
    assert (saved.version, saved.current, saved.items) == (2, True, edited)
    assert saved.created_by_id == admin
    assert versions("ride") == [(1, False), (2, True)]
    assert versions("swap") == [(1, True)]  # another list keeps its current version
    assert itemlists.current_version(ChecklistTemplate, kind="ride").id == saved.id


def test_unchanged_items_make_no_new_version(world):
    ride = itemlists.first_version(ChecklistTemplate, TICK, None, kind="ride")
    db.session.commit()
    admin = world.users["admin"].id
    same = itemlists.save_version(ChecklistTemplate, ride, list(TICK), admin, "", kind="ride")
    assert same.id == ride.id and versions("ride") == [(1, True)]


def test_editor_lines_come_numbered_with_six_columns_and_blank_lines_skipped(app):
    text = "a | 中 | En\n\n  \nb | 乙 | Bee | choice | x / y | required"
    assert list(itemlists.editor_lines(text, "layout")) == [
        (1, ["a", "中", "En", "", "", ""]),
        (4, ["b", "乙", "Bee", "choice", "x / y", "required"]),
    ]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a | 中 | En\nb | 乙", "第 2 行"),  # too few columns
        ("a | 中 | En | tick | | | extra", "第 1 行"),  # too many
        ("a | 中 \v| En", "控制字符"),  # a control character anywhere
    ],
)
def test_a_line_the_editor_cannot_read_is_refused(app, text, fragment):
    with pytest.raises(ValidationError) as raised:
        list(itemlists.editor_lines(text, "layout"))
    assert fragment in raised.value.errors["items"]


@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("a | 中 | En\na | 乙 | Bee", "第 2 行"),  # a key used twice
        ("Bad | 中 | En", "第 1 行"),  # not lower-case
        ("a | 中 | ", "英文"),  # a label missing
        (f"a | {'中' * 101} | En", "100"),  # a label too long
    ],
)
def test_both_lists_refuse_the_same_bad_lines(app, line, fragment):
    for parse in (checklists.parse_items, questionnaire.parse_questions):
        with pytest.raises(ValidationError) as raised:
            parse(line)
        assert fragment in raised.value.errors["items"]


def test_the_editor_text_leaves_out_empty_columns_at_the_end(app):
    items = [
        {"key": "a", "label_zh": "中", "label_en": "En"},
        {"key": "b", "label_zh": "乙", "label_en": "Bee", "type": "choice", "options": ["x", "y"]},
    ]
    text = itemlists.editor_text(items, "tick", lambda item: "")
    assert text == "a | 中 | En | tick\nb | 乙 | Bee | choice | x / y"
