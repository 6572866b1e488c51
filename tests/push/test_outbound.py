"""Outbound requests of the push sender (SSRF): internal addresses are refused when a
subscription is saved and again, after a fresh DNS look-up, when a push is sent; the
connection goes to the checked address; redirects are not followed; another user's
endpoint is not taken over. DNS is scripted (tests/push/conftest.py); nothing here reaches
the internet."""

from __future__ import annotations

import ipaddress
import socket
from collections import deque

import pytest
import requests
import sqlalchemy as sa

from tests.push.support import BrowserKeys, Listener, Receiver, TlsServer
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.push import outbound, pinned, services
from webapp.push.models import DeliveryStatus, Notification, PushDelivery, PushSubscription

PUBLIC = "93.184.215.14"  # any global unicast address: the tests never connect to it

INTERNAL_FORMS = [
    "https://127.0.0.1/x",
    "https://127.1/x",
    "https://127.1:8443/x",
    "https://0x7f000001/x",
    "https://0x7f.0.0.1/x",
    "https://2130706433/x",
    "https://0177.0.0.1/x",
    "https://10.1.2.3/x",
    "https://169.254.169.254/latest/meta-data",
    "https://localhost/x",
    "https://LOCALHOST/x",
    "https://localhost./x",
    "https://fcm.googleapis.com./x",
    "https://[::1]/x",
    "https://[::ffff:127.0.0.1]/x",
    "https://[fe80::1]/x",
    "https://intranet/x",
    "https://printer.lan/x",
    "https://nas.local/x",
    "https://app.localhost/x",
    "https://db.internal/x",
    "https://router.home.arpa/x",
    "https://wiki.intranet/x",
    "https://１２７.0.0.1/x",
    "https://user:secret@fcm.googleapis.com/x",
    "https://fcm.googleapis.com:8443/x",
    "http://fcm.googleapis.com/x",
    "ftp://fcm.googleapis.com/x",
]

PRIVATE_ANSWERS = [
    ["10.0.0.7"],
    ["192.168.1.20"],
    ["172.16.5.5"],
    ["127.0.0.1"],
    ["100.64.0.9"],
    ["169.254.169.254"],
    ["0.0.0.0"],  # noqa: S104 - an answer to refuse, not a bind
    ["224.0.0.251"],
    ["::1"],
    ["fd00::5"],
    ["::ffff:10.0.0.7"],
    ["64:ff9b::a00:7"],
    ["2002:c0a8:114::1"],
    [PUBLIC, "10.0.0.7"],  # one private answer among public ones is enough
]


@pytest.fixture
def strict(app):
    """Internal addresses are refused (the production setting)."""
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = False


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def save(user, endpoint: str, device: str = "tablet-0001") -> PushSubscription:
    return services.save_subscription(user, BrowserKeys().subscription_json(endpoint, device))


def arrival(user, ref_id: int = 42) -> Notification:
    (row,) = services.notify(
        [user.id], store_id=user.store_id, kind="arrival", ref_id=ref_id, url=f"/visits/{ref_id}"
    )
    db.session.commit()
    return row


