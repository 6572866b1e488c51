"""Exports of the visitor/caller register (附表五): CSV (UTF-8 with BOM, so Excel opens the
Chinese text) and XLSX, both with Chinese headers whatever the user's language.

Every text cell is made safe twice over: control characters that rows stored before the
input rules may still hold are dropped (openpyxl refuses them, and they corrupt a CSV
reader's view), and a cell a spreadsheet would run as a formula is quoted.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask_babel import force_locale

from webapp.access import require_role
from webapp.auth.models import User
from webapp.labels import labels_for
from webapp.reception.models import Visit
from webapp.reception.services import register
from webapp.timeutil import SHANGHAI
from webapp.xlsx import append_rows, finished, safe_cell, workbook

HEADERS = (
    "日期",
    "到店(来电)时间",
    "迎接时间",
    "等候(分钟)",
    "离店时间",
    "停留(分钟)",
    "类型",
    "来店目的",
    "人数",
    "同行人员",
    "首次/再次",
    "顾客姓名",
    "称谓",
    "电话",
    "意向车型",
    "信息来源",
    "决策影响人",
    "销售顾问",
    "提供饮品",
    "试乘试驾",
    "级别",
    "结果",
    "下一步",
    "5W2H准备",
)


def rows(actor: User, flt: register.RegisterFilter) -> list[list[Any]]:
    """The register rows as cells, labels in Chinese. Raises PermissionDenied (not a manager)."""
    require_role(actor, *register.EXPORT_ROLES)
    visits = register.register_rows(actor, flt, limit=10_000)
    with force_locale("zh_CN"):
        base = labels_for("zh_CN")
        return [_cells(v, base, base) for v in visits]


def _cells(v: Visit, base: Any, rl: Any) -> list[Any]:
    time_in = v.time_in.astimezone(SHANGHAI)
    time_out = v.time_out.astimezone(SHANGHAI) if v.time_out else None
    greeted = v.greeted_at.astimezone(SHANGHAI) if v.greeted_at else None
    waited = register.wait_minutes(v.time_in, v.greeted_at)
    return [
        v.day.isoformat(),
        time_in.strftime("%H:%M"),
        greeted.strftime("%H:%M") if greeted else "",
        "" if waited is None else waited,
        time_out.strftime("%H:%M") if time_out else "",
        v.stay_minutes() if time_out else "",
        rl["visit_kind"].get(v.kind, v.kind),
        rl["visit_purpose"].get(v.purpose, v.purpose),
        v.people,
        v.companions,
        rl["visit_no"]["repeat" if v.repeat else "first"],
        v.name,
        base["title"].get(v.title, v.title),
        v.mobile,
        v.model.name_zh if v.model else "",
        base["source"].get(v.source, v.source),
        v.influencer,
        v.owner.display_name,
        "是" if v.drinks_offered else "否",
        "是" if v.test_drive else "否",
        v.grade or "",
        rl["result"].get(v.result or "", v.result or ""),
        v.next_step,
        v.prep_notes,
    ]


def _filename(flt: register.RegisterFilter, ext: str) -> str:
    return f"register-{flt.day.isoformat()}.{ext}"


def csv_response(actor: User, flt: register.RegisterFilter) -> Response:
    """CSV with a BOM; text cleaned and formula-like cells quoted (see webapp.xlsx.safe_cell)."""
    data = rows(actor, flt)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADERS)
    for row in data:
        writer.writerow([safe_cell(cell) for cell in row])
    body = "\ufeff" + out.getvalue()
    response = Response(body.encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(flt, "csv")}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def xlsx_response(actor: User, flt: register.RegisterFilter) -> Response:
    """An XLSX workbook: one sheet 来店(电)顾客登记表, headers bold, columns sized."""
    book, sheet = workbook("来店(电)顾客登记表", HEADERS)
    append_rows(sheet, rows(actor, flt))
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(finished(book, sheet), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(flt, "xlsx")}"'
    response.headers["Cache-Control"] = "no-store"
    return response
