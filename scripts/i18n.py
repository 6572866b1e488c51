"""Refresh the message catalogs from the source: extract, update, fill the English catalog.

Run after changing user-facing strings:  .venv/bin/python scripts/i18n.py
Source strings (msgids) are written in English, so the `en` catalog's msgstr is the msgid;
the zh_Hans_CN catalog (Babel's name for zh_CN) is translated by a person;
tests/test_i18n.py fails on any gap.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "webapp" / "translations"
POT = ROOT / "webapp" / "translations" / "messages.pot"
KEYWORDS = ["-k", "_l", "-k", "lazy_gettext"]


def run(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


def main() -> None:
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
    en = TRANSLATIONS / "en" / "LC_MESSAGES" / "messages.po"
    with en.open("rb") as fh:
        catalog = read_po(fh, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with en.open("wb") as fh:
        write_po(fh, catalog, width=100, omit_header=False)


if __name__ == "__main__":
    main()
