"""Step ⑥ 报价说明 / 签约成交: the quotation (附表十 商谈memo), the registration fees (附表十二
上牌手续及费用清单), the contract (附表十一 新车订购单) and the lost sale (附表十三).

- `pricing`: the money rules (purchase tax by purchase date, equal-instalment loans, the
  quote's lines, totals and payment schedule); no database, no clock.
- `terms`: each store's fees, insurance estimates, discount threshold and printed header.
- `memos`: the memo's versions, the manager's discount approval, the customer's confirmation,
  the stock hint; `memo_inputs` reads its form into a quote and back; `pdf` prints the
  customer's copy.
- `contracts`: the contract's states and who may move them, payments, the car from stock,
  delays; `contact_plan` what the salesperson does while the customer waits; `tact` the
  export for the maker's dealer system.
- `lost`: the lost-sale record and the manager's weekly review.
- `*_views`, `contract_pages`, `finance`: the pages and what they read.
"""

from flask import Blueprint

bp = Blueprint("negotiation", __name__, url_prefix="/negotiation")

# The routes register on bp when their modules are imported.
from webapp.negotiation import (  # noqa: E402
    contract_views,  # noqa: F401
    finance_views,  # noqa: F401
    memo_views,  # noqa: F401
    terms_views,  # noqa: F401
    views,  # noqa: F401
)

__all__ = ["bp"]
