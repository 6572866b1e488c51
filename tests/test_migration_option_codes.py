"""The migration to option codes: a database written with bilingual option words reads codes
after the upgrade, keeps the old checklist version and gains the after-drive checklist."""

from __future__ import annotations

import json

import flask_migrate
import sqlalchemy as sa

from tests.test_migrations import MIGRATIONS, empty_app  # noqa: F401 (fixture)
from webapp.extensions import db

OLD_DRIVE_ITEMS = [
    {
        "key": "style",
        "label_zh": "驾驶风格",
        "label_en": "Driving style",
        "type": "choice",
        "options": ["平稳 steady", "激进 sporty"],
        "required": True,
    },
    {
        "key": "focus_points",
        "label_zh": "客户关注点",
        "label_en": "Focus",
        "type": "text",
        "options": [],
        "required": False,
    },
]


def _templates() -> list[tuple[str, int, list, bool]]:
    rows = db.session.execute(
        sa.text("SELECT kind, version, items, current FROM checklist_template ORDER BY id")
    ).all()
    return [
        (kind, version, items if isinstance(items, list) else json.loads(items), bool(current))
        for kind, version, items, current in rows
    ]


def test_bilingual_options_become_codes_and_the_after_drive_checklist_is_added(empty_app):  # noqa: F811
    flask_migrate.upgrade(directory=MIGRATIONS, revision="0006_blob_links")
    db.session.execute(
        sa.text(
            "INSERT INTO checklist_template (kind, version, items, current, created_at)"
            " VALUES ('drive', 1, :items, :current, CURRENT_TIMESTAMP)"
        ),
        {"items": json.dumps(OLD_DRIVE_ITEMS, ensure_ascii=False), "current": True},
    )
    db.session.commit()

    flask_migrate.upgrade(directory=MIGRATIONS)

    templates = _templates()
    old, new, after = templates
    assert old[:2] == ("drive", 1) and old[3] is False
    assert old[2][0]["options"] == ["steady", "sporty"]
    assert new[:2] == ("drive", 2) and new[3] is True
    focus = next(i for i in new[2] if i["key"] == "focus_points")
    assert focus["type"] == "multi" and "space" in focus["options"]
    assert after[0] == "after" and after[3] is True
    for _kind, _version, items, _current in templates:
        for item in items:
            for option in item["options"]:
                assert option.isascii() and " " not in option
