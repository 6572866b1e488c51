"""The sales manager's PDCA cycle (the standard's management rhythm around step ①).

- `models`: each salesperson's targets of a month and the store's plan with the manager's
  comment (附表一 计划·实绩表).
- `actuals`: the one query layer for what happened in a month (visits, new A cards, test
  drives, orders, deliveries, lost sales), counted from every step's records; every screen
  and export reads its figures here.
- `plan`: 附表一, targets and plan beside the actuals, with the rates; saving them; the
  workbook.
- `dashboard`, `charts`: the dashboards (funnel, plan against actual by month, lost-sale
  reasons, follow-up completion, time in the showroom) as SVG charts drawn on the server,
  tables and exports, and a group admin's roll-up.
- `views`: the pages.
- `hot`, `hot_views`: 附表三 月度Hot管理表, each salesperson's open A cards by Hot grade (as of
  a past month's end, rebuilt from the cards' timelines), the month's movement by grade, the
  overdue follow-ups, the cards behind each count, the print layout and the workbook;
  `hot_counts` counts them, `hot_models` keeps a closed month's.
- `audit_models`, `audit`, `audit_views`: 卡片箱检查, the monthly audit of the card box card
  by card, ticked by the salesperson and by the manager with their findings, kept as a
  trail that is never edited in place.
- `schedule`: 附表二 活动预订表 built at the evening meeting (夕会), its lines and results.
- `meetings`: the manager's evening review and comment, the cases for discussion, the
  evening hour and its reminder, and the morning meeting (早会).
- `schedule_views`: the pages of both.
"""

from flask import Blueprint

bp = Blueprint("pdca", __name__, url_prefix="/pdca")

# The routes register on bp when their modules are imported.
from webapp.pdca import (  # noqa: E402, F401
    audit_views,
    dashboard_views,
    hot_views,
    schedule_views,
    views,
)

__all__ = ["bp"]
