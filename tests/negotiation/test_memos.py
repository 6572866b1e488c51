"""The negotiation memo (附表十 商谈memo): each save is a new version, a confirmed version
stays visible, a discount above the threshold waits for the sales manager (who is notified),
only the manager decides, other roles and stores are kept out, and bad input saves nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.negotiation import memos
from webapp.negotiation.contract_models import Memo, MemoVersion, SalesTerms
from webapp.push.models import Notification
from webapp.stock.models import Vehicle
from webapp.testdrive.validators import vin_check_digit
from webapp.timeutil import local_today


@dataclass
class Catalogue:
    corolla: VehicleModel
    petrol: Sfx  # 109,800 yuan
    electric: Sfx  # 200,000 yuan, new energy
    white: Colour  # of the Corolla
    red: Colour  # of another model


@pytest.fixture
def cat(world) -> Catalogue:
    corolla = VehicleModel(code="COROLLA", name_zh="卡罗拉", name_en="Corolla")
    petrol = Sfx(code="ZRE211-P", grade="先锋版", engine="1.5L", msrp=Decimal("109800"))
    electric = Sfx(
        code="BEV-1", grade="纯电版", engine="EV", msrp=Decimal("200000"), new_energy=True
    )
    corolla.sfx.extend([petrol, electric])
    corolla.colours.append(Colour(name_zh="铂金珍珠白", name_en="Platinum White"))
    crown = VehicleModel(code="CROWN", name_zh="皇冠", name_en="Crown", sort_order=1)
    crown.sfx.append(Sfx(code="AZSH35-L", grade="领先版", engine="2.5L", msrp=Decimal("299800")))
    crown.colours.append(Colour(name_zh="深红云母", name_en="Emotional Red"))
    db.session.add_all([corolla, crown])
    db.session.commit()
    return Catalogue(corolla, petrol, electric, corolla.colours[0], crown.colours[0])


def memo_form(cat: Catalogue, **overrides: Any) -> dict[str, str]:
    data = {
        "sfx_id": str(cat.petrol.id),
        "colour_id": str(cat.white.id),
        "discount": "3000",
        "accessories-0-name": "全车脚垫",
        "accessories-0-price": "800",
        "accessories-0-is_gift": "on",
        "accessories-1-name": "行车记录仪",
        "accessories-1-price": "1280",
        "compulsory_insurance": "950",
        "commercial_insurance": "",
        "one_stop_service": "on",
        "trade_in_value": "0",
        "deposit": "",
        "payment": "cash",
        "purchase_date": "",
        "delivery_date": (local_today() + timedelta(days=14)).isoformat(),
        "delivery_accepted": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def counts() -> tuple[int, int]:
    memo_count = db.session.scalar(sa.select(sa.func.count()).select_from(Memo))
    version_count = db.session.scalar(sa.select(sa.func.count()).select_from(MemoVersion))
    return memo_count, version_count


def test_each_save_makes_a_new_version_and_keeps_the_earlier_ones(world, cat):
    sales = world.users["salesperson"]
    first = memos.save_version(sales, world.own_card.id, memo_form(cat))
    second = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="5000"))
    assert (first.number, second.number) == (1, 2)
    assert first.memo_id == second.memo_id
    assert counts() == (1, 2)
    memo = memos.get_memo(sales, first.memo_id)
    assert [v.number for v in memo.versions] == [1, 2]
    assert memo.owner_id == sales.id and memo.latest_number == 2
    assert memos.latest_version(memo).discount == Decimal("5000.00")
    assert db.session.get(MemoVersion, first.id).discount == Decimal("3000.00")


def test_a_version_keeps_the_lines_every_yuan_explained(world, cat):
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    result = memos.result_of(version)
    # Commercial left blank: 1,500 + 2 % of the vehicle price (106,800).
    assert result.commercial_insurance == Decimal("3636.00")
    assert result.vehicle_price == Decimal("106800.00")
    assert result.accessories_total == Decimal("1280.00")  # the mats are a gift
    assert [a.is_gift for a in result.accessories] == [True, False]
    assert result.registration.service_fee == Decimal("1000.00")
    assert result.schedule.deposit == Decimal("5000.00")  # the store's usual deposit
    assert sum(amount for _code, amount in result.lines) == result.total == version.total
    assert version.inputs["fees"] == {
        "plate_fee": "500.00",
        "inspection_fee": "300.00",
        "service_fee": "1000.00",
    }
    assert version.inputs["vehicle"]["model_zh"] == "卡罗拉"
    assert version.delivery_accepted and version.delivery_date > local_today()


def test_a_saved_version_keeps_the_fees_of_its_day(world, cat):
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    total = memos.result_of(version).total
    db.session.add(SalesTerms(store_id=world.store_a.id, plate_fee=Decimal(2000)))
    db.session.commit()
    assert memos.result_of(db.session.get(MemoVersion, version.id)).total == total
    newer = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    assert newer.total == total + 1500


def test_a_loan_gets_its_monthly_payment_and_a_new_energy_car_its_relief(world, cat):
    form = memo_form(
        cat,
        sfx_id=str(cat.electric.id),
        payment="loan",
        down_payment="30",
        down_payment_unit="percent",
        term_months="36",
        annual_rate_percent="3.99",
        purchase_date="2026-03-01",
    )
    result = memos.result_of(
        memos.save_version(world.users["salesperson"], world.own_card.id, form)
    )
    loan = result.schedule.loan
    assert loan is not None and loan.term_months == 36 and loan.monthly > 0
    assert result.schedule.down_payment == Decimal("59100.00")  # 30 % of 197,000
    tax = result.registration.purchase_tax_detail
    assert tax.relief > 0 and tax.payable == tax.full - tax.relief


def test_a_confirmed_version_stays_visible_and_marked_after_a_new_one(world, cat):
    sales = world.users["salesperson"]
    first = memos.save_version(sales, world.own_card.id, memo_form(cat))
    memos.confirm_version(sales, first.id, "上牌大概需要几天？")
    second = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="4000"))
    memo = memos.get_memo(sales, first.memo_id)
    confirmed = [v.number for v in memo.versions if v.confirmed_at is not None]
    assert confirmed == [1]
    assert memo.versions[0].customer_questions == "上牌大概需要几天？"
    with pytest.raises(ValidationError) as exc:
        memos.confirm_version(sales, first.id, "")
    assert "confirm" in exc.value.errors
    memos.confirm_version(sales, second.id, "")
    assert db.session.get(MemoVersion, second.id).confirmed_at is not None


def test_a_version_is_confirmed_once(world, cat):
    sales = world.users["salesperson"]
    version = memos.save_version(sales, world.own_card.id, memo_form(cat))
    memos.confirm_version(sales, version.id, "")
    with pytest.raises(ValidationError):
        memos.confirm_version(sales, version.id, "again")


def test_a_discount_above_the_threshold_waits_for_the_manager_who_is_notified(world, cat):
    sales = world.users["salesperson"]
    version = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="9000"))
    assert version.approval == "pending"
    rows = list(db.session.scalars(sa.select(Notification)))
    assert [(n.user_id, n.kind, n.ref_id) for n in rows] == [
        (world.users["sales_manager"].id, "discount_approval", version.id)
    ]
    assert rows[0].url == f"/negotiation/memos/{version.memo_id}/v/1"
    with pytest.raises(ValidationError) as exc:
        memos.confirm_version(sales, version.id, "")
    assert "confirm" in exc.value.errors
    queue = memos.pending_discount_approvals(world.users["sales_manager"])
    assert [v.id for v in queue] == [version.id]
    assert memos.pending_discount_approvals(world.users["other_manager"]) == []


def test_a_discount_at_the_threshold_needs_no_approval(world, cat):
    version = memos.save_version(
        world.users["salesperson"], world.own_card.id, memo_form(cat, discount="8000")
    )
    assert version.approval == "not_needed"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_an_approved_discount_carries_to_later_versions_up_to_its_amount(world, cat):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    first = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="9000"))
    memos.decide_discount(manager, first.id, True, "")
    approved = db.session.get(MemoVersion, first.id)
    assert approved.approval == "approved" and approved.decided_by_id == manager.id
    memos.confirm_version(sales, first.id, "")
    same = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="8500"))
    assert same.approval == "approved"
    more = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="9500"))
    assert more.approval == "pending"


def test_only_the_manager_decides_and_a_rejection_needs_a_note(world, cat):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    version = memos.save_version(sales, world.own_card.id, memo_form(cat, discount="9000"))
    with pytest.raises(PermissionDenied):
        memos.decide_discount(sales, version.id, True, "")
    with pytest.raises(ValidationError) as exc:
        memos.decide_discount(manager, version.id, False, "  ")
    assert "note" in exc.value.errors
    with pytest.raises(NotFound):
        memos.decide_discount(world.users["other_manager"], version.id, True, "")
    memos.decide_discount(manager, version.id, False, "超出本月政策")
    rejected = db.session.get(MemoVersion, version.id)
    assert rejected.approval == "rejected" and rejected.approval_note == "超出本月政策"
    with pytest.raises(ValidationError) as exc:
        memos.decide_discount(manager, version.id, True, "")
    assert "approval" in exc.value.errors
    with pytest.raises(ValidationError):
        memos.confirm_version(sales, version.id, "")


@pytest.mark.parametrize("role", ["greeter", "finance", "service_advisor", "car_keeper"])
def test_roles_without_prices_are_refused(world, cat, role):
    actor = world.users[role]
    with pytest.raises(PermissionDenied):
        memos.memo_for_card(actor, world.own_card.id)
    with pytest.raises(PermissionDenied):
        memos.save_version(actor, world.own_card.id, memo_form(cat))
    assert counts() == (0, 0)


def test_another_store_or_salesperson_does_not_reach_the_memo(world, cat):
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    for name in ("other_salesperson", "other_manager", "colleague"):
        with pytest.raises(NotFound):
            memos.get_memo(world.users[name], version.memo_id)
        with pytest.raises(NotFound):
            memos.confirm_version(world.users[name], version.id, "")
    with pytest.raises(NotFound):
        memos.save_version(world.users["colleague"], world.own_card.id, memo_form(cat))
    for name in ("sales_manager", "admin"):
        assert memos.get_memo(world.users[name], version.memo_id).id == version.memo_id


def test_the_manager_saves_a_memo_that_stays_the_salespersons(world, cat):
    version = memos.save_version(world.users["sales_manager"], world.own_card.id, memo_form(cat))
    memo = memos.get_memo(world.users["salesperson"], version.memo_id)
    assert memo.owner_id == world.users["salesperson"].id
    assert version.created_by_id == world.users["sales_manager"].id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"discount": "109800.01"}, "discount"),
        ({"discount": "abc"}, "discount"),
        ({"discount": "-5"}, "discount"),
        ({"payment": "loan", "down_payment": "30", "term_months": "0"}, "term_months"),
        ({"payment": "loan", "down_payment": "30", "term_months": ""}, "term_months"),
        (
            {
                "payment": "loan",
                "down_payment": "30",
                "term_months": "36",
                "annual_rate_percent": "",
            },
            "annual_rate_percent",
        ),
        ({"delivery_date": "2020-01-01"}, "delivery_date"),
        ({"delivery_date": "", "delivery_accepted": "on"}, "delivery_date"),
        ({"accessories-1-price": "-1"}, "accessories-1-price"),
        ({"accessories-1-name": ""}, "accessories-1-name"),
        ({"sfx_id": "999999"}, "sfx_id"),
        ({"sfx_id": ""}, "sfx_id"),
        ({"colour_id": "red"}, "colour_id"),
        ({"deposit": "999999"}, "deposit"),
        ({"trade_in_value": "900000"}, "trade_in_value"),
        ({"purchase_date": "2026-02-30"}, "purchase_date"),
        ({"payment": "cheque"}, "payment"),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(world, cat, overrides, field):
    if overrides.get("colour_id") == "red":
        overrides["colour_id"] = str(cat.red.id)
    with pytest.raises(ValidationError) as exc:
        memos.save_version(
            world.users["salesperson"], world.own_card.id, memo_form(cat, **overrides)
        )
    assert field in exc.value.errors, exc.value.errors
    db.session.rollback()
    assert counts() == (0, 0)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_refused_revision_leaves_the_earlier_versions_alone(world, cat):
    sales = world.users["salesperson"]
    memos.save_version(sales, world.own_card.id, memo_form(cat))
    with pytest.raises(ValidationError):
        memos.save_version(sales, world.own_card.id, memo_form(cat, discount="200000"))
    db.session.rollback()
    assert counts() == (1, 1)


def _vin(serial: int) -> str:
    base = f"LFMA4RAE0R7{serial:06d}"
    return base[:8] + vin_check_digit(base) + base[9:]


def test_the_stock_next_to_the_delivery_date_counts_the_matching_cars(world, cat):
    def car(serial: int, status: str, store=None, colour=None, arrived: date | None = None):
        db.session.add(
            Vehicle(
                store_id=(store or world.store_a).id,
                vin=_vin(serial),
                model_id=cat.corolla.id,
                sfx_id=cat.petrol.id,
                colour_id=(colour or cat.white).id,
                status=status,
                arrived_on=arrived,
            )
        )

    car(1, "in_stock")
    car(2, "in_transit", arrived=date(2026, 12, 20))
    car(3, "in_transit", arrived=date(2026, 12, 10))
    car(4, "delivered")
    car(5, "in_stock", store=world.store_b)
    car(6, "in_stock", colour=cat.red)
    db.session.commit()
    hint = memos.stock_for(world.users["salesperson"], cat.petrol.id, cat.white.id)
    assert hint.counts == {"in_transit": 2, "in_stock": 1, "pds": 0, "reserved": 0}
    assert hint.earliest_arrival == date(2026, 12, 10)
    assert hint.available == 3
    assert memos.stock_for(world.users["salesperson"], cat.petrol.id, None).counts["in_stock"] == 2
    with pytest.raises(PermissionDenied):
        memos.stock_for(world.users["greeter"], cat.petrol.id, None)


def test_the_approval_queue_is_for_the_manager(world, cat):
    with pytest.raises(PermissionDenied):
        memos.pending_discount_approvals(world.users["salesperson"])
