"""The card's field rules are one set: the same value gets the same answer through the card
form and through a tablet's `card.update` (they used to differ on a past planned date, a
budget of exactly ¥100,000,000, and "¥" and "," in an amount)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.sync import support as s
from webapp.customers import services
from webapp.customers.models import CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.timeutil import local_today


def form_answer(world: Any, field: str, value: str) -> Any:
    """What the card form does with `value` in `field`: the stored value, or the error."""
    card = world.own_card
    data = {
        "name": card.name,
        "title": card.title,
        "mobile": card.mobile,
        "source": card.source,
        "grade": card.grade,
        field: value,
    }
    try:
        saved = services.update_card(world.users["salesperson"], card.id, data, card.version)
    except ValidationError as error:
        db.session.rollback()
        return ("refused", field in error.errors)
    return ("stored", getattr(saved, field))


def tablet_answer(app: Any, world: Any, field: str, value: Any) -> Any:
    """What a tablet's card.update does with `value` in `field`."""
    card = db.session.get(CustomerCard, world.own_card.id)
    db.session.refresh(card)
    client = app.test_client()
    client.login("sales")
    entry = s.card_update(card.id, card.version, {field: value}, None, 1)
    (result,) = s.push(client, [entry]).get_json()["results"]
    if result["status"] == "rejected":
        return ("refused", field in result["errors"])
    db.session.refresh(card)
    return ("stored", getattr(card, field))


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("planned_purchase_date", "past", ("refused", True)),
        ("budget", "100000000", ("stored", Decimal("100000000.00"))),
        ("budget", "100000000.01", ("refused", True)),
        ("budget", "¥150,000", ("stored", Decimal("150000.00"))),
        ("budget", "-1", ("refused", True)),
        ("planned_purchase_date", "soon", "stored"),
    ],
)
def test_the_form_and_the_tablet_give_the_same_answer(app, world, field, value, expected):
    if value == "past":
        value = (local_today() - timedelta(days=3)).isoformat()
    if value == "soon":
        value = (local_today() + timedelta(days=30)).isoformat()
    from_tablet = tablet_answer(app, world, field, value)
    db.session.rollback()
    # Back to the start for the form.
    card = db.session.get(CustomerCard, world.own_card.id)
    db.session.refresh(card)
    from_form = form_answer(world, field, value)
    if expected == "stored":
        assert from_tablet[0] == from_form[0] == "stored"
        assert str(from_tablet[1]) == str(from_form[1]) == value
    else:
        assert from_tablet == from_form == expected


def test_a_grade_change_schedules_the_same_follow_up_through_the_form_and_the_tablet(app, world):
    """One rule: the next follow-up counts from the last contact, by the new grade."""
    from webapp.timeutil import now

    card = db.session.get(CustomerCard, world.own_card.id)
    card.last_contact_at = now() - timedelta(days=2)
    db.session.commit()
    by_tablet = tablet_answer(app, world, "grade", "H")
    card = db.session.get(CustomerCard, world.own_card.id)
    db.session.refresh(card)
    due_by_tablet = card.next_follow_up_due
    events = [e.kind for e in card.events]
    # The same change through the form, from the same starting point.
    card.grade, card.next_follow_up_due = "B", None
    db.session.commit()
    by_form = form_answer(world, "grade", "H")
    db.session.refresh(card)
    assert by_tablet == by_form == ("stored", "H")
    assert card.next_follow_up_due == due_by_tablet is not None
    assert "grade_changed" in events
