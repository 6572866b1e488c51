"""Rules of the test-drive back office: car readiness, VINs, routes and maps, bookings without
clashes, who may drive, staff licences, versioned checklist templates, scoping."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from tests.testdrive.conftest import local, make_car, png_bytes
from webapp import timeutil
from webapp.customers.models import CardEvent
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.home import services as home
from webapp.testdrive import services
from webapp.testdrive.models import (
    ChecklistTemplate,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.timeutil import SHANGHAI, local_today, now


def car_data(fleet, **overrides):
    far = (local_today() + timedelta(days=200)).isoformat()
    data = {
        "plate": "津B 12345",
        "model_id": str(fleet.model.id),
        "vin": "LFMAP22C0N0000999",
        "transmission": "AT",
        "fuel_eighths": "8",
        "mileage_km": "1200",
        "insurance_expires": far,
        "registration_expires": far,
        "cleaning_due_on": "",
        "keeper_id": "",
    }
    from tests.policies.testdrive import vin

    data["vin"] = vin(4711)
    data.update(overrides)
    return data


def book(world, fleet, who="salesperson", card=None, **overrides):
    data = {
        "car_id": str(fleet.car.id),
        "route_id": str(fleet.route.id),
        "starts_at": fleet.slot(),
        "driver_id": "",
    }
    data.update(overrides)
    return services.bookings.create_booking(world.users[who], (card or world.own_card).id, data)


# --- cars -----------------------------------------------------------------------------


def test_keeper_registers_a_car_with_a_normalised_plate(world, fleet):
    car = services.cars.create_car(world.users["car_keeper"], car_data(fleet))
    assert car.plate == "津B12345" and car.store_id == world.store_a.id


def test_a_vin_with_a_wrong_check_digit_is_refused_with_the_expected_digit(world, fleet):
    good = car_data(fleet)["vin"]
    wrong = good[:8] + ("1" if good[8] != "1" else "2") + good[9:]
    with pytest.raises(ValidationError) as exc:
        services.cars.create_car(world.users["car_keeper"], car_data(fleet, vin=wrong))
    assert "9" in exc.value.errors["vin"] and good[8] in exc.value.errors["vin"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveCar)) == 3


@pytest.mark.parametrize("bad", ["", "LFMAP22C0N00009", "LFMAP22C0N000099I"])
def test_a_vin_of_the_wrong_shape_is_refused(world, fleet, bad):
    with pytest.raises(ValidationError) as exc:
        services.cars.create_car(world.users["car_keeper"], car_data(fleet, vin=bad))
    assert "vin" in exc.value.errors


def test_a_duplicate_plate_in_the_store_is_refused(world, fleet):
    with pytest.raises(ValidationError) as exc:
        services.cars.create_car(world.users["car_keeper"], car_data(fleet, plate=fleet.car.plate))
    assert "plate" in exc.value.errors


def test_a_salesperson_cannot_manage_cars(world, fleet):
    with pytest.raises(PermissionDenied):
        services.cars.create_car(world.users["salesperson"], car_data(fleet))
    with pytest.raises(PermissionDenied):
        services.cars.list_cars(world.users["salesperson"])


def test_another_stores_car_is_not_found(world, fleet):
    with pytest.raises(NotFound):
        services.cars.get_car(world.users["car_keeper"], fleet.other_store_car.id)
    plates = [car.plate for car, _s in services.cars.list_cars(world.users["car_keeper"])]
    assert fleet.other_store_car.plate not in plates and fleet.car.plate in plates


def test_car_status_lists_every_reason_it_needs_preparation(world, fleet):
    car = fleet.car
    car.fuel_eighths = 3
    car.insurance_expires = local_today() - timedelta(days=1)
    car.cleaning_due_on = local_today()
    db.session.commit()
    status = services.cars.car_status(car, now())
    assert status.code == "needs_preparation"
    assert status.reasons == ("fuel_low", "insurance_expired", "cleaning_due")
    car.fuel_eighths = 4  # exactly half a tank is enough
    car.insurance_expires = local_today()  # valid through its last day
    car.cleaning_due_on = local_today() + timedelta(days=1)
    db.session.commit()
    assert services.cars.car_status(car, now()).ready


def test_car_status_is_in_use_while_a_booking_runs(world, fleet):
    booking = book(world, fleet, starts_at=fleet.slot(days=1, hour=10))
    during = booking.starts_at + timedelta(minutes=5)
    assert services.cars.car_status(fleet.car, during).code == "in_use"
    assert services.cars.car_status(fleet.car, booking.ends_at).ready


def test_a_stale_car_version_is_refused(world, fleet):
    keeper = world.users["car_keeper"]
    data = car_data(fleet, plate=fleet.car.plate, vin=fleet.car.vin, active="1")
    services.cars.update_car(keeper, fleet.car.id, data, fleet.car.version)
    with pytest.raises(ValidationError) as exc:
        services.cars.update_car(keeper, fleet.car.id, data, 1)
    assert "version" in exc.value.errors


# --- routes and maps --------------------------------------------------------------------


def route_data(fleet, **overrides):
    data = {
        "name": "城市环线",
        "model_ids": [str(fleet.model.id)],
        "duration_min": "25",
        "distance_km": "12",
        "swap_point": "体育中心停车场",
        "demo_points": "滨江大道 | 加速\n减速带 | 悬挂舒适性\n静音",
        "welcome_text": "欢迎您！",
    }
    data.update(overrides)
    return data


def test_a_route_keeps_its_demo_points_in_order_and_its_map(world, fleet, blob_dir):
    route = services.routes.create_route(world.users["car_keeper"], route_data(fleet), png_bytes())
    assert route.demo_points == [
        {"at": "滨江大道", "show": "加速"},
        {"at": "减速带", "show": "悬挂舒适性"},
        {"at": "", "show": "静音"},
    ]
    data, mime = services.routes.route_map_of(world.users["greeter"], route.id)
    assert mime == "image/png" and Image.open(io.BytesIO(data)).size == (64, 48)
    from webapp.blobs.models import Blob

    blob = db.session.get(Blob, route.map_sha256)
    assert blob.purpose == "route_map" and not blob.sensitive


def test_a_map_from_another_store_is_not_found(world, fleet):
    route = services.routes.create_route(world.users["car_keeper"], route_data(fleet), png_bytes())
    with pytest.raises(NotFound):
        services.routes.route_map_of(world.users["other_salesperson"], route.id)


@pytest.mark.parametrize(
    "upload",
    [
        b"<svg xmlns='http://www.w3.org/2000/svg'></svg>",
        b"GIF89a" + b"\0" * 20,
        b"\x89PNG\r\n\x1a\n" + b"garbage",
    ],
)
def test_a_map_that_is_not_a_sane_png_or_jpeg_is_refused_and_nothing_saved(world, fleet, upload):
    with pytest.raises(ValidationError) as exc:
        services.routes.create_route(world.users["car_keeper"], route_data(fleet), upload)
    assert "map" in exc.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveRoute)) == 2


def test_a_jpeg_map_is_reencoded_without_exif(world, fleet):
    image = Image.new("RGB", (300, 200), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010E] = "secret description"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    data, mime = services.routes.prepare_route_map(out.getvalue())
    assert mime == "image/jpeg" and b"secret description" not in data


def test_a_route_needs_models_a_swap_point_and_demo_points(world, fleet):
    with pytest.raises(ValidationError) as exc:
        services.routes.create_route(
            world.users["car_keeper"],
            route_data(fleet, model_ids=[], swap_point="", demo_points="", duration_min="2"),
            None,
        )
    assert set(exc.value.errors) == {"model_ids", "swap_point", "demo_points", "duration_min"}


# --- bookings -------------------------------------------------------------------------


def test_a_booking_joins_card_owner_driver_car_route_and_slot(world, fleet):
    booking = book(world, fleet, starts_at=fleet.slot(hour=14, minute=30))
    assert booking.owner_id == world.users["salesperson"].id
    assert booking.driver_id == booking.owner_id
    assert booking.starts_at == local(fleet.slot(hour=14, minute=30))
    assert booking.ends_at - booking.starts_at == timedelta(minutes=fleet.route.duration_min)


def test_a_manager_books_for_the_cards_owner(world, fleet):
    booking = book(world, fleet, who="sales_manager", card=world.colleague_card)
    assert booking.owner_id == world.users["colleague"].id


def test_two_bookings_may_not_overlap_on_one_car(world, fleet):
    book(world, fleet, starts_at=fleet.slot(hour=10))
    with pytest.raises(ValidationError) as exc:
        book(
            world,
            fleet,
            who="colleague",
            card=world.colleague_card,
            starts_at=fleet.slot(hour=10, minute=20),
        )
    message = exc.value.errors["starts_at"]
    assert fleet.car.plate in message and "10:00" in message and "10:30" in message
    # Back to back is fine, and so is the other car at the same time.
    book(
        world,
        fleet,
        who="colleague",
        card=world.colleague_card,
        starts_at=fleet.slot(hour=10, minute=30),
    )
    book(world, fleet, car_id=str(fleet.manual.id), starts_at=fleet.slot(hour=10, minute=10))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveBooking)) == 3


def test_a_cancelled_booking_frees_the_slot(world, fleet):
    first = book(world, fleet)
    services.bookings.cancel_booking(world.users["salesperson"], first.id, "客户改期")
    assert book(world, fleet).id != first.id


def test_a_car_that_is_not_ready_cannot_be_booked_and_the_reason_is_shown(world, fleet):
    fleet.car.fuel_eighths = 2
    fleet.car.registration_expires = local_today()
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        book(world, fleet, starts_at=fleet.slot(days=2))
    message = exc.value.errors["car_id"]
    # Messages are in the default language, Chinese.
    assert "1/2" in message and "行驶证检验已过期" in message
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveBooking)) == 0


def test_cleaning_due_by_the_drive_day_blocks_the_booking(world, fleet):
    fleet.car.cleaning_due_on = local_today() + timedelta(days=2)
    db.session.commit()
    book(world, fleet, starts_at=fleet.slot(days=1))
    with pytest.raises(ValidationError) as exc:
        book(world, fleet, starts_at=fleet.slot(days=2))
    assert "需要清洁" in exc.value.errors["car_id"]


def test_an_unlicensed_salesperson_needs_a_qualified_colleague_as_driver(world, fleet):
    db.session.delete(db.session.get(StaffLicence, world.users["salesperson"].id))
    db.session.commit()
    with pytest.raises(ValidationError) as exc:
        book(world, fleet)
    assert "同事" in exc.value.errors["driver_id"]
    booking = book(world, fleet, driver_id=str(world.users["colleague"].id))
    assert booking.driver_id == world.users["colleague"].id
    assert booking.owner_id == world.users["salesperson"].id


def test_a_driver_without_a_licence_is_refused_as_driver(world, fleet):
    with pytest.raises(ValidationError) as exc:
        book(world, fleet, driver_id=str(world.users["greeter"].id))
    assert world.users["greeter"].display_name in exc.value.errors["driver_id"]


def test_a_c2_licence_does_not_cover_a_manual_car(world, fleet):
    lic = db.session.get(StaffLicence, world.users["salesperson"].id)
    lic.licence_class = "C2"
    db.session.commit()
    book(world, fleet)  # automatic: fine
    with pytest.raises(ValidationError) as exc:
        book(world, fleet, car_id=str(fleet.manual.id))
    assert "driver_id" in exc.value.errors


def test_a_licence_expiring_before_the_drive_does_not_count(world, fleet):
    lic = db.session.get(StaffLicence, world.users["salesperson"].id)
    lic.expires_on = local_today() + timedelta(days=1)
    db.session.commit()
    book(world, fleet, starts_at=fleet.slot(days=1))
    with pytest.raises(ValidationError):
        book(world, fleet, starts_at=fleet.slot(days=2))


def test_a_route_not_planned_for_the_cars_model_is_refused(world, fleet):
    other = make_car(world.store_a, fleet.other_model, 7)
    with pytest.raises(ValidationError) as exc:
        book(world, fleet, car_id=str(other.id))
    assert "皇冠" in exc.value.errors["route_id"]


def test_a_start_in_the_past_or_garbage_is_refused(world, fleet):
    for bad in ("", "yesterday", fleet.slot(days=-1)):
        with pytest.raises(ValidationError) as exc:
            book(world, fleet, starts_at=bad)
        assert "starts_at" in exc.value.errors


def test_another_stores_car_or_route_cannot_be_booked(world, fleet):
    with pytest.raises(ValidationError) as exc:
        book(
            world,
            fleet,
            car_id=str(fleet.other_store_car.id),
            route_id=str(fleet.other_store_route.id),
        )
    assert {"car_id", "route_id"} <= set(exc.value.errors)


def test_a_salesperson_cannot_book_for_a_colleagues_card(world, fleet):
    with pytest.raises(NotFound):
        book(world, fleet, card=world.colleague_card)


def test_a_colleague_sees_a_booking_they_drive_but_not_others(world, fleet):
    mine = book(world, fleet, driver_id=str(world.users["colleague"].id))
    assert services.bookings.get_booking(world.users["colleague"], mine.id).id == mine.id
    other = book(
        world, fleet, who="sales_manager", card=world.colleague_card, starts_at=fleet.slot(hour=15)
    )
    with pytest.raises(NotFound):
        services.bookings.get_booking(world.users["salesperson"], other.id)
    with pytest.raises(NotFound):
        services.bookings.get_booking(world.users["other_salesperson"], mine.id)
    with pytest.raises(PermissionDenied):
        services.bookings.get_booking(world.users["greeter"], mine.id)


def test_cancelling_needs_a_reason_and_only_once(world, fleet):
    booking = book(world, fleet)
    with pytest.raises(ValidationError):
        services.bookings.cancel_booking(world.users["salesperson"], booking.id, "  ")
    services.bookings.cancel_booking(world.users["salesperson"], booking.id, "客户临时有事")
    assert booking.status == "cancelled" and booking.cancel_reason == "客户临时有事"
    with pytest.raises(ValidationError):
        services.bookings.cancel_booking(world.users["salesperson"], booking.id, "again")


def test_my_day_lists_todays_bookings_sold_or_driven_by_time(world, fleet, monkeypatch):
    # The clock stands at 10:00 in Shanghai today, so "two bookings later today" fit whenever
    # the test runs (late in the evening there was no room left, and it was skipped).
    moment = datetime.combine(local_today(), time(10, 0), tzinfo=SHANGHAI).astimezone(UTC)
    for module in (timeutil, services.bookings):
        monkeypatch.setattr(module, "now", lambda: moment)
    soon = (moment + timedelta(minutes=5)).astimezone(SHANGHAI)
    first = soon.strftime("%Y-%m-%dT%H:%M")
    second = (soon + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M")
    later = book(world, fleet, starts_at=second)
    book(world, fleet, starts_at=fleet.slot(days=1))  # tomorrow: not on today's list
    driven = book(
        world,
        fleet,
        who="sales_manager",
        card=world.colleague_card,
        car_id=str(fleet.manual.id),
        driver_id=str(world.users["salesperson"].id),
        starts_at=first,
    )
    day = home.my_day(world.users["salesperson"])
    assert [b.id for b in day.test_drives] == [driven.id, later.id]
    assert [b.id for b in home.my_day(world.users["colleague"]).test_drives] == [driven.id]


def test_the_booking_list_rows_carry_customer_car_route_and_people(world, fleet):
    booking = book(world, fleet, driver_id=str(world.users["colleague"].id))
    cancelled = book(world, fleet, starts_at=fleet.slot(hour=15))
    services.bookings.cancel_booking(world.users["salesperson"], cancelled.id, "改期")
    rows = services.bookings.list_bookings(
        world.users["sales_manager"], local_today() + timedelta(days=1)
    )
    assert [row.id for row in rows] == [booking.id, cancelled.id]
    row = rows[0]
    assert (row.customer_name, row.plate, row.model_zh, row.model_en, row.route_name) == (
        world.own_card.name,
        fleet.car.plate,
        "卡罗拉",
        "Corolla",
        fleet.route.name,
    )
    assert (row.owner_name, row.driver_name) == (
        world.users["salesperson"].display_name,
        world.users["colleague"].display_name,
    )
    assert (row.starts_at, row.ends_at) == (booking.starts_at, booking.ends_at)
    assert row.status == "booked" and row.card_id == world.own_card.id
    assert (rows[1].status, rows[1].cancel_reason) == ("cancelled", "改期")
    # The colleague sees only what they drive; another store sees nothing.
    colleague = services.bookings.list_bookings(
        world.users["colleague"], local_today() + timedelta(days=1)
    )
    assert [row.id for row in colleague] == [booking.id]
    other_store = world.users["other_salesperson"]
    assert services.bookings.list_bookings(other_store, local_today() + timedelta(days=1)) == []


def test_the_schedule_shows_the_same_car_status_as_the_car_list(world, fleet, monkeypatch):
    booking = book(world, fleet, starts_at=fleet.slot(days=1, hour=10))
    fleet.manual.fuel_eighths = 2
    db.session.commit()
    keeper = world.users["car_keeper"]
    for moment in (now(), booking.starts_at + timedelta(minutes=5), booking.ends_at):
        for module in (services.cars, services.schedule):
            monkeypatch.setattr(module, "now", lambda moment=moment: moment)
        statuses = {car.plate: status for car, status in services.cars.list_cars(keeper)}
        rows = services.schedule.schedule(keeper, local_today())
        assert {row.car.plate: row.status for row in rows} == statuses
    during = booking.starts_at + timedelta(minutes=5)
    for module in (services.cars, services.schedule):
        monkeypatch.setattr(module, "now", lambda: during)
    by_plate = {
        row.car.plate: row.status for row in services.schedule.schedule(keeper, local_today())
    }
    assert by_plate[fleet.car.plate].code == "in_use"
    assert by_plate[fleet.manual.plate] == services.cars.CarStatus(
        "needs_preparation", ("fuel_low",)
    )


def test_the_schedule_leaves_out_cancelled_bookings_and_names_the_driver(world, fleet):
    kept = book(world, fleet, driver_id=str(world.users["colleague"].id))
    dropped = book(world, fleet, starts_at=fleet.slot(hour=15))
    services.bookings.cancel_booking(world.users["salesperson"], dropped.id, "改期")
    rows = services.schedule.schedule(world.users["car_keeper"], local_today())
    slots = [slot for row in rows for day in row.days for slot in day.bookings]
    assert [slot.id for slot in slots] == [kept.id]
    assert (slots[0].owner_name, slots[0].driver_name) == (
        world.users["salesperson"].display_name,
        world.users["colleague"].display_name,
    )


def test_schedule_shows_each_car_with_its_bookings_per_day(world, fleet):
    b1 = book(world, fleet, starts_at=fleet.slot(days=1, hour=9))
    b2 = book(world, fleet, car_id=str(fleet.manual.id), starts_at=fleet.slot(days=2, hour=11))
    rows = services.schedule.schedule(world.users["car_keeper"], local_today())
    by_plate = {row.car.plate: row for row in rows}
    assert set(by_plate) == {fleet.car.plate, fleet.manual.plate}
    assert [b.id for b in by_plate[fleet.car.plate].days[1].bookings] == [b1.id]
    assert [b.id for b in by_plate[fleet.manual.plate].days[2].bookings] == [b2.id]
    with pytest.raises(PermissionDenied):
        services.schedule.schedule(world.users["greeter"], local_today())


# --- licences --------------------------------------------------------------------------


def test_the_manager_records_and_renews_a_staff_licence(world, fleet):
    manager = world.users["sales_manager"]
    target = world.users["car_keeper"]
    expires = (local_today() + timedelta(days=30)).isoformat()
    services.licences.record_licence(
        manager, {"user_id": target.id, "licence_class": "c2", "expires_on": expires}
    )
    services.licences.record_licence(
        manager, {"user_id": target.id, "licence_class": "C1", "expires_on": expires}
    )
    lic = db.session.get(StaffLicence, target.id)
    assert lic.licence_class == "C1" and lic.checked_by_id == manager.id


def test_an_expired_or_foreign_licence_record_is_refused(world, fleet):
    manager = world.users["sales_manager"]
    with pytest.raises(ValidationError) as exc:
        services.licences.record_licence(
            manager,
            {
                "user_id": world.users["other_salesperson"].id,
                "licence_class": "D",
                "expires_on": local_today().isoformat(),
            },
        )
    assert set(exc.value.errors) == {"user_id", "licence_class", "expires_on"}
    with pytest.raises(PermissionDenied):
        services.licences.record_licence(world.users["salesperson"], {})


# --- checklist templates -----------------------------------------------------------------


def test_default_templates_cover_every_kind_once(app):
    assert services.checklists.ensure_default_templates() == 6
    assert services.checklists.ensure_default_templates() == 0
    db.session.commit()
    current = services.checklists.current_templates()
    assert set(current) == {"predrive", "ride", "swap", "drive", "after", "feedback"}
    feedback_keys = [item["key"] for item in current["feedback"].items]
    for key in (
        "power",
        "handling",
        "braking",
        "comfort",
        "quietness",
        "visibility",
        "audio",
        "overall",
        "likes",
        "concerns",
        "intention",
    ):
        assert key in feedback_keys


def test_editing_a_template_makes_a_new_current_version_and_keeps_the_old(world):
    services.checklists.ensure_default_templates()
    db.session.commit()
    admin = world.users["admin"]
    old = services.checklists.current_templates()["swap"]
    text = services.checklists.items_text(old.items) + "\nwater | 提供矿泉水 | Water offered | tick"
    new = services.checklists.save_template(admin, "swap", text)
    assert new.version == 2 and new.current and new.items[-1]["key"] == "water"
    versions = db.session.scalars(
        sa.select(ChecklistTemplate)
        .where(ChecklistTemplate.kind == "swap")
        .order_by(ChecklistTemplate.version)
    ).all()
    assert [(t.version, t.current) for t in versions] == [(1, False), (2, True)]
    assert versions[0].items == old.items
    # Unchanged: no new version.
    assert services.checklists.save_template(admin, "swap", text).version == 2


def test_the_items_text_round_trips(app):
    for items in services.checklists.DEFAULT_TEMPLATES.values():
        assert services.checklists.parse_items(services.checklists.items_text(items)) == items


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "至少添加一项"),
        ("Bad Key | 中 | En | tick", "第 1 行"),
        ("a | 中 | En | tick\na | 中 | En | tick", "第 2 行"),
        ("a | 中 | En | slider", "tick、score"),
        ("a | 中 | En | choice | only", "两个选项"),
        ("a | 中 |  | tick", "英文名称"),
    ],
)
def test_a_bad_template_line_is_refused_naming_the_line(world, text, fragment):
    with pytest.raises(ValidationError) as exc:
        services.checklists.save_template(world.users["admin"], "ride", text)
    assert fragment in exc.value.errors["items"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ChecklistTemplate)) == 0


def test_only_admins_edit_templates_and_only_known_kinds(world):
    with pytest.raises(PermissionDenied):
        services.checklists.save_template(
            world.users["sales_manager"], "ride", "a | 中 | En | tick"
        )
    with pytest.raises(NotFound):
        services.checklists.save_template(world.users["admin"], "lunch", "a | 中 | En | tick")


# --- the card's test drives ---------------------------------------------------------------


def test_the_card_shows_its_test_drives_with_feedback(world, fleet):
    booking = book(world, fleet)
    db.session.add(
        CardEvent(
            store_id=world.store_a.id,
            card_id=world.own_card.id,
            actor_id=world.users["salesperson"].id,
            kind="test_drive",
            data={
                "booking_id": booking.id,
                "scores": {"power": 5},
                "intention": "近期购买",
                "likes": "安静",
                "concerns": "后排",
            },
        )
    )
    db.session.commit()
    _card, lines, may_see = services.bookings.card_test_drives(
        world.users["salesperson"], world.own_card.id
    )
    assert may_see and [line.booking.id for line in lines] == [booking.id]
    assert lines[0].feedback["scores"] == {"power": 5}
    with pytest.raises(NotFound):
        services.bookings.card_test_drives(world.users["colleague"], world.own_card.id)
    with pytest.raises(PermissionDenied):
        services.bookings.card_test_drives(world.users["greeter"], world.own_card.id)


def test_two_tablets_booking_the_same_slot_at_once_get_one_booking(app, world, fleet, monkeypatch):
    """PostgreSQL locks the car row; SQLite serialises the writers and the overlap is checked
    again after the insert: either way exactly one booking wins, the other gets the clash."""
    import threading
    import time

    from webapp.auth.models import User

    checked = services.bookings._clash

    def slow_check(*args, **kwargs):
        """Widen the race: pause between the first overlap check and the insert."""
        found = checked(*args, **kwargs)
        if kwargs.get("exclude") is None:
            time.sleep(0.3)
        return found

    monkeypatch.setattr(services.bookings, "_clash", slow_check)

    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    jobs = [
        (world.users["salesperson"].id, world.own_card.id),
        (world.users["sales_manager"].id, world.colleague_card.id),
    ]
    data = {"car_id": fleet.car.id, "route_id": fleet.route.id, "starts_at": fleet.slot(hour=11)}

    def attempt(user_id: int, card_id: int) -> None:
        with app.app_context():
            actor = db.session.get(User, user_id)
            barrier.wait()
            try:
                services.bookings.create_booking(actor, card_id, data)
                outcomes.append("booked")
            except ValidationError as exc:
                outcomes.append("clash" if "starts_at" in exc.errors else repr(exc.errors))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=job) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["booked", "clash"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(TestDriveBooking)) == 1


def test_the_longest_route_still_clashes_and_shows_in_use_near_its_end(world, fleet):
    """The clash and "in use" queries look back only as far as the longest route (180 min):
    a booking of that length is still found in its last minutes."""
    fleet.route.duration_min = services.cars.MAX_ROUTE_MINUTES
    db.session.commit()
    booking = book(world, fleet, starts_at=fleet.slot(days=1, hour=9))
    assert booking.ends_at - booking.starts_at == services.cars.LONGEST_DRIVE
    near_end = booking.ends_at - timedelta(minutes=5)
    assert services.cars.car_status(fleet.car, near_end).code == "in_use"
    with pytest.raises(ValidationError) as exc:
        book(
            world,
            fleet,
            who="colleague",
            card=world.colleague_card,
            starts_at=fleet.slot(days=1, hour=11, minute=50),
        )
    assert fleet.car.plate in exc.value.errors["starts_at"]