def run_sender(app) -> str:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["push", "send", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def deliveries() -> list[PushDelivery]:
    return list(db.session.scalars(sa.select(PushDelivery).order_by(PushDelivery.id)))


def connection_attempts(monkeypatch, refuse_public: bool = False) -> list[tuple]:
    """Record every TCP connect the process makes from now on. With `refuse_public` a
    connect to a non-loopback address fails at once (the tests have no internet)."""
    attempts: list[tuple] = []
    real = socket.socket.connect

    def connect(sock: socket.socket, address) -> None:
        attempts.append(tuple(address[:2]))
        if refuse_public and not ipaddress.ip_address(address[0]).is_loopback:
            raise ConnectionRefusedError(111, "Connection refused")
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    return attempts


# --- Saving a subscription ----------------------------------------------------------------


def refused_at_save(user, endpoint: str) -> bool:
    try:
        save(user, endpoint)
    except ValidationError as exc:
        return set(exc.errors) == {"endpoint"}
    return False


def test_every_internal_address_form_is_refused_at_save(world, strict, dns):
    accepted = [e for e in INTERNAL_FORMS if not refused_at_save(world.users["salesperson"], e)]
    assert accepted == []
    assert count(PushSubscription) == 0
    assert dns.asked == []  # refused by their form, before any look-up


def test_a_name_resolving_to_a_private_address_is_refused_at_save(world, strict, dns):
    accepted = []
    for answers in PRIVATE_ANSWERS:
        dns.answer("push.rebind.example.com", answers)
        if not refused_at_save(world.users["salesperson"], "https://push.rebind.example.com/1"):
            accepted.append(answers)
    assert accepted == []
    assert count(PushSubscription) == 0
    assert len(dns.asked) == len(PRIVATE_ANSWERS)


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc:def",
        "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
        "https://wns2-by3p.notify.windows.com/w/?token=BQYAAA",
        "https://web.push.apple.com/QGx1",
        "https://fcm.googleapis.com:443/fcm/send/abc",
    ],
)
def test_public_push_services_are_accepted_at_save(world, strict, dns, endpoint):
    dns.answer("fcm.googleapis.com", [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
    dns.answer("updates.push.services.mozilla.com", [PUBLIC])
    dns.answer("wns2-by3p.notify.windows.com", [PUBLIC])
    dns.answer("web.push.apple.com", [PUBLIC])
    assert save(world.users["salesperson"], endpoint).endpoint == endpoint


def test_a_name_that_does_not_resolve_now_is_accepted_and_checked_when_sent(world, strict, dns):
    saved = save(world.users["salesperson"], "https://push.offline.example.com/x")
    assert saved.id and dns.asked == ["push.offline.example.com"]


def test_resaving_ones_own_endpoint_does_not_look_up_the_name_again(world, strict, dns):
    sales = world.users["salesperson"]
    dns.answer("fcm.googleapis.com", [PUBLIC])
    keys = BrowserKeys()
    endpoint = "https://fcm.googleapis.com/fcm/send/abc"
    services.save_subscription(sales, keys.subscription_json(endpoint))
    services.save_subscription(sales, keys.subscription_json(endpoint))
    assert dns.asked == ["fcm.googleapis.com"]


def test_allow_local_endpoints_accepts_a_lan_relay(app, world, dns):
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = True
    dns.answer("relay.showroom.lan", ["192.168.1.20"])
    assert save(world.users["salesperson"], "http://relay.showroom.lan:8080/push/1").id
    assert save(world.users["colleague"], "https://127.0.0.1:8443/push/2", "tablet-0002").id


# --- Another user's endpoint ---------------------------------------------------------------


def test_another_users_endpoint_on_another_device_is_refused_and_stays_theirs(world, strict, dns):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    dns.answer("fcm.googleapis.com", [PUBLIC])
    endpoint = "https://fcm.googleapis.com/fcm/send/theirs"
    mine = save(sales, endpoint, "tablet-sales1")
    with pytest.raises(ValidationError) as caught:
        save(colleague, endpoint, "tablet-other2")
    assert "endpoint" in caught.value.errors
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(PushSubscription)).all()
    assert row.id == mine.id and row.user_id == sales.id and row.device_id == "tablet-sales1"


def test_another_stores_user_cannot_take_an_endpoint_even_on_the_same_device(world, strict, dns):
    sales, stranger = world.users["salesperson"], world.users["other_salesperson"]
    dns.answer("fcm.googleapis.com", [PUBLIC])
    endpoint = "https://fcm.googleapis.com/fcm/send/shared"
    save(sales, endpoint, "tablet-shared")
    with pytest.raises(ValidationError):
        save(stranger, endpoint, "tablet-shared")
    db.session.expire_all()
    assert db.session.scalar(sa.select(PushSubscription.user_id)) == sales.id


def test_a_shared_tablet_passes_to_the_colleague_who_logs_in_on_it(world, strict, dns):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    dns.answer("fcm.googleapis.com", [PUBLIC])
    endpoint = "https://fcm.googleapis.com/fcm/send/shared"
    save(sales, endpoint, "tablet-shared")
    arrival(sales)
    taken = save(colleague, endpoint, "tablet-shared")
    db.session.expire_all()
    (row,) = db.session.scalars(sa.select(PushSubscription)).all()
    assert row.id == taken.id and row.user_id == colleague.id
    (pending,) = deliveries()
    assert pending.subscription_id is None  # the previous user's push never reaches the tablet


def test_the_view_answers_422_json_for_another_users_endpoint(client, world, strict, dns):
    dns.answer("fcm.googleapis.com", [PUBLIC])
    endpoint = "https://fcm.googleapis.com/fcm/send/theirs"
    save(world.users["colleague"], endpoint, "tablet-colleague")
    client.login("sales")
    response = client.post(
        "/inbox/subscriptions", json=BrowserKeys().subscription_json(endpoint, "tablet-sales01")
    )
    assert response.status_code == 422
    assert set(response.get_json()["errors"]) == {"endpoint"}
    db.session.expire_all()
    assert db.session.scalar(sa.select(PushSubscription.user_id)) == world.users["colleague"].id


def test_the_view_answers_422_json_for_an_internal_address(client, world, strict):
    client.login("sales")
    response = client.post(
        "/inbox/subscriptions", json=BrowserKeys().subscription_json("https://0x7f000001/x")
    )
    assert response.status_code == 422 and "endpoint" in response.get_json()["errors"]
    assert count(PushSubscription) == 0


# --- Sending -------------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [["127.0.0.1"], ["10.0.0.7"], [PUBLIC, "::1"]])
def test_a_name_that_now_resolves_privately_is_refused_at_send_without_connecting(
    app, world, vapid, dns, monkeypatch, answers
):
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = False
    name = "push.rebind.example.com"
    dns.answer(name, [PUBLIC], answers)  # public when saved, private when sent
    sales = world.users["salesperson"]
    save(sales, f"https://{name}/push/s1")
    arrival(sales, 1)
    arrival(sales, 2)
    attempts = connection_attempts(monkeypatch)

    output = run_sender(app)

    assert "blocked 2" in output and "retried 0" in output
    assert attempts == []
    first, second = deliveries()
    for row in (first, second):
        assert row.status == DeliveryStatus.FAILED.value
        assert row.last_error == "blocked address" and row.last_status is None
        assert row.subscription_id is None
    assert first.attempts == 1 and second.attempts == 0
    assert count(PushSubscription) == 0
    assert dns.asked == [name, name]  # saved, then checked once: never again

    assert "blocked 0" in run_sender(app)  # not retried
    assert attempts == [] and dns.asked == [name, name]


def test_a_stored_endpoint_at_a_local_port_is_refused_and_the_port_sees_no_connection(
    app, world, vapid, dns, monkeypatch
):
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = False
    listener = Listener()
    try:
        sales = world.users["salesperson"]
        dns.answer("push.scan.example.com", ["127.0.0.1"])
        for n, endpoint in enumerate(
            [
                f"https://push.scan.example.com:{listener.port}/x",
                f"http://127.0.0.1:{listener.port}/x",
                f"https://0x7f000001:{listener.port}/x",
            ]
        ):
            # As an older version (or a LAN relay setting since turned off) may have saved it.
            db.session.add(
                PushSubscription(
                    store_id=sales.store_id,
                    user_id=sales.id,
                    device_id=f"tablet-scan{n}",
                    endpoint=endpoint,
                    p256dh=BrowserKeys().p256dh,
                    auth=BrowserKeys().auth,
                )
            )
        db.session.commit()
        arrival(sales)
        attempts = connection_attempts(monkeypatch)

        output = run_sender(app)

        assert "blocked 3" in output
        assert listener.connections() == 0 and attempts == []
        assert {row.last_error for row in deliveries()} == {"blocked address"}
        assert count(PushSubscription) == 0
    finally:
        listener.close()


def test_the_connection_goes_to_the_checked_address_not_to_a_later_dns_answer(
    app, world, vapid, dns, monkeypatch
):
    app.config["PUSH_ALLOW_LOCAL_ENDPOINTS"] = False
    name = "push.rebind.example.com"
    # Saved and checked with a public answer; any further look-up would say 127.0.0.1.
    dns.answer(name, [PUBLIC], [PUBLIC], ["127.0.0.1"])
    sales = world.users["salesperson"]
    save(sales, f"https://{name}/push/s1")
    arrival(sales)
    attempts = connection_attempts(monkeypatch, refuse_public=True)

    output = run_sender(app)

    assert "retried 1" in output
    assert attempts == [(PUBLIC, 443)]
    assert dns.asked == [name, name]
    (row,) = deliveries()
    assert row.status == DeliveryStatus.PENDING.value
    assert row.last_error == "ConnectionError"  # its kind only: no address, port or OS text


def test_a_pinned_send_reaches_the_first_answer_with_the_name_in_host_and_vapid(
    app, world, vapid, dns, receiver
):
    """With PUSH_ALLOW_LOCAL_ENDPOINTS the addresses are not judged, but the name is still
    resolved once and the connection pinned: the rebinding answer (127.0.0.2, where a
    listener waits on the same port) is never used."""
    port = receiver.server.server_address[1]
    trap = Listener("127.0.0.2", port)
    try:
        name = "push.relay.example.com"
        dns.answer(name, ["127.0.0.1"], ["127.0.0.2"])
        keys = BrowserKeys()
        services.save_subscription(
            world.users["salesperson"], keys.subscription_json(f"http://{name}:{port}/push/s1")
        )
        arrival(world.users["salesperson"])

        assert "sent 1" in run_sender(app)

        (message,) = receiver.received
        assert message.headers["host"] == f"{name}:{port}"
        assert keys.decrypt(message.body)["id"] == 42
        assert trap.connections() == 0
        assert dns.asked == [name]
    finally:
        trap.close()


@pytest.mark.parametrize("status", [302, 307, 308])
def test_a_redirect_from_the_push_service_is_not_followed(app, world, vapid, receiver, status):
    elsewhere = Receiver().start()
    try:
        receiver.script = deque([(status, {"Location": elsewhere.endpoint("stolen")})])
        save(world.users["salesperson"], receiver.endpoint("s1"))
        arrival(world.users["salesperson"])

        assert "failed 1" in run_sender(app)

        assert len(receiver.received) == 1 and elsewhere.received == []
        (row,) = deliveries()
        assert row.status == DeliveryStatus.FAILED.value and row.last_status == status
    finally:
        elsewhere.stop()


def test_tls_is_checked_for_the_name_and_sends_it_as_sni_while_connecting_to_the_address(
    dns, tmp_path
):
    name = "push.tls.example.com"
    server = TlsServer(name, tmp_path)
    dns.answer(name, ["127.0.0.1"])
    try:
        with pinned.pinned_session(allow_local=True) as session:
            session.verify = server.ca_file
            response = session.post(f"https://{name}:{server.port}/push", data=b"x", timeout=5)
            assert response.status_code == 201
            assert server.sni == [name] and server.hosts == [f"{name}:{server.port}"]
            # The certificate names the host, not the address: asking for the address fails.
            with pytest.raises(requests.exceptions.SSLError):
                session.post(f"https://127.0.0.1:{server.port}/push", data=b"x", timeout=5)
    finally:
        server.stop()


def test_no_proxy_can_take_the_request_past_the_address_check(dns, monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    dns.answer("fcm.googleapis.com", ["127.0.0.1"])
    with pinned.pinned_session() as session, pytest.raises(outbound.BlockedAddress) as env:
        session.post("https://fcm.googleapis.com/fcm/send/x", data=b"x", timeout=1)
    assert str(env.value) == "blocked address"  # the environment's proxy was ignored
    with pinned.pinned_session() as session, pytest.raises(outbound.BlockedAddress) as given:
        session.post(
            "https://fcm.googleapis.com/fcm/send/x",
            data=b"x",
            timeout=1,
            proxies={"https": "http://127.0.0.1:9"},
        )
    assert str(given.value) == "proxy"


# --- The address rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "100.64.0.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address to refuse, not a bind
        "255.255.255.255",
        "224.0.0.1",
        "239.255.255.250",
        "240.0.0.1",
        "192.0.0.8",
        "192.0.2.1",
        "198.18.0.1",
        "::",
        "::1",
        "fe80::1",
        "fec0::1",
        "fc00::1",
        "ff02::1",
        "ff0e::1",
        "::ffff:127.0.0.1",
        "::ffff:192.168.1.1",
        "::127.0.0.1",
        "64:ff9b::7f00:1",
        "64:ff9b:1::1",
        "2002:7f00:1::1",
        "2002:c0a8:101::1",
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        "2001:db8::1",
    ],
)
def test_internal_and_special_addresses_are_not_public(address):
    assert not outbound.is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    ["8.8.8.8", PUBLIC, "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1"],
)
def test_public_unicast_addresses_are_public(address):
    assert outbound.is_public_address(ipaddress.ip_address(address))
