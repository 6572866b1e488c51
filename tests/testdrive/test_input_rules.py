"""The test-drive back office refuses what a person cannot have meant: control characters in
a car, a route, a booking, a licence or a template; ids no row can have; dates and start
times outside sane years. Each answers 422 with the message next to its field, nothing saved;
a list asked for a far day shows today."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX
from tests.test_input_rules import CONTROL_CHARACTERS, FAR_DAYS, logged_in, refused_message
from tests.testdrive.test_views import book, car_form, route_form
from webapp.extensions import db
from webapp.testdrive import services
from webapp.testdrive.models import (
    BookingStatus,
    ChecklistTemplate,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.timeutil import local_today


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@CONTROL_CHARACTERS
def test_a_car_with_a_control_character_is_refused_next_to_its_field(client, world, fleet, bad):
    client.login("keeper")
    before = count(TestDriveCar)
    # The plate's normalisation would otherwise drop the vertical tab without a word.
    form = car_form(fleet, plate=f"津C8{bad}8888", mileage_km=f"{bad}300")
    response = client.post("/testdrive/cars/new", data=form, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["plate"] == errors["mileage_km"] == refused_message()
    assert count(TestDriveCar) == before


@CONTROL_CHARACTERS
def test_a_route_with_a_control_character_is_refused_next_to_its_field(client, world, fleet, bad):
    client.login("keeper")
    before = count(TestDriveRoute)
    form = route_form(
        fleet,
        name=f"河西{bad}",
        welcome_text=f"欢迎{bad}",
        demo_points=f"友谊路直道 | 加速{bad}减速带 | 舒适性",
    )
    response = client.post("/testdrive/routes/new", data=form, headers=HX)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert errors["name"] == errors["welcome_text"] == errors["demo_points"] == refused_message()
    assert count(TestDriveRoute) == before


def test_a_route_keeps_the_newlines_of_its_text(client, world, fleet):
    client.login("keeper")
    form = route_form(fleet, welcome_text="欢迎！\r\n请系好安全带。")
    assert client.post("/testdrive/routes/new", data=form).status_code == 303
    route = db.session.scalar(sa.select(TestDriveRoute).where(TestDriveRoute.name == "河西路线"))
    assert "请系好安全带" in route.welcome_text and len(route.demo_points) == 2


@pytest.mark.parametrize("field", ["car_id", "route_id", "driver_id"])
def test_an_id_too_large_for_the_database_on_the_booking_form_is_refused(
    client, world, fleet, field
):
    client.login("sales")
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot()}
    data[field] = "99999999999999999999"
    response = client.post(
        f"/testdrive/bookings/new?card_id={world.own_card.id}", data=data, headers=HX
    )
    assert response.status_code == 422
    assert field in field_errors(response.get_data(as_text=True))
    assert count(TestDriveBooking) == 0


@pytest.mark.parametrize("starts_at", ["0001-01-01T00:00", "9999-12-31T23:59", "\x00"])
def test_a_start_time_outside_sane_years_is_refused_next_to_the_field(
    client, world, fleet, starts_at
):
    client.login("sales")
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": starts_at}
    response = client.post(
        f"/testdrive/bookings/new?card_id={world.own_card.id}", data=data, headers=HX
    )
    assert response.status_code == 422
    assert "starts_at" in field_errors(response.get_data(as_text=True))


@CONTROL_CHARACTERS
def test_a_cancel_reason_with_a_control_character_is_refused(client, world, fleet, bad):
    booking = book(world, fleet)
    client.login("sales")
    response = client.post(
        f"/testdrive/bookings/{booking.id}/cancel", data={"reason": f"改期{bad}"}, headers=HX
    )
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["reason"] == refused_message()
    assert db.session.get(TestDriveBooking, booking.id).status == BookingStatus.BOOKED


@CONTROL_CHARACTERS
def test_a_licence_or_template_with_a_control_character_is_refused(client, world, fleet, bad):
    client.login("manager")
    expires = (local_today() + timedelta(days=400)).isoformat()
    data = {
        "user_id": world.users["car_keeper"].id,
        "licence_class": f"C2{bad}",
        "expires_on": expires,
    }
    response = client.post("/testdrive/licences", data=data, headers=HX)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["licence_class"] == refused_message()
    assert db.session.get(StaffLicence, world.users["car_keeper"].id) is None

    services.checklists.ensure_default_templates()
    db.session.commit()
    before = count(ChecklistTemplate)
    admin = logged_in(client, "admin")
    text = services.checklists.items_text(services.checklists.current_templates()["ride"].items)
    # A vertical tab would otherwise split the line silently in two.
    text += f"\ncoffee | 咖啡{bad}x | Coffee | tick"
    response = admin.post("/testdrive/templates/ride/edit", data={"items": text}, headers=HX)
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True))["items"] == refused_message()
    assert count(ChecklistTemplate) == before


def test_a_licence_expiry_beyond_sane_years_is_refused(client, world, fleet):
    client.login("manager")
    data = {
        "user_id": world.users["car_keeper"].id,
        "licence_class": "C2",
        "expires_on": "9999-12-31",
    }
    response = client.post("/testdrive/licences", data=data, headers=HX)
    assert response.status_code == 422
    assert "expires_on" in field_errors(response.get_data(as_text=True))


@pytest.mark.parametrize("day", FAR_DAYS)
def test_bookings_and_schedule_of_a_far_day_show_today(client, world, fleet, day):
    # Tomorrow's booking: at any hour of today a booking can still be made for it.
    book(world, fleet, starts_at=fleet.slot(days=1, hour=10, minute=0))
    client.login("manager")
    for path in ("/testdrive/bookings", "/testdrive/schedule"):
        response = client.get(path, query_string={"day": day})
        assert response.status_code == 200, path
        assert local_today().isoformat() in response.get_data(as_text=True), path
