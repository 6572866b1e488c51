"""The questionnaire 附表七 asks the purpose of the visit and of the purchase, who came along
and who decides or influences; its budget question offers the dealers' ranges."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.conftest import field_errors
from tests.consult.conftest import answers
from webapp.consult import services
from webapp.consult.models import NeedsAnalysis
from webapp.customers.models import CustomerCard
from webapp.errors import ValidationError
from webapp.extensions import db


def test_the_default_questionnaire_asks_purpose_companions_and_influencers(app):
    by_key = {q["key"]: q for q in services.questionnaire.DEFAULT_QUESTIONS}
    assert by_key["visit_purpose"]["type"] == "choice"
    assert by_key["purchase_purpose"]["options"] == ["首次购车", "换购", "增购"]
    assert "朋友" in by_key["companions"]["options"]
    assert by_key["decision_makers"]["field"] == "decision_makers"
    assert "影响" in by_key["decision_makers"]["label_zh"]
    assert by_key["occupation"]["field"] == "occupation"
    assert by_key["address"]["field"] == "address"
    # The editor accepts its own text back.
    text = services.questionnaire.questions_text(services.questionnaire.DEFAULT_QUESTIONS)
    assert services.questionnaire.parse_questions(text) == services.questionnaire.DEFAULT_QUESTIONS


def test_a_budget_range_alone_fills_the_card_budget(world, showroom):
    card = world.own_card
    posted = answers(showroom, budget="", budget_range="10_15")
    services.needs.save_answers(world.users["salesperson"], card.id, posted, card.version)
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).budget == Decimal("150000")


def test_a_typed_budget_wins_over_a_range_that_agrees(world, showroom):
    card = world.own_card
    posted = answers(showroom, budget="180000", budget_range="15_20")
    services.needs.save_answers(world.users["salesperson"], card.id, posted, card.version)
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).budget == Decimal("180000")


@pytest.mark.parametrize("budget", ["", "90000"])
def test_an_unknown_or_disagreeing_range_is_the_budget_questions_error(world, showroom, budget):
    card = world.own_card
    bad_range = "5_8" if budget == "" else "20_30"
    posted = answers(showroom, budget=budget, budget_range=bad_range)
    with pytest.raises(ValidationError) as raised:
        services.needs.save_answers(world.users["salesperson"], card.id, posted, card.version)
    assert set(raised.value.errors) == {"budget"}
    assert db.session.query(NeedsAnalysis).count() == 0


def test_the_summary_shows_purpose_and_companions(world, showroom):
    card = world.own_card
    analysis = services.needs.save_answers(
        world.users["salesperson"], card.id, answers(showroom), card.version
    )
    lines = dict(services.needs.summary_lines(card, analysis, zh=True))
    assert lines["本次来店目的"] == "初次看车"
    assert lines["今天同行的人"] == "配偶、朋友"
    assert lines["购车目的"] == "换购"
    assert lines["谁决定或影响购车"] == "本人、配偶"


def test_needs_page_offers_the_budget_ranges(client, world, showroom):
    client.login("sales")
    html = client.get(f"/consult/cards/{world.own_card.id}/needs").get_data(as_text=True)
    assert 'name="budget_range"' in html and 'data-fills="f-budget"' in html
    assert 'data-amount="150000"' in html and "budget.js" in html
    assert 'name="visit_purpose"' in html and 'name="companions"' in html


def test_posting_an_unknown_range_shows_the_message_next_to_the_budget(client, world, showroom):
    client.login("sales")
    card = world.own_card
    data = answers(showroom, budget="", budget_range="lots")
    data["version"] = card.version
    response = client.post(f"/consult/cards/{card.id}/needs", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert field_errors(html) == {"budget": "请从预算区间中选择。"}
    assert db.session.query(NeedsAnalysis).count() == 0


def test_posting_a_range_without_javascript_saves_its_figure(client, world, showroom):
    client.login("sales")
    card = world.own_card
    data = answers(showroom, budget="", budget_range="over_30")
    data["version"] = card.version
    assert client.post(f"/consult/cards/{card.id}/needs", data=data).status_code == 303
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).budget == Decimal("300000")
