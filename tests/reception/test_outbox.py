"""The greeter's arrival through the outbox (kind `reception.arrival`): the same rules as the
form, a replay answered `duplicate`, bad data quarantined, other kinds still refused."""

from __future__ import annotations

import sqlalchemy as sa

from tests.reception.support import roster
from tests.sync.support import entry, push
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.push.models import Notification
from webapp.reception.models import Visit
from webapp.sync.models import QuarantinedEntry


def _team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    team = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], team)
    return team


def arrival(seq: int, **fields) -> dict:
    payload = {"people": 2, "title": "ms", "source": "walk_in", **fields}
    return entry("reception.arrival", payload, seq, created_at=None)


def visits() -> list[Visit]:
    return list(db.session.scalars(sa.select(Visit).order_by(Visit.id)))


def test_greeter_arrival_through_the_outbox_applies_once(client, world, make_user):
    team = _team(world, make_user)
    client.login("greeter")
    first = arrival(1, mobile="13800138111", name="钱")
    answer = push(client, [first])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    result = answer.get_json()["results"][0]
    assert result["status"] == "applied"
    assert result["result"]["salesperson_id"] == team[0].id
    again = push(client, [first]).get_json()["results"][0]
    assert again["status"] == "duplicate"
    assert len(visits()) == 1 and visits()[0].entry_uuid == first["id"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1


def test_bad_arrival_is_quarantined_and_nothing_saved(client, world, make_user):
    _team(world, make_user)
    client.login("greeter")
    bad = arrival(1, mobile="12345", name="孙")
    answer = push(client, [bad]).get_json()["results"][0]
    assert answer["status"] == "rejected" and answer["reason"] == "validation"
    assert "mobile" in answer["errors"]
    assert visits() == []
    assert db.session.scalar(sa.select(QuarantinedEntry.kind)) == "reception.arrival"
    replay = push(client, [bad]).get_json()["results"][0]
    assert replay["status"] == "rejected"


def test_manager_may_register_arrivals_through_the_outbox_too(client, world, make_user):
    team = _team(world, make_user)
    client.login("manager")
    answer = push(client, [arrival(1)]).get_json()["results"][0]
    assert answer["status"] == "applied" and answer["result"]["salesperson_id"] == team[0].id


def test_greeter_cannot_push_test_drive_or_card_entries(client, world, make_user):
    _team(world, make_user)
    client.login("greeter")
    change = entry("card.update", {"card_id": world.own_card.id, "fields": {"grade": "H"}}, 1)
    answer = push(client, [change]).get_json()["results"][0]
    assert answer["status"] == "rejected" and answer["reason"] == "permission"


def test_salesperson_cannot_register_arrivals_through_the_outbox(client, world, make_user):
    _team(world, make_user)
    client.login("sales")
    answer = push(client, [arrival(1)]).get_json()["results"][0]
    assert answer["status"] == "rejected" and answer["reason"] == "permission"
    assert visits() == []


def test_the_greeter_sees_and_fixes_her_own_quarantined_arrival(client, world, make_user):
    team = _team(world, make_user)
    client.login("greeter")
    bad = arrival(1, mobile="12345", name="孙")
    push(client, [bad])
    q = db.session.scalar(sa.select(QuarantinedEntry))
    assert f"/sync/quarantine/{q.id}" in client.get("/sync/quarantine").get_data(as_text=True)
    page = client.get(f"/sync/quarantine/{q.id}")
    assert page.status_code == 200 and 'name="mobile"' in page.get_data(as_text=True)
    fixed = client.post(f"/sync/quarantine/{q.id}", data={"mobile": "13900001111"})
    assert fixed.status_code == 303
    (visit,) = visits()
    assert visit.owner_id == team[0].id and visit.entry_uuid == bad["id"]


def test_an_arrival_reapplied_by_the_manager_stays_the_greeters(client, world, make_user):
    _team(world, make_user)
    client.login("greeter")
    bad = arrival(1, mobile="12345", name="孙")
    push(client, [bad])
    q = db.session.scalar(sa.select(QuarantinedEntry))
    manager = client.application.test_client()
    manager.login("manager")
    assert (
        manager.post(f"/sync/quarantine/{q.id}", data={"mobile": "13900001111"}).status_code == 303
    )
    (visit,) = visits()
    assert visit.registered_by_id == world.users["greeter"].id
    # The greeter's tablet replays the original: answered from the receipt, nothing doubled.
    replay = push(client, [bad]).get_json()["results"][0]
    assert replay["status"] == "duplicate" and len(visits()) == 1
