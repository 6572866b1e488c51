"""Step ⑥ 报价说明 / 签约成交: the quotation (附表十 商谈memo), the registration fees (附表十二
上牌手续及费用清单) and the contract.

`pricing` holds the money rules: purchase tax by purchase date, equal-instalment loans and the
quote's lines, totals and payment schedule. It reads no database and no clock. `lost` holds
the lost-sale record (附表十三 未成交顾客记录表) and the manager's weekly review; `views` the pages.
"""

from flask import Blueprint

bp = Blueprint("negotiation", __name__, url_prefix="/negotiation")

from webapp.negotiation import views  # noqa: E402, F401  (routes register on bp)

__all__ = ["bp"]
