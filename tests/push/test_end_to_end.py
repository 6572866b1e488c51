"""Push end to end: a subscription saved through the app whose endpoint is a local push
service; `flask push send` encrypts and posts for real; the receiver decrypts with http_ece
and checks the headers and the VAPID JWT. 410 deletes the subscription; 429 is retried."""

from __future__ import annotations

import os
import stat
from collections import deque
from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from tests.push.support import BrowserKeys, Receiver, verify_vapid
from webapp.extensions import db
from webapp.labels import label
from webapp.push import sender, services
from webapp.push.keys import init_keys, private_key_path, public_key
from webapp.push.models import DeliveryStatus, Notification, PushDelivery, PushSubscription
from webapp.timeutil import now


def subscribe_through_the_app(client, username: str, endpoint: str, keys: BrowserKeys) -> int:
    client.login(username)
    response = client.post(
        "/inbox/subscriptions",
        json=keys.subscription_json(endpoint, device_id=f"tablet-{username}-01"),
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/131"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["id"]


def run_sender(app) -> str:
    """`flask push send --once`, as cron or the worker runs it."""
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["push", "send", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def arrival(user, store, ref_id: int = 42) -> Notification:
    (row,) = services.notify(
        [user.id], store_id=store.id, kind="arrival", ref_id=ref_id, url=f"/visits/{ref_id}"
    )
    db.session.commit()
    return row


def delivery() -> PushDelivery:
    return db.session.scalars(sa.select(PushDelivery)).one()


def test_push_init_makes_the_key_once_with_0600_and_prints_the_public_key(app, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "keys" / "vapid.pem")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["push", "init"])
    assert first.exit_code == 0 and "created" in first.output
    path = private_key_path()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    content = path.read_bytes()
    second = runner.invoke(args=["push", "init"])
    assert second.exit_code == 0 and "kept" in second.output
    assert path.read_bytes() == content  # idempotent: `make run` runs it every time
    key = public_key()
    assert key in first.output and key in second.output
    assert len(key) == 87  # 65 bytes, uncompressed P-256, base64url without padding
    assert init_keys() == (key, False)


def test_arrival_push_is_encrypted_signed_and_carries_no_personal_data(
    app, client, world, vapid, receiver
):
    sales = world.users["salesperson"]
    keys = BrowserKeys()
    subscribe_through_the_app(client, "sales", receiver.endpoint("s1"), keys)
    arrival(sales, world.store_a)

    output = run_sender(app)

    assert "sent 1" in output
    (message,) = receiver.received
    assert message.path == "/push/s1"
    headers = message.headers
    assert int(headers["ttl"]) == app.config["PUSH_TTL"] > 0
    assert headers["urgency"] == "high"
    assert headers["topic"] == "arrival-42"
    assert headers["content-encoding"] == "aes128gcm"
    claims, k = verify_vapid(headers["authorization"])
    assert k == vapid  # signed with the app's key, the one the page subscribes with
    assert claims["aud"] == receiver.origin
    assert now().timestamp() < claims["exp"] <= now().timestamp() + 24 * 3600
    assert claims["sub"] == "mailto:push-test@showroom.example"

    payload = keys.decrypt(message.body)
    with force_locale("zh_CN"):
        title = str(label("notice_title", "arrival"))
    assert payload == {"kind": "arrival", "id": 42, "url": "/visits/42", "title": title}
    assert len(message.body) < 2048
    text = str(payload)
    for personal in (
        sales.display_name,
        sales.username,
        world.own_card.name,
        world.own_card.mobile,
    ):
        assert personal not in text
    sent = delivery()
    assert sent.status == DeliveryStatus.SENT.value and sent.attempts == 1
    assert sent.last_status == 201 and sent.sent_at is not None


def test_the_title_follows_the_users_language(app, client, world, vapid, receiver):
    sales = world.users["salesperson"]
    sales.locale = "en"
    db.session.commit()
    keys = BrowserKeys()
    subscribe_through_the_app(client, "sales", receiver.endpoint(), keys)
    services.notify(
        [sales.id], store_id=world.store_a.id, kind="delivery_today", ref_id=5, url="/my-day"
    )
    run_sender(app)
    (message,) = receiver.received
    assert keys.decrypt(message.body)["title"] == "Delivery today"
    assert message.headers["urgency"] == "normal"
    assert message.headers["topic"] == "delivery_today-5"


def test_every_send_gets_its_own_claims_so_each_push_service_sees_its_own_audience(
    app, client, world, vapid
):
    # pywebpush writes aud into the claims dict it gets: shared, the second service would
    # receive a token for the first one's origin and refuse it.
    first, second = Receiver().start(), Receiver().start()
    try:
        sales = world.users["salesperson"]
        for index, service in enumerate((first, second)):
            services.save_subscription(
                sales, BrowserKeys().subscription_json(service.endpoint(), f"tablet-000{index}x")
            )
        arrival(sales, world.store_a)
        assert "sent 2" in run_sender(app)
        for service in (first, second):
            (message,) = service.received
            claims, _k = verify_vapid(message.headers["authorization"])
            assert claims["aud"] == service.origin
    finally:
        first.stop()
        second.stop()


def test_gone_410_deletes_the_subscription_and_keeps_the_inbox_row(
    app, client, world, vapid, receiver
):
    receiver.script = deque([(410, {})])
    sales = world.users["salesperson"]
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    row = arrival(sales, world.store_a)
    arrival(sales, world.store_a, ref_id=43)  # a second pending one for the same device

    output = run_sender(app)

    assert "gone 2" in output
    assert len(receiver.received) == 1  # the second was not even tried
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    statuses = db.session.scalars(sa.select(PushDelivery.status)).all()
    assert statuses == [DeliveryStatus.GONE.value] * 2
    assert services.inbox(sales).rows[-1].id == row.id  # the inbox is the truth


def test_not_found_404_also_deletes_the_subscription(app, client, world, vapid, receiver):
    receiver.script = deque([(404, {})])
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)
    run_sender(app)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0
    assert delivery().last_status == 404


