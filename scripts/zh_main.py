"""Chinese for the msgids of the shared templates (base.html, …); see scripts/fill_zh.py."""

ZH = {
    "%(n)s entries on this tablet are not synced yet and will be deleted. Log out anyway?": (
        "本机还有 %(n)s 条记录未同步，退出登录会把它们删除。仍要退出吗？"
    ),
}
