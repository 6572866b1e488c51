"""Views of the inbox: full pages, htmx fragments (list, badge, settings), the subscription
JSON endpoints, and the nav badge that polls for the live update."""

from __future__ import annotations

import re

import sqlalchemy as sa

from tests.helpers import assert_fragment, assert_full_page
from tests.push.support import BrowserKeys
from webapp.extensions import db
from webapp.push import services
from webapp.push.models import Notification, PushSubscription


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def notice(world, user_key: str = "salesperson", kind: str = "arrival", ref_id: int = 9):
    user = world.users[user_key]
    (row,) = services.notify(
        [user.id], store_id=user.store_id, kind=kind, ref_id=ref_id, url="/customers/box"
    )
    db.session.commit()
    return row


def test_inbox_page_lists_own_notices_newest_first(client, world):
    notice(world, kind="delivery_today", ref_id=1)
    notice(world, kind="arrival", ref_id=2)
    notice(world, user_key="colleague", kind="approval", ref_id=3)
    client.login("sales")
    html = assert_full_page(client.get("/inbox/"))
    assert html.index("#2") < html.index("#1")
    assert "#3" not in html  # the colleague's notice
    assert 'id="inbox-list"' in html


def test_inbox_list_fragment(client, world):
    notice(world)
    client.login("sales")
    html = assert_fragment(client.get("/inbox/", headers=hx("inbox-list")), "inbox-list")
    assert "#9" in html and 'class="inbox-row unread"' in html


def test_inbox_pages_older_notices(app, client, world):
    app.config["PAGE_SIZE"] = 2
    for n in range(3):
        notice(world, ref_id=100 + n)
    client.login("sales")
    first = assert_full_page(client.get("/inbox/"))
    assert "#102" in first and "#100" not in first and "page=2" in first
    second = assert_full_page(client.get("/inbox/?page=2"))
    assert "#100" in second and "#102" not in second
    assert client.get("/inbox/?page=abc").status_code == 200


def test_count_badge_fragment_shows_unread_and_keeps_polling(client, world):
    notice(world, ref_id=1)
    notice(world, ref_id=2)
    client.login("sales")
    response = client.get("/inbox/count", headers=hx("inbox-count"))
    html = assert_fragment(response, "inbox-count")
    assert re.search(r">\s*2\s*</span>$", html.strip())
    assert 'hx-trigger="every 3s"' in html and "shown=2" in html
    assert response.headers["Cache-Control"] == "no-store"
    # First poll of a page: the count may have changed since the page was rendered.
    assert response.headers["HX-Trigger"] == "inbox-changed"
    again = client.get("/inbox/count?shown=2", headers=hx("inbox-count"))
    assert "HX-Trigger" not in again.headers


def test_count_badge_triggers_a_list_refresh_when_the_count_changed(client, world):
    client.login("sales")
    same = client.get("/inbox/count?shown=0", headers=hx("inbox-count"))
    assert "HX-Trigger" not in same.headers and "is-zero" in same.get_data(as_text=True)
    notice(world)
    changed = client.get("/inbox/count?shown=0", headers=hx("inbox-count"))
    assert changed.headers["HX-Trigger"] == "inbox-changed"


def test_a_notice_arriving_while_a_page_is_open_shows_its_title_once(client, world):
    client.login("sales")
    notice(world, kind="arrival", ref_id=1)
    first = client.get("/inbox/count", headers=hx("inbox-count")).get_data(as_text=True)
    assert "notice-toast" not in first  # a page's first poll: nothing new to it
    notice(world, kind="vip_arrival", ref_id=2)
    grown = client.get("/inbox/count?shown=1", headers=hx("inbox-count")).get_data(as_text=True)
    assert 'id="notice-toast"' in grown and 'hx-swap-oob="true"' in grown
    assert "交车贵宾到店" in grown and "/inbox/" in grown
    same = client.get("/inbox/count?shown=2", headers=hx("inbox-count")).get_data(as_text=True)
    assert "notice-toast" not in same
    fewer = client.get("/inbox/count?shown=5", headers=hx("inbox-count")).get_data(as_text=True)
    assert "notice-toast" not in fewer


def test_count_full_page(client, world):
    notice(world)
    client.login("sales")
    assert_full_page(client.get("/inbox/count"))


def test_count_without_session_is_401_not_a_login_page_in_the_badge(client):
    response = client.get("/inbox/count", headers=hx("inbox-count"))
    assert response.status_code == 401 and response.get_json()["error"] == "login"


