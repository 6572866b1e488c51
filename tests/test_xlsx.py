"""The exports' workbook helpers (webapp.xlsx): the bold header, the rows as exported, the
percentages, a second sheet, and the finished bytes read back by openpyxl."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from webapp.xlsx import add_sheet, append_rows, bold_row, finished, sheet_title, workbook


def _read(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_a_workbook_starts_with_its_title_and_a_bold_header_row():
    book, sheet = workbook("计划实绩表 2026-11", ("销售顾问", "目标"))
    append_rows(sheet, [["王芳", 12]])
    page = _read(finished(book, sheet)).active
    assert page.title == "计划实绩表 2026-11"
    assert [c.value for c in page[1]] == ["销售顾问", "目标"]
    assert all(c.font.bold for c in page[1])
    assert [c.value for c in page[2]] == ["王芳", 12]
    assert not any(c.font.bold for c in page[2])
    assert page.freeze_panes == "A2"


def test_rows_and_headers_are_written_as_exported_formula_signs_quoted():
    book, sheet = workbook("x", ("=HEADER()",))
    append_rows(sheet, [["=1+1"], ["＋86 138"], ["ok\x07"]])
    page = _read(finished(book, sheet)).active
    assert [row[0].value for row in page.iter_rows()] == ["'=HEADER()", "'=1+1", "'＋86 138", "ok"]


def test_ratios_show_as_whole_percentages_only_when_asked():
    book, sheet = workbook("x", ("a", "b"))
    append_rows(sheet, [[3, 0.25]], percent=True)
    append_rows(sheet, [[4, 0.5]])
    page = _read(finished(book, sheet)).active
    assert page["B2"].number_format == "0%" and page["A2"].number_format == "General"
    assert page["B3"].number_format == "General"


def test_a_second_sheet_has_its_own_header_and_a_row_can_be_set_bold():
    book, first = workbook("月度Hot管理表", ("销售顾问",))
    moves = add_sheet(book, "本月变动", ("本月变动", "H级"))
    append_rows(moves, [["新增", 3], ["合计", 3]])
    bold_row(moves, moves.max_row)
    read = _read(finished(book, first, "B2"))
    second = read["本月变动"]
    assert read.sheetnames == ["月度Hot管理表", "本月变动"]
    assert all(c.font.bold for c in second[1]) and all(c.font.bold for c in second[3])
    assert not any(c.font.bold for c in second[2])


def test_a_sheet_name_excel_cannot_hold_is_cleaned_and_cut_to_31_characters():
    assert sheet_title("Plan and actual by month 2026-10") == "Plan and actual by month 2026-1"
    assert sheet_title("附表三 [H/A]: 2026-10?") == "附表三  H A   2026-10"
    assert sheet_title("///") == "Sheet"
    book, sheet = workbook("Plan and actual by month 2026-10", ["月"])
    assert sheet.title == "Plan and actual by month 2026-1"
    assert add_sheet(book, "a/b", ["月"]).title == "a b"
