"""The exports' spreadsheet rules in one place: a cell as exported (`safe_cell`: text without
control characters, quoted when Excel, LibreOffice or WPS would read it as a formula) and a
sheet's finish (`finished`: columns fitted to their text, the header frozen, the bytes)."""

from __future__ import annotations

import io
from typing import Any

from webapp.inputs import scrub_text

# First characters that make Excel, LibreOffice or WPS read a cell as a formula: the ASCII
# signs, their full-width forms (what a Chinese input method types) and the small forms.
FORMULA_SIGNS = frozenset("=+-@＝＋－＠﹦﹢﹣﹫")
# Blank characters a spreadsheet may skip before it looks for a formula sign.
LEADING_BLANKS = " \t\r\n\u3000"


def safe_cell(cell: Any) -> Any:
    """A cell as exported: text without control characters (a newline stays), and quoted
    with a leading apostrophe when it would start a formula (= + - @, full-width ＝ ＋ － ＠,
    also after leading blanks, tabs or line breaks); other values as they are."""
    if not isinstance(cell, str):
        return cell
    text = scrub_text(cell)
    if text.lstrip(LEADING_BLANKS)[:1] in FORMULA_SIGNS:
        return "'" + text
    return text


def finished(book: Any, sheet: Any, freeze: str = "A2") -> bytes:
    """The workbook's bytes, its sheet's columns fitted to their text (CJK counted double,
    8 to 40 wide) and the rows above `freeze` kept in view."""
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(40, max(8, width * 2))
    sheet.freeze_panes = freeze
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
