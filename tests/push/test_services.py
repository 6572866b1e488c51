"""Rules of notices: notify() in the caller's transaction, the inbox of the acting user only,
and the subscriptions of a user's devices."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.push.support import BrowserKeys
from webapp.auth.models import Role
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.push import services
from webapp.push.models import DeliveryStatus, Notification, PushDelivery, PushSubscription


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def subscribe(user, endpoint: str, device: str = "tablet-0001") -> PushSubscription:
    return services.save_subscription(user, BrowserKeys().subscription_json(endpoint, device))


@pytest.fixture
def allow_local(app):
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = True


def test_notify_adds_an_inbox_row_per_user_and_a_delivery_per_subscription(world, allow_local):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    subscribe(sales, "https://push.example.net/a", "tablet-aaaa1")
    subscribe(sales, "https://push.example.net/b", "tablet-bbbb2")

    rows = services.notify(
        [sales.id, colleague.id, sales.id],
        store_id=world.store_a.id,
        kind="arrival",
        ref_id=7,
        url="/my-day",
    )
    db.session.commit()

    assert [r.user_id for r in rows] == [sales.id, colleague.id]  # duplicates dropped
    assert {r.title_code for r in rows} == {"arrival"}
    deliveries = db.session.scalars(sa.select(PushDelivery)).all()
    assert len(deliveries) == 2  # the colleague has no device subscribed: inbox only
    assert {d.notification.user_id for d in deliveries} == {sales.id}
    assert {d.status for d in deliveries} == {DeliveryStatus.PENDING.value}


def test_notify_runs_in_the_callers_transaction(world):
    sales = world.users["salesperson"]
    services.notify([sales.id], store_id=world.store_a.id, kind="arrival", ref_id=1, url="/")
    db.session.rollback()  # the caller's use case failed
    assert count(Notification) == 0 and count(PushDelivery) == 0


def test_notify_refuses_a_url_outside_the_app(world):
    sales = world.users["salesperson"]
    for url in ("https://evil.example/", "//evil.example/x", "my-day"):
        with pytest.raises(ValueError):
            services.notify([sales.id], store_id=world.store_a.id, kind="x", ref_id=1, url=url)


def test_an_unknown_kind_gets_the_generic_title(world):
    sales = world.users["salesperson"]
    (row,) = services.notify(
        [sales.id], store_id=world.store_a.id, kind="new_thing", ref_id=None, url="/"
    )
    assert row.kind == "new_thing" and row.title_code == "generic"


def test_a_user_never_sees_another_users_inbox(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    manager = world.users["sales_manager"]
    (mine,) = services.notify(
        [sales.id], store_id=world.store_a.id, kind="arrival", ref_id=1, url="/my-day"
    )
    (theirs,) = services.notify(
        [colleague.id], store_id=world.store_a.id, kind="approval", ref_id=2, url="/my-day"
    )
    db.session.commit()

    assert [r.id for r in services.inbox(sales).rows] == [mine.id]
    assert [r.id for r in services.inbox(colleague).rows] == [theirs.id]
    assert services.inbox(manager).rows == []  # not even the manager reads someone's inbox
    assert services.unread_count(sales) == 1
    with pytest.raises(NotFound):
        services.mark_read(sales, theirs.id)
    assert services.mark_all_read(sales) == 1
    db.session.expire_all()
    assert services.unread_count(sales) == 0
    assert services.unread_count(colleague) == 1


def test_a_notice_of_another_store_stays_out_of_the_inbox(world):
    sales = world.users["salesperson"]
    services.notify([sales.id], store_id=world.store_b.id, kind="arrival", ref_id=1, url="/")
    db.session.commit()
    assert services.inbox(sales).rows == [] and services.unread_count(sales) == 0


def test_inbox_is_newest_first_and_paged(app, world):
    app.config["PAGE_SIZE"] = 3
    sales = world.users["salesperson"]
    made = [
        services.notify([sales.id], store_id=world.store_a.id, kind="generic", ref_id=n, url="/")[0]
        for n in range(5)
    ]
    db.session.commit()
    first, second = services.inbox(sales, 1), services.inbox(sales, 2)
    assert [r.ref_id for r in first.rows] == [4, 3, 2] and first.has_more
    assert [r.ref_id for r in second.rows] == [1, 0] and not second.has_more
    assert len(made) == 5


def test_mark_read_keeps_the_first_read_time(world):
    sales = world.users["salesperson"]
    (row,) = services.notify(
        [sales.id], store_id=world.store_a.id, kind="arrival", ref_id=1, url="/"
    )
    db.session.commit()
    first = services.mark_read(sales, row.id).read_at
    assert services.mark_read(sales, row.id).read_at == first


def test_resaving_a_subscription_updates_it_instead_of_adding_one(world, allow_local):
    sales = world.users["salesperson"]
    keys = BrowserKeys()
    first = services.save_subscription(sales, keys.subscription_json("https://push.example.net/x"))
    seen = first.last_seen_at
    newer = BrowserKeys()
    again = services.save_subscription(
        sales, newer.subscription_json("https://push.example.net/x"), "Chrome"
    )
    assert again.id == first.id and count(PushSubscription) == 1
    assert again.p256dh == newer.p256dh and again.user_agent == "Chrome"
    assert again.last_seen_at >= seen


def test_a_new_endpoint_of_the_same_device_replaces_the_old_one(world):
    sales = world.users["salesperson"]
    subscribe(sales, "https://push.example.net/old", "tablet-same1")
    subscribe(sales, "https://push.example.net/new", "tablet-same1")
    endpoints = db.session.scalars(sa.select(PushSubscription.endpoint)).all()
    assert endpoints == ["https://push.example.net/new"]


def test_a_shared_tablet_subscription_moves_to_the_user_who_logs_in(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    subscribe(sales, "https://push.example.net/shared")
    moved = subscribe(colleague, "https://push.example.net/shared")
    assert moved.user_id == colleague.id and count(PushSubscription) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://push.example.net/plain"}, "endpoint"),
        ({"endpoint": "https://127.0.0.1/x"}, "endpoint"),
        ({"endpoint": "https://10.1.2.3/x"}, "endpoint"),
        ({"endpoint": "https://localhost/x"}, "endpoint"),
        ({"endpoint": ""}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}}, "p256dh"),
        ({"keys": {"p256dh": BrowserKeys().p256dh, "auth": "c2hvcnQ"}}, "auth"),
        ({"keys": "nonsense"}, "p256dh"),
        ({"device_id": "x"}, "device_id"),
        ({"device_id": "bad id with spaces"}, "device_id"),
    ],
)
def test_a_bad_subscription_is_refused_and_nothing_saved(world, change, field):
    data = BrowserKeys().subscription_json("https://push.example.net/ok")
    data.update(change)
    with pytest.raises(ValidationError) as caught:
        services.save_subscription(world.users["salesperson"], data)
    assert field in caught.value.errors
    assert count(PushSubscription) == 0


def test_delete_subscription_forgets_only_the_users_own(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    subscribe(sales, "https://push.example.net/mine")
    assert not services.delete_subscription(colleague, "https://push.example.net/mine")
    assert services.delete_subscription(sales, "https://push.example.net/mine")
    assert count(PushSubscription) == 0


def test_demo_seed_adds_sales1_notices_once(world):
    from webapp.push.demo import seed_demo

    users = {"sales1": world.users["salesperson"]}
    assert "4" in seed_demo(world.store_a, users)
    db.session.commit()
    assert "already" in seed_demo(world.store_a, users)
    db.session.commit()
    assert services.unread_count(world.users["salesperson"]) == 3


def test_roles_do_not_matter_for_ones_own_inbox(world, make_user):
    keeper = make_user(Role.CAR_KEEPER, store=world.store_a)
    services.notify([keeper.id], store_id=world.store_a.id, kind="generic", ref_id=None, url="/")
    db.session.commit()
    assert services.unread_count(keeper) == 1
