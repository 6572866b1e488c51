"""A card's whole life through step ⑧: an A card is delivered, its follow-ups fall due on the
days the rules say (computed by hand here), the thank-you is done, the first maintenance
hands the C card to service, and the service advisor owns the 3-monthly contact while the
salesperson keeps read access."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa

from tests.delivery.day_fixtures import catalogue, later, make_contract, make_delivery  # noqa: F401
from tests.followup.conftest import local
from webapp.customers import services as cards
from webapp.customers.models import CardEvent, CustomerCard
from webapp.delivery import services as delivery_svc
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import engine
from webapp.followup import services as svc
from webapp.followup.models import FollowUpTask
from webapp.timeutil import SHANGHAI, local_today


def nine(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 9, 0, tzinfo=SHANGHAI).astimezone(UTC)


def by_kind() -> dict[str, FollowUpTask]:
    db.session.expire_all()
    return {t.kind: t for t in db.session.scalars(sa.select(FollowUpTask))}


def test_a_card_from_delivery_to_the_service_department(app, world, make_delivery):
    sales, advisor = world.users["salesperson"], world.users["service_advisor"]
    today = local_today()
    delivery = make_delivery()
    eta = later(3)
    agreed = today + timedelta(days=5)
    delivery_svc.complete(
        sales, delivery.id, None, eta.strftime("%Y-%m-%dT%H:%M"), agreed.isoformat()
    )
    card = db.session.get(CustomerCard, delivery.card_id)
    assert card.stage == "owner" and card.purchased_on == today

    # Delivery day: the safe-arrival call at the time home, the thank-you (附表十六) on the
    # third day at 09:00, the agreed call on its day at 09:00; nothing else yet.
    tasks = by_kind()
    assert set(tasks) == {"safe_arrival", "thank_you", "agreed_call"}
    assert tasks["safe_arrival"].due_at == eta.astimezone(UTC).replace(second=0)
    assert tasks["thank_you"].due_at == nine(today + timedelta(days=3))
    assert tasks["agreed_call"].due_at == nine(agreed)
    assert {t.owner_id for t in tasks.values()} == {sales.id}

    # The jobs' pass over the next months: the free inspection (day 30) a week ahead, the
    # first quarterly contact (day 90) a week ahead.
    engine.plan_tasks(local(today + timedelta(days=23), 7))
    assert "free_inspection" in by_kind()
    assert by_kind()["free_inspection"].due_at == nine(today + timedelta(days=30))
    engine.plan_tasks(local(today + timedelta(days=83), 7))
    quarterly = by_kind()["quarterly"]
    assert quarterly.due_at == nine(today + timedelta(days=90))
    assert quarterly.source == f"delivery:{delivery.id}/1"

    # The thank-you is done: the contact is on the card, the customer counts as reached.
    thanks = svc.complete_task(
        sales, tasks["thank_you"].id, "已寄感谢信并电话致谢,车况良好", "reached"
    )
    assert thanks.done_at is not None and thanks.outcome == "reached"
    event = db.session.scalars(
        sa.select(CardEvent).where(CardEvent.card_id == card.id, CardEvent.kind == "phone_out")
    ).one()
    assert event.data["task"] == thanks.id and event.note.startswith("已寄感谢信")

    # The first maintenance: the card goes to service, the open tasks to its advisor.
    svc.record_first_maintenance(advisor, card.id, today.isoformat())
    db.session.expire_all()
    card = db.session.get(CustomerCard, card.id)
    assert card.service_advisor_id == advisor.id and card.handed_to_service_at is not None
    open_owners = {t.kind: t.owner_id for t in by_kind().values() if t.done_at is None}
    assert open_owners == dict.fromkeys(
        ("safe_arrival", "agreed_call", "free_inspection", "quarterly"), advisor.id
    )
    assert by_kind()["thank_you"].owner_id == sales.id  # done: it stays the salesperson's

    # From now on the service advisor's 3-monthly contact, 90 days after the maintenance;
    # the salesperson's rules make nothing more for this card.
    engine.plan_tasks(local(today + timedelta(days=83), 7))
    service = by_kind()["service_quarterly"]
    assert (service.owner_id, service.due_at) == (advisor.id, nine(today + timedelta(days=90)))
    assert service.source == f"maintenance:{card.id}/1"
    before = db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask))
    engine.plan_tasks(local(today + timedelta(days=173), 7))
    kinds = [t.kind for t in db.session.scalars(sa.select(FollowUpTask).order_by(FollowUpTask.id))]
    assert len(kinds) == before + 1 and kinds[-1] == "service_quarterly"  # the second one
    assert by_kind()["service_quarterly"].due_at == nine(today + timedelta(days=180))

    # Access: the advisor reads the card and logs contacts; the salesperson only reads it.
    assert cards.view_card(advisor, card.id).id == card.id
    cards.record_contact(advisor, card.id, "phone_out", "提醒回厂保养")
    assert cards.view_card(sales, card.id).id == card.id
    with pytest.raises(PermissionDenied):
        cards.record_contact(sales, card.id, "phone_out", "我也想联系")
    with pytest.raises(PermissionDenied):
        cards.update_card(sales, card.id, {"name": "改名"}, card.version)
    # the advisor sees only the cards handed to service
    with pytest.raises(NotFound):
        cards.view_card(advisor, world.own_card.id)


def test_a_referral_is_a_new_a_card_linked_to_the_owner(app, world, delivered):
    owner = world.own_card
    delivered(owner, local_today() - timedelta(days=40))
    sales = world.users["salesperson"]
    friend = cards.create_card(
        sales,
        {
            "name": "李娜",
            "title": "ms",
            "mobile": "13912345678",
            "source": "walk_in",
            "referred_by": str(owner.id),
        },
    )
    assert friend.referred_by_id == owner.id and friend.source == "owner_referral"
    assert friend.stage == "prospect"
    noted = db.session.scalars(
        sa.select(CardEvent).where(CardEvent.card_id == owner.id, CardEvent.kind == "referral")
    ).one()
    assert noted.data == {"card": friend.id}
    # a colleague's owner, or a prospect, cannot be named as the referrer
    with pytest.raises(ValidationError) as refused:
        cards.create_card(
            sales,
            {
                "name": "赵六",
                "title": "mr",
                "mobile": "13912345679",
                "source": "walk_in",
                "referred_by": str(world.colleague_card.id),
            },
        )
    assert "referred_by" in refused.value.errors
    assert (
        db.session.scalar(sa.select(sa.func.count()).where(CustomerCard.mobile == "13912345679"))
        == 0
    )


def test_a_contact_can_re_grade_an_a_card_and_set_its_next_due_from_the_grade_rules(app, world):
    sales = world.users["salesperson"]
    cards.record_contact(
        sales, world.own_card.id, "phone_out", "下周来店试驾", grade="H", referral_asked=True
    )
    db.session.expire_all()
    card = db.session.get(CustomerCard, world.own_card.id)
    assert card.grade == "H" and card.next_follow_up_due == local_today() + timedelta(days=2)
    kinds = set(db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.card_id == card.id)))
    assert {"grade_changed", "phone_out", "referral_asked"} <= kinds
