"""The actuals of a month against a month of records built by hand: every figure of 附表一
is checked against a value counted here, at the month's edges in Shanghai time too."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.negotiation.conftest import catalogue, make_contract  # noqa: F401
from tests.sync import support as s
from webapp.customers.models import CustomerCard
from webapp.delivery.models import Delivery, DeliveryState
from webapp.extensions import db
from webapp.negotiation.contract_models import ContractState
from webapp.negotiation.models import LostSale
from webapp.pdca.actuals import Actuals, Rates, month_actuals, total
from webapp.reception.models import Visit
from webapp.testdrive.models import BookingStatus
from webapp.timeutil import SHANGHAI

OCTOBER = date(2026, 10, 1)


def shanghai(day: int, hour: int = 10, month: int = 10) -> datetime:
    """A moment of October 2026 (or `month`) in Shanghai, as the aware UTC the app stores."""
    return datetime(2026, month, day, hour, 0, tzinfo=SHANGHAI).astimezone(UTC)


# The month's first and last moments, and the moments just outside it.
FIRST = datetime(2026, 10, 1, 0, 0, tzinfo=SHANGHAI).astimezone(UTC)
LAST = datetime(2026, 10, 31, 23, 59, tzinfo=SHANGHAI).astimezone(UTC)
BEFORE = FIRST - timedelta(minutes=1)  # 30 September 23:59 in Shanghai (15:59 UTC that day)
AFTER = LAST + timedelta(minutes=1)  # 1 November 00:00 in Shanghai


@pytest.fixture
def month(world, make_card, make_contract):  # noqa: F811
    """October 2026 of two salespeople of store A, and a colleague in store B, by hand."""
    sales = world.users["salesperson"]
    colleague = world.users["colleague"]
    other_store = world.users["other_salesperson"]

    def visit(owner, day_: date, kind: str = "walk_in") -> None:
        db.session.add(
            Visit(
                store_id=owner.store_id,
                day=day_,
                kind=kind,
                time_in=datetime(day_.year, day_.month, day_.day, 10, tzinfo=SHANGHAI),
                owner_id=owner.id,
            )
        )

    # Visits: sales 5 walk-ins in October (the 1st and the 31st included), a phone call and
    # walk-ins on 30 September and 1 November that do not count; colleague 2; store B 3.
    for d in (1, 2, 2, 15, 31):
        visit(sales, date(2026, 10, d))
    visit(sales, date(2026, 10, 3), "phone_in")
    visit(sales, date(2026, 9, 30))
    visit(sales, date(2026, 11, 1))
    for d in (4, 5):
        visit(colleague, date(2026, 10, d))
    for d in (4, 5, 6):
        visit(other_store, date(2026, 10, d))
    db.session.commit()

    # New A cards: sales opens 4 in October (at its first and last minute too), one just
    # before and one just after; colleague 1; store B 2.
    def card(owner, at: datetime, **fields) -> CustomerCard:
        made = make_card(owner, **fields)
        made.created_at = at
        db.session.commit()
        return made

    sales_cards = [card(sales, at) for at in (FIRST, shanghai(10), shanghai(20), LAST)]
    card(sales, BEFORE)
    card(sales, AFTER)
    card(colleague, shanghai(12))
    card(other_store, shanghai(12))
    card(other_store, shanghai(13))

    # Test drives: sales 3 done in October; one booked (not done), one cancelled, one done
    # on 1 November do not count; colleague 1 done.
    def drive(owner, a_card, at: datetime, status: BookingStatus) -> None:
        packet = s.make_packet(owner, a_card)
        packet.booking.starts_at = at
        packet.booking.ends_at = at + timedelta(minutes=30)
        packet.booking.status = status.value
        db.session.commit()

    for at in (FIRST, shanghai(11), LAST):
        drive(sales, sales_cards[0], at, BookingStatus.DONE)
    drive(sales, sales_cards[1], shanghai(12), BookingStatus.BOOKED)
    drive(sales, sales_cards[1], shanghai(13), BookingStatus.CANCELLED)
    drive(sales, sales_cards[1], AFTER, BookingStatus.DONE)
    colleague_card = card(colleague, shanghai(2))
    drive(colleague, colleague_card, shanghai(14), BookingStatus.DONE)

    # Orders: sales signs 2 in October (one later delivered), one signed and then cancelled,
    # one signed on 30 September, one still a draft; colleague 1.
    def contract(owner, state: ContractState, signed: datetime | None):
        a_card = card(owner, shanghai(1))
        made = make_contract(a_card, state)
        made.signed_at = signed
        db.session.commit()
        return made

    delivered = contract(sales, ContractState.DELIVERED, shanghai(5))
    contract(sales, ContractState.SIGNED, shanghai(25))
    contract(sales, ContractState.CANCELLED, shanghai(8))
    earlier = contract(sales, ContractState.DELIVERED, BEFORE)
    contract(sales, ContractState.DRAFT, None)
    contract(colleague, ContractState.SIGNED, shanghai(9))

    # Deliveries: sales completes 2 in October (one of September's order), and one planned
    # delivery does not count.
    def delivery(a_contract, state: DeliveryState, completed: datetime | None) -> None:
        db.session.add(
            Delivery(
                store_id=a_contract.store_id,
                contract_id=a_contract.id,
                card_id=a_contract.card_id,
                owner_id=a_contract.owner_id,
                scheduled_at=completed or shanghai(30),
                state=state.value,
                completed_at=completed,
            )
        )
        db.session.commit()

    delivery(delivered, DeliveryState.COMPLETED, shanghai(28))
    delivery(earlier, DeliveryState.COMPLETED, FIRST)
    planned = contract(sales, ContractState.BALANCE_PAID, shanghai(6))
    delivery(planned, DeliveryState.PLANNED, None)

    # Lost sales: sales records 1 in October and 1 in November.
    for at in (shanghai(18), AFTER):
        lost_card = card(sales, shanghai(1), stage="lost")
        db.session.add(
            LostSale(
                store_id=sales.store_id,
                card_id=lost_card.id,
                competitor_brand="本田",
                reasons=["price"],
                stage_reached="quotation",
                salesperson_id=sales.id,
                recorded_by_id=sales.id,
                recorded_at=at,
            )
        )
    db.session.commit()
    return {"sales": sales, "colleague": colleague, "other": other_store}


def test_every_figure_of_the_month_matches_the_records_counted_by_hand(world, month):
    got = month_actuals(month["sales"], OCTOBER)
    # The cards opened for the contracts and lost sales count as new A cards of the month
    # too (each opened on 1 October): 4 + 6 contracts' cards + 2 lost sales' cards.
    assert got[month["sales"].id] == Actuals(
        visits=5, a_cards=4 + 6 + 2, test_drives=3, orders=3, deliveries=2, lost=1
    )
    # The colleague: 2 visits, 1 card + the test drive's + the contract's, 1 drive, 1 order.
    assert got[month["colleague"].id] == Actuals(
        visits=2, a_cards=3, test_drives=1, orders=1, deliveries=0, lost=0
    )
    # Store B is not in store A's month at all.
    assert month["other"].id not in got
    assert total(got) == Actuals(
        visits=7, a_cards=15, test_drives=4, orders=4, deliveries=2, lost=1
    )
    # Orders count what was signed in the month, whatever happened since (delivered), except
    # a cancellation: 3 = delivered + signed + balance paid (the cancelled one is out).


def test_the_rates_are_the_standards_ratios_rounded_half_up():
    rates = Rates.of(Actuals(visits=7, a_cards=15, test_drives=4, orders=4, deliveries=2))
    assert rates.a_card_rate == 214  # 15 / 7 = 214.3 %
    assert rates.test_drive_rate == 57  # 4 / 7 = 57.1 %
    assert rates.closing_rate == 57
    assert rates.delivery_rate == 50  # 2 / 4
    none = Rates.of(Actuals())
    assert none == Rates(None, None, None, None)


def test_another_month_and_another_store_see_none_of_it(world, month):
    assert month_actuals(month["sales"], date(2026, 8, 1)) == {}
    other = month_actuals(month["other"], OCTOBER)
    assert other == {
        month["other"].id: Actuals(visits=3, a_cards=2, test_drives=0, orders=0, deliveries=0)
    }
