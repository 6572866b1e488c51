"""SQL statements per page: a bound, and no growth with the number of rows shown (no N+1).

This counts statements; it never times anything.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.helpers import HX
from webapp.customers import services
from webapp.timeutil import local_today

BOUND = 10


def pages(world) -> list[tuple[str, str, dict]]:
    return [
        ("GET", "/my-day", {}),
        ("POST", "/customers/", {"q": "139"}),
        ("POST", "/customers/", {"q": "客户"}),
        ("GET", f"/customers/{world.own_card.id}", {}),
        ("GET", f"/customers/box?month={local_today():%Y-%m}", {}),
        ("GET", "/customers/new", {}),
        ("GET", "/catalog/", {}),
        ("GET", "/ping", {}),
    ]


def statements(client, method: str, path: str, data: dict, headers: dict | None = None) -> int:
    response = client.open(path, method=method, data=data, headers=headers or {})
    assert response.status_code == 200, path
    return int(response.headers["X-SQL-Count"])


def fill(world, make_card, n: int) -> None:
    """n more cards, each due today, planned this month, with a contact on the timeline."""
    actor = world.users["salesperson"]
    today = local_today()
    for i in range(n):
        card = make_card(
            actor,
            name=f"客户批量{i}",
            mobile=f"1391{i:07d}",
            next_follow_up_due=today,
            planned_purchase_date=today + timedelta(days=1),
        )
        services.record_contact(actor, card.id, "visit", "到店")
    for i in range(n):
        services.record_contact(actor, world.own_card.id, "phone_out", f"第{i}次电话")


@pytest.mark.parametrize("who", ["sales", "manager"])
def test_main_pages_stay_within_the_statement_bound_and_do_not_grow_with_rows(
    app, world, make_card, who
):
    client = app.test_client()
    client.login(who)
    few = {path + str(data): statements(client, m, path, data) for m, path, data in pages(world)}
    fill(world, make_card, 25)
    many = {path + str(data): statements(client, m, path, data) for m, path, data in pages(world)}
    for key, count in many.items():
        assert count <= BOUND, f"{key}: {count} statements"
        assert count == few[key], f"{key}: {few[key]} statements with few rows, {count} with many"
    fragment = statements(client, "POST", "/customers/", {"q": "1391"}, headers=HX)
    assert fragment <= BOUND
