"""Step ⑦ 车辆交付, delivery day.

- `models`: the delivery of a contract, its checklists (preparation, 附表十四, 附表十五) as
  versioned item lists, the ticks and the customer's signatures.
- `checklists`: the lists' default items (the standard's) and their versions.
- `services`: scheduling, the preparation list, the board, the VIP arrival, the handover
  and the farewell; `offline` the outbox kinds of the two forms the customer signs.
- `views`, `checklist_views`: the pages; `admin_views` the admin's editor of the lists.
"""

from flask import Blueprint

bp = Blueprint("delivery", __name__, url_prefix="/delivery")

# The routes register on bp when their modules are imported.
from webapp.delivery import admin_views, checklist_views, views  # noqa: E402, F401

__all__ = ["bp"]
