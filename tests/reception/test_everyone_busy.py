"""When everyone on duty is with a customer: the greeter is told plainly and offered first
those likely to be free first; an arrival without a salesperson is refused next to the field
(form and outbox) and nothing is saved; the manager sees the state as information."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.reception.support import arrive, roster
from tests.sync.support import entry, push
from webapp.auth.models import Role
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.push.models import Notification
from webapp.reception import services
from webapp.reception.models import RotationSkip, Visit


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def everyone_busy(world, team) -> list[Visit]:
    return [arrive(world.users["greeter"]) for _person in team]


def test_everyone_busy_offers_the_longest_with_a_customer_first(world, team):
    visits = everyone_busy(world, team)
    prop = services.arrivals.proposal(world.users["greeter"])
    assert prop.next is None and prop.all_busy
    assert [line.user_id for line in prop.first_free] == [v.owner_id for v in visits]
    assert all(line.busy for line in prop.first_free)
    assert prop.first_free[0].busy_minutes() >= 0


def test_with_someone_free_nobody_is_offered_as_first_free(world, team):
    arrive(world.users["greeter"])
    prop = services.arrivals.proposal(world.users["greeter"])
    assert prop.next is not None and not prop.all_busy and prop.first_free == []


def test_an_arrival_with_no_salesperson_when_none_is_proposed_gets_a_clear_message_and_saves_nothing(  # noqa: E501
    world, team
):
    everyone_busy(world, team)
    visits, notes = count(Visit), count(Notification)
    with pytest.raises(ValidationError) as refused:
        arrive(world.users["greeter"], mobile="13800138555", name="周")
    assert "都在接待客户" in refused.value.errors["salesperson_id"]
    assert count(Visit) == visits and count(Notification) == notes


def test_choosing_someone_busy_when_everyone_is_busy_needs_no_reason(world, team):
    everyone_busy(world, team)
    visit = arrive(world.users["greeter"], salesperson_id=str(team[1].id))
    assert visit.owner_id == team[1].id and visit.override_reason == ""
    skips = db.session.scalars(sa.select(RotationSkip).where(RotationSkip.visit_id == visit.id))
    assert {s.reason for s in skips} <= {"busy"}


def test_the_form_says_everyone_is_busy_and_lists_who_is_free_first(client, world, team):
    everyone_busy(world, team)
    client.login("greeter")
    page = assert_full_page(client.get("/arrivals"))
    assert "全员接待中" in page and "按建议" not in page
    fragment = assert_fragment(client.get("/reception/proposal", headers=HX), "proposal")
    assert fragment.index(team[0].display_name) < fragment.index(team[2].display_name)
    assert "接待中 0 分钟" in fragment and 'type="radio" name="salesperson_id"' in fragment


def test_the_refreshed_proposal_keeps_the_greeters_choice(client, world, team):
    everyone_busy(world, team)
    client.login("greeter")
    fragment = client.get(f"/reception/proposal?salesperson_id={team[1].id}", headers=HX).get_data(
        as_text=True
    )
    assert f'value="{team[1].id}" checked' in fragment


def test_the_form_refuses_an_arrival_with_no_salesperson_next_to_the_field(client, world, team):
    everyone_busy(world, team)
    client.login("greeter")
    data = {"people": "1", "title": "mr", "source": "walk_in", "name": "吴"}
    visits = count(Visit)
    response = client.post("/reception/arrivals", data=data, headers=HX)
    html = assert_fragment(response, "arrival-form", status=422)
    assert "都在接待客户" in field_errors(html)["salesperson_id"]
    assert_full_page(client.post("/reception/arrivals", data=data), status=422)
    assert count(Visit) == visits
    chosen = client.post("/reception/arrivals", data={**data, "salesperson_id": str(team[2].id)})
    assert chosen.status_code == 303 and count(Visit) == visits + 1


def test_the_outbox_refuses_an_arrival_with_no_salesperson_next_to_the_field(client, world, team):
    everyone_busy(world, team)
    client.login("greeter")
    payload = {"people": 1, "title": "ms", "source": "walk_in"}
    answer = push(client, [entry("reception.arrival", payload, 1, created_at=None)])
    result = answer.get_json()["results"][0]
    assert result["status"] == "rejected" and result["reason"] == "validation"
    assert "都在接待客户" in result["errors"]["salesperson_id"]
    assert count(Visit) == len(team)


def test_store_today_shows_everyone_busy_as_information(client, world, team):
    everyone_busy(world, team)
    client.login("manager")
    page = assert_full_page(client.get("/store-today"))
    assert "全员接待中" in page and "请选择" not in page
    live = assert_fragment(
        client.get("/store-today", headers={**HX, "HX-Target": "store-live"}), "store-live"
    )
    assert "全员接待中" in live
