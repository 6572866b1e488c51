"""The main navigation (webapp/home/nav.py): each role's tabs, three on a phone and the rest
under 更多, the page's tab marked, in the reader's language."""

from __future__ import annotations

import re

from flask_babel import force_locale

from webapp.home.nav import PHONE_TABS, nav
from webapp.home.views import NAV_FLAGS


def _tabs(html: str) -> list[tuple[str, str]]:
    found = re.findall(r'<a href="([^"]+)" class="(tab(?: [^"]*)?)">', html)
    return [(href, cls) for href, cls in found if "tab-inbox" not in cls]


def test_the_manager_sees_three_tabs_on_a_phone_and_the_rest_under_more(client, world):
    client.login("manager")
    html = client.get("/delivery/board").get_data(as_text=True)
    tabs = _tabs(html)
    primary = [href for href, cls in tabs if "tab-extra" not in cls]
    assert len(primary) == PHONE_TABS and "/my-day" in primary
    assert "/delivery/board" in html.split('class="tab-more-menu"')[1]  # under 更多 on a phone
    assert [cls for href, cls in tabs if href == "/delivery/board"] == ["tab tab-extra active"]
    assert 'class="tab active">更多' in html  # the menu holding the page is marked too


def test_one_day_of_the_board_marks_the_board_tab(client, world):
    client.login("greeter")
    html = client.get("/delivery/board").get_data(as_text=True)
    day = re.search(r"/delivery/board/(\d{4}-\d\d-\d\d)", html)
    page = client.get(f"/delivery/board/{day.group(1)}" if day else "/delivery/board")
    marked = [href for href, cls in _tabs(page.get_data(as_text=True)) if "active" in cls]
    assert marked == ["/delivery/board"]


def test_the_tabs_follow_the_language_and_the_flags(app):
    flags = {name: name in ("can_see_my_day", "can_work_cards") for name in NAV_FLAGS}
    with app.test_request_context("/my-day"):
        with force_locale("en"):
            english = [tab.label for tab in nav(flags).tabs]
        with force_locale("zh_CN"):
            chinese = [tab.label for tab in nav(flags).tabs]
    assert english[:2] == ["My day", "Card box"] and chinese[:2] == ["我的一天", "卡片箱"]
    assert "Contracts" not in english  # no flag, no tab
