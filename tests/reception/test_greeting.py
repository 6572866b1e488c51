"""The customer at the door, on the salesperson's side: the arrival banner's list, 迎接 with
its time and who greeted, the A card opened from the visit, drinks, the visit closed from the
card, and the test drive the booking or packet of that day knows."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.policies.packet import make_booking
from tests.reception.support import arrive, close, roster
from webapp.auth.models import Role
from webapp.customers.models import CustomerCard
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.reception import services
from webapp.reception.models import Visit
from webapp.testdrive.models import TestDriveEntry
from webapp.timeutil import SHANGHAI, local_today, now


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def arrived_minutes_ago(visit: Visit, minutes: int) -> Visit:
    """Move the arrival back in time (the clock cannot be stopped in these tests)."""
    moment = now() - timedelta(minutes=minutes)
    if moment.astimezone(SHANGHAI).date() != local_today():
        pytest.skip("too close to midnight in Shanghai for an arrival minutes ago")
    visit.time_in = moment
    db.session.commit()
    return visit


def hm(moment) -> str:
    return moment.astimezone(SHANGHAI).strftime("%H:%M")


def test_greeting_records_the_time_and_who_greeted(world, team):
    sales = world.users["salesperson"]
    visit = arrived_minutes_ago(arrive(world.users["greeter"], name="高"), 4)
    assert visit.owner_id == sales.id
    assert visit.wait_minutes() == 4
    before = now()
    greeted = services.visits.greet(sales, visit.id)
    assert greeted.greeted_by_id == sales.id
    assert before <= greeted.greeted_at <= now()
    assert greeted.wait_minutes() == 4


def test_greeting_twice_keeps_the_first_greeting(world, team):
    sales = world.users["salesperson"]
    visit = arrive(world.users["greeter"])
    first = services.visits.greet(sales, visit.id).greeted_at
    again = services.visits.greet(sales, visit.id)
    assert again.greeted_at == first and again.greeted_by_id == sales.id


def test_a_greeting_time_before_the_arrival_is_refused_and_nothing_saved(world, team):
    sales = world.users["salesperson"]
    visit = arrived_minutes_ago(arrive(world.users["greeter"]), 10)
    too_early = hm(visit.time_in - timedelta(minutes=3))
    with pytest.raises(ValidationError) as refused:
        services.visits.greet(sales, visit.id, {"greeted_at": too_early})
    assert "到店" in refused.value.errors["greeted_at"]
    with pytest.raises(ValidationError) as unreadable:
        services.visits.greet(sales, visit.id, {"greeted_at": "25:99"})
    assert "greeted_at" in unreadable.value.errors
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).greeted_at is None


def test_a_corrected_greeting_time_is_kept_to_the_minute(world, team):
    sales = world.users["salesperson"]
    visit = arrived_minutes_ago(arrive(world.users["greeter"]), 10)
    services.visits.greet(sales, visit.id)
    corrected = services.visits.greet(sales, visit.id, {"greeted_at": hm(visit.time_in)})
    assert corrected.greeted_at == visit.time_in  # the arrival's own minute: no negative wait
    assert corrected.wait_minutes() == 0
    later = hm(visit.time_in + timedelta(minutes=6))
    assert services.visits.greet(sales, visit.id, {"greeted_at": later}).wait_minutes() in (5, 6)


def test_greeting_a_closed_visit_or_a_call_is_refused(world, team):
    sales = world.users["salesperson"]
    visit = arrive(world.users["greeter"])
    close(sales, visit)
    with pytest.raises(ValidationError) as closed:
        services.visits.greet(sales, visit.id)
    assert "greeted_at" in closed.value.errors
    call = services.visits.log_call(
        sales,
        {
            "kind": "phone_in",
            "mobile": "13911112222",
            "name": "电",
            "title": "ms",
            "source": "phone_in",
            "grade": "B",
            "result": "follow_up",
        },
    )
    with pytest.raises(ValidationError):
        services.visits.greet(sales, call.id)


def test_greeting_someone_elses_visit_is_not_found_or_forbidden(world, team):
    visit = arrive(world.users["greeter"])
    assert visit.owner_id == world.users["salesperson"].id
    with pytest.raises(NotFound):  # another salesperson does not even see it
        services.visits.greet(world.users["colleague"], visit.id)
    with pytest.raises(NotFound):
        services.visits.greet(world.users["other_salesperson"], visit.id)
    with pytest.raises(PermissionDenied):  # the greeter sees it but does not greet
        services.visits.greet(world.users["greeter"], visit.id)
    stepping_in = services.visits.greet(world.users["sales_manager"], visit.id)
    assert stepping_in.greeted_by_id == world.users["sales_manager"].id


def test_my_arrivals_lists_my_waiting_customers_first(world, team):
    greeter, sales = world.users["greeter"], world.users["salesperson"]
    first = arrive(greeter, name="高")
    for _ in range(2):  # the colleagues' turns
        arrive(greeter)
    second = arrive(greeter, name="李", salesperson_id=str(sales.id), override_reason="熟客")
    assert second.owner_id == sales.id
    services.visits.greet(sales, first.id)
    assert [v.id for v in services.visits.my_arrivals(sales)] == [second.id, first.id]
    assert services.visits.my_arrivals(world.users["greeter"]) == []
    assert services.visits.my_arrivals(world.users["other_salesperson"]) == []
    signature = services.visits.banner_signature(services.visits.my_arrivals(sales))
    close(sales, second)
    assert services.visits.banner_signature(services.visits.my_arrivals(sales)) != signature


def test_a_card_opened_from_the_visit_is_linked_and_owned_by_its_salesperson(world, team):
    sales = world.users["salesperson"]
    visit = arrive(world.users["greeter"], name="高", title="mr")
    prefilled = services.visits.card_values(visit)
    assert (prefilled["name"], prefilled["title"], prefilled["grade"]) == ("高", "mr", "")
    values = {**prefilled, "mobile": "13955556666", "grade": "A"}
    card = services.visits.open_card(world.users["sales_manager"], visit.id, values)
    db.session.expire_all()
    visit = db.session.get(Visit, visit.id)
    assert visit.card_id == card.id and card.owner_id == sales.id
    assert visit.mobile == "13955556666"
    with pytest.raises(ValidationError):
        services.visits.open_card(sales, visit.id, values)


def test_a_card_with_a_bad_field_saves_nothing(world, team):
    visit = arrive(world.users["greeter"], name="高")
    values = {**services.visits.card_values(visit), "mobile": "123", "grade": "B"}
    before = db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard))
    with pytest.raises(ValidationError) as refused:
        services.visits.open_card(world.users["salesperson"], visit.id, values)
    assert "mobile" in refused.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard)) == before
    assert db.session.get(Visit, visit.id).card_id is None


def test_drinks_offered_is_saved_on_the_open_visit_only(world, team):
    sales = world.users["salesperson"]
    visit = arrive(world.users["greeter"])
    assert services.visits.offer_drinks(sales, visit.id, True).drinks_offered is True
    close(sales, visit)
    with pytest.raises(ValidationError):
        services.visits.offer_drinks(sales, visit.id, False)
    with pytest.raises(PermissionDenied):
        services.visits.offer_drinks(world.users["greeter"], visit.id, True)


def test_the_visit_is_closed_from_the_card_it_belongs_to(world, team):
    sales = world.users["salesperson"]
    card = world.own_card
    visit = arrive(world.users["greeter"], mobile=card.mobile)
    assert visit.card_id == card.id
    assert services.visits.open_visit_of_card(sales, card.id).id == visit.id
    with pytest.raises(NotFound):
        services.visits.open_visit_of_card(world.users["colleague"], card.id)
    with pytest.raises(ValidationError) as no_grade:
        services.visits.close_visit(sales, visit.id, {"result": "follow_up"})
    assert "grade" in no_grade.value.errors
    close(sales, visit, grade="H")
    assert services.visits.open_visit_of_card(sales, card.id) is None
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).grade == "H"


def test_the_test_drive_of_the_day_is_taken_from_the_booking_and_packet(world, team):
    sales = world.users["salesperson"]
    card = world.own_card
    visit = arrive(world.users["greeter"], mobile=card.mobile)
    assert services.visits.test_drive_fact(visit) is None
    booking = make_booking(sales, card)
    fact = services.visits.test_drive_fact(visit)
    assert fact is not None and fact.booking.id == booking.id and not fact.taken
    db.session.add(
        TestDriveEntry(
            store_id=booking.store_id,
            booking_id=booking.id,
            kind="ride",
            item_key="belts",
            value=True,
            entry_uuid="00000000-0000-4000-8000-00000000a001",
            recorded_by_id=sales.id,
        )
    )
    db.session.commit()
    assert services.visits.test_drive_fact(visit).taken
    closed = close(sales, visit)  # no tick posted: the packet knows
    assert closed.test_drive is True


def test_a_finished_booking_counts_and_a_cancelled_one_does_not(world, team):
    sales = world.users["salesperson"]
    card = world.own_card
    visit = arrive(world.users["greeter"], mobile=card.mobile)
    booking = make_booking(sales, card)
    booking.status = "cancelled"
    db.session.commit()
    assert services.visits.test_drive_fact(visit) is None
    booking.status = "done"
    db.session.commit()
    assert services.visits.test_drive_fact(visit).taken


def test_who_sways_the_decision_is_kept_on_the_visit_and_fills_an_empty_card(world, team):
    sales = world.users["salesperson"]
    card = world.own_card
    card.decision_makers = ""
    db.session.commit()
    visit = arrive(world.users["greeter"], mobile=card.mobile)
    close(sales, visit, influencer="妻子（懂车的朋友陪同）")
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).influencer == "妻子（懂车的朋友陪同）"
    assert db.session.get(CustomerCard, card.id).decision_makers == "妻子（懂车的朋友陪同）"

    # A card that already names someone keeps its own words.
    again = arrive(world.users["greeter"], mobile=card.mobile)
    close(sales, again, influencer="父亲")
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).decision_makers == "妻子（懂车的朋友陪同）"


def test_a_too_long_influencer_is_refused_next_to_the_field_and_the_visit_stays_open(world, team):
    sales = world.users["salesperson"]
    visit = arrive(world.users["greeter"])
    with pytest.raises(ValidationError) as refused:
        close(sales, visit, influencer="长" * 101)
    assert set(refused.value.errors) == {"influencer"}
    db.session.expire_all()
    assert db.session.get(Visit, visit.id).time_out is None