def test_too_many_requests_429_is_retried_after_retry_after(app, client, world, vapid, receiver):
    receiver.script = deque([(429, {"Retry-After": "0"})])
    keys = BrowserKeys()
    subscribe_through_the_app(client, "sales", receiver.endpoint(), keys)
    arrival(world.users["salesperson"], world.store_a)

    output = run_sender(app)

    assert "sent 1" in output and "retried 1" in output
    assert len(receiver.received) == 2
    assert keys.decrypt(receiver.received[1].body)["kind"] == "arrival"
    done = delivery()
    assert done.status == DeliveryStatus.SENT.value and done.attempts == 2


def test_a_server_error_waits_with_backoff_before_the_next_attempt(
    app, client, world, vapid, receiver
):
    receiver.script = deque([(503, {})])
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)

    before = now()
    assert "retried 1" in run_sender(app)
    waiting = delivery()
    assert waiting.status == DeliveryStatus.PENDING.value and waiting.last_status == 503
    wait = waiting.next_attempt_at - before
    base = app.config["PUSH_RETRY_BASE"]
    assert timedelta(seconds=base - 1) < wait < timedelta(seconds=base + 5)
    assert "sent 0" in run_sender(app)  # not due yet: nothing sent
    assert len(receiver.received) == 1

    waiting.next_attempt_at = now() - timedelta(seconds=1)
    db.session.commit()
    assert "sent 1" in run_sender(app)


def test_it_gives_up_after_the_last_attempt(app, client, world, vapid, receiver):
    app.config["PUSH_MAX_ATTEMPTS"] = 3
    receiver.script = deque([(500, {"Retry-After": "0"})] * 5)
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)
    assert "failed 1" in run_sender(app)
    assert len(receiver.received) == 3
    assert delivery().status == DeliveryStatus.FAILED.value


