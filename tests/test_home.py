"""Role-based home pages, full page and fragment."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.helpers import HX, is_fragment, is_full_page
from webapp.customers import services
from webapp.timeutil import local_today


def test_my_day_lists_due_follow_ups_and_todays_customers(client, world, make_card):
    today = local_today()
    make_card(
        world.users["salesperson"], name="该跟进", mobile="13600000001", next_follow_up_due=today
    )
    services.record_contact(world.users["salesperson"], world.own_card.id, "visit", "来店")
    client.login("sales")
    page = client.get("/my-day")
    assert is_full_page(page)
    body = page.get_data(as_text=True)
    assert "该跟进" in body and world.own_card.name in body
    assert world.colleague_card.name not in body
    assert is_fragment(client.get("/my-day", headers=HX))


def test_store_today_counts_per_salesperson(client, world, make_card):
    make_card(
        world.users["colleague"],
        mobile="13600000002",
        next_follow_up_due=local_today() - timedelta(days=1),
    )
    client.login("manager")
    page = client.get("/store-today")
    assert is_full_page(page)
    # The page loads the by-salesperson panel after itself, then every minute.
    assert 'hx-get="/store-today/by-salesperson" hx-trigger="load, every 60s"' in page.text
    lines = client.get("/store-today/by-salesperson", headers={**HX, "HX-Target": "store-lines"})
    assert is_fragment(lines)
    body = lines.get_data(as_text=True)
    assert body.lstrip().startswith('<div id="store-lines"')
    assert 'hx-trigger="every 60s"' in body
    assert world.users["salesperson"].display_name in body
    assert world.users["other_salesperson"].display_name not in body
    assert 'class="num overdue">1<' in body
    fragment = client.get("/store-today", headers=HX)
    assert is_fragment(fragment) and fragment.get_data(as_text=True).lstrip().startswith(
        '<div id="store-live"'
    )
    # Opened as a page, the panel's address shows "store today".
    whole = client.get("/store-today/by-salesperson")
    assert whole.status_code == 302 and whole.headers["Location"].endswith("/store-today")


def test_store_today_sums_open_cards_over_both_open_stages(app, world, make_card):
    from webapp.home.services import store_today

    today = local_today()
    colleague = world.users["colleague"]
    make_card(colleague, mobile="13600000011", grade="H", stage="prospect")
    make_card(colleague, mobile="13600000012", grade="H", stage="ordered")
    make_card(
        colleague,
        mobile="13600000013",
        stage="ordered",
        next_follow_up_due=today - timedelta(days=3),
    )
    make_card(colleague, mobile="13600000014", grade="H", stage="owner")  # not open
    make_card(colleague, mobile="13600000015", grade="H", stage="lost")  # not open
    lines = {line.user_id: line for line in store_today(world.users["sales_manager"])}
    line = lines[colleague.id]
    # The world's own colleague card + two prospects/ordered H + one ordered overdue.
    assert (line.open_cards, line.hot_cards, line.overdue) == (4, 2, 1)
    assert all(isinstance(n, int) for n in (line.open_cards, line.hot_cards, line.overdue))
    assert line.new_today == 6
    assert world.users["other_salesperson"].id not in lines


def test_arrivals_register_for_the_greeter(client, world):
    client.login("greeter")
    assert is_full_page(client.get("/arrivals"))
    assert is_fragment(client.get("/arrivals", headers=HX))


def test_welcome_for_roles_without_pages_yet(client, world):
    client.login("finance")
    assert is_full_page(client.get("/welcome"))
    assert is_fragment(client.get("/welcome", headers=HX))


def test_login_and_password_pages_have_fragments(client, world):
    assert is_full_page(client.get("/login"))
    assert is_fragment(client.post("/login", data={"username": ""}, headers=HX))
    client.login("sales")
    assert is_full_page(client.get("/account/password"))
    assert is_fragment(client.get("/account/password", headers=HX))


def test_my_day_shows_10_due_follow_ups_and_more_on_request(client, world, make_card):
    today = local_today()
    for i in range(15):
        make_card(
            world.users["salesperson"],
            name=f"待跟进{i}",
            mobile=f"1380000{i:04d}",
            next_follow_up_due=today - timedelta(days=i),
        )
    client.login("sales")
    page = client.get("/my-day").get_data(as_text=True)
    assert "<strong>15</strong>" in page  # the count is of all due, not of the page
    more = re.search(r'hx-get="(/my-day\?due_after=[^"]+)"', page).group(1)
    fragment = client.get(more, headers={"HX-Request": "true", "HX-Target": "due-more"})
    assert is_fragment(fragment)
    assert fragment.get_data(as_text=True).count('class="card-row"') == 5
    plain = client.get(more)
    assert is_full_page(plain) and plain.get_data(as_text=True).count('class="card-row"') == 5
    assert client.get("/my-day?due_after=nonsense").status_code == 404
