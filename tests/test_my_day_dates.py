"""My day's "today's customers": each date says what it is ("到店 09:40", "下次跟进 12月8日")."""

from __future__ import annotations

from datetime import timedelta

from tests.helpers import HX, assert_fragment
from tests.reception.support import arrive, roster
from webapp.customers import services as cards
from webapp.extensions import db
from webapp.timeutil import SHANGHAI, local_today


def test_todays_customers_label_the_arrival_and_the_next_follow_up(client, world):
    sales = world.users["salesperson"]
    roster(world.users["sales_manager"], [sales])
    visit = arrive(world.users["greeter"], mobile=world.own_card.mobile)
    cards.record_contact(sales, world.own_card.id, "visit", "到店")
    due = local_today() + timedelta(days=2)
    world.own_card.next_follow_up_due = due
    db.session.commit()
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    section = html[html.index('id="todays-customers"') :]
    assert f"到店 {visit.time_in.astimezone(SHANGHAI):%H:%M}" in section
    assert "下次跟进</span>" in section and f"{due.month}月{due.day}日</time>" in section
    assert_fragment(client.get("/my-day", headers=HX), "my-day")


def test_a_customer_who_did_not_come_in_today_shows_no_arrival_time(client, world):
    sales = world.users["salesperson"]
    cards.record_contact(sales, world.own_card.id, "phone_out", "电话")
    world.own_card.next_follow_up_due = local_today()
    db.session.commit()
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    section = html[html.index('id="todays-customers"') :]
    assert "下次跟进</span>" in section and "到店 " not in section
