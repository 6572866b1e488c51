"""Chinese for the msgids of the shared templates (base.html, …); see scripts/fill_zh.py."""

ZH = {
    "%(n)s entries on this tablet are not synced yet and will be deleted. Log out anyway?": (
        "本机还有 %(n)s 条记录未同步，退出登录会把它们删除。仍要退出吗？"
    ),
    "Arrival": "来店登记",
    "Number of people": "人数",
    "Salesperson": "销售顾问",
    "Reason for the override": "改派原因",
    "Title (称谓)": "称谓",
    "Name": "姓名",
    "Mobile": "手机号",
    "Source": "来源",
    "Model of interest": "意向车型",
}
