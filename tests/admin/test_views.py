"""Admin screens: full pages, htmx fragments, 422 forms with messages next to fields."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import BOOSTED, HX, assert_fragment, assert_full_page
from webapp.auth import services as auth
from webapp.auth.models import Role, User
from webapp.customers.models import GradeRule
from webapp.extensions import db
from webapp.org.models import Store

NEW_PASSWORD = "a-brand-new-secret"


@pytest.fixture
def admin_client(client, world):
    client.login("admin")
    return client


def user_form(world, **overrides):
    data = {
        "username": "newbie",
        "display_name": "新人",
        "store_id": str(world.store_a.id),
        "roles": ["salesperson"],
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def find_user(username):
    return db.session.scalar(sa.select(User).where(User.username == username))


# Pages and fragments of every GET endpoint


def get_urls(world):
    colleague = world.users["colleague"].id
    return {
        "/admin/users": "user-list",
        "/admin/users?role=salesperson&active=1": "user-list",
        "/admin/users/new": "user-form",
        f"/admin/users/{colleague}/edit": "user-form",
        "/admin/stores": "store-list",
        "/admin/stores/new": "store-form",
        f"/admin/stores/{world.store_a.id}/edit": "store-form",
    }


def test_every_admin_page_renders_in_full_for_a_group_admin(client, world, group_admin):
    client.login("gadmin")
    for url in get_urls(world):
        assert_full_page(client.get(url))


def test_every_admin_page_serves_its_block_to_htmx_and_the_page_when_boosted(
    client, world, group_admin
):
    client.login("gadmin")
    for url, element_id in get_urls(world).items():
        assert_fragment(client.get(url, headers=HX), element_id)
        assert "<html" in client.get(url, headers=BOOSTED).get_data(as_text=True)


@pytest.mark.parametrize("username", ["sales", "manager", "greeter"])
def test_non_admins_get_403_on_admin_pages(client, world, username):
    client.login(username)
    for url in get_urls(world):
        assert client.get(url).status_code == 403


def test_admins_home_page_is_the_user_list(admin_client):
    response = admin_client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users")


def test_user_list_shows_only_the_admins_store(admin_client):
    html = assert_full_page(admin_client.get("/admin/users"))
    assert "colleague" in html
    assert "bsales" not in html


def test_user_list_filter_fragment_lists_only_matching_users(admin_client):
    html = assert_fragment(admin_client.get("/admin/users?role=greeter", headers=HX), "user-list")
    assert "greeter" in html
    assert "colleague" not in html


# Accounts


def test_admin_creates_an_account_and_is_sent_to_the_list(admin_client, world):
    response = admin_client.post("/admin/users/new", data=user_form(world))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/admin/users")
    user = find_user("newbie")
    assert user.roles == {Role.SALESPERSON}


def test_htmx_create_answers_with_hx_location(admin_client, world):
    response = admin_client.post("/admin/users/new", data=user_form(world), headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Location"].endswith("/admin/users")


def test_duplicate_username_comes_back_422_next_to_the_field(admin_client, world):
    response = admin_client.post("/admin/users/new", data=user_form(world, username="Sales"))
    html = assert_full_page(response, 422)
    assert "username" in field_errors(html)
    assert find_user("newbie") is None


def test_bad_account_form_as_htmx_returns_the_form_fragment_with_errors(admin_client, world):
    data = user_form(world, roles=[], password="short", confirm="short")
    html = assert_fragment(
        admin_client.post("/admin/users/new", data=data, headers=HX), "user-form", 422
    )
    assert {"roles", "password"} <= set(field_errors(html))
    assert "short" not in re.findall(r'value="([^"]*)"', html)
    assert find_user("newbie") is None


def test_smuggled_unreachable_store_is_an_error_not_a_move(admin_client, world):
    data = user_form(world, store_id=str(world.store_b.id))
    html = assert_full_page(admin_client.post("/admin/users/new", data=data), 422)
    assert "store_id" in field_errors(html)


def test_admin_edits_an_account(admin_client, world):
    target = world.users["colleague"]
    data = {"display_name": "新名字", "store_id": world.store_a.id, "roles": ["sales_manager"]}
    response = admin_client.post(f"/admin/users/{target.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    target = db.session.get(User, target.id)
    assert target.display_name == "新名字"
    assert target.roles == {Role.SALES_MANAGER}


def test_removing_ones_own_admin_role_is_refused_next_to_the_roles(admin_client, world):
    admin = world.users["admin"]
    data = {"display_name": admin.display_name, "store_id": admin.store_id, "roles": ["finance"]}
    response = admin_client.post(f"/admin/users/{admin.id}/edit", data=data)
    html = assert_full_page(response, 422)
    assert "roles" in field_errors(html)
    db.session.expire_all()
    assert Role.ADMIN in db.session.get(User, admin.id).roles


def test_edit_fragment_with_errors_is_only_the_form(admin_client, world):
    target = world.users["colleague"]
    data = {"display_name": "", "store_id": target.store_id, "roles": ["salesperson"]}
    html = assert_fragment(
        admin_client.post(f"/admin/users/{target.id}/edit", data=data, headers=HX),
        "user-form",
        422,
    )
    assert "display_name" in field_errors(html)


def test_another_stores_user_is_404_on_every_account_endpoint(admin_client, world):
    other = world.users["other_salesperson"].id
    assert admin_client.get(f"/admin/users/{other}/edit").status_code == 404
    assert admin_client.post(f"/admin/users/{other}/edit", data={}).status_code == 404
    assert admin_client.post(f"/admin/users/{other}/disable").status_code == 404
    assert admin_client.post(f"/admin/users/{other}/enable").status_code == 404
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert admin_client.post(f"/admin/users/{other}/password", data=data).status_code == 404
    assert db.session.get(User, other).active


def test_disabling_a_user_logs_them_out_at_once(app, admin_client, world):
    victim = app.test_client()
    victim.login("colleague")
    assert victim.get("/customers/").status_code == 200
    target = world.users["colleague"].id
    response = admin_client.post(f"/admin/users/{target}/disable")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/users/{target}/edit")
    after = victim.get("/customers/")
    assert after.status_code == 302
    assert "/login" in after.headers["Location"]


def test_admin_cannot_disable_themself_message_next_to_the_button(admin_client, world):
    admin = world.users["admin"].id
    html = assert_full_page(admin_client.post(f"/admin/users/{admin}/disable"), 422)
    assert "active" in field_errors(html)
    assert db.session.get(User, admin).active


def test_self_disable_as_htmx_returns_the_status_fragment(admin_client, world):
    admin = world.users["admin"].id
    html = assert_fragment(
        admin_client.post(f"/admin/users/{admin}/disable", headers=HX), "user-status", 422
    )
    assert "active" in field_errors(html)


def test_admin_enables_a_disabled_account(admin_client, world):
    target = world.users["colleague"]
    target.active = False
    db.session.commit()
    assert admin_client.post(f"/admin/users/{target.id}/enable").status_code == 303
    db.session.expire_all()
    assert db.session.get(User, target.id).active


def test_password_reset_logs_the_user_out_and_sets_the_password(app, admin_client, world):
    victim = app.test_client()
    victim.login("colleague")
    target = world.users["colleague"].id
    data = {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert admin_client.post(f"/admin/users/{target}/password", data=data).status_code == 303
    assert victim.get("/customers/").status_code == 302
    assert auth.authenticate("colleague", NEW_PASSWORD) is not None


def test_short_reset_password_comes_back_next_to_the_field(admin_client, world):
    target = world.users["colleague"].id
    data = {"password": "short", "confirm": "short"}
    html = assert_full_page(admin_client.post(f"/admin/users/{target}/password", data=data), 422)
    assert "password" in field_errors(html)


def test_reset_errors_as_htmx_return_the_reset_fragment(admin_client, world):
    target = world.users["colleague"].id
    data = {"password": NEW_PASSWORD, "confirm": "not-the-same-one"}
    html = assert_fragment(
        admin_client.post(f"/admin/users/{target}/password", data=data, headers=HX),
        "password-reset",
        422,
    )
    assert "confirm" in field_errors(html)


def test_admin_posts_without_csrf_are_rejected(admin_client, world):
    target = world.users["colleague"].id
    assert admin_client.post(f"/admin/users/{target}/disable", csrf=False).status_code == 400
    assert db.session.get(User, target).active


# Stores


def test_store_admin_sees_one_store_and_no_new_store_button(admin_client, world):
    html = assert_full_page(admin_client.get("/admin/stores"))
    assert "A店" in html and "B店" not in html
    assert "/admin/stores/new" not in html
    assert admin_client.get("/admin/stores/new").status_code == 403
    assert admin_client.get(f"/admin/stores/{world.store_b.id}/edit").status_code == 404


def test_group_admin_creates_a_store(client, world, group_admin):
    client.login("gadmin")
    data = {"code": "ft9", "name": "新店", "city": "长春", "active": "1"}
    data["group_id"] = str(world.store_a.group_id)
    response = client.post("/admin/stores/new", data=data)
    assert response.status_code == 303
    store = db.session.scalar(sa.select(Store).where(Store.code == "FT9"))
    assert store.group_id == world.store_a.group_id
    assert response.headers["Location"].endswith(f"/admin/stores/{store.id}/edit")


def test_duplicate_store_code_comes_back_next_to_the_field(client, world, group_admin):
    client.login("gadmin")
    data = {"code": world.store_b.code, "name": "新店", "group_id": world.store_a.group_id}
    html = assert_full_page(client.post("/admin/stores/new", data=data), 422)
    assert "code" in field_errors(html)
    html = assert_fragment(
        client.post("/admin/stores/new", data=data, headers=HX), "store-form", 422
    )
    assert "code" in field_errors(html)


def test_admin_edits_their_store(admin_client, world):
    store = world.store_a
    data = {"code": store.code, "name": "A店改名", "city": "天津", "active": "1"}
    response = admin_client.post(f"/admin/stores/{store.id}/edit", data=data)
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "A店改名"


def test_bad_store_edit_comes_back_422(admin_client, world):
    store = world.store_a
    data = {"code": "", "name": "", "active": "1"}
    html = assert_full_page(admin_client.post(f"/admin/stores/{store.id}/edit", data=data), 422)
    assert {"code", "name"} <= set(field_errors(html))
    html = assert_fragment(
        admin_client.post(f"/admin/stores/{store.id}/edit", data=data, headers=HX),
        "store-form",
        422,
    )
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "A店"


def rules_form(**overrides):
    data = {}
    for grade, purchase, follow_up in (("H", 5, 1), ("A", 14, 3), ("B", 30, 7), ("C", 90, 14)):
        data[f"purchase_{grade}"] = str(purchase)
        data[f"follow_up_{grade}"] = str(follow_up)
    data.update(overrides)
    return data


def rule_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(GradeRule))


def test_store_edit_page_shows_the_four_grade_rules(admin_client, world):
    html = assert_full_page(admin_client.get(f"/admin/stores/{world.store_a.id}/edit"))
    assert 'id="grade-rules"' in html
    for grade in "HABC":
        assert f'name="purchase_{grade}"' in html
        assert f'name="follow_up_{grade}"' in html


def test_saving_grade_rules_redirects_back_to_the_store(admin_client, world):
    store = world.store_a.id
    response = admin_client.post(f"/admin/stores/{store}/grade-rules", data=rules_form())
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/stores/{store}/edit")
    assert rule_count() == 4


def test_saving_grade_rules_with_htmx_returns_the_refreshed_block_and_an_event(admin_client, world):
    store = world.store_a.id
    response = admin_client.post(
        f"/admin/stores/{store}/grade-rules", data=rules_form(purchase_H="6"), headers=HX
    )
    html = assert_fragment(response, "grade-rules")
    assert response.headers["HX-Trigger"] == "grade-rules-saved"
    assert 'value="6"' in html


def test_bad_grade_rules_come_back_next_to_the_fields_and_save_nothing(admin_client, world):
    store = world.store_a.id
    data = rules_form(purchase_A="0", follow_up_B="40")
    html = assert_full_page(admin_client.post(f"/admin/stores/{store}/grade-rules", data=data), 422)
    assert {"purchase_A", "follow_up_B"} <= set(field_errors(html))
    html = assert_fragment(
        admin_client.post(f"/admin/stores/{store}/grade-rules", data=data, headers=HX),
        "grade-rules",
        422,
    )
    assert "purchase_A" in field_errors(html)
    assert rule_count() == 0


def test_grade_rules_of_another_store_are_404(admin_client, world):
    response = admin_client.post(f"/admin/stores/{world.store_b.id}/grade-rules", data=rules_form())
    assert response.status_code == 404
    assert rule_count() == 0
