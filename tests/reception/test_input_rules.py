"""Reception's forms refuse control characters at input: an arrival, a call, a visit's
closing and the roster answer 422 with the message next to the field, and nothing is saved;
ids too large for the database are refused the same way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX
from tests.reception.support import arrive, roster
from tests.test_input_rules import CONTROL_CHARACTERS, refused_message
from webapp.auth.models import Role
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.reception.models import DutyRoster, RosterEntry, Visit


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def call(**overrides: str) -> dict[str, str]:
    data = {
        "kind": "phone_out",
        "mobile": "13800138111",
        "name": "钱",
        "title": "mr",
        "minutes": "4",
        "prep_notes": "谁：钱先生\r\n为什么：邀约试驾",
        "grade": "B",
        "result": "follow_up",
    }
    data.update(overrides)
    return data


@CONTROL_CHARACTERS
def test_a_call_with_a_control_character_is_refused_next_to_its_field(client, world, team, bad):
    client.login("sales")
    visits, cards = count(Visit), count(CustomerCard)
    data = call(prep_notes=f"邀约{bad}试驾", name=f"{bad}钱", next_step=f"周六{bad}")
    response = client.post("/reception/calls/new", data=data, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["prep_notes"] == errors["name"] == errors["next_step"] == refused_message()
    assert (count(Visit), count(CustomerCard)) == (visits, cards)


def test_a_call_keeps_the_newlines_of_its_notes(client, world, team):
    client.login("sales")
    assert client.post("/reception/calls/new", data=call()).status_code == 303
    notes = db.session.scalar(sa.select(Visit.prep_notes))
    assert "邀约试驾" in notes and "\n" in notes


@CONTROL_CHARACTERS
def test_an_arrival_with_a_control_character_is_refused_next_to_its_field(client, world, team, bad):
    client.login("greeter")
    data = {
        "people": "2",
        "title": "ms",
        "source": "walk_in",
        "mobile": f"1380013{bad}9000",
        "name": f"林{bad}",
        "salesperson_id": str(team[1].id),
        "override_reason": f"客户指定{bad}",
        "companions": f"妻子{bad}",
    }
    response = client.post("/reception/arrivals", data=data, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["mobile"] == errors["name"] == errors["override_reason"] == refused_message()
    assert errors["companions"] == refused_message()
    assert count(Visit) == 0


@CONTROL_CHARACTERS
def test_closing_a_visit_with_a_control_character_is_refused(client, world, team, bad):
    visit = arrive(world.users["greeter"], name="吴")
    client.login("sales")
    data = {"grade": "A", "result": "follow_up", "next_step": f"{bad}周六试驾", "mobile": ""}
    response = client.post(f"/reception/visits/{visit.id}/close", data=data, headers=HX)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["next_step"] == refused_message()
    assert db.session.get(Visit, visit.id).time_out is None


@CONTROL_CHARACTERS
def test_a_roster_place_with_a_control_character_is_refused(client, world, team, bad):
    client.login("manager")
    entries = count(RosterEntry)
    data = {f"position-{team[0].id}": f"{bad}2", f"position-{team[1].id}": "1"}
    response = client.post("/reception/roster", data=data, headers=HX)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="f-position-{team[0].id}-error">{refused_message()}<' in html
    assert count(RosterEntry) == entries and count(DutyRoster) == 1


def test_a_roster_place_in_other_digits_is_refused_not_a_server_error(client, world, team):
    client.login("manager")
    response = client.post("/reception/roster", data={f"position-{team[0].id}": "²"}, headers=HX)
    assert response.status_code == 422
    assert f'id="f-position-{team[0].id}-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("field", ["model_id", "salesperson_id"])
def test_an_id_too_large_for_the_database_on_the_call_form_is_refused(client, world, team, field):
    client.login("manager")
    data = call(salesperson_id=str(team[0].id))
    data[field] = str(2**63)
    response = client.post("/reception/calls/new", data=data, headers=HX)
    assert response.status_code == 422
    assert field in field_errors(response.get_data(as_text=True))
    assert count(Visit) == 0
