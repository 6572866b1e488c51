"""Login, server-side sessions, passwords, throttling and cookie flags."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from tests.conftest import PASSWORD, CsrfClient, base_config
from webapp import create_app, timeutil
from webapp.auth import services
from webapp.auth.models import Role, User, UserSession
from webapp.config import DEV_SECRET_KEY
from webapp.extensions import db


def session_cookie(client: CsrfClient) -> str | None:
    cookie = client.get_cookie("showroom_session")
    return cookie.value if cookie else None


def test_login_lands_each_role_on_its_home(client, world):
    expected = {
        "salesperson": "/my-day",
        "sales_manager": "/store-today",
        "greeter": "/arrivals",
        "admin": "/admin/users",
        "finance": "/negotiation/payments",
    }
    for role, path in expected.items():
        c = client.application.test_client()
        response = c.login(world.users[role].username)
        assert response.status_code == 303
        assert c.get("/").headers["Location"] == path


def test_wrong_password_and_unknown_user_get_the_same_message(client, world):
    wrong = client.login("sales", "not-the-password")
    unknown = client.login("nobody-here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    text = "用户名或密码错误"
    assert text in wrong.get_data(as_text=True) and text in unknown.get_data(as_text=True)


def test_login_rotates_the_session_and_the_csrf_token(client, world):
    client.get("/login")
    before_cookie = session_cookie(client)
    before_token = client.csrf_token()
    client.login("sales")
    assert session_cookie(client) != before_cookie
    assert client.csrf_token() != before_token


def test_a_cookie_replayed_after_logout_is_refused(client, world):
    client.login("sales")
    stolen = session_cookie(client)
    assert client.get("/my-day").status_code == 200
    assert client.post("/logout").status_code == 303
    replay = client.application.test_client()
    replay.set_cookie("showroom_session", stolen)
    response = replay.get("/my-day")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_htmx_request_without_session_gets_401_with_redirect_header(client, world):
    response = client.get("/customers/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")


def test_remember_cookie_dies_with_its_session(client, world):
    client.post("/login", data={"username": "sales", "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("showroom_remember")
    assert remember is not None and remember.http_only
    # The server-side row ends (as logout elsewhere or an admin would); the cookie must die too.
    db.session.execute(sa.update(UserSession).values(revoked_at=timeutil.now()))
    db.session.commit()
    fresh = client.application.test_client()
    fresh.set_cookie("showroom_remember", remember.value)
    assert fresh.get("/my-day").status_code == 302


def test_password_change_ends_the_other_sessions_but_keeps_this_one(client, world):
    client.login("sales")
    tablet = client.application.test_client()
    tablet.login("sales")
    response = client.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": "a-new-long-password",
            "confirm": "a-new-long-password",
        },
    )
    assert response.status_code == 200
    assert client.get("/my-day").status_code == 200
    assert tablet.get("/my-day").status_code == 302
    assert client.application.test_client().login("sales", "a-new-long-password").status_code == 303


def test_password_change_with_wrong_current_password_is_refused_next_to_the_field(client, world):
    client.login("sales")
    response = client.post(
        "/account/password",
        data={"current_password": "wrong", "new_password": "x" * 12, "confirm": "x" * 12},
    )
    assert response.status_code == 422
    assert 'id="current_password-error"' in response.get_data(as_text=True)


def test_disabled_account_loses_its_sessions_and_cannot_log_in(client, world):
    client.login("sales")
    user = world.users["salesperson"]
    user.active = False
    services.revoke_all_sessions(user)
    db.session.commit()
    assert client.get("/my-day").status_code == 302
    assert client.application.test_client().login("sales").status_code == 401


def test_idle_timeout_ends_the_session(client, world, monkeypatch):
    client.login("sales")
    idle = client.application.config["SESSION_IDLE_TIMEOUT"]
    later = timeutil.now() + idle + timedelta(minutes=1)
    monkeypatch.setattr(timeutil, "now", lambda: later)
    assert client.get("/my-day").status_code == 302


def test_absolute_timeout_ends_even_an_active_session(client, world, monkeypatch):
    client.login("sales")
    limit = client.application.config["SESSION_ABSOLUTE_TIMEOUT"]
    start = timeutil.now()
    # Active every few hours, so never idle, but past the absolute limit.
    step = client.application.config["SESSION_IDLE_TIMEOUT"] / 2
    moment = start
    while moment - start < limit - step:
        moment += step
        monkeypatch.setattr(timeutil, "now", lambda m=moment: m)
        assert client.get("/ping").status_code == 200
    monkeypatch.setattr(timeutil, "now", lambda: start + limit + timedelta(minutes=1))
    assert client.get("/ping").status_code == 302


def test_stored_hashes_are_argon2id(client, world):
    assert world.users["salesperson"].password_hash.startswith("$argon2id$")


def test_legacy_werkzeug_hash_is_upgraded_on_login(client, world):
    user = world.users["salesperson"]
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256")
    db.session.commit()
    assert client.login("sales").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("$argon2id$")


def test_weaker_argon2_parameters_are_upgraded_on_login(client, world):
    app = client.application
    user = world.users["salesperson"]
    app.config["ARGON2_TIME_COST"] = 2
    client.login("sales")
    db.session.expire_all()
    assert "t=2" in db.session.get(User, user.id).password_hash


def test_attacked_account_is_throttled_while_a_colleague_on_the_same_ip_logs_in(client, world):
    limit = int(client.application.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert client.login("sales", "guess").status_code == 401
    blocked = client.login("sales", "guess")
    assert blocked.status_code == 429
    assert client.login("sales").status_code == 429  # even the right password waits
    colleague = client.application.test_client()
    assert colleague.login("colleague").status_code == 303


def test_throttle_message_does_not_reveal_whether_the_account_exists(client, world):
    limit = int(client.application.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    bodies = []
    for username in ("sales", "ghost-account"):
        for _ in range(limit):
            client.login(username, "guess")
        response = client.login(username, "guess")
        assert response.status_code == 429
        body = response.get_data(as_text=True)
        # The CSRF token is signed with a timestamp: it may differ between the two pages.
        body = re.sub(r'(value="|X-CSRFToken": ")[\w.-]+', r"\1TOKEN", body)
        bodies.append(re.sub(r"\s+", " ", body))
    assert bodies[0] == bodies[1]


def test_successful_logins_do_not_count_towards_the_limit(client, world):
    limit = int(client.application.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    for _ in range(limit + 2):
        c = client.application.test_client()
        assert c.login("sales").status_code == 303


def test_session_cookie_flags_in_development(client, world):
    response = client.login("sales")
    header = next(h for h in response.headers.getlist("Set-Cookie") if "showroom_session" in h)
    assert "HttpOnly" in header and "SameSite=Lax" in header


def test_production_cookies_are_secure(database_url):
    app = create_app(
        {**base_config(database_url), "ENV_NAME": "production", "SECRET_KEY": "s" * 40}
    )
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] and app.config["REMEMBER_COOKIE_HTTPONLY"]
    assert app.config["SESSION_COOKIE_SAMESITE"] == app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_production_refuses_the_development_secret(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError):
        create_app({"ENV_NAME": "production", "SECRET_KEY": DEV_SECRET_KEY})


def test_language_choice_is_remembered_on_the_user(client, world):
    client.login("sales")
    client.post("/language", data={"locale": "en", "next": "/my-day"})
    db.session.expire_all()
    assert db.session.get(User, world.users["salesperson"].id).locale == "en"
    other_device = client.application.test_client()
    other_device.login("sales")
    page = other_device.get("/my-day").get_data(as_text=True)
    assert '<html lang="en">' in page and "My day" in page


def test_chinese_is_the_default_language(client, world):
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-Hans">' in page and "登录" in page


def test_language_switch_refuses_an_offsite_next(client, world):
    response = client.post("/language", data={"locale": "en", "next": "//evil.example/x"})
    assert response.headers["Location"] == "/"


def test_login_refuses_an_offsite_next(client, world):
    response = client.post(
        "/login?next=https://evil.example/",
        data={"username": "sales", "password": PASSWORD},
    )
    assert response.headers["Location"] == "/"


def test_redis_limiter_shares_the_count_between_app_servers(database_url, world):
    """With REDIS_URL the failure count is shared by every worker (two apps here)."""
    import redis as redis_lib

    try:
        redis_lib.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping()
    except redis_lib.RedisError as exc:
        from tests.conftest import IN_CI

        if IN_CI:
            pytest.fail(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
        pytest.skip(f"Redis at 127.0.0.1:6379 is not reachable: {exc}")
    redis_lib.Redis(host="127.0.0.1", port=6379).flushdb()
    config = {**base_config(database_url), "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    first = create_app(config)
    first.test_client_class = CsrfClient
    limit = int(first.config["LOGIN_LIMIT_ACCOUNT"].split()[0])
    with first.app_context():
        c1 = first.test_client()
        for _ in range(limit):
            assert c1.login("sales", "guess").status_code == 401
    second = create_app(config)
    second.test_client_class = CsrfClient
    with second.app_context():
        assert second.test_client().login("sales", "guess").status_code == 429
        db.session.remove()
        db.engine.dispose()
    redis_lib.Redis(host="127.0.0.1", port=6379).flushdb()
    assert Role.SALESPERSON in world.users["salesperson"].roles
