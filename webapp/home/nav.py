"""The main navigation's tabs, worked out in Python from the nav flags of home.views.

Every full page shows the navigation; built in the template it was a dozen macro calls and
half of the layout's render time. The tabs depend only on the flags, the language and the
page (endpoint and blueprint), so each combination is built once per process, and so is its
markup (_nav_tabs.html): a manager's two dozen tabs were some 250 attribute lookups and 370
pieces of text on every page, a tenth of a minimal page's CPU.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from flask import current_app, request
from flask_babel import gettext as _
from jinja2_fragments import render_block
from markupsafe import Markup

from webapp.i18n import locale_name

PHONE_TABS = 3  # a phone has room for three tabs, the inbox and 更多
TEMPLATE = "_nav_tabs.html"
NOTHING = Markup("")


@dataclass(frozen=True)
class Tab:
    url: str
    label: str
    active: bool
    primary: bool  # shown on a phone too; the others go into 更多
    cta: bool = False  # the "+ New A card" call to action


@dataclass(frozen=True)
class Nav:
    tabs: tuple[Tab, ...]
    extras: tuple[Tab, ...]  # the tabs of the 更多 menu on a phone
    more_active: bool
    tabs_html: Markup = NOTHING  # the tabs, before the inbox link
    more_html: Markup = NOTHING  # the 更多 menu, after it


def nav(flags: dict[str, bool]) -> Nav:
    """The tabs for these flags on the current page, in the current language."""
    on = frozenset(name for name, allowed in flags.items() if allowed)
    page = (request.endpoint or "", request.blueprint or "", request.script_root)
    return _built(on, locale_name(), *page)


@lru_cache(maxsize=1024)
def _built(on: frozenset[str], _locale: str, endpoint: str, blueprint: str, _root: str) -> Nav:
    url_for = current_app.jinja_env.globals["url_for"]  # webapp.urls: remembered URLs
    tabs: list[Tab] = []

    def add(target: str, label: str, active: bool, primary: bool, cta: bool = False) -> None:
        tabs.append(Tab(url_for(target), label, active, primary, cta))

    work = "can_work_cards" in on
    keep = "can_keep_cars" in on
    if "can_see_my_day" in on:
        add("home.my_day", _("My day"), endpoint == "home.my_day", True)
    if "can_see_store_today" in on:
        add("home.store_today", _("Store today"), endpoint == "home.store_today", True)
    if "can_register_arrivals" in on:
        add("home.arrivals", _("Arrivals"), endpoint == "home.arrivals", True)
    if "can_search_cards" in on:
        add("customers.search", _("Customers"), endpoint == "customers.search", not work)
    if work:
        add("customers.box", _("Card box"), endpoint == "customers.box", True)
        add("customers.new", "+ " + _("New A card"), endpoint == "customers.new", False, True)
        add("testdrive.bookings", _("Test drives"), blueprint == "testdrive" and not keep, True)
    if keep and not work:
        add("testdrive.cars", _("Test-drive cars"), blueprint == "testdrive", True)
    if "can_check_display_cars" in on:
        display = ("consult.display_cars", "consult.display_check", "consult.new_display_car")
        add("consult.display_cars", _("Display-car setup"), endpoint in display, not work)
    if "can_see_delivery_board" in on:
        board = ("delivery.board", "delivery.board_day", "delivery.delivery")
        add("delivery.board", _("Delivery board"), endpoint in board, not work)
    if "can_follow_up" in on:
        service = "can_see_service_cards" in on and not work
        add("followup.mine", _("Follow-ups"), endpoint == "followup.mine", service)
    if "can_see_service_cards" in on:
        add("followup.service", _("Service cards"), endpoint == "followup.service", not work)
    if "can_manage_follow_up" in on:
        add("followup.overdue", _("Overdue follow-ups"), endpoint == "followup.overdue", False)
    if "can_plan_cr" in on:
        add("pdca.plan", _("Plan and actual"), endpoint == "pdca.plan", False)
        add("pdca.hot", _("Hot table"), endpoint in ("pdca.hot", "pdca.hot_cards"), False)
        add("pdca.audit", _("Card audit"), endpoint == "pdca.audit", False)
        evening = endpoint in ("pdca.schedule", "pdca.evening")
        add("pdca.schedule", _("Evening meeting"), evening, False)
        add("pdca.morning", _("Morning meeting"), endpoint == "pdca.morning", False)
        dashboards = endpoint in ("pdca.dashboards", "pdca.dashboard")
        add("pdca.dashboards", _("Dashboards"), dashboards, False)
        add("followup.cr_plan", _("CR plan"), endpoint == "followup.cr_plan", False)
        letters = endpoint in ("followup.letters", "followup.letter")
        add("followup.letters", _("Thank-you letters"), letters, False)
    if "can_manage_follow_up" in on:
        add("followup.rules", _("Follow-up rules"), endpoint == "followup.rules", False)
    add("catalog.models", _("Catalogue"), blueprint == "catalog", False)
    if "can_see_stock" in on:
        add("stock.index", _("Stock"), blueprint == "stock", False)
    if "can_approve_contracts" in on:
        add("negotiation.approvals", _("Approvals"), endpoint == "negotiation.approvals", True)
    if "can_see_contracts" in on:
        pages = (
            "negotiation.contracts_list",
            "negotiation.contract",
            "negotiation.new_contract",
            "negotiation.sign_contract",
        )
        add("negotiation.contracts_list", _("Contracts"), endpoint in pages, not work)
    if "can_see_payments" in on:
        pages = ("negotiation.payments", "negotiation.contract_payments")
        add("negotiation.payments", _("Payments due"), endpoint in pages, not work)
    if "can_export_tact" in on:
        tact = endpoint == "negotiation.tact_export"
        add("negotiation.tact_export", _("Export for TACT"), tact, False)
    if "can_review_lost_sales" in on:
        add("negotiation.review", _("Lost sales"), endpoint == "negotiation.review", False)
    if "can_admin" in on:
        terms = endpoint == "negotiation.sales_terms"
        add("negotiation.sales_terms", _("Sales terms"), terms, False)
        add("admin.users", _("Admin"), blueprint == "admin", not work)
    shown, primary = [], 0
    for tab in tabs:
        if tab.primary:
            primary += 1
            if primary > PHONE_TABS:
                tab = Tab(tab.url, tab.label, tab.active, False, tab.cta)
        shown.append(tab)
    extras = tuple(tab for tab in shown if not tab.primary)
    built = Nav(tuple(shown), extras, any(tab.active for tab in extras))
    env = current_app.jinja_env
    return replace(
        built,
        tabs_html=Markup(render_block(env, TEMPLATE, "tabs", nav=built)),  # noqa: S704 - a template's output
        more_html=Markup(render_block(env, TEMPLATE, "more", nav=built)),  # noqa: S704
    )
