"""Catalogue rules: national line-up visible to all, edited by admins, validated per field."""

from __future__ import annotations

from decimal import Decimal

import pytest
import sqlalchemy as sa

from webapp.catalog import services
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db


@pytest.fixture
def retired(app):
    model = VehicleModel(code="VIOS", name_zh="威驰", name_en="Vios", active=False, sort_order=9)
    db.session.add(model)
    db.session.commit()
    return model


def model_data(**overrides):
    data = {
        "code": "rav4",
        "name_zh": "荣放",
        "name_en": "RAV4",
        "body_type": "suv",
        "fab": "全球畅销SUV",
        "active": "1",
        "sort_order": "3",
    }
    data.update(overrides)
    return data


def sfx_data(**overrides):
    data = {
        "code": "axah54-e",
        "grade": "2.5L 双擎 四驱 精英版",
        "engine": "2.5L 混动",
        "drivetrain": "4WD",
        "new_energy": "",
        "msrp": "229,800",
        "fab": "E-Four",
        "active": "1",
    }
    data.update(overrides)
    return data


def count(model):
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_staff_see_active_models_and_admins_also_inactive_ones(staff, corolla, retired):
    assert [m.code for m in services.list_models(staff("salesperson"))] == ["COROLLA"]
    assert [m.code for m in services.list_models(staff("admin"))] == ["COROLLA", "VIOS"]


def test_model_list_filters_by_body_type(staff, corolla):
    assert services.list_models(staff("greeter"), "suv") == []
    assert len(services.list_models(staff("greeter"), "sedan")) == 1
    assert len(services.list_models(staff("greeter"), "boat")) == 1  # unknown: ignored


def test_inactive_model_and_sfx_are_hidden_from_staff(staff, corolla, retired):
    with pytest.raises(NotFound):
        services.get_model(staff("salesperson"), retired.id)
    assert services.get_model(staff("admin"), retired.id) is retired
    staff_sfx = services.visible_sfx(staff("salesperson"), corolla)
    assert [s.code for s in staff_sfx] == ["ZRE211-E"]
    assert len(services.visible_sfx(staff("admin"), corolla)) == 2


def test_a_greeter_is_not_shown_prices_other_roles_are(staff):
    assert not services.can_see_prices(staff("greeter"))
    for role in ("salesperson", "sales_manager", "finance", "admin"):
        assert services.can_see_prices(staff(role))


@pytest.mark.parametrize("role", ["salesperson", "sales_manager", "greeter"])
def test_non_admins_cannot_change_the_catalogue(staff, corolla, role):
    actor = staff(role)
    sfx, colour = corolla.sfx[0], corolla.colours[0]
    calls = [
        lambda: services.create_model(actor, model_data()),
        lambda: services.update_model(actor, corolla.id, model_data()),
        lambda: services.create_sfx(actor, corolla.id, sfx_data()),
        lambda: services.update_sfx(actor, corolla.id, sfx.id, sfx_data()),
        lambda: services.create_colour(actor, corolla.id, {}),
        lambda: services.update_colour(actor, corolla.id, colour.id, {}),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert count(VehicleModel) == 1


def test_admin_adds_a_model_with_normalised_code(staff):
    model = services.create_model(staff("admin"), model_data())
    assert (model.code, model.name_zh, model.body_type, model.sort_order) == (
        "RAV4",
        "荣放",
        "suv",
        3,
    )
    assert model.active


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("code", ""),
        ("code", "corolla"),  # taken (case-insensitively)
        ("code", "BAD CODE"),
        ("name_zh", ""),
        ("name_en", " "),
        ("body_type", "boat"),
        ("fab", "好" * 201),
        ("sort_order", "first"),
        ("sort_order", "-1"),
    ],
)
def test_bad_model_input_names_the_field_and_saves_nothing(staff, corolla, field, value):
    with pytest.raises(ValidationError) as exc:
        services.create_model(staff("admin"), model_data(**{field: value}))
    assert field in exc.value.errors
    assert count(VehicleModel) == 1


def test_fab_of_exactly_200_characters_is_accepted(staff):
    model = services.create_model(staff("admin"), model_data(fab="好" * 200))
    assert len(model.fab) == 200


