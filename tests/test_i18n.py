"""Every user-facing string is translated in both catalogs, with nothing fuzzy or stale; the
bulk fill of scripts/i18n.py fills gaps and never overwrites the catalog."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.checkers import python_format
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = {
    "zh_Hans_CN": ROOT / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po",
    "en": ROOT / "webapp/translations/en/LC_MESSAGES/messages.po",
}
METHODS = [("webapp/**.py", "python"), ("webapp/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def load(locale: str):
    with CATALOGS[locale].open("rb") as fh:
        return read_po(fh, locale=locale)


def source_msgids() -> set[str]:
    found = set()

    # Babel skips directories starting with "_" by default; templates/_macros is ours.
    def directory_filter(path: str) -> bool:
        name = Path(path).name
        return not name.startswith(".") and name not in ("__pycache__", ".venv", "node_modules")

    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(ROOT / "webapp"),
        [(m.removeprefix("webapp/"), k) for m, k in METHODS],
        keywords={**KEYWORDS},
        directory_filter=directory_filter,
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_catalog_has_no_untranslated_or_fuzzy_entry(locale):
    catalog = load(locale)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {locale}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {locale}: {fuzzy}"


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_every_string_in_the_source_is_in_the_catalog(locale):
    catalog = load(locale)
    missing = sorted(msgid for msgid in source_msgids() if msgid not in catalog)
    assert missing == [], f"run scripts/i18n.py; missing from {locale}: {missing}"


@pytest.mark.parametrize("locale", sorted(CATALOGS))
def test_placeholders_match_between_source_and_translation(locale):
    catalog = load(locale)
    for message in catalog:
        if message.id and message.python_format:
            python_format(catalog, message)  # raises TranslationError on a mismatch


def test_chinese_catalog_is_really_chinese():
    catalog = load("zh_Hans_CN")
    same = [m.id for m in catalog if m.id and m.string == m.id and any(c.isalpha() for c in m.id)]
    # Model names and codes may stay Latin; sentences may not.
    assert [s for s in same if " " in s] == []


def _i18n_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts/i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fill_writes_only_untranslated_entries_and_skips_unknown_msgids(tmp_path, capsys):
    catalog = Catalog(locale="zh_Hans_CN")
    catalog.add("Arrival", "")
    catalog.add("Source", "顾客来源")
    catalog.add(("%(n)d person", "%(n)d people"), ("",))
    po = tmp_path / "messages.po"
    with po.open("wb") as fh:
        write_po(fh, catalog, width=100)
    words = tmp_path / "words.json"
    words.write_text(
        json.dumps(
            {"Arrival": "来店登记", "Source": "来源", "%(n)d person": "%(n)d 人", "Gone": "没了"},
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )

    left = _i18n_script().fill([words], catalog_path=po)

    with po.open("rb") as fh:
        filled = read_po(fh, locale="zh_Hans_CN")
    assert filled.get("Arrival").string == "来店登记"
    assert filled.get("Source").string == "顾客来源"  # the catalog's translation is kept
    assert filled.get("%(n)d person").string == ("%(n)d 人",)
    assert "Gone" not in filled
    assert left == []
    out = capsys.readouterr().out
    assert "kept the catalog's '顾客来源'" in out and "skipped: 'Gone'" in out
