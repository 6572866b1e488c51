"""Fill zh_CN msgstrs from a Python mapping file (msgid → Chinese), keeping existing ones.

Usage: .venv/bin/python scripts/fill_zh.py MAPPING.py   (the file defines a dict named ZH)
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = (
    Path(__file__).resolve().parent.parent
    / "webapp/translations/zh_Hans_CN/LC_MESSAGES/messages.po"
)


def main(mapping_file: str) -> None:
    mapping = runpy.run_path(mapping_file)["ZH"]
    with PO.open("rb") as fh:
        catalog = read_po(fh, locale="zh_Hans_CN")
    missing = []
    for message in catalog:
        if not message.id or message.string:
            continue
        if message.id in mapping:
            message.string = mapping[message.id]
        else:
            missing.append(message.id)
    with PO.open("wb") as fh:
        write_po(fh, catalog, width=100)
    for msgid in missing:
        sys.stdout.write(f"untranslated: {msgid!r}\n")


if __name__ == "__main__":
    main(sys.argv[1])
