"""Step ⑥ 报价说明 / 签约成交: the quotation (附表十 商谈memo), the registration fees (附表十二
上牌手续及费用清单) and the contract.

`pricing` holds the money rules: purchase tax by purchase date, equal-instalment loans and the
quote's lines, totals and payment schedule. It reads no database and no clock.
"""
