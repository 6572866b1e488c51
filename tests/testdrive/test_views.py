"""Views of the test-drive back office: every page in full and as its htmx fragment, errors
next to their fields, the welcome sheet and map, "my day" and the card's test drives."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.policies.testdrive import png_bytes, vin
from tests.testdrive.conftest import make_car
from webapp.customers.models import CardEvent
from webapp.extensions import db
from webapp.testdrive import services
from webapp.testdrive.models import (
    BookingStatus,
    LicenceCheck,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
)
from webapp.timeutil import SHANGHAI, local_today, now


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def fragment_headers(target: str) -> dict[str, str]:
    return {**HX, "HX-Target": target}


def book(world, fleet, **overrides) -> TestDriveBooking:
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot()}
    data.update(overrides)
    return services.bookings.create_booking(world.users["salesperson"], world.own_card.id, data)


def car_form(fleet, **overrides) -> dict[str, str]:
    far = (local_today() + timedelta(days=100)).isoformat()
    data = {
        "plate": "津C88888",
        "model_id": str(fleet.model.id),
        "vin": vin(5150),
        "transmission": "AT",
        "fuel_eighths": "6",
        "mileage_km": "300",
        "insurance_expires": far,
        "registration_expires": far,
    }
    data.update(overrides)
    return data


# --- cars -----------------------------------------------------------------------------


def test_car_list_page_and_fragment_show_status_and_reasons(client, world, fleet):
    fleet.manual.fuel_eighths = 2
    db.session.commit()
    client.login("keeper")
    html = assert_full_page(client.get("/testdrive/cars"))
    assert fleet.car.plate in html and fleet.other_store_car.plate not in html
    fragment = assert_fragment(
        client.get("/testdrive/cars", headers=fragment_headers("car-list")), "car-list"
    )
    assert "car-needs_preparation" in fragment and "1/2" in fragment


def test_new_car_form_page_fragment_and_vin_error_next_to_the_field(client, world, fleet):
    client.login("keeper")
    assert_full_page(client.get("/testdrive/cars/new"))
    assert_fragment(
        client.get("/testdrive/cars/new", headers=fragment_headers("car-form")), "car-form"
    )
    bad = car_form(fleet, vin=vin(5150)[:8] + "0" + vin(5150)[9:])
    if bad["vin"] == vin(5150):
        bad["vin"] = vin(5150)[:8] + "1" + vin(5150)[9:]
    response = client.post("/testdrive/cars/new", data=bad, headers=fragment_headers("car-form"))
    html = assert_fragment(response, "car-form", status=422)
    assert "vin" in field_errors(html) and count(TestDriveCar) == 3
    response = client.post("/testdrive/cars/new", data=car_form(fleet))
    assert response.status_code == 303 and count(TestDriveCar) == 4


def test_edit_car_page_fragment_and_save(client, world, fleet):
    client.login("manager")
    path = f"/testdrive/cars/{fleet.car.id}/edit"
    html = assert_full_page(client.get(path))
    assert fleet.car.vin in html
    assert_fragment(client.get(path, headers=fragment_headers("car-form")), "car-form")
    data = car_form(fleet, plate=fleet.car.plate, vin=fleet.car.vin, fuel_eighths="3", active="1")
    data["version"] = str(fleet.car.version)
    assert client.post(path, data=data).status_code == 303
    assert db.session.get(TestDriveCar, fleet.car.id).fuel_eighths == 3
    stale = client.post(path, data=data, headers=fragment_headers("car-form"))
    assert "version" in field_errors(assert_fragment(stale, "car-form", status=422))


def test_another_stores_car_is_404(client, world, fleet):
    client.login("keeper")
    assert client.get(f"/testdrive/cars/{fleet.other_store_car.id}/edit").status_code == 404


# --- routes ---------------------------------------------------------------------------


def route_form(fleet, **overrides):
    data = {
        "name": "河西路线",
        "model_ids": [str(fleet.model.id)],
        "duration_min": "20",
        "distance_km": "9",
        "swap_point": "友谊路口东侧临时停车区",
        "demo_points": "友谊路直道 | 加速\n减速带 | 舒适性",
        "welcome_text": "欢迎！",
    }
    data.update(overrides)
    return data


def test_route_list_page_and_fragment(client, world, fleet):
    client.login("sales")
    html = assert_full_page(client.get("/testdrive/routes"))
    assert fleet.route.name in html and fleet.other_store_route.name not in html
    assert "/testdrive/routes/new" not in html  # a salesperson does not plan routes
    assert_fragment(
        client.get("/testdrive/routes", headers=fragment_headers("route-list")), "route-list"
    )


def test_new_route_with_a_map_upload_and_the_welcome_sheet(client, world, fleet):
    client.login("keeper")
    assert_full_page(client.get("/testdrive/routes/new"))
    assert_fragment(
        client.get("/testdrive/routes/new", headers=fragment_headers("route-form")), "route-form"
    )
    bad = route_form(fleet)
    bad["map"] = (__import__("io").BytesIO(b"<svg></svg>"), "map.svg")
    response = client.post(
        "/testdrive/routes/new",
        data=bad,
        content_type="multipart/form-data",
        headers=fragment_headers("route-form"),
    )
    assert "map" in field_errors(assert_fragment(response, "route-form", status=422))
    good = route_form(fleet)
    good["map"] = (__import__("io").BytesIO(png_bytes()), "map.png")
    response = client.post("/testdrive/routes/new", data=good, content_type="multipart/form-data")
    assert response.status_code == 303
    route = next(
        r for r in services.routes.list_routes(world.users["car_keeper"]) if r.name == "河西路线"
    )
    client = client.application.test_client()
    client.login("sales")
    sheet = assert_full_page(client.get(f"/testdrive/routes/{route.id}/welcome"))
    assert "欢迎参加试乘试驾活动" in sheet and "友谊路口东侧临时停车区" in sheet
    assert sheet.index("友谊路直道") < sheet.index("减速带")
    assert f"/testdrive/routes/{route.id}/map" in sheet
    assert_fragment(
        client.get(
            f"/testdrive/routes/{route.id}/welcome", headers=fragment_headers("welcome-sheet")
        ),
        "welcome-sheet",
    )
    image = client.get(f"/testdrive/routes/{route.id}/map")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert image.data.startswith(b"\x89PNG")


def test_edit_route_page_fragment_and_validation(client, world, fleet):
    client.login("keeper")
    path = f"/testdrive/routes/{fleet.route.id}/edit"
    html = assert_full_page(client.get(path))
    assert "滨江大道 | 加速" in html
    assert_fragment(client.get(path, headers=fragment_headers("route-form")), "route-form")
    response = client.post(
        path, data=route_form(fleet, model_ids=[]), headers=fragment_headers("route-form")
    )
    assert "model_ids" in field_errors(assert_fragment(response, "route-form", status=422))
    assert client.post(path, data=route_form(fleet, active="1")).status_code == 303


def test_a_route_map_of_another_store_is_404(client, world, fleet):
    client.login("bsales")
    assert client.get(f"/testdrive/routes/{fleet.route.id}/map").status_code == 404
    assert client.get(f"/testdrive/routes/{fleet.route.id}/welcome").status_code == 404


# --- bookings -------------------------------------------------------------------------


def test_booking_form_page_fragment_and_booking(client, world, fleet):
    client.login("sales")
    path = f"/testdrive/bookings/new?card_id={world.own_card.id}"
    html = assert_full_page(client.get(path))
    assert fleet.car.plate in html and world.own_card.name in html
    assert_fragment(client.get(path, headers=fragment_headers("booking-form")), "booking-form")
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot()}
    response = client.post(path, data=data)
    assert response.status_code == 303
    booking = db.session.scalar(sa.select(TestDriveBooking))
    assert response.headers["Location"].endswith(f"/testdrive/bookings/{booking.id}")


def test_a_clash_comes_back_next_to_the_start_time(client, world, fleet):
    book(world, fleet, starts_at=fleet.slot(hour=10))
    client.login("manager")
    path = f"/testdrive/bookings/new?card_id={world.colleague_card.id}"
    data = {
        "car_id": fleet.car.id,
        "route_id": fleet.route.id,
        "starts_at": fleet.slot(hour=10, minute=15),
    }
    response = client.post(path, data=data, headers=fragment_headers("booking-form"))
    errors = field_errors(assert_fragment(response, "booking-form", status=422))
    assert fleet.car.plate in errors["starts_at"] and count(TestDriveBooking) == 1


def test_a_car_not_ready_shows_its_reason_on_the_form(client, world, fleet):
    fleet.car.insurance_expires = local_today() - timedelta(days=1)
    db.session.commit()
    client.login("sales")
    path = f"/testdrive/bookings/new?card_id={world.own_card.id}"
    html = assert_full_page(client.get(path))
    assert "insurance expired" in html or "保险" in html
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot()}
    errors = field_errors(client.post(path, data=data).get_data(as_text=True))
    assert "car_id" in errors


def test_an_unlicensed_salesperson_is_warned_and_must_name_a_driver(client, world, fleet):
    db.session.delete(db.session.get(StaffLicence, world.users["salesperson"].id))
    db.session.commit()
    client.login("sales")
    path = f"/testdrive/bookings/new?card_id={world.own_card.id}"
    assert 'id="driver-warning"' in assert_full_page(client.get(path))
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot()}
    response = client.post(path, data=data, headers=fragment_headers("booking-form"))
    assert "driver_id" in field_errors(assert_fragment(response, "booking-form", status=422))
    data["driver_id"] = world.users["colleague"].id
    assert client.post(path, data=data).status_code == 303


def test_booking_from_another_salespersons_card_is_404(client, world, fleet):
    client.login("sales")
    assert (
        client.get(f"/testdrive/bookings/new?card_id={world.colleague_card.id}").status_code == 404
    )
    assert client.get("/testdrive/bookings/new").status_code == 404


def test_booking_list_page_and_fragment(client, world, fleet):
    booking = book(world, fleet)
    client.login("sales")
    day = (local_today() + timedelta(days=1)).isoformat()
    html = assert_full_page(client.get(f"/testdrive/bookings?day={day}"))
    assert world.own_card.name in html and f"/testdrive/bookings/{booking.id}" in html
    fragment = assert_fragment(
        client.get(f"/testdrive/bookings?day={day}", headers=fragment_headers("booking-list")),
        "booking-list",
    )
    assert world.own_card.name in fragment
    assert client.get("/testdrive/bookings?day=nonsense").status_code == 404


def test_booking_page_fragment_and_cancel_with_reason(client, world, fleet):
    booking = book(world, fleet)
    client.login("sales")
    path = f"/testdrive/bookings/{booking.id}"
    html = assert_full_page(client.get(path))
    assert f"/testdrive/bookings/{booking.id}/packet" in html
    assert_fragment(client.get(path, headers=fragment_headers("booking-detail")), "booking-detail")
    cancel = f"{path}/cancel"
    response = client.post(cancel, data={"reason": ""}, headers=fragment_headers("booking-detail"))
    assert "reason" in field_errors(assert_fragment(response, "booking-detail", status=422))
    response = client.post(
        cancel, data={"reason": "客户改期"}, headers=fragment_headers("booking-detail")
    )
    assert_fragment(response, "booking-detail")
    assert response.headers["HX-Trigger"] == "booking-cancelled"
    assert db.session.get(TestDriveBooking, booking.id).status == BookingStatus.CANCELLED


def test_another_stores_booking_is_404(client, world, fleet):
    booking = book(world, fleet)
    client.login("bmanager")
    assert client.get(f"/testdrive/bookings/{booking.id}").status_code == 404
    assert (
        client.post(f"/testdrive/bookings/{booking.id}/cancel", data={"reason": "x"}).status_code
        == 404
    )


def test_schedule_page_and_fragment_without_customer_names(client, world, fleet):
    book(world, fleet, starts_at=fleet.slot(days=1, hour=9))
    client.login("keeper")
    html = assert_full_page(client.get("/testdrive/schedule"))
    assert fleet.car.plate in html and "09:00" in html
    assert world.own_card.name not in html
    assert fleet.other_store_car.plate not in html
    assert_fragment(
        client.get("/testdrive/schedule", headers=fragment_headers("schedule")), "schedule"
    )


# --- my day and the card ---------------------------------------------------------------


def test_my_day_lists_todays_bookings_with_the_packet_link(client, world, fleet):
    soon = (now() + timedelta(minutes=5)).astimezone(SHANGHAI)
    if soon.date() != local_today():
        pytest.skip("too close to midnight in Shanghai")
    booking = book(world, fleet, starts_at=soon.strftime("%Y-%m-%dT%H:%M"))
    client.login("sales")
    html = assert_full_page(client.get("/my-day"))
    assert 'id="my-test-drives"' in html
    assert f"/testdrive/bookings/{booking.id}/packet" in html
    assert fleet.route.name in html and fleet.car.plate in html


def test_card_page_offers_booking_and_loads_its_test_drives(client, world, fleet):
    booking = book(world, fleet)
    db.session.add(
        CardEvent(
            store_id=world.store_a.id,
            card_id=world.own_card.id,
            actor_id=world.users["salesperson"].id,
            kind="test_drive",
            data={
                "booking_id": booking.id,
                "scores": {"power": 4, "overall": 5},
                "intention": "近期购买",
                "likes": "很安静",
                "concerns": "后排空间",
            },
        )
    )
    db.session.commit()
    client.login("sales")
    card = assert_full_page(client.get(f"/customers/{world.own_card.id}"))
    assert f"/testdrive/bookings/new?card_id={world.own_card.id}" in card
    assert f"/testdrive/cards/{world.own_card.id}/drives" in card
    path = f"/testdrive/cards/{world.own_card.id}/drives"
    assert_full_page(client.get(path))
    fragment = assert_fragment(
        client.get(path, headers=fragment_headers("card-drives")), "card-drives"
    )
    assert fleet.route.name in fragment and "很安静" in fragment and "后排空间" in fragment
    assert re.search(r"5/5", fragment)


def test_licence_copy_links_show_to_owner_and_manager_only(client, world, fleet):
    booking = book(world, fleet)
    from webapp.blobs import store_blob

    blob = store_blob(
        png_bytes((1, 2, 3)), "image/png", "licence", world.store_a.id, world.users["salesperson"]
    )
    from webapp.testdrive.models import Consent

    consent = Consent(
        store_id=world.store_a.id,
        card_id=world.own_card.id,
        booking_id=booking.id,
        purpose="licence_copy",
        notice_version="1",
        recorded_by_id=world.users["salesperson"].id,
        entry_uuid="00000000-0000-0000-0000-000000000001",
    )
    db.session.add(consent)
    db.session.flush()
    check = LicenceCheck(
        store_id=world.store_a.id,
        booking_id=booking.id,
        card_id=world.own_card.id,
        owner_id=world.users["salesperson"].id,
        consent_id=consent.id,
        id_number_enc=b"x",
        id_number_last4="1234",
        licence_class="C1",
        expires_on=local_today() + timedelta(days=900),
        photo_sha256=blob.sha256,
        checked_by_id=world.users["salesperson"].id,
        purge_after=local_today() + timedelta(days=180),
        entry_uuid="00000000-0000-0000-0000-000000000002",
    )
    db.session.add(check)
    db.session.commit()
    path = f"/testdrive/cards/{world.own_card.id}/drives"
    for username in ("sales", "manager"):
        fresh = client.application.test_client()
        fresh.login(username)
        assert f"/privacy/licence/{check.id}" in fresh.get(path).get_data(as_text=True)
    greeter = client.application.test_client()
    greeter.login("greeter")
    assert greeter.get(path).status_code == 403


# --- licences and templates ------------------------------------------------------------


def test_licences_page_fragment_and_recording(client, world, fleet):
    client.login("manager")
    html = assert_full_page(client.get("/testdrive/licences"))
    assert world.users["car_keeper"].display_name in html
    assert_fragment(
        client.get("/testdrive/licences", headers=fragment_headers("licences")), "licences"
    )
    bad = client.post(
        "/testdrive/licences",
        data={"user_id": "", "licence_class": "Z"},
        headers=fragment_headers("licences"),
    )
    assert {"user_id", "licence_class", "expires_on"} <= set(
        field_errors(assert_fragment(bad, "licences", status=422))
    )
    expires = (local_today() + timedelta(days=400)).isoformat()
    data = {"user_id": world.users["car_keeper"].id, "licence_class": "C2", "expires_on": expires}
    ok = client.post("/testdrive/licences", data=data, headers=fragment_headers("licences"))
    assert_fragment(ok, "licences")
    assert db.session.get(StaffLicence, world.users["car_keeper"].id).licence_class == "C2"


def test_templates_page_fragment_and_a_new_version(client, world):
    services.checklists.ensure_default_templates()
    db.session.commit()
    client.login("admin")
    html = assert_full_page(client.get("/testdrive/templates"))
    assert "动力性" in html or "Power" in html
    assert_fragment(
        client.get("/testdrive/templates", headers=fragment_headers("templates")), "templates"
    )
    path = "/testdrive/templates/ride/edit"
    form = assert_full_page(client.get(path))
    assert "belts_on |" in form
    assert_fragment(client.get(path, headers=fragment_headers("template-form")), "template-form")
    bad = client.post(path, data={"items": "x"}, headers=fragment_headers("template-form"))
    assert "items" in field_errors(assert_fragment(bad, "template-form", status=422))
    text = (
        services.checklists.items_text(services.checklists.current_templates()["ride"].items)
        + "\ncoffee | 咖啡 | Coffee | tick"
    )
    assert client.post(path, data={"items": text}).status_code == 303
    assert services.checklists.current_templates()["ride"].version == 2
    assert client.get("/testdrive/templates/lunch/edit").status_code == 404


# --- SQL statements per page -------------------------------------------------------------


def statements(client, path: str) -> int:
    response = client.get(path)
    assert response.status_code == 200, path
    return int(response.headers["X-SQL-Count"])


def test_main_pages_stay_within_ten_statements_and_do_not_grow_with_rows(client, world, fleet):
    def pages():
        day = (local_today() + timedelta(days=1)).isoformat()
        return {
            "keeper": ["/testdrive/cars", "/testdrive/schedule", "/testdrive/routes"],
            "sales": [
                f"/testdrive/bookings?day={day}",
                f"/testdrive/bookings/new?card_id={world.own_card.id}",
                f"/testdrive/cards/{world.own_card.id}/drives",
                f"/testdrive/routes/{fleet.route.id}/welcome",
                "/my-day",
            ],
            "manager": ["/testdrive/licences"],
        }

    def measure():
        result = {}
        for user, paths in pages().items():
            fresh = client.application.test_client()
            fresh.login(user)
            for path in paths:
                result[path] = statements(fresh, path)
        return result

    book(world, fleet, starts_at=fleet.slot(hour=9))
    few = measure()
    for n in range(10, 22):
        car = make_car(world.store_a, fleet.model, n)
        services.bookings.create_booking(
            world.users["salesperson"],
            world.own_card.id,
            {"car_id": car.id, "route_id": fleet.route.id, "starts_at": fleet.slot(hour=9 + n % 8)},
        )
    many = measure()
    for path, n in many.items():
        assert n <= 10, f"{path}: {n} statements"
        assert n == few[path], f"{path}: {few[path]} statements with few rows, {n} with many"


def test_the_keeper_lands_on_the_car_schedule(client, world):
    client.login("keeper")
    assert client.get("/").headers["Location"] == "/testdrive/schedule"
