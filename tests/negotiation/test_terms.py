"""A store's sales terms: the defaults until the admin saves, only the admin saves, every
value is checked (nothing saved on a bad one), and the admin's page shows errors next to the
fields with 422."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import field_errors
from tests.helpers import assert_fragment, assert_full_page
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.negotiation import terms
from webapp.negotiation.contract_models import SalesTerms


def terms_form(**overrides: str) -> dict[str, str]:
    data = {
        "plate_fee": "600",
        "inspection_fee": "350.50",
        "service_fee": "1200",
        "compulsory_insurance": "950",
        "commercial_base": "1800",
        "commercial_rate_percent": "2.5",
        "discount_threshold": "10000",
        "default_deposit": "3000",
        "address": "天津市河西区友谊路 88 号",
        "phone": "022-88886666",
    }
    data.update(overrides)
    return data


def test_a_store_without_saved_terms_gets_the_defaults_unsaved(world):
    row = terms.terms_for(world.store_a.id)
    assert row.plate_fee == Decimal(500) and row.discount_threshold == Decimal(8000)
    assert row.commercial_rate_percent == Decimal(2) and row.address == ""
    assert row not in db.session
    assert db.session.get(SalesTerms, world.store_a.id) is None


def test_the_admin_saves_the_terms_of_their_own_store(world):
    admin = world.users["admin"]
    terms.update_terms(admin, terms_form())
    db.session.expire_all()
    saved = terms.terms_for(world.store_a.id)
    assert saved.inspection_fee == Decimal("350.50")
    assert saved.commercial_rate_percent == Decimal("2.5")
    assert saved.phone == "022-88886666" and saved.updated_by_id == admin.id
    assert db.session.get(SalesTerms, world.store_b.id) is None
    terms.update_terms(admin, terms_form(plate_fee="700"))
    assert terms.terms_for(world.store_a.id).plate_fee == Decimal(700)


@pytest.mark.parametrize(
    "role", ["salesperson", "sales_manager", "greeter", "finance", "service_advisor"]
)
def test_only_the_admin_changes_the_terms(world, role):
    with pytest.raises(PermissionDenied):
        terms.update_terms(world.users[role], terms_form())
    assert db.session.get(SalesTerms, world.store_a.id) is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("plate_fee", "-1", "金额不能为负数。"),
        ("service_fee", "12.345", "金额请精确到分：最多两位小数。"),
        ("default_deposit", "lots", "请输入金额（元），例如 150000。"),
        ("discount_threshold", "", "请输入金额（元），例如 150000。"),
        ("commercial_rate_percent", "100.5", None),
        ("commercial_rate_percent", "-1", None),
        ("address", "路" * 101, None),
        ("phone", "1" * 31, None),
        ("address", "友谊路\x00", None),
    ],
)
def test_a_bad_value_is_refused_and_nothing_is_saved(world, field, value, message):
    """The messages are in the default language, Chinese."""
    with pytest.raises(ValidationError) as exc:
        terms.update_terms(world.users["admin"], terms_form(**{field: value}))
    assert list(exc.value.errors) == [field]
    if message:
        assert exc.value.errors[field] == message
    db.session.rollback()
    assert db.session.get(SalesTerms, world.store_a.id) is None


def test_the_terms_page_is_the_admins(client, world):
    client.login("admin")
    html = assert_full_page(client.get("/negotiation/terms"))
    assert 'name="plate_fee"' in html and 'value="500' in html
    client.post("/logout")
    client.login("manager")
    assert client.get("/negotiation/terms").status_code == 403
    assert client.post("/negotiation/terms", data=terms_form()).status_code == 403


def test_the_terms_form_as_a_fragment(client, world):
    client.login("admin")
    response = client.get(
        "/negotiation/terms", headers={"HX-Request": "true", "HX-Target": "terms-form"}
    )
    assert_fragment(response, "terms-form")


def test_saving_a_negative_fee_shows_the_message_next_to_it_with_422(client, world):
    client.login("admin")
    response = client.post(
        "/negotiation/terms",
        data=terms_form(plate_fee="-500"),
        headers={"HX-Request": "true", "HX-Target": "terms-form"},
    )
    html = assert_fragment(response, "terms-form", status=422)
    assert field_errors(html) == {"plate_fee": "金额不能为负数。"}
    assert db.session.get(SalesTerms, world.store_a.id) is None


def test_saving_good_terms_redirects_back(client, world):
    client.login("admin")
    response = client.post("/negotiation/terms", data=terms_form())
    assert response.status_code == 303
    assert db.session.get(SalesTerms, world.store_a.id).plate_fee == Decimal(600)
