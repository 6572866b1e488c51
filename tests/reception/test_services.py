"""Rules of reception through the services: roster, rotation, arrivals, closing, calls."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from tests.reception.support import arrive, close, roster
from webapp.auth.models import Role
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.push.models import Notification
from webapp.reception import services
from webapp.reception.models import DutyRoster, RotationSkip, Visit


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    return [world.users["salesperson"], world.users["colleague"], third]


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_roster_with_nobody_on_duty_is_refused_and_nothing_saved(world, team):
    manager = world.users["sales_manager"]
    with pytest.raises(ValidationError) as empty:
        services.roster.set_roster(manager, {})
    assert "roster" in empty.value.errors
    with pytest.raises(ValidationError) as all_absent:
        roster(manager, team, absent=tuple(team))
    # Messages are in the default language, Chinese.
    assert "无人值班" in all_absent.value.errors["roster"]
    assert count(DutyRoster) == 0


def test_roster_refuses_two_people_on_one_place(world, team):
    data = {f"position-{team[0].id}": "1", f"position-{team[1].id}": "1"}
    with pytest.raises(ValidationError) as shared:
        services.roster.set_roster(world.users["sales_manager"], data)
    assert f"position-{team[1].id}" in shared.value.errors


def test_only_the_manager_sets_the_roster(world, team):
    with pytest.raises(PermissionDenied):
        roster(world.users["greeter"], team)


def test_arrival_without_a_roster_gives_a_clear_message_and_saves_nothing(world, team):
    with pytest.raises(ValidationError) as refused:
        arrive(world.users["greeter"])
    assert "排班表" in refused.value.errors["salesperson_id"]
    assert count(Visit) == 0


def test_rotation_follows_the_order_skips_the_busy_and_takes_them_back(world, team):
    roster(world.users["sales_manager"], team)
    greeter = world.users["greeter"]
    first = arrive(greeter)
    second = arrive(greeter)
    assert (first.owner_id, second.owner_id) == (team[0].id, team[1].id)
    close(team[0], first)
    third = arrive(greeter)
    assert third.owner_id == team[2].id
    fourth = arrive(greeter)  # team[1] busy with the second visit; team[0] free, fewest turns
    assert fourth.owner_id == team[0].id
    skipped = db.session.scalars(sa.select(RotationSkip).where(RotationSkip.visit_id == fourth.id))
    assert [(s.user_id, s.reason) for s in skipped] == []
    with pytest.raises(ValidationError):  # all three are with a customer now
        arrive(greeter)
    close(team[1], second)
    assert arrive(greeter).owner_id == team[1].id


def test_absent_salesperson_gets_no_customer(world, team):
    roster(world.users["sales_manager"], team, absent=(team[0],))
    assert arrive(world.users["greeter"]).owner_id == team[1].id


def test_everyone_busy_asks_the_greeter_to_choose(world, team):
    roster(world.users["sales_manager"], team[:1])
    arrive(world.users["greeter"])
    with pytest.raises(ValidationError) as busy:
        arrive(world.users["greeter"])
    assert "都在接待客户" in busy.value.errors["salesperson_id"]
    forced = arrive(world.users["greeter"], salesperson_id=str(team[0].id))
    assert forced.assignment == "override" and forced.owner_id == team[0].id


def test_override_needs_a_reason_and_records_the_skip(world, team):
    roster(world.users["sales_manager"], team)
    greeter = world.users["greeter"]
    with pytest.raises(ValidationError) as no_reason:
        arrive(greeter, salesperson_id=str(team[2].id))
    assert "override_reason" in no_reason.value.errors
    assert count(Visit) == 0
    visit = arrive(greeter, salesperson_id=str(team[2].id), override_reason="客户点名")
    assert visit.assignment == "override"
    skips = list(db.session.scalars(sa.select(RotationSkip).order_by(RotationSkip.id)))
    assert [(s.user_id, s.reason, s.note) for s in skips] == [
        (team[0].id, "override", "客户点名"),
        (team[1].id, "override", "客户点名"),
    ]
    # Passed over keeps the place.
    assert services.arrivals.proposal(greeter).next.user_id == team[0].id


def test_taking_the_proposal_the_page_showed_needs_no_reason(world, team):
    roster(world.users["sales_manager"], team)
    visit = arrive(
        world.users["greeter"], salesperson_id=str(team[0].id), proposed_id=str(team[0].id)
    )
    assert visit.assignment == "rotation"


def test_new_customer_with_mobile_gets_an_a_card_and_the_salesperson_is_told(world, team):
    roster(world.users["sales_manager"], team)
    visit = arrive(world.users["greeter"], mobile="138 0013 8000", name="王")
    card = db.session.get(CustomerCard, visit.card_id)
    assert (card.owner_id, card.mobile, card.name, card.grade) == (
        team[0].id,
        "13800138000",
        "王",
        "C",
    )
    assert visit.repeat is False
    note = db.session.scalar(sa.select(Notification).where(Notification.user_id == team[0].id))
    assert note.kind == "arrival" and note.ref_id == visit.id
    assert note.url == f"/reception/visits/{visit.id}"


def test_phone_in_the_wrong_format_is_refused_and_nothing_half_saved(world, team):
    roster(world.users["sales_manager"], team)
    with pytest.raises(ValidationError) as bad:
        arrive(world.users["greeter"], mobile="12345", name="王")
    assert "11" in bad.value.errors["mobile"]
    assert count(Visit) == count(Notification) == 0
    assert db.session.scalar(sa.select(CustomerCard).where(CustomerCard.name == "王")) is None


def test_repeat_customer_goes_to_their_owner_without_costing_or_giving_a_turn(world, team):
    roster(world.users["sales_manager"], team)
    greeter = world.users["greeter"]
    own = world.own_card  # owned by team[0]
    repeat = arrive(greeter, mobile=own.mobile)
    assert (repeat.owner_id, repeat.assignment, repeat.repeat) == (team[0].id, "repeat_owner", True)
    assert repeat.card_id == own.id and repeat.name == own.name
    nxt = arrive(greeter)  # team[0] is busy with their own customer: skipped, as busy
    assert nxt.owner_id == team[1].id
    close(team[0], repeat)
    assert services.arrivals.proposal(greeter).next.user_id == team[0].id  # still 0 turns: next


def test_repeat_customer_whose_owner_is_absent_goes_through_the_rotation(world, team):
    roster(world.users["sales_manager"], team, absent=(team[0],))
    visit = arrive(world.users["greeter"], mobile=world.own_card.mobile)
    assert (visit.owner_id, visit.assignment, visit.card_id) == (
        team[1].id,
        "rotation",
        world.own_card.id,
    )


def test_closing_completes_register_and_a_card_in_one_step(world, team):
    roster(world.users["sales_manager"], team)
    visit = arrive(world.users["greeter"], mobile="13800138001", name="李")
    close(
        team[0], visit, grade="H", result="test_drive_booked", test_drive="1", next_step="周六试驾"
    )
    visit = db.session.get(Visit, visit.id)
    card = db.session.get(CustomerCard, visit.card_id)
    assert visit.time_out is not None and visit.result == "test_drive_booked" and visit.test_drive
    assert card.grade == "H" and card.last_contact_at is not None
    kinds = [
        e.kind for e in db.session.scalars(sa.select(CardEvent).where(CardEvent.card_id == card.id))
    ]
    assert sorted(kinds) == ["created", "grade_changed", "visit"]


def test_closing_twice_is_refused_and_changes_nothing(world, team):
    roster(world.users["sales_manager"], team)
    visit = arrive(world.users["greeter"], mobile="13800138002", name="赵")
    close(team[0], visit, grade="A", result="follow_up")
    before = db.session.get(Visit, visit.id).time_out
    events = count(CardEvent)
    with pytest.raises(ValidationError) as twice:
        close(team[0], visit, grade="H", result="ordered")
    assert "已于" in twice.value.errors["visit"] and "结束" in twice.value.errors["visit"]
    db.session.expire_all()
    again = db.session.get(Visit, visit.id)
    assert (again.time_out, again.grade, again.result) == (before, "A", "follow_up")
    assert count(CardEvent) == events


def test_closing_a_visit_without_a_card_opens_one_with_the_mobile(world, team):
    roster(world.users["sales_manager"], team)
    visit = arrive(world.users["greeter"], name="周")
    assert visit.card_id is None
    with pytest.raises(ValidationError) as bad:
        close(team[0], visit, mobile="999")
    assert "mobile" in bad.value.errors
    assert db.session.get(Visit, visit.id).time_out is None
    close(team[0], visit, mobile="13800138003")
    card = db.session.get(CustomerCard, db.session.get(Visit, visit.id).card_id)
    assert (card.owner_id, card.name) == (team[0].id, "周")


def test_colleague_cannot_close_someone_elses_visit(world, team):
    from webapp.errors import NotFound

    roster(world.users["sales_manager"], team)
    visit = arrive(world.users["greeter"])
    with pytest.raises(NotFound):
        close(team[1], visit)


def test_outgoing_call_is_logged_closed_with_5w2h_notes(world, team):
    call = services.visits.log_call(
        team[0],
        {
            "kind": "phone_out",
            "mobile": world.own_card.mobile,
            "title": "mr",
            "minutes": "6",
            "prep_notes": "Who: 王先生; Why: 邀约试驾",
            "grade": "A",
            "result": "test_drive_booked",
        },
    )
    assert (call.kind, call.assignment, call.card_id, call.is_open) == (
        "phone_out",
        "direct",
        world.own_card.id,
        False,
    )
    assert call.stay_minutes() == 6 and "邀约" in call.prep_notes


def test_day_replay_is_fair(world, team):
    """A whole day: 36 walk-ins, visits of different lengths closing in between, one
    salesperson absent in the morning roster, and repeat customers of team[0]."""
    greeter = world.users["greeter"]
    roster(world.users["sales_manager"], team)
    lengths = [1, 2, 1, 1, 2, 1, 2, 1, 1]  # in arrivals: a visit lasts 1-2 arrivals
    open_visits: list[tuple[Visit, int]] = []
    repeats = 0
    for n in range(36):
        # Close visits whose length (in arrivals) has passed.
        still = []
        for visit, left in open_visits:
            if left <= 0:
                close(db.session.get(type(visit), visit.id).owner, visit)
            else:
                still.append((visit, left - 1))
        open_visits = still
        if n % 9 == 4:
            visit = arrive(greeter, mobile=world.own_card.mobile)
            repeats += 1
        else:
            before = services.arrivals.proposal(greeter)
            try:
                visit = arrive(greeter)
            except ValidationError:  # everyone busy: wait for the next close
                continue
            # The invariant: nobody free had fewer turns than the one who got the customer.
            free = [line.turns for line in before.lines if not line.busy and not line.absent]
            got = next(line.turns for line in before.lines if line.user_id == visit.owner_id)
            assert got == min(free)
        open_visits.append((visit, lengths[n % len(lengths)]))
    turns = Counter(
        v.owner_id
        for v in db.session.scalars(sa.select(Visit).where(Visit.assignment == "rotation"))
    )
    assert repeats >= 2
    assert set(turns) == {p.id for p in team}
    assert max(turns.values()) - min(turns.values()) <= 1, turns
    owned = Counter(v.owner_id for v in db.session.scalars(sa.select(Visit)))
    assert owned[team[0].id] == turns[team[0].id] + repeats


def test_salesperson_sees_only_their_own_register_rows(world, team):
    roster(world.users["sales_manager"], team)
    mine = arrive(world.users["greeter"])
    theirs = arrive(world.users["greeter"])
    flt = services.register.RegisterFilter(day=mine.day)
    assert [v.id for v in services.register.register_rows(team[0], flt)] == [mine.id]
    assert {v.id for v in services.register.register_rows(world.users["greeter"], flt)} == {
        mine.id,
        theirs.id,
    }
    other = world.users["other_manager"]
    assert services.register.register_rows(other, flt) == []


def test_board_register_returns_latest_open_and_cardless_lines_with_the_day_total(world, team):
    roster(world.users["sales_manager"], team)
    greeter = world.users["greeter"]
    visits = []
    for n in range(14):
        fields = {"name": f"来客{n}"}
        if n % 4:  # every fourth arrival leaves no mobile: no A card
            fields["mobile"] = f"1380013{n:04d}"
        visit = arrive(greeter, **fields)
        if n < 12:  # the last two are still in the showroom
            close(visit.owner, visit)
        visits.append(visit)
    board = services.register.board_register(world.users["sales_manager"], visits[0].day, latest=5)
    assert board.total == 14 and len(board.open_walk_ins) == 2 and len(board.no_card) == 4
    assert [line.id for line in board.latest] == [v.id for v in visits[::-1][:5]]
    still_open = [v.id for v in visits if v.time_out is None]
    assert [line.id for line in board.open_walk_ins] == still_open
    assert [line.id for line in board.no_card] == [v.id for v in visits if v.card_id is None]
    # Another store's manager sees none of it.
    other = services.register.board_register(world.users["other_manager"], visits[0].day, latest=5)
    assert other.total == 0 and not other.latest