def test_a_slow_push_service_times_out_and_is_retried(app, client, world, vapid, receiver):
    app.config["PUSH_READ_TIMEOUT"] = 0.3
    receiver.delay = 1.5
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)
    assert "retried 1" in run_sender(app)
    waiting = delivery()
    assert waiting.status == DeliveryStatus.PENDING.value
    assert "Timeout" in waiting.last_error


def test_a_refused_push_400_fails_without_retry(app, client, world, vapid, receiver):
    receiver.script = deque([(400, {})])
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)
    assert "failed 1" in run_sender(app)
    assert delivery().status == DeliveryStatus.FAILED.value
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 1


def test_retry_after_as_a_date_is_respected(app):
    at = now()
    http_date = (at + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    delay = sender.retry_delay(1, http_date, at)
    assert timedelta(seconds=118) <= delay <= timedelta(seconds=121)
    assert sender.retry_delay(1, "junk", at) == timedelta(seconds=app.config["PUSH_RETRY_BASE"])
    assert sender.retry_delay(3, None, at) == timedelta(seconds=4 * app.config["PUSH_RETRY_BASE"])
    assert sender.retry_delay(1, "999999", at) == timedelta(seconds=app.config["PUSH_RETRY_MAX"])


def test_sending_without_a_key_says_what_to_run(app, client, world, tmp_path, receiver):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "missing.pem")
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = True
    services.save_subscription(
        world.users["salesperson"], BrowserKeys().subscription_json(receiver.endpoint())
    )
    arrival(world.users["salesperson"], world.store_a)
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["push", "send", "--once"])
    assert result.exit_code != 0 and "flask push init" in str(result.exception)
    assert receiver.received == []


def test_a_claimed_delivery_is_leased_so_no_second_worker_takes_it(app, world, vapid, receiver):
    sales = world.users["salesperson"]
    services.save_subscription(sales, BrowserKeys().subscription_json(receiver.endpoint()))
    for n in range(4):
        arrival(sales, world.store_a, ref_id=n)
    if db.engine.dialect.name == "postgresql":
        # Another worker is still selecting two rows in its open transaction: SKIP LOCKED.
        other = db.engine.connect()
        try:
            transaction = other.begin()
            held = (
                other.execute(
                    sa.select(PushDelivery.id)
                    .order_by(PushDelivery.id)
                    .limit(2)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            claimed = sender._claim(10)
            assert len(held) == 2 and len(claimed) == 2 and set(claimed).isdisjoint(held)
            transaction.rollback()
        finally:
            other.close()
        assert len(sender._claim(10)) == 2  # the other worker's two, once it let go
    else:
        assert len(sender._claim(10)) == 4
    assert sender._claim(10) == []  # leased: not due again until the lease runs out
    assert receiver.received == []


def test_a_pending_push_is_not_sent_to_a_tablet_now_used_by_someone_else(
    app, client, world, vapid, receiver
):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    keys = BrowserKeys()
    services.save_subscription(sales, keys.subscription_json(receiver.endpoint()))
    arrival(sales, world.store_a)
    services.save_subscription(colleague, keys.subscription_json(receiver.endpoint()))

    assert "gone 1" in run_sender(app)
    assert receiver.received == []
    assert delivery().status == DeliveryStatus.GONE.value


def test_the_worker_loop_survives_a_failing_round_and_sends_on_the_next(
    app, client, world, vapid, receiver, monkeypatch
):
    subscribe_through_the_app(client, "sales", receiver.endpoint(), BrowserKeys())
    arrival(world.users["salesperson"], world.store_a)
    rounds = []
    real = sender.send_pending

    def flaky() -> sender.SendReport:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database restarting")
        return real()

    monkeypatch.setattr(sender, "send_pending", flaky)
    sender.run_loop(interval=0, stop_after=2)
    assert len(rounds) == 2 and len(receiver.received) == 1
    assert delivery().status == DeliveryStatus.SENT.value
