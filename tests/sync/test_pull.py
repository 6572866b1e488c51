"""GET /sync/pull: the user's packet data in scope, without mobile or ID numbers; checkpoints."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.sync import support as s
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.testdrive.models import (
    ChecklistTemplate,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.timeutil import local_today, now


def test_pull_returns_todays_and_tomorrows_own_bookings_and_what_they_need(app, world, make_card):
    own = s.make_packet(world.users["salesperson"], world.own_card)
    later = s.make_packet(
        world.users["salesperson"],
        make_card(world.users["salesperson"], name="明天客户"),
        day=local_today() + timedelta(days=1),
    )
    s.make_packet(
        world.users["salesperson"],
        make_card(world.users["salesperson"], name="下周客户"),
        day=local_today() + timedelta(days=7),
    )
    s.make_packet(world.users["colleague"], world.colleague_card)
    client = app.test_client()
    client.login("sales")
    response = client.get("/sync/pull")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.get_json()
    assert data["full"] is True
    assert sorted(b["id"] for b in data["bookings"]) == sorted([own.booking.id, later.booking.id])
    assert {c["name"] for c in data["customers"]} == {world.own_card.name, "明天客户"}
    assert {c["id"] for c in data["cars"]} == {own.car.id, later.car.id}
    assert {t["kind"] for t in data["templates"]} == {"predrive", "feedback"}
    text = response.get_data(as_text=True)
    assert world.own_card.mobile not in text and "mobile" not in text


def test_pull_with_a_checkpoint_returns_only_changes(app, world):
    s.make_packet(world.users["salesperson"], world.own_card)
    client = app.test_client()
    client.login("sales")
    first = client.get("/sync/pull").get_json()
    # Age every row beyond the checkpoint's overlap window: nothing changed since.
    hour_ago = now() - timedelta(hours=1)
    for model in (TestDriveBooking, TestDriveCar, TestDriveRoute, CustomerCard):
        db.session.execute(sa.update(model).values(updated_at=hour_ago))
    db.session.execute(sa.update(ChecklistTemplate).values(created_at=hour_ago))
    db.session.commit()
    again = client.get(f"/sync/pull?checkpoint={first['checkpoint']}").get_json()
    assert again["full"] is False
    assert again["bookings"] == again["customers"] == again["templates"] == []
    # A change after the checkpoint comes through.
    card = db.session.get(CustomerCard, world.own_card.id)
    card.usage = "接送孩子"
    db.session.commit()
    changed = client.get(f"/sync/pull?checkpoint={again['checkpoint']}").get_json()
    assert [c["usage"] for c in changed["customers"]] == ["接送孩子"]
    # A forged or foreign checkpoint gives everything.
    forged = client.get("/sync/pull?checkpoint=forged").get_json()
    assert forged["full"] is True and len(forged["bookings"]) == 1


def test_pull_is_refused_to_roles_without_the_packet(app, world):
    client = app.test_client()
    client.login("greeter")
    assert client.get("/sync/pull").status_code == 403


def test_pull_statements_do_not_grow_with_the_number_of_bookings(app, world, make_card):
    owner = world.users["salesperson"]
    s.make_packet(owner, world.own_card)
    client = app.test_client()
    client.login("sales")
    one = int(client.get("/sync/pull").headers["X-SQL-Count"])
    for n in range(4):
        s.make_packet(owner, make_card(owner, name=f"更多{n}"))
    response = client.get("/sync/pull")
    assert len(response.get_json()["bookings"]) == 5
    assert int(response.headers["X-SQL-Count"]) == one
