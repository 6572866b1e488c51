"""Admin rules: accounts, stores and grade rules within the admin's reach."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import PASSWORD
from webapp.admin import services
from webapp.auth import services as auth
from webapp.auth.models import Role, User, UserSession
from webapp.customers.models import GradeRule
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.org.models import DealerGroup, Store

NEW_PASSWORD = "a-brand-new-secret"


def new_user_data(world, **overrides):
    data = {
        "username": "  New.Sales ",
        "display_name": "新员工",
        "store_id": str(world.store_a.id),
        "roles": ["salesperson"],
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def edit_data(user, **overrides):
    data = {
        "display_name": user.display_name,
        "store_id": str(user.store_id),
        "roles": sorted(r.value for r in user.roles),
    }
    data.update(overrides)
    return data


def user_count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(User))


def open_sessions(user):
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
    )


# Users


def test_store_admin_lists_only_their_stores_users(world):
    names = {u.username for u in services.list_users(world.users["admin"])}
    assert "sales" in names and "admin" in names
    assert "bsales" not in names and "bmanager" not in names


def test_group_admin_lists_the_users_of_every_group_store(world, group_admin):
    names = {u.username for u in services.list_users(group_admin)}
    assert {"sales", "bsales", "bmanager"} <= names


def test_user_list_filters_by_role_status_and_store(world, group_admin):
    world.users["colleague"].active = False
    db.session.commit()
    sellers = services.list_users(group_admin, role="salesperson", active=True)
    assert {u.username for u in sellers} == {"sales", "bsales"}
    disabled = services.list_users(group_admin, active=False)
    assert [u.username for u in disabled] == ["colleague"]
    in_b = services.list_users(group_admin, store_id=world.store_b.id)
    assert {u.username for u in in_b} == {"bsales", "bmanager"}


@pytest.mark.parametrize("role", ["sales_manager", "salesperson", "greeter", "finance"])
def test_non_admins_are_refused_every_admin_service(world, role):
    actor = world.users[role]
    target = world.users["colleague"]
    calls = [
        lambda: services.list_users(actor),
        lambda: services.create_user(actor, new_user_data(world)),
        lambda: services.update_user(actor, target.id, edit_data(target)),
        lambda: services.set_user_active(actor, target.id, False),
        lambda: services.reset_password(actor, target.id, NEW_PASSWORD, NEW_PASSWORD),
        lambda: services.list_stores(actor),
        lambda: services.update_store(actor, world.store_a.id, {}),
        lambda: services.save_grade_rules(actor, world.store_a.id, {}),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert target.active


def test_admin_creates_an_account_that_can_log_in(world):
    user = services.create_user(
        world.users["admin"], new_user_data(world, roles=["salesperson", "greeter"])
    )
    assert user.username == "new.sales"
    assert user.roles == {Role.SALESPERSON, Role.GREETER}
    assert user.store_id == world.store_a.id
    assert not user.group_admin
    assert auth.authenticate("NEW.SALES", NEW_PASSWORD) is not None


def test_duplicate_username_is_refused_whatever_the_case(world):
    with pytest.raises(ValidationError) as exc:
        services.create_user(world.users["admin"], new_user_data(world, username=" Sales "))
    assert set(exc.value.errors) == {"username"}


@pytest.mark.parametrize(
    ("field", "value", "error_field"),
    [
        ("username", "", "username"),
        ("username", "has space", "username"),
        ("username", "ab", "username"),
        ("display_name", " ", "display_name"),
        ("display_name", "名" * 51, "display_name"),
        ("store_id", "", "store_id"),
        ("store_id", "999999", "store_id"),
        ("roles", [], "roles"),
        ("roles", ["king"], "roles"),
        ("password", "short", "password"),
        ("confirm", "something-else", "confirm"),
    ],
)
def test_bad_account_input_names_the_field_and_saves_nothing(world, field, value, error_field):
    before = user_count()
    with pytest.raises(ValidationError) as exc:
        services.create_user(world.users["admin"], new_user_data(world, **{field: value}))
    assert error_field in exc.value.errors
    assert user_count() == before


def test_store_admin_cannot_create_an_account_in_another_store(world):
    data = new_user_data(world, store_id=str(world.store_b.id))
    with pytest.raises(ValidationError) as exc:
        services.create_user(world.users["admin"], data)
    assert "store_id" in exc.value.errors


def test_group_admin_creates_accounts_in_any_group_store(world, group_admin):
    user = services.create_user(group_admin, new_user_data(world, store_id=world.store_b.id))
    assert user.store_id == world.store_b.id


def test_group_admin_flag_is_ignored_from_a_store_admin(world):
    data = new_user_data(world, roles=["admin"], group_admin="1")
    user = services.create_user(world.users["admin"], data)
    assert not user.group_admin


def test_group_admin_may_grant_group_admin(world, group_admin):
    data = new_user_data(world, roles=["admin"], group_admin="1")
    assert services.create_user(group_admin, data).group_admin


def test_admin_edits_name_roles_and_store(world, group_admin):
    target = world.users["colleague"]
    data = edit_data(
        target,
        display_name="改名",
        roles=["sales_manager", "salesperson"],
        store_id=str(world.store_b.id),
    )
    services.update_user(group_admin, target.id, data)
    db.session.expire_all()
    target = db.session.get(User, target.id)
    assert target.display_name == "改名"
    assert target.roles == {Role.SALES_MANAGER, Role.SALESPERSON}
    assert target.store_id == world.store_b.id


def test_editing_keeps_a_role_that_stays_and_drops_the_others(world):
    target = world.users["colleague"]
    services.update_user(
        world.users["admin"], target.id, edit_data(target, roles=["salesperson", "greeter"])
    )
    services.update_user(world.users["admin"], target.id, edit_data(target, roles=["greeter"]))
    db.session.expire_all()
    assert db.session.get(User, target.id).roles == {Role.GREETER}


def test_admin_cannot_remove_their_own_admin_role(world):
    admin = world.users["admin"]
    with pytest.raises(ValidationError) as exc:
        services.update_user(admin, admin.id, edit_data(admin, roles=["sales_manager"]))
    assert set(exc.value.errors) == {"roles"}
    db.session.expire_all()
    assert Role.ADMIN in db.session.get(User, admin.id).roles


def test_store_admin_cannot_edit_a_user_of_another_store(world):
    other = world.users["other_salesperson"]
    with pytest.raises(NotFound):
        services.update_user(world.users["admin"], other.id, edit_data(other, display_name="x"))
    with pytest.raises(NotFound):
        services.set_user_active(world.users["admin"], other.id, False)
    with pytest.raises(NotFound):
        services.reset_password(world.users["admin"], other.id, NEW_PASSWORD, NEW_PASSWORD)
    db.session.expire_all()
    other = db.session.get(User, other.id)
    assert other.active and other.display_name != "x"


def test_smuggled_group_admin_flag_from_a_store_admin_is_ignored_on_edit(world):
    target = world.users["colleague"]
    services.update_user(
        world.users["admin"], target.id, edit_data(target, roles=["admin"], group_admin="1")
    )
    db.session.expire_all()
    assert not db.session.get(User, target.id).group_admin


def test_store_admin_cannot_take_over_a_group_admin_of_their_store(world, group_admin):
    admin = world.users["admin"]
    with pytest.raises(PermissionDenied):
        services.reset_password(admin, group_admin.id, NEW_PASSWORD, NEW_PASSWORD)
    with pytest.raises(PermissionDenied):
        services.set_user_active(admin, group_admin.id, False)


def test_disabling_a_user_ends_all_of_their_sessions(world):
    target = world.users["colleague"]
    auth.start_session(target)
    auth.start_session(target)
    services.set_user_active(world.users["admin"], target.id, False)
    assert open_sessions(target) == 0
    assert auth.authenticate("colleague", PASSWORD) is None


def test_enabling_a_user_lets_them_log_in_again(world):
    target = world.users["colleague"]
    services.set_user_active(world.users["admin"], target.id, False)
    services.set_user_active(world.users["admin"], target.id, True)
    assert auth.authenticate("colleague", PASSWORD) is not None


def test_admin_cannot_disable_themself(world):
    admin = world.users["admin"]
    with pytest.raises(ValidationError) as exc:
        services.set_user_active(admin, admin.id, False)
    assert set(exc.value.errors) == {"active"}
    assert db.session.get(User, admin.id).active


def test_password_reset_sets_the_new_password_and_ends_sessions(world):
    target = world.users["colleague"]
    auth.start_session(target)
    services.reset_password(world.users["admin"], target.id, NEW_PASSWORD, NEW_PASSWORD)
    assert open_sessions(target) == 0
    assert auth.authenticate("colleague", PASSWORD) is None
    assert auth.authenticate("colleague", NEW_PASSWORD) is not None


@pytest.mark.parametrize(
    ("password", "confirm", "field"),
    [("short", "short", "password"), (NEW_PASSWORD, "different-secret", "confirm")],
)
def test_weak_or_unconfirmed_reset_password_is_refused(world, password, confirm, field):
    target = world.users["colleague"]
    with pytest.raises(ValidationError) as exc:
        services.reset_password(world.users["admin"], target.id, password, confirm)
    assert field in exc.value.errors
    assert auth.authenticate("colleague", PASSWORD) is not None


def test_admin_resets_their_own_password_on_the_password_page_only(world):
    admin = world.users["admin"]
    with pytest.raises(ValidationError) as exc:
        services.reset_password(admin, admin.id, NEW_PASSWORD, NEW_PASSWORD)
    assert "password" in exc.value.errors


# Stores


def test_store_admin_sees_only_their_store(world):
    assert [s.id for s in services.list_stores(world.users["admin"])] == [world.store_a.id]
    with pytest.raises(NotFound):
        services.get_store(world.users["admin"], world.store_b.id)


def test_group_admin_sees_every_store_of_the_group(world, group_admin, make_store):
    outsider = make_store("集团外")
    ids = {s.id for s in services.list_stores(group_admin)}
    assert ids == {world.store_a.id, world.store_b.id}
    with pytest.raises(NotFound):
        services.get_store(group_admin, outsider.id)


def store_data(store_or_none=None, **overrides):
    data = {"code": "ft-new1", "name": "新店", "city": "长春", "active": "1", "group_id": ""}
    if store_or_none is not None:
        data.update(
            code=store_or_none.code,
            name=store_or_none.name,
            city=store_or_none.city,
            active="1" if store_or_none.active else "",
            group_id=str(store_or_none.group_id or ""),
        )
    data.update(overrides)
    return data


def test_group_admin_creates_a_store_in_their_group(world, group_admin):
    group_id = world.store_a.group_id
    store = services.create_store(group_admin, store_data(group_id=str(group_id)))
    assert store.code == "FT-NEW1"
    assert store.group_id == group_id
    assert store.active


def test_store_admin_cannot_create_stores(world):
    with pytest.raises(PermissionDenied):
        services.create_store(world.users["admin"], store_data())


def test_store_in_another_group_is_refused(world, group_admin):
    other = DealerGroup(name="别的集团")
    db.session.add(other)
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        services.create_store(group_admin, store_data(group_id=str(other.id)))
    assert "group_id" in exc.value.errors
    assert db.session.scalar(sa.select(Store).where(Store.code == "FT-NEW1")) is None


@pytest.mark.parametrize(
    ("field", "value"),
    [("code", ""), ("code", "S002"), ("code", "带空格 X"), ("name", ""), ("city", "城" * 51)],
)
def test_bad_store_input_names_the_field_and_saves_nothing(world, field, value):
    store = world.store_a
    with pytest.raises(ValidationError) as exc:
        services.update_store(world.users["admin"], store.id, store_data(store, **{field: value}))
    assert field in exc.value.errors
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "A店"


def test_store_admin_edits_their_store_and_a_smuggled_group_is_ignored(world):
    store = world.store_a
    other = DealerGroup(name="别的集团")
    db.session.add(other)
    db.session.commit()
    data = store_data(store, name="A店（新）", city="天津滨海", active="", group_id=str(other.id))
    services.update_store(world.users["admin"], store.id, data)
    db.session.expire_all()
    store = db.session.get(Store, store.id)
    assert (store.name, store.city, store.active) == ("A店（新）", "天津滨海", False)
    assert store.group_id == world.store_b.group_id


def test_store_admin_cannot_edit_another_store(world):
    with pytest.raises(NotFound):
        services.update_store(world.users["admin"], world.store_b.id, store_data(world.store_b))


# Grade rules


def rules_data(**overrides):
    data = {
        "purchase_H": "5",
        "follow_up_H": "1",
        "purchase_A": "14",
        "follow_up_A": "3",
        "purchase_B": "30",
        "follow_up_B": "5",
        "purchase_C": "60",
        "follow_up_C": "10",
    }
    data.update(overrides)
    return data


def stored_rules(store):
    rows = db.session.scalars(sa.select(GradeRule).where(GradeRule.store_id == store.id))
    return {r.grade: (r.purchase_within_days, r.follow_up_days) for r in rows}


def test_grade_rules_start_from_the_defaults(world):
    values = services.store_grade_rules(world.users["admin"], world.store_a.id)
    assert values["purchase_H"] == "7" and values["follow_up_H"] == "2"
    assert values["purchase_C"] == "90" and values["follow_up_C"] == "14"


def test_admin_saves_all_four_grade_rules_and_can_change_them_again(world):
    admin = world.users["admin"]
    services.save_grade_rules(admin, world.store_a.id, rules_data())
    services.save_grade_rules(admin, world.store_a.id, rules_data(follow_up_B="6"))
    assert stored_rules(world.store_a) == {
        "H": (5, 1),
        "A": (14, 3),
        "B": (30, 6),
        "C": (60, 10),
    }
    assert services.store_grade_rules(admin, world.store_a.id)["follow_up_B"] == "6"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("purchase_H", "0"),
        ("purchase_A", "-3"),
        ("follow_up_B", "2.5"),
        ("follow_up_C", ""),
        ("purchase_C", "abc"),
        ("purchase_B", "366"),
        ("follow_up_H", "6"),  # longer than the purchase window of 5 days
    ],
)
def test_bad_grade_rule_names_the_field_and_saves_nothing(world, field, value):
    with pytest.raises(ValidationError) as exc:
        services.save_grade_rules(
            world.users["admin"], world.store_a.id, rules_data(**{field: value})
        )
    assert field in exc.value.errors
    assert stored_rules(world.store_a) == {}


def test_grade_rules_of_another_store_are_not_found(world):
    with pytest.raises(NotFound):
        services.save_grade_rules(world.users["admin"], world.store_b.id, rules_data())
    assert stored_rules(world.store_b) == {}
