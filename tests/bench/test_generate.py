"""The data generator at a tiny scale, on both databases: consistent, realistic, repeatable."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from itertools import pairwise

import pytest
import sqlalchemy as sa

from bench.generate import BENCH_PASSWORD, HISTORY_DAYS, SCALES, generate
from webapp.auth.models import User, UserRole
from webapp.customers.models import CardEvent, CustomerCard
from webapp.customers.validators import is_valid_mobile
from webapp.extensions import db
from webapp.testdrive.models import TestDriveBooking, TestDriveCar, TestDriveEntry
from webapp.testdrive.validators import is_valid_vin
from webapp.timeutil import now


def count(stmt) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(stmt.subquery()))


def test_tiny_scale_produces_consistent_data(app):
    report = generate("tiny", seed=7)
    scale = SCALES["tiny"]
    assert report.rows["customer_card"] == scale.cards
    assert report.rows["users"] == scale.stores * scale.staff_per_store
    assert report.rows["card_event"] >= scale.cards  # at least the "created" event each
    # The report tells where the time went, phase by phase, and the phases make up the whole.
    assert list(report.phases)[:2] == ["org", "cards, events"] and "audits" in report.phases
    assert sum(report.phases.values()) <= report.seconds
    assert "time by phase:" in report.lines()

    # Every card belongs to an active salesperson of its own store.
    wrong_owner = (
        sa.select(CustomerCard.id)
        .join(User, User.id == CustomerCard.owner_id)
        .where(
            (User.store_id != CustomerCard.store_id)
            | ~User.id.in_(sa.select(UserRole.user_id).where(UserRole.role == "salesperson"))
        )
    )
    assert count(wrong_owner) == 0
    # Events point at existing cards of the same store, by the card's owner.
    orphan_events = (
        sa.select(CardEvent.id)
        .outerjoin(CustomerCard, CustomerCard.id == CardEvent.card_id)
        .where((CustomerCard.id.is_(None)) | (CustomerCard.store_id != CardEvent.store_id))
    )
    assert count(orphan_events) == 0
    # Dates lie within the two years of history and never in the future.
    moment = now()
    cards = db.session.scalars(sa.select(CustomerCard)).all()
    for card in cards:
        assert moment - timedelta(days=HISTORY_DAYS + 1) <= card.created_at <= moment
        assert card.last_contact_at is None or card.created_at <= card.last_contact_at <= moment
        assert is_valid_mobile(card.mobile)
    events = db.session.execute(sa.select(CardEvent.occurred_at)).scalars().all()
    assert all(moment - timedelta(days=HISTORY_DAYS + 1) <= e <= moment for e in events)
    # Mobiles are unique per store (the table's constraint would refuse otherwise).
    assert len({(c.store_id, c.mobile) for c in cards}) == len(cards)
    # Believable proportions: a mix of grades and stages, and a skewed workload.
    assert {c.grade for c in cards} == {"H", "A", "B", "C"}
    assert {c.stage for c in cards} == {"prospect", "ordered", "owner", "lost"}
    per_owner = db.session.execute(
        sa.select(CustomerCard.owner_id, sa.func.count()).group_by(CustomerCard.owner_id)
    ).all()
    loads = sorted(n for _o, n in per_owner)
    assert loads[-1] >= 2 * loads[0]


def test_tiny_scale_test_drives_are_consistent(app):
    report = generate("tiny", seed=7)
    assert report.rows["test_drive_booking"] > 0
    bookings = db.session.scalars(sa.select(TestDriveBooking)).all()
    moment = now()
    per_car: dict[int, list] = {}
    for booking in bookings:
        # The booking belongs to the card's store and salesperson, with a car of that store.
        assert booking.store_id == booking.card.store_id == booking.car.store_id
        assert booking.owner_id == booking.card.owner_id
        assert booking.route.store_id == booking.store_id
        assert booking.starts_at < booking.ends_at
        assert booking.status == "booked" or booking.ends_at <= moment + timedelta(hours=1)
        per_car.setdefault(booking.car_id, []).append((booking.starts_at, booking.ends_at))
    # No two bookings of one car overlap.
    for slots in per_car.values():
        slots.sort()
        assert all(a_end <= b_start for (_a, a_end), (b_start, _b) in pairwise(slots))
    # Every done drive has its feedback (附表九) and a timeline event on the card.
    done = [b.id for b in bookings if b.status == "done"]
    feedback = db.session.scalars(
        sa.select(TestDriveEntry.booking_id).where(TestDriveEntry.kind == "feedback")
    ).all()
    assert sorted(feedback) == sorted(done)
    assert all(is_valid_vin(car.vin) for car in db.session.scalars(sa.select(TestDriveCar)))


def test_generated_users_can_log_in(app, client):
    generate("tiny", seed=7)
    username = db.session.scalar(
        sa.select(User.username).where(User.username.like("b001-salesperson-%")).limit(1)
    )
    assert client.login(username, BENCH_PASSWORD).status_code == 303
    assert client.get("/my-day").status_code == 200


def test_same_seed_gives_the_same_data(app):
    generate("tiny", seed=11)
    first = db.session.execute(
        sa.select(CustomerCard.name, CustomerCard.mobile).order_by(CustomerCard.id).limit(50)
    ).all()
    from bench.generate import reset_business_tables

    reset_business_tables()
    generate("tiny", seed=11)
    again = db.session.execute(
        sa.select(CustomerCard.name, CustomerCard.mobile).order_by(CustomerCard.id).limit(50)
    ).all()
    assert first == again


def test_tiny_scale_contracts_are_consistent(app):
    from webapp.negotiation.contract_models import Contract, ContractEvent, MemoVersion, Payment
    from webapp.negotiation.memos import result_of

    report = generate("tiny", seed=7)
    scale = SCALES["tiny"]
    contracts = db.session.scalars(sa.select(Contract)).all()
    assert len(contracts) == report.rows["contract"] == 2 * scale.contracts_per_store
    for contract in contracts:
        last = db.session.scalar(
            sa.select(ContractEvent.to_state)
            .where(ContractEvent.contract_id == contract.id)
            .order_by(ContractEvent.id.desc())
            .limit(1)
        )
        assert last == contract.state
        paid = db.session.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(Payment.amount), 0)).where(
                Payment.contract_id == contract.id
            )
        )
        assert paid == contract.paid_total
        card = db.session.get(CustomerCard, contract.card_id)
        assert card.store_id == contract.store_id and card.owner_id == contract.owner_id
        version = db.session.get(MemoVersion, contract.memo_version_id)
        assert result_of(version).total == contract.total == version.total


def test_tiny_scale_deliveries_follow_their_contracts(app):
    from webapp.delivery.models import Delivery, DeliveryEntry
    from webapp.negotiation.contract_models import Contract
    from webapp.timeutil import local_date_of, local_today

    report = generate("tiny", seed=7)
    reached = {
        c.id: c
        for c in db.session.scalars(
            sa.select(Contract).where(
                Contract.state.in_(("balance_paid", "allocated", "delivered"))
            )
        )
    }
    deliveries = db.session.scalars(sa.select(Delivery)).all()
    assert report.rows["delivery"] == len(deliveries) == len(reached) > 0
    for delivery in deliveries:
        contract = reached[delivery.contract_id]
        assert (delivery.store_id, delivery.card_id, delivery.owner_id) == (
            contract.store_id,
            contract.card_id,
            contract.owner_id,
        )
        day = local_date_of(delivery.scheduled_at)
        if contract.state == "delivered":
            assert delivery.state == "completed" and day < local_today()
        else:
            assert delivery.state == "planned" and day >= local_today()
    ticked = db.session.scalars(sa.select(DeliveryEntry)).all()
    planned = {d.id for d in deliveries if d.state == "planned"}
    assert all(e.delivery_id in planned and e.done for e in ticked)


def test_tiny_scale_audits_tick_the_cards_each_month_files(app):
    from bench.pdca_data import AUDIT_MONTHS
    from webapp.auth.models import Role
    from webapp.pdca.audit import month_audit
    from webapp.pdca.audit_models import CardAuditTick
    from webapp.timeutil import add_months, local_today

    report = generate("tiny", seed=7)
    ticks = db.session.scalars(sa.select(CardAuditTick)).all()
    assert report.rows["card_audit_tick"] == len(ticks) > 0
    this_month = local_today().replace(day=1)
    managers = set(
        db.session.scalars(
            sa.select(UserRole.user_id).where(UserRole.role == Role.SALES_MANAGER.value)
        )
    )
    moment = now()
    for tick in ticks:
        card = db.session.get(CustomerCard, tick.card_id)
        filed = card.purchased_on if card.stage == "owner" else card.planned_purchase_date
        # Each tick sits in the audit of the month the card is filed under, in its store.
        assert filed.replace(day=1) == tick.month
        assert add_months(this_month, -AUDIT_MONTHS) <= tick.month <= this_month
        assert tick.store_id == card.store_id and tick.owner_id == card.owner_id
        assert card.created_at <= tick.created_at <= moment
        if tick.kind == "owner":
            assert tick.actor_id == card.owner_id
        else:
            assert tick.kind == "manager" and tick.actor_id in managers
            assert db.session.get(User, tick.actor_id).store_id == card.store_id
    # Each card carries the month of its latest tick of each check, as a tick writes it.
    latest: dict[tuple[int, str], CardAuditTick] = {}
    for tick in sorted(ticks, key=lambda t: (t.created_at, t.id)):
        latest[tick.card_id, tick.kind] = tick
    cards = db.session.scalars(sa.select(CustomerCard)).all()
    assert any(card.audit_manager_month for card in cards)
    for card in cards:
        checks = (("owner", card.audit_owner_month), ("manager", card.audit_manager_month))
        for kind, month in checks:
            tick = latest.get((card.id, kind))
            assert month == (tick.month if tick else None)
    # A closed month's audit reads as mostly done, through the page's own service.
    last_month = add_months(this_month, -1)
    manager = db.session.scalar(
        sa.select(User).join(UserRole).where(UserRole.role == Role.SALES_MANAGER.value).limit(1)
    )
    sheet = month_audit(manager, last_month)
    if sheet.total.total:
        assert sheet.total.owner_checked > sheet.total.total // 2
        assert any(card.trail for card in sheet.cards)


def test_bulk_load_leaves_the_tables_indexes_and_keys_as_they_were(app):
    """The cards, events and visits are loaded with their secondary indexes and foreign keys
    dropped (PostgreSQL) and made again afterwards: the same ones, and they answer."""
    tables = ("customer_card", "card_event", "visit")

    def schema() -> dict[str, dict]:
        inspector = sa.inspect(db.engine)
        found = {f"{t}.{ix['name']}": ix for t in tables for ix in inspector.get_indexes(t)}
        for table in tables:
            found |= {f"{table}.{fk['name']}": fk for fk in inspector.get_foreign_keys(table)}
        return found

    before = schema()
    db.session.remove()
    assert len(before) >= 20
    generate("tiny", seed=7)
    db.session.commit()
    assert schema() == before
    some = db.session.scalars(sa.select(CustomerCard).limit(1)).one()
    on_mobile = sa.select(CustomerCard.id).where(
        CustomerCard.store_id == some.store_id, CustomerCard.mobile == some.mobile
    )
    assert db.session.scalars(on_mobile).all() == [some.id]


def test_a_failed_bulk_load_still_makes_the_indexes_and_keys_again(app):
    from bench.generate import bulk_loading

    def names() -> set[str]:
        inspector = sa.inspect(db.engine)
        indexes = {ix["name"] for ix in inspector.get_indexes("card_event")}
        return indexes | {fk["name"] for fk in inspector.get_foreign_keys("card_event")}

    before = names()
    db.session.remove()
    with pytest.raises(RuntimeError), bulk_loading("card_event"):
        if db.engine.dialect.name == "postgresql":
            assert names() == set()  # only the primary key, which is not listed
        raise RuntimeError("the load broke off")
    assert names() == before


@pytest.mark.postgres_only
def test_a_bulk_load_with_a_row_without_its_parent_fails_at_the_end(app):
    """With its foreign keys dropped, a load is checked when they are added again: a row
    pointing at no parent fails it, as its insert would have."""
    from bench.generate import bulk_loading

    db.session.execute(sa.text("CREATE TABLE bulk_parent (id integer PRIMARY KEY)"))
    db.session.execute(
        sa.text(
            "CREATE TABLE bulk_child (id integer PRIMARY KEY, "
            "parent_id integer CONSTRAINT fk_bulk_child_parent REFERENCES bulk_parent (id))"
        )
    )
    db.session.execute(sa.text("CREATE INDEX ix_bulk_child_parent ON bulk_child (parent_id)"))
    db.session.commit()
    try:
        failing = pytest.raises(sa.exc.IntegrityError, match="fk_bulk_child_parent")
        with failing, bulk_loading("bulk_child"):
            db.session.execute(sa.text("INSERT INTO bulk_parent VALUES (1)"))
            db.session.execute(sa.text("INSERT INTO bulk_child VALUES (1, 1), (2, 7)"))
            db.session.commit()
        db.session.rollback()
        inspector = sa.inspect(db.engine)
        assert [ix["name"] for ix in inspector.get_indexes("bulk_child")] == [
            "ix_bulk_child_parent"
        ]
    finally:
        db.session.rollback()
        db.session.execute(sa.text("DROP TABLE bulk_child, bulk_parent"))
        db.session.commit()


def test_the_generators_passes_make_the_tasks_the_daily_job_would_have(app):
    """The generator runs the follow-up engine every four weeks over the last seventeen: the
    same tasks, due at the same times, as the jobs' pass of every morning would have made."""
    from bench.followup_data import WEEKS, pass_days
    from webapp.followup import engine
    from webapp.followup.models import FollowUpTask
    from webapp.timeutil import SHANGHAI

    def tasks() -> set[tuple]:
        rows = db.session.execute(
            sa.select(FollowUpTask.source, FollowUpTask.kind, FollowUpTask.due_at)
        )
        return set(rows.all())

    generate("tiny", seed=7)
    today = now().astimezone(SHANGHAI).date()
    days = pass_days(today)
    assert days[0] == today - timedelta(weeks=WEEKS) and days[-1] == today
    assert 5 <= len(days) < WEEKS
    made = tasks()
    assert {kind for _source, kind, _due in made} >= {"thank_you", "quarterly"}

    db.session.execute(sa.delete(FollowUpTask))
    db.session.commit()
    for n in range(WEEKS * 7 + 1):
        day = days[0] + timedelta(days=n)
        engine.plan_tasks(datetime.combine(day, time(7, 30), SHANGHAI))
    assert tasks() == made
