"""The roster's order set with ↑↓ buttons (plain form posts; htmx swaps the form and the
rotation it gives), people added to and taken off the day's roster, and the rotation's
difference from the roster explained in words."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers import HX, assert_fragment, assert_full_page
from tests.reception.support import arrive, roster
from webapp.auth.models import Role
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.reception import services
from webapp.reception.models import DutyRoster, RosterEntry
from webapp.reception.services.roster import roster_for
from webapp.timeutil import local_today


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def order(world) -> list[tuple[int, int, bool]]:
    db.session.expire_all()
    saved = roster_for(world.store_a.id, local_today())
    return [(e.user_id, e.position, e.absent) for e in saved.entries]


def form(team, absent=()) -> dict[str, str]:
    data = {f"position-{p.id}": str(n) for n, p in enumerate(team, start=1)}
    data.update({f"absent-{p.id}": "1" for p in absent})
    return data


def test_moving_up_swaps_with_the_one_before(world, team):
    manager = world.users["sales_manager"]
    services.roster.set_roster(manager, {**form(team), "move": f"up-{team[2].id}"})
    assert order(world) == [(team[0].id, 1, False), (team[2].id, 2, False), (team[1].id, 3, False)]


def test_moving_down_swaps_with_the_one_after_and_keeps_absence(world, team):
    manager = world.users["sales_manager"]
    data = {**form(team, absent=[team[0]]), "move": f"down-{team[0].id}"}
    services.roster.set_roster(manager, data)
    assert order(world) == [(team[1].id, 1, False), (team[0].id, 2, True), (team[2].id, 3, False)]


def test_moving_the_first_up_or_the_last_down_changes_nothing(world, team):
    manager = world.users["sales_manager"]
    services.roster.set_roster(manager, {**form(team), "move": f"up-{team[0].id}"})
    services.roster.set_roster(manager, {**form(team), "move": f"down-{team[2].id}"})
    assert [u for u, _n, _a in order(world)] == [p.id for p in team]


def test_adding_puts_at_the_end_and_removing_takes_off_the_roster(world, team):
    manager = world.users["sales_manager"]
    services.roster.set_roster(manager, {**form(team), "remove": str(team[0].id)})
    assert [u for u, _n, _a in order(world)] == [team[1].id, team[2].id]
    services.roster.set_roster(manager, {**form(team[1:]), "add": str(team[0].id)})
    assert order(world) == [(team[1].id, 1, False), (team[2].id, 2, False), (team[0].id, 3, False)]


@pytest.mark.parametrize(
    "change",
    [{"move": "sideways-1"}, {"move": "up-999999"}, {"add": "x"}, {"remove": "999999"}],
)
def test_a_change_naming_nobody_on_the_form_is_refused_and_nothing_saved(world, team, change):
    manager = world.users["sales_manager"]
    before = order(world)
    with pytest.raises(ValidationError) as refused:
        services.roster.set_roster(manager, {**form(team), **change})
    assert "roster" in refused.value.errors
    assert order(world) == before


def test_removing_the_last_one_present_is_refused(world, team):
    manager = world.users["sales_manager"]
    with pytest.raises(ValidationError):
        services.roster.set_roster(manager, {**form(team[:1]), "remove": str(team[0].id)})
    assert len(order(world)) == 3


def test_roster_page_has_arrow_buttons_not_typed_numbers(client, world, team):
    client.login("manager")
    page = assert_full_page(client.get("/reception/roster"))
    assert 'type="number"' not in page
    assert f'name="move" value="up-{team[1].id}"' in page
    assert f'name="move" value="down-{team[1].id}"' in page
    assert "刚接待过的人排到最后" in page and "正在接待或缺勤的人会被跳过" in page


def test_a_plain_form_move_redirects_back_to_the_roster(client, world, team):
    client.login("manager")
    response = client.post("/reception/roster", data={**form(team), "move": f"up-{team[1].id}"})
    assert response.status_code == 303 and "saved=1" in response.headers["Location"]
    assert [u for u, _n, _a in order(world)] == [team[1].id, team[0].id, team[2].id]


def test_an_htmx_move_returns_the_form_and_the_rotation_it_gives(client, world, team):
    client.login("manager")
    data = {**form(team), "move": f"down-{team[0].id}"}
    response = client.post("/reception/roster", data=data, headers=HX)
    html = assert_fragment(response, "roster-form")
    assert response.headers["HX-Trigger"] == "roster-saved"
    assert html.index(f'value="up-{team[1].id}"') < html.index(f'value="up-{team[0].id}"')
    assert 'class="rotation-list"' in html


def test_the_rotation_explains_who_is_skipped_and_why(client, world, team):
    arrive(world.users["greeter"])
    services.roster.set_roster(world.users["sales_manager"], form(team, absent=[team[2]]))
    client.login("manager")
    html = client.get("/reception/roster", headers=HX).get_data(as_text=True)
    assert "接待中 0 分钟：空闲前跳过" in html and "缺勤：跳过" in html
    assert "排班第 2 位 · 今天已轮 0 次" in html


def test_only_the_manager_reorders_the_roster(client, world, team):
    client.login("greeter")
    response = client.post("/reception/roster", data={**form(team), "move": f"up-{team[1].id}"})
    assert response.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DutyRoster)) == 1
    assert db.session.scalar(sa.select(sa.func.count()).select_from(RosterEntry)) == 3
