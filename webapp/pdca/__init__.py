"""The sales manager's PDCA cycle (the standard's management rhythm around step ①).

- `models`: each salesperson's targets of a month and the store's plan with the manager's
  comment (附表一 计划·实绩表).
- `actuals`: the one query layer for what happened in a month (visits, new A cards, test
  drives, orders, deliveries, lost sales), counted from every step's records; every screen
  and export reads its figures here.
- `plan`: 附表一, targets and plan beside the actuals, with the rates; saving them; the
  workbook.
- `views`: the pages.
"""

from flask import Blueprint

bp = Blueprint("pdca", __name__, url_prefix="/pdca")

# The routes register on bp when their modules are imported.
from webapp.pdca import views  # noqa: E402, F401

__all__ = ["bp"]
