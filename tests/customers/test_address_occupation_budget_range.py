"""The A card's address and occupation (form, rules, card page, tablet merge), the budget
ranges dealers think in (10–15万 …), and the labelled dates of the card box."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, is_fragment
from webapp.customers import services
from webapp.customers.merge import CARD_FIELDS, merge_card
from webapp.customers.models import CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.sync.merge import Rejected
from webapp.timeutil import SHANGHAI, local_today


def form(**overrides) -> dict:
    data = {
        "name": "钱多多",
        "title": "mr",
        "mobile": "13811112222",
        "source": "walk_in",
        "occupation": "外科医生",
        "address": "海淀区中关村南大街",
    }
    data.update(overrides)
    return data


def card_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CustomerCard))


# Services: address and occupation


def test_a_new_card_keeps_address_and_occupation(world):
    card = services.create_card(world.users["salesperson"], form(address="  海淀区  "))
    assert card.address == "海淀区" and card.occupation == "外科医生"


def test_too_long_address_or_occupation_is_refused_and_nothing_is_saved(world):
    before = card_count()
    with pytest.raises(ValidationError) as raised:
        services.create_card(
            world.users["salesperson"], form(address="区" * 201, occupation="职" * 101)
        )
    assert set(raised.value.errors) == {"address", "occupation"}
    assert "200" in raised.value.errors["address"]
    assert card_count() == before


def test_control_characters_in_the_address_are_refused(world):
    with pytest.raises(ValidationError) as raised:
        services.create_card(world.users["salesperson"], form(address="\x0b海淀区"))
    assert "address" in raised.value.errors


def test_editing_a_card_changes_the_address_on_the_timeline(world):
    card = world.own_card
    data = {key: getattr(card, key) for key in services.FORM_FIELDS}
    data.update(address="朝阳区望京", occupation="教师", owner_id="")
    services.update_card(world.users["salesperson"], card.id, data, card.version)
    db.session.expire_all()
    card = db.session.get(CustomerCard, card.id)
    assert card.address == "朝阳区望京" and card.occupation == "教师"
    assert card.events[0].data["fields"] == ["address", "occupation"]


# Services: budget ranges


@pytest.mark.parametrize(
    ("code", "amount"),
    [
        ("under_10", "100000"),
        ("10_15", "150000"),
        ("15_20", "200000"),
        ("20_30", "300000"),
        ("over_30", "300000"),
    ],
)
def test_a_range_alone_records_its_figure(world, code, amount):
    card = services.create_card(world.users["salesperson"], form(budget="", budget_range=code))
    assert card.budget == Decimal(amount)


def test_a_typed_amount_inside_the_range_wins(world):
    card = services.create_card(
        world.users["salesperson"], form(budget="128000", budget_range="10_15")
    )
    assert card.budget == Decimal("128000")


def test_an_amount_outside_the_chosen_range_is_refused(world):
    with pytest.raises(ValidationError) as raised:
        services.create_card(
            world.users["salesperson"], form(budget="250000", budget_range="10_15")
        )
    assert set(raised.value.errors) == {"budget_range"}


def test_an_unknown_range_is_refused_with_a_message(world):
    before = card_count()
    with pytest.raises(ValidationError) as raised:
        services.create_card(world.users["salesperson"], form(budget_range="5_8"))
    assert raised.value.errors == {"budget_range": "请从预算区间中选择。"}
    assert card_count() == before


def test_the_form_offers_the_figure_each_range_records(app):
    assert services.budget_range_amounts() == {
        "under_10": 100000,
        "10_15": 150000,
        "15_20": 200000,
        "20_30": 300000,
        "over_30": 300000,
    }


# The tablet's card.update


def test_the_tablet_may_change_address_and_occupation(world):
    assert {"address", "occupation"} <= set(CARD_FIELDS)
    card = world.own_card
    result = merge_card(
        card,
        {"address": "丰台区", "occupation": "司机"},
        base_version=card.version,
        base=None,
        entry_id="e-1",
        actor_id=world.users["salesperson"].id,
    )
    assert result["applied"] == ["address", "occupation"]
    assert card.address == "丰台区" and card.occupation == "司机"


def test_the_tablet_is_held_to_the_same_length_limit(world):
    card = world.own_card
    with pytest.raises(Rejected) as raised:
        merge_card(
            card,
            {"address": "区" * 201},
            base_version=card.version,
            base=None,
            entry_id="e-2",
            actor_id=world.users["salesperson"].id,
        )
    assert "address" in raised.value.errors


# Views


def test_the_new_card_form_asks_address_occupation_and_budget_range(client, world):
    client.login("sales")
    html = client.get("/customers/new").get_data(as_text=True)
    for name in ("address", "occupation", "budget_range"):
        assert f'name="{name}"' in html
    assert 'data-amount="150000"' in html and "10–15万" in html
    assert "budget.js" in html


def test_too_long_address_shows_the_message_next_to_it_and_saves_nothing(client, world):
    client.login("sales")
    before = card_count()
    response = client.post("/customers/new", data=form(address="区" * 201), headers=HX)
    assert response.status_code == 422 and is_fragment(response)
    html = response.get_data(as_text=True)
    assert "200" in field_errors(html)["address"]
    assert card_count() == before


def test_unknown_budget_range_shows_the_message_next_to_it(client, world):
    client.login("sales")
    response = client.post("/customers/new", data=form(budget_range="huge"))
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True)) == {"budget_range": "请从预算区间中选择。"}
    assert card_count() == 3


def test_a_range_without_javascript_becomes_the_budget(client, world):
    client.login("sales")
    response = client.post("/customers/new", data=form(budget="", budget_range="15_20"))
    assert response.status_code in (200, 303)
    card = db.session.scalar(sa.select(CustomerCard).where(CustomerCard.name == "钱多多"))
    assert card.budget == Decimal("200000")


def test_card_page_and_edit_form_show_address_and_occupation(client, world):
    card = world.own_card
    card.address, card.occupation = "西城区金融街", "银行职员"
    db.session.commit()
    client.login("sales")
    page = client.get(f"/customers/{card.id}").get_data(as_text=True)
    assert "西城区金融街" in page and "银行职员" in page
    assert "决策人及影响者" in page
    edit = client.get(f"/customers/{card.id}/edit").get_data(as_text=True)
    assert 'value="西城区金融街"' in edit and 'value="银行职员"' in edit
    data = {key: getattr(card, key) or "" for key in services.FORM_FIELDS}
    data.update(address="区" * 201, version=card.version, trade_in="", owner_id="")
    data["planned_purchase_date"] = ""
    bad = client.post(f"/customers/{card.id}/edit", data=data)
    assert bad.status_code == 422 and "address" in field_errors(bad.get_data(as_text=True))
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).address == "西城区金融街"


# The card box's dates


def test_card_box_dates_carry_their_labels(client, world, make_card):
    today = local_today()
    last_at = datetime.now(UTC) - timedelta(days=1)
    make_card(
        world.users["salesperson"],
        name="有日期",
        mobile="13700000009",
        planned_purchase_date=today,
        next_follow_up_due=today + timedelta(days=2),
        last_contact_at=last_at,
    )
    client.login("sales")
    html = client.get("/customers/box").get_data(as_text=True)
    due = today + timedelta(days=2)
    last = last_at.astimezone(SHANGHAI).date()
    day = lambda d: (f"{d.year}年" if d.year != today.year else "") + f"{d.month}月{d.day}日"  # noqa: E731
    assert f'下次跟进</span> <time datetime="{due.isoformat()}">{day(due)}</time>' in html
    assert f'最近联系</span> <time datetime="{last.isoformat()}">{day(last)}</time>' in html
