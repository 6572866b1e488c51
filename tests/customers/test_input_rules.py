"""The A-C card's forms refuse what a person cannot have meant: control characters in any
field, a model or owner id no row can have, a date outside sane years. Each comes back as a
422 with the message next to its field, and nothing is saved."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from tests.conftest import field_errors
from tests.customers.test_views import new_card_form
from tests.helpers import HX
from tests.test_input_rules import CONTROL_CHARACTERS, refused_message
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.timeutil import local_today


def cards() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard))


def events(card_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(CardEvent).where(CardEvent.card_id == card_id)
    )


@CONTROL_CHARACTERS
def test_a_control_character_in_a_new_card_is_refused_next_to_its_field(client, world, bad):
    client.login("sales")
    before = cards()
    form = new_card_form(name=f"赵{bad}敏", hobbies=f"钓鱼{bad}", mobile=f"{bad}13912345678")
    response = client.post("/customers/new", data=form, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["name"] == errors["hobbies"] == errors["mobile"] == refused_message()
    assert cards() == before


def test_a_leading_vertical_tab_is_not_silently_stripped_on_edit(client, world):
    client.login("sales")
    card = world.own_card
    form = new_card_form(mobile=card.mobile, name="\x0b新名字", version=str(card.version))
    response = client.post(f"/customers/{card.id}/edit", data=form, headers=HX)
    assert response.status_code == 422
    assert "name" in field_errors(response.get_data(as_text=True))
    assert db.session.get(CustomerCard, card.id).name == card.name


def test_the_message_is_in_english_for_an_english_user(client, world):
    client.login("sales")
    client.post("/language", data={"locale": "en"})
    response = client.post("/customers/new", data=new_card_form(family="\x00"), headers=HX)
    assert field_errors(response.get_data(as_text=True))["family"] == (
        "Remove the invisible control characters from this text."
    )


def test_newlines_from_a_textarea_are_kept(client, world):
    client.login("sales")
    form = new_card_form(family="妻子\r\n两个孩子", hobbies="钓鱼\n自驾")
    assert client.post("/customers/new", data=form).status_code == 303
    card = db.session.scalar(sa.select(CustomerCard).where(CustomerCard.mobile == form["mobile"]))
    assert "两个孩子" in card.family and card.hobbies == "钓鱼\n自驾"


@CONTROL_CHARACTERS
def test_a_contact_note_with_a_control_character_is_refused(client, world, bad):
    client.login("sales")
    card = world.own_card
    before = events(card.id)
    response = client.post(
        f"/customers/{card.id}/contacts", data={"kind": "visit", "note": f"到店{bad}"}, headers=HX
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["note"] == refused_message()
    assert events(card.id) == before


@CONTROL_CHARACTERS
def test_a_lost_reason_with_a_control_character_is_refused(client, world, bad):
    client.login("sales")
    card = world.own_card
    response = client.post(
        f"/customers/{card.id}/stage",
        data={"stage": "lost", "stage_note": f"{bad}买了别家", "version": str(card.version)},
        headers=HX,
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["stage_note"] == refused_message()
    assert db.session.get(CustomerCard, card.id).stage == "prospect"


def test_a_model_id_too_large_for_the_database_is_refused_next_to_the_field(client, world):
    client.login("sales")
    before = cards()
    form = new_card_form(model_id="99999999999999999999")
    response = client.post("/customers/new", data=form, headers=HX)
    assert response.status_code == 422
    assert "model_id" in field_errors(response.get_data(as_text=True))
    assert cards() == before


def test_an_owner_id_too_large_for_the_database_is_refused_next_to_the_field(client, world):
    client.login("manager")
    form = new_card_form(owner_id=str(2**31))
    response = client.post("/customers/new", data=form, headers=HX)
    assert response.status_code == 422
    assert "owner_id" in field_errors(response.get_data(as_text=True))


def test_a_planned_date_beyond_sane_years_is_refused_next_to_the_field(client, world):
    client.login("sales")
    for day in ("9999-12-31", "2026-02-30"):
        response = client.post(
            "/customers/new", data=new_card_form(planned_purchase_date=day), headers=HX
        )
        assert response.status_code == 422
        assert "planned_purchase_date" in field_errors(response.get_data(as_text=True))
    soon = (local_today() + timedelta(days=3)).isoformat()
    ok = client.post("/customers/new", data=new_card_form(planned_purchase_date=soon))
    assert ok.status_code == 303
