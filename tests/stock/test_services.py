"""Rules of the vehicle stock: VIN check digit, SFX and colour of the model, the list by store,
the all-or-nothing CSV import with its row report, and reserving a car for one contract."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from tests.conftest import require_postgres
from tests.stock.conftest import csv_bytes, form, make_vehicle, vin, wrong_vin
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.stock import services
from webapp.stock.models import Vehicle


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Vehicle))


# --- the form ---------------------------------------------------------------------------


def test_keeper_adds_a_car_with_a_valid_vin(world, catalogue):
    car = services.create_vehicle(
        world.users["car_keeper"], form(catalogue, vin=" " + vin(1).lower())
    )
    assert car.vin == vin(1)
    assert car.store_id == world.store_a.id and car.status == "in_stock"


def test_a_vin_with_a_wrong_check_digit_is_refused_and_nothing_saved(world, catalogue):
    with pytest.raises(ValidationError) as exc:
        services.create_vehicle(world.users["car_keeper"], form(catalogue, vin=wrong_vin(2)))
    assert "校验位" in exc.value.errors["vin"]
    assert vin(2)[8] in exc.value.errors["vin"]
    assert count() == 0


def test_sfx_and_colour_of_another_model_are_refused(world, catalogue):
    data = form(catalogue, sfx_id=str(catalogue.crown_sfx.id), colour_id=str(catalogue.red.id))
    with pytest.raises(ValidationError) as exc:
        services.create_vehicle(world.users["sales_manager"], data)
    assert set(exc.value.errors) == {"sfx_id", "colour_id"}
    assert count() == 0


def test_a_vin_is_unique_across_stores(world, catalogue):
    make_vehicle(world.store_b, catalogue, 3)
    with pytest.raises(ValidationError) as exc:
        services.create_vehicle(world.users["admin"], form(catalogue, vin=vin(3)))
    assert "vin" in exc.value.errors


def test_reserved_status_cannot_be_set_by_hand(world, catalogue):
    with pytest.raises(ValidationError) as exc:
        services.create_vehicle(world.users["admin"], form(catalogue, status="reserved"))
    assert "status" in exc.value.errors


def test_salesperson_may_look_but_not_edit(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 4)
    seller = world.users["salesperson"]
    assert services.get_vehicle(seller, car.id).id == car.id
    with pytest.raises(PermissionDenied):
        services.create_vehicle(seller, form(catalogue))
    with pytest.raises(PermissionDenied):
        services.update_vehicle(seller, car.id, form(catalogue, vin=car.vin), None)


@pytest.mark.parametrize("role", ["greeter", "finance", "service_advisor"])
def test_other_roles_do_not_see_the_stock(world, catalogue, role):
    with pytest.raises(PermissionDenied):
        services.list_vehicles(world.users[role])


def test_edit_keeps_a_stale_version_out(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 5)
    keeper = world.users["car_keeper"]
    services.update_vehicle(keeper, car.id, form(catalogue, vin=car.vin, location="X"), 1)
    with pytest.raises(ValidationError) as exc:
        services.update_vehicle(keeper, car.id, form(catalogue, vin=car.vin, location="Y"), 1)
    assert "version" in exc.value.errors
    assert db.session.get(Vehicle, car.id).location == "X"


# --- the list ---------------------------------------------------------------------------


def test_list_filters_by_model_and_status_and_counts_each_status(world, catalogue):
    make_vehicle(world.store_a, catalogue, 10)
    make_vehicle(world.store_a, catalogue, 11, status="in_transit", location="")
    make_vehicle(world.store_a, catalogue, 12, status="delivered")
    make_vehicle(
        world.store_a,
        catalogue,
        13,
        model_id=catalogue.crown.id,
        sfx_id=catalogue.crown_sfx.id,
        colour_id=catalogue.red.id,
    )
    make_vehicle(world.store_b, catalogue, 14)
    seller = world.users["salesperson"]

    stock = services.list_vehicles(seller)
    assert {c.vin for c in stock.rows} == {vin(10), vin(11), vin(13)}
    assert stock.total == 3
    assert stock.counts["in_stock"] == 2 and stock.counts["delivered"] == 1

    corolla = services.list_vehicles(seller, catalogue.corolla.id, "in_transit")
    assert [c.vin for c in corolla.rows] == [vin(11)]
    assert corolla.counts == {
        "in_transit": 1,
        "in_stock": 1,
        "pds": 0,
        "reserved": 0,
        "delivered": 1,
    }


def test_another_stores_car_is_not_found(world, catalogue):
    car = make_vehicle(world.store_b, catalogue, 15)
    with pytest.raises(NotFound):
        services.get_vehicle(world.users["sales_manager"], car.id)


# --- the import -------------------------------------------------------------------------


def test_import_creates_cars_from_a_file_with_a_bom(world, catalogue):
    raw = csv_bytes(
        f"{vin(20)},COROLLA,ZRE211-P,铂金珍珠白,在库,1号库 A-01,2026/11/20",
        f"{vin(21).lower()},crown,AZSH35-L,Emotional Red,in_transit,,",
        bom=True,
    )
    report = services.import_csv(world.users["car_keeper"], raw)
    assert report.saved and (report.created, report.updated) == (2, 0)
    cars = {c.vin: c for c in db.session.scalars(sa.select(Vehicle))}
    assert cars[vin(20)].status == "in_stock" and str(cars[vin(20)].arrived_on) == "2026-11-20"
    assert cars[vin(21)].model_id == catalogue.crown.id and cars[vin(21)].status == "in_transit"


def test_import_updates_status_and_location_of_the_stores_vins(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 22, status="in_transit", location="")
    raw = csv_bytes(f"{vin(22)},COROLLA,ZRE211-P,铂金珍珠白,pds,PDS工位 2,2026-12-01")
    report = services.import_csv(world.users["sales_manager"], raw)
    assert (report.created, report.updated) == (0, 1)
    db.session.expire_all()
    car = db.session.get(Vehicle, car.id)
    assert (car.status, car.location, str(car.arrived_on)) == ("pds", "PDS工位 2", "2026-12-01")


def test_one_bad_row_saves_nothing_and_every_problem_is_reported(world, catalogue):
    make_vehicle(world.store_b, catalogue, 30)
    kept = make_vehicle(world.store_a, catalogue, 31, location="old")
    raw = csv_bytes(
        f"{vin(32)},COROLLA,ZRE211-P,铂金珍珠白,在库,A,",  # good
        f"{wrong_vin(33)},COROLLA,ZRE211-P,铂金珍珠白,在库,,",  # check digit
        f"{vin(34)},COROLLA,AZSH35-L,深红云母,在库,,",  # SFX and colour of the Crown
        f"{vin(32)},COROLLA,ZRE211-P,铂金珍珠白,在库,,",  # repeated VIN
        f"{vin(30)},COROLLA,ZRE211-P,铂金珍珠白,在库,,",  # another store's car
        f"{vin(35)},NOPE,ZRE211-P,铂金珍珠白,在库,,2026-13-01",  # model, date
        f"{vin(31)},COROLLA,ZRE211-P,铂金珍珠白,sold,new,",  # status
    )
    report = services.import_csv(world.users["car_keeper"], raw)
    assert not report.saved
    problems = {(e.row, e.column) for e in report.errors}
    assert problems == {
        (3, "VIN"),
        (4, "SFX代码"),
        (4, "颜色"),
        (5, "VIN"),
        (6, "VIN"),
        (7, "车型代码"),
        (7, "到店日期"),
        (8, "状态"),
    }
    assert count() == 2
    db.session.expire_all()
    assert db.session.get(Vehicle, kept.id).location == "old"


def test_a_file_with_a_missing_column_is_refused(world, catalogue):
    with pytest.raises(ValidationError) as exc:
        services.import_csv(world.users["admin"], csv_bytes("x,y", header="VIN,车型代码"))
    assert "SFX代码" in exc.value.errors["file"]


def test_a_file_larger_than_1_mb_is_refused(world, catalogue):
    raw = csv_bytes(*(["x" * 1000] * 1100))
    with pytest.raises(ValidationError) as exc:
        services.import_csv(world.users["admin"], raw)
    assert "1 MB" in exc.value.errors["file"]


def test_a_file_with_more_than_5000_rows_is_refused(world, catalogue):
    raw = csv_bytes(*([f"{vin(40)},COROLLA,ZRE211-P,白,在库,,"] * 5001))
    assert len(raw) < services.MAX_IMPORT_BYTES
    with pytest.raises(ValidationError) as exc:
        services.import_csv(world.users["admin"], raw)
    assert "5001" in exc.value.errors["file"] and "5000" in exc.value.errors["file"]
    assert count() == 0


def test_a_file_that_is_not_utf8_is_refused(world, catalogue):
    raw = "VIN,车型代码,SFX代码,颜色,状态\r\n".encode("gbk")
    with pytest.raises(ValidationError) as exc:
        services.import_csv(world.users["admin"], raw)
    assert "UTF-8" in exc.value.errors["file"]


def test_the_template_is_the_header_with_a_bom():
    raw = services.template_csv()
    assert raw.startswith("\ufeff".encode())
    assert raw.decode("utf-8-sig").strip() == "VIN,车型代码,SFX代码,颜色,状态,库位,到店日期"


def test_only_the_stock_keepers_import(world, catalogue):
    with pytest.raises(PermissionDenied):
        services.import_csv(world.users["salesperson"], csv_bytes())


# --- reservation ------------------------------------------------------------------------


def test_reserve_and_release_a_car(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 50, arrived_on=None, status="in_transit")
    seller = world.users["salesperson"]
    reserved = services.reserve_vehicle(seller, car.id, 77)
    assert (reserved.status, reserved.contract_id, reserved.reserved_by_id) == (
        "reserved",
        77,
        seller.id,
    )
    assert reserved.reserved_at is not None
    with pytest.raises(PermissionDenied):
        services.release_vehicle(world.users["colleague"], car.id)
    released = services.release_vehicle(world.users["sales_manager"], car.id)
    assert (released.status, released.contract_id, released.reserved_by_id) == (
        "in_transit",
        None,
        None,
    )


def test_a_reserved_car_is_refused_to_another_contract(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 51)
    services.reserve_vehicle(world.users["salesperson"], car.id, 1)
    with pytest.raises(ValidationError) as exc:
        services.reserve_vehicle(world.users["colleague"], car.id, 2)
    assert "其他合同" in exc.value.errors["vehicle_id"]
    assert db.session.get(Vehicle, car.id).contract_id == 1


def test_a_delivered_car_cannot_be_reserved(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 52, status="delivered")
    with pytest.raises(ValidationError):
        services.reserve_vehicle(world.users["salesperson"], car.id, 1)


def test_another_stores_car_cannot_be_reserved(world, catalogue):
    car = make_vehicle(world.store_b, catalogue, 53)
    with pytest.raises(NotFound):
        services.reserve_vehicle(world.users["salesperson"], car.id, 1)


def test_a_reserved_car_keeps_its_status_on_import_and_edit(world, catalogue):
    car = make_vehicle(world.store_a, catalogue, 54)
    services.reserve_vehicle(world.users["salesperson"], car.id, 9)
    report = services.import_csv(
        world.users["car_keeper"], csv_bytes(f"{vin(54)},COROLLA,ZRE211-P,铂金珍珠白,在库,,")
    )
    assert [(e.row, e.column) for e in report.errors] == [(2, "状态")]
    with pytest.raises(ValidationError) as exc:
        services.update_vehicle(
            world.users["car_keeper"], car.id, form(catalogue, vin=car.vin, status="in_stock"), None
        )
    assert "status" in exc.value.errors


@pytest.mark.postgres_only
def test_two_people_reserving_the_same_car_at_once_get_one_reservation(app, world, catalogue):
    """SELECT … FOR UPDATE: the second reservation waits for the first and is then refused.
    Row locks are PostgreSQL's; SQLite locks the whole file, so this runs there only."""
    require_postgres()
    assert db.engine.dialect.name == "postgresql"
    car_id = make_vehicle(world.store_a, catalogue, 60).id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    jobs = [(world.users["salesperson"].id, 101), (world.users["colleague"].id, 102)]
    original = services._locked

    def slow_lock(actor, vehicle_id):
        """Widen the race: hold the lock a moment before writing."""
        import time

        vehicle = original(actor, vehicle_id)
        time.sleep(0.3)
        return vehicle

    services._locked = slow_lock
    try:

        def attempt(user_id: int, contract_id: int) -> None:
            from webapp.auth.models import User

            with app.app_context():
                actor = db.session.get(User, user_id)
                barrier.wait()
                try:
                    services.reserve_vehicle(actor, car_id, contract_id)
                    outcomes.append("reserved")
                except ValidationError as exc:
                    outcomes.append("refused" if "vehicle_id" in exc.errors else repr(exc.errors))
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=attempt, args=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        services._locked = original
    assert sorted(outcomes) == ["refused", "reserved"]
    db.session.expire_all()
    assert db.session.get(Vehicle, car_id).contract_id in (101, 102)
