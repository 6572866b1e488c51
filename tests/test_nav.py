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


def test_the_tabs_markup_is_built_once_per_page_and_language(app):
    flags = {name: name in ("can_see_my_day", "can_plan_cr") for name in NAV_FLAGS}
    with app.test_request_context("/my-day"):
        with force_locale("zh_CN"):
            first, again = nav(flags), nav(dict(flags))
        with force_locale("en"):
            english = nav(flags)
    assert first is again  # the same tabs and markup, not rendered again
    assert '<a href="/my-day" class="tab active">我的一天</a>' in first.tabs_html
    assert ">更多</summary>" in first.more_html and ">More</summary>" in english.more_html
    assert all(f'href="{tab.url}"' in first.more_html for tab in first.extras)


def test_a_page_shows_the_tabs_and_the_inbox_between_them(client, world):
    client.login("sales")
    html = client.get("/inbox/settings").get_data(as_text=True)
    nav_html = html.split('<nav class="tabs"')[1].split("</nav>")[0]
    assert nav_html.index('href="/my-day"') < nav_html.index('id="inbox-link"')
    assert nav_html.index('id="inbox-link"') < nav_html.index('class="tab-more"')
    assert 'class="tab tab-inbox active"' in nav_html  # the inbox's own pages mark it
    assert "&lt;" not in nav_html  # the cached markup is not escaped a second time
