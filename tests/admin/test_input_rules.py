"""The admin forms refuse control characters at input: an account, a store or the grade
rules holding one answer 422 with the message next to the field, and nothing is saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.admin.test_views import rules_form, user_form
from tests.conftest import field_errors
from tests.helpers import HX
from tests.test_input_rules import CONTROL_CHARACTERS, refused_message
from webapp.auth.models import User
from webapp.customers.models import GradeRule
from webapp.extensions import db
from webapp.org.models import Store


@pytest.fixture
def admin_client(client, world):
    client.login("admin")
    return client


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@CONTROL_CHARACTERS
def test_an_account_with_a_control_character_is_refused(admin_client, world, bad):
    before = count(User)
    form = user_form(world, username=f"newbie{bad}", display_name=f"{bad}新人")
    response = admin_client.post("/admin/users/new", data=form, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["username"] == errors["display_name"] == refused_message()
    assert count(User) == before
    target = world.users["colleague"]
    data = {"display_name": f"同事{bad}", "store_id": str(world.store_a.id), "roles": "salesperson"}
    response = admin_client.post(f"/admin/users/{target.id}/edit", data=data, headers=HX)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["display_name"] == refused_message()
    db.session.expire_all()
    assert db.session.get(User, target.id).display_name == target.display_name


def test_a_store_id_too_large_for_the_database_is_refused_next_to_the_field(admin_client, world):
    form = user_form(world, store_id="99999999999999999999")
    response = admin_client.post("/admin/users/new", data=form, headers=HX)
    assert response.status_code == 422
    assert "store_id" in field_errors(response.get_data(as_text=True))


@CONTROL_CHARACTERS
def test_a_store_or_grade_rule_with_a_control_character_is_refused(admin_client, world, bad):
    store = world.store_a
    data = {"code": store.code, "name": f"A店{bad}", "city": f"{bad}天津", "active": "1"}
    response = admin_client.post(f"/admin/stores/{store.id}/edit", data=data, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["name"] == errors["city"] == refused_message()
    db.session.expire_all()
    assert db.session.get(Store, store.id).name == "A店"
    # A leading vertical tab would otherwise be stripped and the number taken.
    rules = rules_form(purchase_H=f"{bad}5")
    response = admin_client.post(f"/admin/stores/{store.id}/grade-rules", data=rules, headers=HX)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["purchase_H"] == refused_message()
    assert count(GradeRule) == 0
