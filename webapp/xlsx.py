"""The exports' spreadsheet rules in one place: a cell as exported (`safe_cell`: text without
control characters, quoted when Excel, LibreOffice or WPS would read it as a formula), a
sheet's start (`workbook`, `add_sheet`: the title and the bold header row), its rows
(`append_rows`) and its finish (`fitted`: columns fitted to their text, the header frozen;
`finished`: the bytes).

openpyxl is imported when a workbook is asked for, not when the app starts: the workers
serve pages, and an export is rare.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
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


# What Excel allows in a sheet's name: 31 characters, none of these.
_SHEET_LIMIT = 31
_SHEET_FORBIDDEN = str.maketrans({c: " " for c in "[]:*?/\\"})


def sheet_title(title: str) -> str:
    """`title` as a sheet's name Excel and WPS open: the characters a name cannot hold become
    spaces, and a long name is cut to 31 characters (an English title with its month can run
    longer)."""
    return title.translate(_SHEET_FORBIDDEN).strip()[:_SHEET_LIMIT] or "Sheet"


def workbook(title: str, headers: Sequence[Any]) -> tuple[Any, Any]:
    """A new workbook and its first sheet, titled `title`, with `headers` as its bold first
    row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title(title)
    _header(sheet, headers)
    return book, sheet


def add_sheet(book: Any, title: str, headers: Sequence[Any]) -> Any:
    """Another sheet of `book`, titled `title`, with `headers` as its bold first row."""
    sheet = book.create_sheet(sheet_title(title))
    _header(sheet, headers)
    return sheet


def _header(sheet: Any, headers: Sequence[Any]) -> None:
    sheet.append([safe_cell(h) for h in headers])
    bold_row(sheet, 1)


def bold_row(sheet: Any, row: int) -> None:
    """Set the cells of row `row` (1 is the header) in bold."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
    for cell in sheet[row]:
        cell.font = bold


def append_rows(sheet: Any, rows: Iterable[Sequence[Any]], percent: bool = False) -> None:
    """Append `rows` as exported (safe_cell); with `percent`, a float is a ratio shown as a
    whole percentage (0.25 as 25%)."""
    for row in rows:
        sheet.append([safe_cell(cell) for cell in row])
        if percent:
            for cell in sheet[sheet.max_row]:
                if isinstance(cell.value, float):
                    cell.number_format = "0%"


def fitted(sheet: Any, freeze: str = "A2") -> None:
    """Fit the sheet's columns to their text (CJK counted double, 8 to 40 wide) and keep the
    rows above `freeze` in view."""
    for column in sheet.columns:
        width = max(len(str(c.value or "")) for c in column)
        sheet.column_dimensions[column[0].column_letter].width = min(40, max(8, width * 2))
    sheet.freeze_panes = freeze


def finished(book: Any, sheet: Any, freeze: str = "A2") -> bytes:
    """The workbook's bytes, with `sheet` fitted (see fitted; another sheet of the book is
    fitted by the caller)."""
    fitted(sheet, freeze)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
