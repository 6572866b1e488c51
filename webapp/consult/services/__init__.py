"""Rules of steps ③ 需求分析 and ④ 商品说明, one module a subject: `questionnaire` (the
versioned 附表七 and its editor), `needs` (the answers, the confirmed summary, the
recommended model), `walkaround` (六方位 and the FAB points), `comparison` (competitor
sheets), `panel` (the card's consult panel, the catalogue hand-over and the test-drive
invitation) and `display_cars` (the daily setup checklist 展车设置). `common` holds what
they share.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from webapp.consult.services import (
    common,
    comparison,
    display_cars,
    needs,
    panel,
    questionnaire,
    walkaround,
)

__all__ = [
    "common",
    "comparison",
    "display_cars",
    "needs",
    "panel",
    "questionnaire",
    "walkaround",
]
