"""Step ⑧ 售后跟踪, follow-up after the delivery.

- `models`: the store's follow-up rules and settings, the tasks they make on a C card, the
  monthly CR plan (附表四).
- `rules`: the rules as data (defaults from the standard, editable per store); `engine`
  makes the tasks they call for, once (run by `flask jobs run`); `overdue` what is late.
- `services`: a person's and a card's tasks, completing, moving and escalating one, the
  hand-over of a C card to service at its first maintenance.
- `letters`: the thank-you letter (附表十六); `cr_plan`: the monthly CR plan (附表四).
- `views`, `rule_views`, `letter_views`, `cr_views`: the pages.
"""

from flask import Blueprint

bp = Blueprint("followup", __name__, url_prefix="/followup")

# The routes register on bp when their modules are imported.
from webapp.followup import cr_views, letter_views, rule_views, views  # noqa: E402, F401

__all__ = ["bp"]
