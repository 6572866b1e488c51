"""Steps ③ ④ refuse control characters at input: the questionnaire's answers, the notes on
the card's panel, the admins' editors and the display-car forms answer 422 with the message
next to the field, and nothing is saved."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import field_errors
from tests.consult.conftest import answers
from tests.helpers import HX
from tests.test_input_rules import CONTROL_CHARACTERS, refused_message
from webapp.consult import services
from webapp.consult.models import (
    ComparisonSheet,
    DisplayCar,
    DisplayCarCheck,
    NeedsAnalysis,
    Questionnaire,
    WalkaroundPoint,
)
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@CONTROL_CHARACTERS
def test_answers_with_a_control_character_are_refused_next_to_their_question(
    client, world, showroom, bad
):
    client.login("sales")
    card = world.own_card
    data = {
        **answers(showroom, family=f"夫妻{bad}", colour=f"{bad}白色"),
        "usage": ["上下班通勤", f"{bad}家庭出行"],
        "version": card.version,
    }
    response = client.post(f"/consult/cards/{card.id}/needs", data=data, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["family"] == errors["colour"] == errors["usage"] == refused_message()
    assert count(NeedsAnalysis) == 0
    assert db.session.get(CustomerCard, card.id).family != f"夫妻{bad}"


def test_answers_keep_the_newlines_of_a_textarea(client, world, showroom):
    client.login("sales")
    card = world.own_card
    data = {**answers(showroom, family="夫妻\r\n一个孩子"), "version": card.version}
    assert client.post(f"/consult/cards/{card.id}/needs", data=data).status_code == 303
    assert "一个孩子" in db.session.get(CustomerCard, card.id).family


@CONTROL_CHARACTERS
def test_panel_notes_with_a_control_character_are_refused(client, world, showroom, bad):
    client.login("sales")
    card = world.own_card
    before = count(CardEvent)
    for path, name in (("catalogue", "catalogue_note"), ("invite", "invite_note")):
        response = client.post(
            f"/consult/cards/{card.id}/{path}", data={name: f"重点{bad}"}, headers=HX
        )
        assert response.status_code == 422, path
        assert field_errors(response.get_data(as_text=True))[name] == refused_message()
    assert count(CardEvent) == before


@CONTROL_CHARACTERS
def test_a_recommendation_note_with_a_control_character_is_refused(client, world, showroom, bad):
    client.login("sales")
    card = world.own_card
    analysis = services.needs.save_answers(
        world.users["salesperson"], card.id, answers(showroom), card.version
    )
    services.needs.confirm_summary(world.users["salesperson"], analysis.id)
    response = client.post(
        f"/consult/needs/{analysis.id}/recommend",
        data={"model_id": showroom.model.id, "recommendation_note": f"省油{bad}"},
        headers=HX,
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["recommendation_note"] == (
        refused_message()
    )
    assert db.session.get(NeedsAnalysis, analysis.id).recommended_model_id is None


@CONTROL_CHARACTERS
def test_the_admins_editors_refuse_a_control_character(client, world, showroom, bad):
    client.login("admin")
    questions = services.questionnaire.questions_text(showroom.questionnaire.items)
    points = f"rear | 大后备箱 | 能装{bad} | 出游方便 | space"
    for path, name, text in (
        ("/consult/questionnaire/edit", "items", f"{questions}\nparking | 车位{bad} | P | yesno"),
        # A vertical tab would otherwise split the line in two silently.
        (f"/consult/walkarounds/{showroom.model.id}/edit", "points", points),
    ):
        response = client.post(path, data={name: text}, headers=HX)
        assert response.status_code == 422, path
        assert field_errors(response.get_data(as_text=True))[name] == refused_message()
    assert count(Questionnaire) == 1 and count(WalkaroundPoint) == 3

    sheet = {
        "model_id": showroom.model.id,
        "competitor": f"雅阁{bad}",
        "rows": f"空间 | 大 | 小{bad}",
    }
    response = client.post("/consult/comparisons/new", data=sheet, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["competitor"] == errors["rows"] == refused_message()
    assert count(ComparisonSheet) == 1


@CONTROL_CHARACTERS
def test_display_car_forms_refuse_a_control_character(client, world, showroom, bad):
    client.login("manager")
    before = count(DisplayCar)
    response = client.post(
        "/consult/display-cars/new",
        data={"model_id": showroom.model.id, "colour": f"红{bad}", "position": "3号"},
        headers=HX,
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["colour"] == refused_message()
    assert count(DisplayCar) == before

    keys = [k for k in services.display_cars.items_for(showroom.car) if k != "clean"]
    response = client.post(
        f"/consult/display-cars/{showroom.car.id}/check",
        data={"ok": keys, "note_clean": f"手印{bad}"},
        headers=HX,
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["note_clean"] == refused_message()
    assert count(DisplayCarCheck) == 0

    check = services.display_cars.save_check(
        world.users["salesperson"], showroom.car.id, set(keys), {}, {}
    )
    response = client.post(
        f"/consult/display-cars/checks/{check.id}/manager",
        data={"manager_note": f"好{bad}"},
        headers=HX,
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["manager_note"] == refused_message()
    assert db.session.get(DisplayCarCheck, check.id).manager_checked_at is None


def test_a_model_id_too_large_for_the_database_is_refused_next_to_the_field(
    client, world, showroom
):
    client.login("manager")
    response = client.post(
        "/consult/display-cars/new",
        data={"model_id": str(2**63), "colour": "红", "position": "3号"},
        headers=HX,
    )
    assert response.status_code == 422
    assert "model_id" in field_errors(response.get_data(as_text=True))
