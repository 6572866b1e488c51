"""Refresh the message catalogs from the source: extract, update, fill the English catalog.

The `.po` catalogs are the only store of translations. Source strings (msgids) are written in
English, so the `en` catalog's msgstr is the msgid; the zh_Hans_CN catalog (Babel's name for
zh_CN) is translated by editing
webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po. tests/test_i18n.py fails on any gap.

    .venv/bin/python scripts/i18n.py                  # after changing user-facing strings
    .venv/bin/python scripts/i18n.py --fill zh.json   # then, optionally, fill zh in bulk

`--fill FILE.json` (repeatable) runs the refresh, then writes into the zh catalog the
translations of a JSON object {"English msgid": "简体中文", ...}. Only untranslated entries
are filled: where the catalog already has a different translation it is kept (it is what
users see) and the difference is reported; msgids that are not in the source are reported
and skipped. The msgids still untranslated are listed at the end. To change a translation,
edit the `.po` file.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
POT = ROOT / "webapp" / "translations" / "messages.pot"
ZH = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
EN = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext"]


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def refresh() -> None:
    """Extract the msgids, update both catalogs, and copy each msgid into the `en` catalog."""
    run(
        "extract",
        "-F",
        "babel.cfg",
        # The default also skips "_*" folders, and templates/_macros holds strings.
        "--ignore-dirs",
        ".* __pycache__",
        *KEYWORDS,
        "--no-location",
        "--sort-output",
        "-o",
        str(POT),
        ".",
    )
    for locale in ("zh_Hans_CN", "en"):
        po = TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"
        if po.exists():
            run(
                "update",
                "-i",
                str(POT),
                "-d",
                str(TRANSLATIONS),
                "-l",
                locale,
                "--no-fuzzy-matching",
            )
        else:
            run("init", "-i", str(POT), "-d", str(TRANSLATIONS), "-l", locale)
    with EN.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with EN.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)
    # Both catalogs keep lines of up to 100 characters (pybabel update wraps at 76), so a
    # refresh changes only what the source changed.
    with ZH.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    with ZH.open("wb") as fh:
        write_po(fh, catalog, width=100)


def fill(paths: list[Path], catalog_path: Path = ZH) -> list[str]:
    """Write the translations of JSON files into the zh catalog; the msgids still untranslated."""
    with catalog_path.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    for path in paths:
        mapping = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(mapping, dict):
            raise SystemExit(f"{path}: expected a JSON object of msgid → translation")
        for msgid, text in mapping.items():
            message = catalog.get(msgid)
            if message is None or message.id == "":
                sys.stdout.write(f"{path.name}: not in the source, skipped: {msgid!r}\n")
                continue
            if not isinstance(text, str) or not text.strip():
                raise SystemExit(f"{path}: empty translation for {msgid!r}")
            current = _text(message.string)
            if not current:
                message.string = (text,) * catalog.num_plurals if message.pluralizable else text
            elif current != text:
                sys.stdout.write(f"{path.name}: kept the catalog's {current!r} for {msgid!r}\n")
    with catalog_path.open("wb") as fh:
        write_po(fh, catalog, width=100)
    return [_key(m.id) for m in catalog if m.id and not _text(m.string)]


def _key(msgid: str | tuple[str, ...]) -> str:
    return msgid[0] if isinstance(msgid, tuple) else msgid


def _text(string: str | tuple[str, ...]) -> str:
    return string[0] if isinstance(string, tuple) else string


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--fill",
        action="append",
        type=Path,
        default=[],
        metavar="FILE.json",
        help='a JSON object {"English msgid": "简体中文"} to write into the zh catalog',
    )
    args = parser.parse_args(argv)
    refresh()
    if args.fill:
        for msgid in fill(args.fill):
            sys.stdout.write(f"untranslated: {msgid!r}\n")


if __name__ == "__main__":
    main()