def test_admin_edits_a_model_and_may_keep_its_code(staff, corolla):
    data = model_data(code="corolla", name_en="Corolla Sedan", active="")
    services.update_model(staff("admin"), corolla.id, data)
    db.session.expire_all()
    model = db.session.get(VehicleModel, corolla.id)
    assert (model.code, model.name_en, model.active) == ("COROLLA", "Corolla Sedan", False)


def test_admin_adds_an_sfx_with_its_price_in_yuan(staff, corolla):
    sfx = services.create_sfx(staff("admin"), corolla.id, sfx_data(new_energy="1"))
    assert sfx.code == "AXAH54-E"
    assert sfx.msrp == Decimal("229800.00")
    assert sfx.new_energy and sfx.active
    assert sfx.model_id == corolla.id


@pytest.mark.parametrize("msrp", ["10000000", "0.01", "¥125,800.50", "99999.9"])
def test_prices_within_the_range_are_accepted(staff, corolla, msrp):
    sfx = services.create_sfx(staff("admin"), corolla.id, sfx_data(msrp=msrp))
    assert Decimal("0") < sfx.msrp <= Decimal("10000000")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("msrp", ""),
        ("msrp", "0"),
        ("msrp", "-1"),
        ("msrp", "10000000.01"),
        ("msrp", "12.345"),
        ("msrp", "lots"),
        ("msrp", "NaN"),
        ("msrp", "Infinity"),
        ("code", "ZRE211-E"),  # taken within this model
        ("code", ""),
        ("grade", ""),
        ("engine", ""),
        ("drivetrain", "AWD-X"),
        ("fab", "x" * 201),
    ],
)
def test_bad_sfx_input_names_the_field_and_saves_nothing(staff, corolla, field, value):
    with pytest.raises(ValidationError) as exc:
        services.create_sfx(staff("admin"), corolla.id, sfx_data(**{field: value}))
    assert field in exc.value.errors
    assert count(Sfx) == 2


def test_sfx_code_may_repeat_in_another_model(staff, corolla):
    other = services.create_model(staff("admin"), model_data())
    sfx = services.create_sfx(staff("admin"), other.id, sfx_data(code="ZRE211-E"))
    assert sfx.code == "ZRE211-E"


def test_admin_edits_an_sfx_keeping_its_code(staff, corolla):
    sfx = corolla.sfx[0]
    data = sfx_data(code=sfx.code, msrp="119800", active="")
    services.update_sfx(staff("admin"), corolla.id, sfx.id, data)
    db.session.expire_all()
    sfx = db.session.get(Sfx, sfx.id)
    assert sfx.msrp == Decimal("119800.00")
    assert not sfx.active


def test_sfx_or_colour_of_another_model_is_not_found(staff, corolla, retired):
    admin = staff("admin")
    with pytest.raises(NotFound):
        services.update_sfx(admin, retired.id, corolla.sfx[0].id, sfx_data())
    with pytest.raises(NotFound):
        services.update_colour(admin, retired.id, corolla.colours[0].id, {})
    with pytest.raises(NotFound):
        services.create_sfx(admin, 999999, sfx_data())


def test_admin_adds_a_colour_with_a_normalised_hex(staff, corolla):
    data = {"name_zh": "铂金珍珠白", "name_en": "Platinum White Pearl", "hex": "F4F4EF"}
    colour = services.create_colour(staff("admin"), corolla.id, data)
    assert colour.hex == "#f4f4ef"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hex", "red"),
        ("hex", "#12345"),
        ("hex", "#gggggg"),
        ("hex", "#1234567"),
        ("hex", '#fff"/><script>'),
        ("name_zh", ""),
        ("name_en", "x" * 31),
    ],
)
def test_bad_colour_input_names_the_field_and_saves_nothing(staff, corolla, field, value):
    data = {"name_zh": "深红云母", "name_en": "Emotional Red", "hex": "#9e1b2f"}
    data[field] = value
    with pytest.raises(ValidationError) as exc:
        services.create_colour(staff("admin"), corolla.id, data)
    assert field in exc.value.errors
    assert count(Colour) == 1


def test_admin_edits_a_colour(staff, corolla):
    colour = corolla.colours[0]
    data = {"name_zh": "黑", "name_en": "Black", "hex": "#000000"}
    services.update_colour(staff("admin"), corolla.id, colour.id, data)
    db.session.expire_all()
    assert db.session.get(Colour, colour.id).hex == "#000000"
