"""Steps ③ 需求分析 and ④ 商品说明: needs analysis (附表七), walkaround, competitor comparison,
catalogue hand-over, test-drive invitation, and the display-car setup checklist (展车设置)."""

from webapp.consult.views import bp

__all__ = ["bp"]
