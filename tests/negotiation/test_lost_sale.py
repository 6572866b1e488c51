"""The lost-sale record (附表十三): the card moves to lost with the record, nothing is saved
on an error, only the store's manager comments, and the weekly review counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from webapp.auth.models import Role
from webapp.customers.models import CardEvent, CustomerCard
from webapp.customers.services import change_stage
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.negotiation import lost
from webapp.negotiation.models import LostSale


def form(**overrides):
    data = {
        "competitor_brand": "本田",
        "competitor_model": "思域",
        "reasons": ["price", "financing"],
        "reason_note": "",
        "stage_reached": "quotation",
    }
    data.update(overrides)
    return data


def lost_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(LostSale))


def test_recording_a_lost_sale_moves_the_card_to_lost_with_the_record(world):
    sales = world.users["salesperson"]
    record = lost.record_lost_sale(sales, world.own_card.id, form())
    card = db.session.get(CustomerCard, world.own_card.id)
    assert card.stage == "lost" and card.next_follow_up_due is None
    assert record.reasons == ["price", "financing"]
    assert record.salesperson_id == sales.id and record.recorded_by_id == sales.id
    event = db.session.scalar(
        sa.select(CardEvent).where(CardEvent.card_id == card.id, CardEvent.kind == "stage_changed")
    )
    assert event.data == {"from": "prospect", "to": "lost"} and "本田" in event.note


def test_a_reopened_card_lost_again_gets_a_second_record(world):
    manager = world.users["sales_manager"]
    lost.record_lost_sale(manager, world.colleague_card.id, form())
    change_stage(manager, world.colleague_card.id, "prospect", "", None)
    second = lost.record_lost_sale(manager, world.colleague_card.id, form(reasons=["timing"]))
    assert lost_count() == 2
    assert second.salesperson_id == world.users["colleague"].id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reasons": []}, "reasons"),
        ({"reasons": ["price", "cheaper"]}, "reasons"),
        ({"reasons": ["other"], "reason_note": ""}, "reason_note"),
        ({"competitor_brand": ""}, "competitor_brand"),
        ({"competitor_brand": "本" * 31}, "competitor_brand"),
        ({"competitor_model": "x" * 51}, "competitor_model"),
        ({"reason_note": "x" * 201}, "reason_note"),
        ({"stage_reached": "delivery"}, "stage_reached"),
        ({"competitor_brand": "本田\x00"}, "competitor_brand"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(world, overrides, field):
    with pytest.raises(ValidationError) as exc:
        lost.record_lost_sale(world.users["salesperson"], world.own_card.id, form(**overrides))
    assert field in exc.value.errors
    db.session.rollback()
    assert lost_count() == 0
    assert db.session.get(CustomerCard, world.own_card.id).stage == "prospect"


def test_a_lost_card_cannot_be_lost_again_without_reopening(world):
    sales = world.users["salesperson"]
    lost.record_lost_sale(sales, world.own_card.id, form())
    with pytest.raises(ValidationError):
        lost.record_lost_sale(sales, world.own_card.id, form())
    db.session.rollback()
    assert lost_count() == 1


def test_other_store_and_colleague_cards_are_not_found_and_other_roles_denied(world):
    with pytest.raises(NotFound):
        lost.record_lost_sale(world.users["sales_manager"], world.other_store_card.id, form())
    with pytest.raises(NotFound):
        lost.record_lost_sale(world.users["salesperson"], world.colleague_card.id, form())
    for role in ("greeter", "finance", "service_advisor", "car_keeper"):
        with pytest.raises(PermissionDenied):
            lost.record_lost_sale(world.users[role], world.own_card.id, form())
    assert lost_count() == 0


def test_only_the_stores_manager_comments(world):
    record = lost.record_lost_sale(world.users["salesperson"], world.own_card.id, form())
    with pytest.raises(PermissionDenied):
        lost.comment_lost_sale(world.users["salesperson"], record.id, "跟进")
    with pytest.raises(NotFound):
        lost.comment_lost_sale(world.users["other_manager"], record.id, "跟进")
    with pytest.raises(ValidationError) as exc:
        lost.comment_lost_sale(world.users["sales_manager"], record.id, "x" * 501)
    assert "comment" in exc.value.errors
    done = lost.comment_lost_sale(world.users["sales_manager"], record.id, " 报价时未提金融方案 ")
    assert done.manager_comment == "报价时未提金融方案"
    assert done.commented_by_id == world.users["sales_manager"].id and done.commented_at


def test_review_lists_the_stores_lost_sales_and_counts_won_and_lost(world, make_card):
    manager = world.users["sales_manager"]
    lost.record_lost_sale(world.users["salesperson"], world.own_card.id, form())
    lost.record_lost_sale(
        world.users["other_salesperson"], world.other_store_card.id, form()
    )  # store B: not in A's review
    won = make_card(world.users["colleague"])
    change_stage(manager, won.id, "ordered", "", None)
    review = lost.review_list(manager)
    assert review.lost_count == 1 and review.won_count == 1
    assert review.lost[0].card_id == world.own_card.id
    last_week = lost.review_list(manager, start=review.start - timedelta(days=7))
    assert last_week.lost_count == 0 and last_week.won_count == 0
    with pytest.raises(PermissionDenied):
        lost.review_list(world.users["salesperson"])


def test_lost_form_page_fragment_and_errors_next_to_the_field(client, world):
    client.login("sales")
    url = f"/negotiation/cards/{world.own_card.id}/lost"
    assert_full_page(client.get(url))
    bad = client.post(url, data=form(reasons=["other"]), headers={**HX, "HX-Target": "lost-form"})
    html = assert_fragment(bad, "lost-form", status=422)
    assert "reason_note" in field_errors(html)
    assert lost_count() == 0
    plain = client.post(url, data=form(competitor_brand=""))
    assert plain.status_code == 422 and "competitor_brand" in field_errors(plain.get_data(True))
    done = client.post(url, data=form())
    assert done.status_code == 303 and lost_count() == 1
    card_page = client.get(f"/customers/{world.own_card.id}")
    assert card_page.status_code == 200


def test_card_page_links_the_lost_form(client, world):
    client.login("sales")
    html = client.get(f"/customers/{world.own_card.id}").get_data(as_text=True)
    assert f"/negotiation/cards/{world.own_card.id}/lost" in html


def test_review_page_and_inline_comment_fragment(client, world):
    record = lost.record_lost_sale(world.users["salesperson"], world.own_card.id, form())
    record_id = record.id
    client.login("manager")
    page = assert_full_page(client.get("/negotiation/lost"))
    assert "本田" in page and f'id="lost-{record_id}"' in page
    assert_fragment(
        client.get("/negotiation/lost?week=2020-01-08", headers={**HX, "HX-Target": "lost-review"}),
        "lost-review",
    )
    url = f"/negotiation/lost/{record_id}/comment"
    target = {**HX, "HX-Target": f"lost-{record_id}"}
    bad = assert_fragment(
        client.post(url, data={"comment": ""}, headers=target), f"lost-{record_id}", 422
    )
    assert "comment" in field_errors(bad)
    good = assert_fragment(
        client.post(url, data={"comment": "下周回访"}, headers=target), f"lost-{record_id}"
    )
    assert "下周回访" in good
    assert db.session.get(LostSale, record_id).manager_comment == "下周回访"


def test_admin_may_record_for_a_colleagues_card(world, make_user):
    admin = make_user(Role.ADMIN, store=world.store_a)
    record = lost.record_lost_sale(admin, world.colleague_card.id, form())
    assert record.salesperson_id == world.users["colleague"].id
