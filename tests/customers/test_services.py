"""Rules of the A-C card: validation, duplicates, grades and follow-up dates, scoping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from webapp.customers import lists, services
from webapp.customers.models import CardEvent, CustomerCard, GradeRule
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.timeutil import local_today


def valid(**overrides):
    data = {
        "name": "王建国",
        "title": "mr",
        "mobile": "138 0013 8000",
        "source": "walk_in",
        "planned_purchase_date": (local_today() + timedelta(days=20)).isoformat(),
    }
    data.update(overrides)
    return data


def test_salesperson_creates_a_card_they_own_with_a_created_event(world):
    actor = world.users["salesperson"]
    card = services.create_card(actor, valid())
    assert card.owner_id == actor.id
    assert card.store_id == world.store_a.id
    assert card.mobile == "13800138000"
    assert card.stage == "prospect"
    events = db.session.scalars(sa.select(CardEvent).where(CardEvent.card_id == card.id)).all()
    assert [e.kind for e in events] == ["created"]


def test_grade_follows_planned_date_and_sets_next_follow_up(world):
    actor = world.users["salesperson"]
    card = services.create_card(actor, valid(planned_purchase_date=local_today().isoformat()))
    assert card.grade == "H"
    assert card.next_follow_up_due == local_today() + timedelta(days=2)


def test_store_grade_rules_override_the_defaults(world):
    db.session.add(
        GradeRule(store_id=world.store_a.id, grade="B", purchase_within_days=30, follow_up_days=5)
    )
    db.session.commit()
    card = services.create_card(world.users["salesperson"], valid(grade="B"))
    assert card.next_follow_up_due == local_today() + timedelta(days=5)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("mobile", "1234"),
        ("mobile", "23800138000"),
        ("mobile", ""),
        ("name", ""),
        ("title", "king"),
        ("planned_purchase_date", (date.today() - timedelta(days=3)).isoformat()),
        ("planned_purchase_date", "not-a-date"),
        ("budget", "-5"),
        ("budget", "lots"),
        ("source", "tv"),
        ("model_id", "99999"),
        ("grade", "Z"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(world, field, value):
    with pytest.raises(ValidationError) as exc:
        services.create_card(world.users["salesperson"], valid(**{field: value}))
    assert field in exc.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CardEvent)) == 0
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(CustomerCard)
            .where(CustomerCard.name == "王建国")
        )
        == 0
    )


def test_duplicate_mobile_in_store_is_refused_with_the_existing_card(world):
    actor = world.users["salesperson"]
    first = services.create_card(actor, valid())
    with pytest.raises(ValidationError) as exc:
        services.create_card(actor, valid(name="另一个人"))
    assert "mobile" in exc.value.errors
    assert exc.value.duplicate_id == first.id


def test_duplicate_of_a_colleagues_card_names_the_owner_but_offers_no_link(world):
    with pytest.raises(ValidationError) as exc:
        services.create_card(world.users["salesperson"], valid(mobile=world.colleague_card.mobile))
    assert world.users["colleague"].display_name in exc.value.errors["mobile"]
    assert exc.value.duplicate_id is None


def test_same_mobile_in_another_store_is_allowed(world):
    card = services.create_card(
        world.users["salesperson"], valid(mobile=world.other_store_card.mobile)
    )
    assert card.id


def test_smuggled_store_and_owner_are_ignored_for_a_salesperson(world):
    actor = world.users["salesperson"]
    card = services.create_card(
        actor,
        valid(store_id=world.store_b.id, owner_id=world.users["colleague"].id, stage="owner"),
    )
    assert (card.store_id, card.owner_id, card.stage) == (world.store_a.id, actor.id, "prospect")


def test_manager_assigns_a_store_salesperson_but_not_one_of_another_store(world):
    manager = world.users["sales_manager"]
    card = services.create_card(manager, valid(owner_id=world.users["colleague"].id))
    assert card.owner_id == world.users["colleague"].id
    with pytest.raises(ValidationError) as exc:
        services.create_card(
            manager, valid(mobile="13900000001", owner_id=world.users["other_salesperson"].id)
        )
    assert "owner_id" in exc.value.errors


def test_salesperson_sees_only_own_cards(world):
    actor = world.users["salesperson"]
    assert services.get_card(actor, world.own_card.id).id == world.own_card.id
    for card in (world.colleague_card, world.other_store_card):
        with pytest.raises(NotFound):
            services.get_card(actor, card.id)


def test_manager_sees_store_cards_not_other_stores(world):
    manager = world.users["sales_manager"]
    assert services.get_card(manager, world.colleague_card.id)
    with pytest.raises(NotFound):
        services.get_card(manager, world.other_store_card.id)


def test_greeter_finds_store_customers_with_registration_fields_only(world):
    greeter = world.users["greeter"]
    rows = lists.search_cards(greeter, world.colleague_card.mobile[:10])
    assert {r.id for r in rows} == {world.colleague_card.id, world.own_card.id}
    row = next(r for r in rows if r.id == world.colleague_card.id)
    assert row.grade is None and row.model_zh is None and not row.can_open
    with pytest.raises(PermissionDenied):
        services.get_card(greeter, world.colleague_card.id)


def test_roles_without_customer_access_are_refused(world):
    for role in ("service_advisor", "finance", "car_keeper"):
        with pytest.raises(PermissionDenied):
            lists.search_cards(world.users[role], "139")


def test_search_by_mobile_prefix_and_name_prefix(world, make_card):
    actor = world.users["salesperson"]
    make_card(actor, name="李雷", mobile="13611112222")
    make_card(actor, name="韩梅梅", mobile="13611113333")
    assert [r.name for r in lists.search_cards(actor, "1361111")] == ["李雷", "韩梅梅"]
    assert [r.name for r in lists.search_cards(actor, "韩")] == ["韩梅梅"]
    assert lists.search_cards(actor, "13") == []  # too short to be useful
    assert lists.search_cards(actor, "%") == []  # LIKE wildcards are literal


def test_edit_with_stale_version_is_refused(world):
    actor = world.users["salesperson"]
    card = world.own_card
    data = valid(mobile=card.mobile, name="改名")
    services.update_card(actor, card.id, data, version=card.version)
    with pytest.raises(ValidationError) as exc:
        services.update_card(actor, card.id, valid(mobile=card.mobile, name="又改"), version=1)
    assert "version" in exc.value.errors
    assert db.session.get(CustomerCard, card.id).name == "改名"


def test_edit_logs_changed_fields_and_grade_change(world):
    actor = world.users["salesperson"]
    card = world.own_card
    services.update_card(actor, card.id, valid(mobile=card.mobile, grade="H"), card.version)
    kinds = [e.kind for e in services.timeline(actor, db.session.get(CustomerCard, card.id))]
    assert "grade_changed" in kinds and "updated" in kinds
    assert db.session.get(CustomerCard, card.id).next_follow_up_due == local_today() + timedelta(
        days=2
    )


def test_recording_a_contact_moves_the_next_follow_up(world):
    actor = world.users["salesperson"]
    card = world.own_card
    services.record_contact(actor, card.id, "phone_out", "约周六试驾", grade="A")
    card = db.session.get(CustomerCard, card.id)
    assert card.grade == "A"
    assert card.next_follow_up_due == local_today() + timedelta(days=3)
    assert card.last_contact_at is not None


def test_contact_without_note_is_refused(world):
    with pytest.raises(ValidationError) as exc:
        services.record_contact(world.users["salesperson"], world.own_card.id, "visit", "  ")
    assert "note" in exc.value.errors


def test_due_follow_ups_are_the_actors_own_overdue_first(world, make_card):
    actor = world.users["salesperson"]
    today = local_today()
    late = make_card(actor, next_follow_up_due=today - timedelta(days=3), mobile="13700000001")
    due = make_card(actor, next_follow_up_due=today, mobile="13700000002")
    make_card(actor, next_follow_up_due=today + timedelta(days=1), mobile="13700000003")
    make_card(world.users["colleague"], next_follow_up_due=today, mobile="13700000004")
    rows, next_page = lists.due_follow_ups(actor)
    assert [r.id for r in rows] == [late.id, due.id] and next_page is None
    assert rows[0].overdue and not rows[1].overdue


def test_card_box_files_prospects_by_planned_month_and_owners_by_purchase(world, make_card):
    actor = world.users["salesperson"]
    month = date(2027, 3, 1)
    p = make_card(actor, planned_purchase_date=date(2027, 3, 15), mobile="13500000001")
    o = make_card(actor, stage="owner", purchased_on=date(2027, 3, 2), mobile="13500000002")
    make_card(actor, planned_purchase_date=date(2027, 4, 1), mobile="13500000003")
    rows, next_page = lists.card_box(actor, month)
    assert {r.id for r in rows} == {p.id, o.id} and next_page is None


def test_card_box_pages_with_a_keyset_cursor_hottest_grade_first(world, make_card):
    actor = world.users["salesperson"]
    planned = date(2027, 5, 10)
    made = [
        make_card(actor, grade=g, planned_purchase_date=planned, mobile=f"1350000{i:04d}")
        for i, g in enumerate("CBAH" * 3)
    ]
    seen, after = [], None
    while True:
        rows, after = lists.card_box(actor, date(2027, 5, 1), after, limit=5)
        seen += rows
        if after is None:
            break
    assert len(seen) == len(made) == len({r.id for r in seen})
    assert "".join(r.grade for r in seen) == "HHHAAABBBCCC"


def test_due_follow_ups_page_with_a_keyset_cursor(world, make_card):
    actor = world.users["salesperson"]
    today = local_today()
    made = [
        make_card(actor, next_follow_up_due=today - timedelta(days=i % 4), mobile=f"1370001{i:04d}")
        for i in range(9)
    ]
    seen, after = [], None
    while True:
        rows, after = lists.due_follow_ups(actor, after, limit=4)
        seen += rows
        if after is None:
            break
    assert sorted(r.id for r in seen) == sorted(c.id for c in made)
    assert [r.next_follow_up_due for r in seen] == sorted(r.next_follow_up_due for r in seen)


def test_stage_moves_follow_the_process(world):
    actor = world.users["salesperson"]
    card = world.own_card
    services.change_stage(actor, card.id, "ordered", "", None)
    services.change_stage(actor, card.id, "owner", "交车完成", None)
    card = db.session.get(CustomerCard, card.id)
    assert card.stage == "owner" and card.purchased_on == local_today()
    assert card.next_follow_up_due == local_today() + timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        services.change_stage(actor, card.id, "prospect", "", None)
    assert "stage" in exc.value.errors
    kinds = [e.kind for e in services.timeline(actor, card)]
    assert kinds.count("stage_changed") == 2


def test_losing_a_customer_needs_the_reason_and_stops_follow_ups(world):
    actor = world.users["salesperson"]
    card = world.own_card
    with pytest.raises(ValidationError) as exc:
        services.change_stage(actor, card.id, "lost", " ", None)
    assert "stage_note" in exc.value.errors
    assert db.session.get(CustomerCard, card.id).stage == "prospect"
    services.change_stage(actor, card.id, "lost", "选了比亚迪汉，价格原因", None)
    card = db.session.get(CustomerCard, card.id)
    assert card.stage == "lost" and card.next_follow_up_due is None
    services.change_stage(actor, card.id, "prospect", "客户又来店了", None)
    assert db.session.get(CustomerCard, card.id).next_follow_up_due is not None


def test_stage_change_is_scoped_and_checks_the_version(world):
    with pytest.raises(NotFound):
        services.change_stage(
            world.users["salesperson"], world.colleague_card.id, "ordered", "", None
        )
    with pytest.raises(ValidationError) as exc:
        services.change_stage(world.users["salesperson"], world.own_card.id, "ordered", "", 99)
    assert "version" in exc.value.errors