def test_nav_shows_the_inbox_badge_to_every_staff_role(client, world):
    for username in ("sales", "greeter", "keeper", "finance"):
        client.login(username)
        html = client.get("/catalog/").get_data(as_text=True)
        assert 'id="inbox-link"' in html and 'hx-get="/inbox/count"' in html, username
        assert "js/push.js" in html
        client.post("/logout")


def test_opening_a_notice_marks_it_read_and_goes_to_its_page(client, world):
    row = notice(world)
    client.login("sales")
    response = client.post(f"/inbox/{row.id}/read")
    assert response.status_code == 303 and response.headers["Location"].endswith("/customers/box")
    assert db.session.get(Notification, row.id).read_at is not None
    boosted = client.post(f"/inbox/{row.id}/read", headers={"HX-Request": "true"})
    assert boosted.headers["HX-Location"] == "/customers/box"


def test_opening_someone_elses_notice_is_not_found(client, world):
    row = notice(world, user_key="colleague")
    client.login("sales")
    assert client.post(f"/inbox/{row.id}/read").status_code == 404
    assert db.session.get(Notification, row.id).read_at is None


def test_read_all_returns_the_list_fragment(client, world):
    notice(world, ref_id=1)
    notice(world, ref_id=2)
    other = notice(world, user_key="colleague")
    client.login("sales")
    response = client.post("/inbox/read-all", headers=hx("inbox-list"))
    html = assert_fragment(response, "inbox-list")
    assert "unread" not in re.findall(r'class="inbox-row[^"]*"', html)[0]
    assert response.headers["HX-Trigger"] == "inbox-changed"
    assert services.unread_count(world.users["salesperson"]) == 0
    assert db.session.get(Notification, other.id).read_at is None
    plain = client.post("/inbox/read-all")
    assert plain.status_code == 303 and plain.headers["Location"].endswith("/inbox/")


def test_settings_page_and_fragment(app, client, world, vapid):
    client.login("sales")
    html = assert_full_page(client.get("/inbox/settings"))
    assert f'data-public-key="{vapid}"' in html
    for state in ("insecure", "no-sw", "no-push", "denied", "ios-install", "no-key"):
        assert f'data-state="{state}"' in html
    fragment = assert_fragment(client.get("/inbox/settings", headers=hx("main")), "push-settings")
    assert "push-on" in fragment


def test_settings_without_a_key_explains_it(app, client, world, tmp_path):
    app.config["VAPID_PRIVATE_KEY_FILE"] = str(tmp_path / "none.pem")
    client.login("sales")
    html = assert_full_page(client.get("/inbox/settings"))
    assert 'data-public-key=""' in html and 'data-state="no-key"' in html


def test_subscription_endpoint_saves_and_resaves(app, client, world):
    client.login("sales")
    body = BrowserKeys().subscription_json("https://fcm.googleapis.com/fcm/send/abc")
    first = client.post("/inbox/subscriptions", json=body)
    assert first.status_code == 200 and first.get_json()["ok"] is True
    again = client.post("/inbox/subscriptions", json=body)
    assert again.get_json()["id"] == first.get_json()["id"]
    saved = db.session.scalars(sa.select(PushSubscription)).one()
    assert saved.user_id == world.users["salesperson"].id
    assert saved.store_id == world.store_a.id


def test_subscription_endpoint_refuses_bad_input_with_field_messages(client, world):
    client.login("sales")
    bad = client.post("/inbox/subscriptions", json={"endpoint": "http://10.0.0.1/x"})
    assert bad.status_code == 422
    assert set(bad.get_json()["errors"]) == {"endpoint", "p256dh", "auth", "device_id"}
    not_json = client.post("/inbox/subscriptions", data="nonsense")
    assert not_json.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


def test_subscription_endpoints_answer_401_json_without_a_session(client):
    for path in ("/inbox/subscriptions", "/inbox/subscriptions/delete"):
        response = client.post(path, json={})
        assert response.status_code == 401 and response.get_json()["error"] == "login"


def test_subscription_delete_forgets_this_device(client, world):
    client.login("sales")
    body = BrowserKeys().subscription_json("https://fcm.googleapis.com/fcm/send/del")
    client.post("/inbox/subscriptions", json=body)
    response = client.post("/inbox/subscriptions/delete", json={"endpoint": body["endpoint"]})
    assert response.get_json() == {"ok": True, "deleted": True}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(PushSubscription)) == 0


def test_service_worker_shows_pushes_and_opens_their_page(client):
    script = client.get("/sw.js").get_data(as_text=True)
    assert 'addEventListener("push"' in script and "showNotification" in script
    assert 'addEventListener("notificationclick"' in script and "openWindow" in script
    assert "/static/img/icon-192.png" in script
