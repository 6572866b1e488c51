"""The catalogue's forms refuse control characters at input: a model, an SFX or a colour
whose text holds one answers 422 with the message next to the field, and nothing is saved."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.catalog.test_views import colour_form, model_form, sfx_form
from tests.conftest import field_errors
from tests.helpers import HX
from tests.test_input_rules import CONTROL_CHARACTERS, refused_message
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db


@pytest.fixture
def admin_client(client, staff):
    staff("admin")
    client.login("admin")
    return client


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@CONTROL_CHARACTERS
def test_a_model_name_with_a_control_character_is_refused(admin_client, corolla, bad):
    before = count(VehicleModel)
    form = model_form(name_zh=f"皇冠{bad}", fab=f"{bad}旗舰", code=f"CROWN{bad}")
    response = admin_client.post("/catalog/new", data=form, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["name_zh"] == errors["fab"] == errors["code"] == refused_message()
    assert count(VehicleModel) == before
    edit = admin_client.post(f"/catalog/{corolla.id}/edit", data=model_form(name_en=f"{bad}X"))
    assert edit.status_code == 422
    db.session.expire_all()
    assert db.session.get(VehicleModel, corolla.id).name_en == "Corolla"


@CONTROL_CHARACTERS
def test_an_sfx_or_colour_with_a_control_character_is_refused(admin_client, corolla, bad):
    sfx_before, colours_before = count(Sfx), count(Colour)
    response = admin_client.post(
        f"/catalog/{corolla.id}/sfx/new", data=sfx_form(grade=f"精英版{bad}"), headers=HX
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["grade"] == refused_message()
    response = admin_client.post(
        f"/catalog/{corolla.id}/colours/new", data=colour_form(name_zh=f"白{bad}"), headers=HX
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["name_zh"] == refused_message()
    assert (count(Sfx), count(Colour)) == (sfx_before, colours_before)
