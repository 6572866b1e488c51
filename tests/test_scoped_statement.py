"""Statements built once (access.scoped_statement) see exactly what scoped() lets each actor
see: their scope is part of the statement, with the actor's ids as parameters. A statement is
kept under its builder and the builder's arguments, so two builders, or one builder with other
arguments, never share one; a builder that could hide values of its own is refused."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from webapp import access
from webapp.access import scoped, scoped_statement
from webapp.customers.models import CustomerCard
from webapp.extensions import db


def _card_ids(scope: Any) -> sa.Select:
    return scope(sa.select(CustomerCard.id))


def _card_names(scope: Any) -> sa.Select:
    return scope(sa.select(CustomerCard.name))


def _card_column(scope: Any, name: str) -> sa.Select:
    return scope(sa.select(getattr(CustomerCard, name)))


def _unscoped(scope: Any) -> sa.Select:
    return sa.select(CustomerCard.id)


def _run(stmt: sa.Select, params: dict[str, Any]) -> set[Any]:
    return set(db.session.connection().execute(stmt, params).scalars())


def _ids_built_once(actor) -> set[int]:
    return _run(*scoped_statement(CustomerCard, actor, _card_ids))


def _ids_scoped(actor) -> set[int]:
    return set(db.session.scalars(scoped(sa.select(CustomerCard.id), CustomerCard, actor)))


@pytest.mark.parametrize(
    "role", ["salesperson", "colleague", "sales_manager", "greeter", "service_advisor", "admin"]
)
def test_a_statement_built_once_sees_what_scoped_sees(world, role):
    actor = world.users[role]
    assert _ids_built_once(actor) == _ids_scoped(actor)


def test_one_built_statement_serves_many_actors_with_their_own_ids(world):
    own = _ids_built_once(world.users["salesperson"])
    colleague = _ids_built_once(world.users["colleague"])
    assert world.own_card.id in own and world.colleague_card.id not in own
    assert world.colleague_card.id in colleague and world.own_card.id not in colleague
    manager = _ids_built_once(world.users["sales_manager"])
    assert {world.own_card.id, world.colleague_card.id} <= manager
    assert world.other_store_card.id not in manager


def test_a_group_admin_reaches_the_group_through_a_built_statement(world):
    admin = world.users["admin"]
    admin.group_admin = True
    db.session.commit()
    ids = _ids_built_once(admin)
    assert ids == _ids_scoped(admin)
    assert {world.own_card.id, world.other_store_card.id} <= ids


def test_store_only_keeps_the_store_rule_and_leaves_the_owner_rule_to_the_statement(world):
    def ids(actor) -> set[int]:
        return _run(*scoped_statement(CustomerCard, actor, _card_ids, store_only=True))

    # A salesperson's store-only statement sees the colleague's card, never another store's.
    seen = ids(world.users["salesperson"])
    assert {world.own_card.id, world.colleague_card.id} <= seen
    assert world.other_store_card.id not in seen
    # The same builder with the full scope is another statement: the owner rule still applies.
    assert world.colleague_card.id not in _ids_built_once(world.users["salesperson"])
    assert world.own_card.id not in ids(world.users["other_salesperson"])


def test_a_statement_built_without_its_scope_is_refused(world):
    with pytest.raises(RuntimeError):
        scoped_statement(CustomerCard, world.users["salesperson"], _unscoped)


def test_a_builder_that_captures_a_value_is_refused(world):
    limit = 5
    with pytest.raises(TypeError):
        scoped_statement(
            CustomerCard,
            world.users["salesperson"],
            lambda scope: scope(sa.select(CustomerCard.id)).limit(limit),
        )


def test_a_builder_defined_in_a_function_is_refused_even_without_captured_values(world):
    def build(scope: Any) -> sa.Select:
        return scope(sa.select(CustomerCard.id))

    with pytest.raises(TypeError):
        scoped_statement(CustomerCard, world.users["salesperson"], build)
    with pytest.raises(TypeError):
        scoped_statement(
            CustomerCard, world.users["salesperson"], lambda scope: scope(sa.select(1))
        )


def test_unhashable_builder_arguments_are_refused(world):
    with pytest.raises(TypeError):
        scoped_statement(CustomerCard, world.users["salesperson"], _card_column, ["name"])


def test_two_builders_never_share_a_statement(world):
    actor = world.users["salesperson"]
    ids_stmt, params = scoped_statement(CustomerCard, actor, _card_ids)
    names_stmt, _ = scoped_statement(CustomerCard, actor, _card_names)
    assert ids_stmt is not names_stmt
    assert _run(ids_stmt, params) == {world.own_card.id}
    assert _run(names_stmt, params) == {"自己客户"}


def test_other_arguments_give_another_statement(world):
    actor = world.users["salesperson"]
    by_name, params = scoped_statement(CustomerCard, actor, _card_column, "name")
    by_id, _ = scoped_statement(CustomerCard, actor, _card_column, "id")
    assert by_name is not by_id
    assert _run(by_name, params) == {"自己客户"}
    assert _run(by_id, params) == {world.own_card.id}


def test_the_same_arguments_give_the_same_built_statement(world):
    salesperson, colleague = world.users["salesperson"], world.users["colleague"]
    first, _ = scoped_statement(CustomerCard, salesperson, _card_column, "name")
    again, _ = scoped_statement(CustomerCard, salesperson, _card_column, "name")
    # Another actor of the same kind gets the same statement with their own parameters.
    theirs, their_params = scoped_statement(CustomerCard, colleague, _card_column, "name")
    assert first is again is theirs
    assert _run(theirs, their_params) == {"同事客户"}
    # Another kind of actor (a manager sees the whole store) gets its own statement.
    manager, _ = scoped_statement(CustomerCard, world.users["sales_manager"], _card_column, "name")
    assert manager is not first


def test_the_cache_of_statements_stays_within_its_bound(world, monkeypatch):
    monkeypatch.setattr(access, "_BUILT", {})
    monkeypatch.setattr(access, "BUILT_LIMIT", 2)
    actor = world.users["salesperson"]
    for name in ("id", "name", "title", "mobile"):
        scoped_statement(CustomerCard, actor, _card_column, name)
        assert len(access._BUILT) <= 2
    assert _run(*scoped_statement(CustomerCard, actor, _card_column, "name")) == {"自己客户"}


def test_the_stores_reached_are_the_own_store_or_a_group_admins_group_as_scoped_says(
    world, make_user
):
    from webapp.org.models import Store

    gadmin = make_user(access.Role.ADMIN, store=world.store_a, username="gadmin", group_admin=True)
    for actor in (*world.users.values(), gadmin):
        stmt = scoped(sa.select(Store.id, Store.name), Store, actor).order_by(Store.code, Store.id)
        expected = [(row.id, row.name) for row in db.session.execute(stmt)]
        assert access.reachable_stores(actor) == expected
    assert [sid for sid, _name in access.reachable_stores(gadmin)] == [
        world.store_a.id,
        world.store_b.id,
    ]
    assert access.reachable_stores(world.users["salesperson"]) == [
        (world.store_a.id, world.store_a.name)
    ]


def _cards_with_ticks(scope: Any) -> sa.Select:
    from webapp.pdca.audit_models import CardAuditTick

    return scope(
        sa.select(CustomerCard.id, CardAuditTick.id).outerjoin(
            CardAuditTick,
            sa.and_(CardAuditTick.card_id == CustomerCard.id, scope.clause(CardAuditTick)),
        )
    )


def _cards_with_unscoped_ticks(scope: Any) -> sa.Select:
    from webapp.pdca.audit_models import CardAuditTick

    return scope(
        sa.select(CustomerCard.id, CardAuditTick.id).outerjoin(
            CardAuditTick, CardAuditTick.card_id == CustomerCard.id
        )
    )


def test_a_joined_models_rows_are_scoped_by_their_own_rules(world):
    from webapp.monthly import this_month
    from webapp.pdca.audit_models import CardAuditTick

    card, sales, manager = world.own_card, world.users["salesperson"], world.users["sales_manager"]
    # A tick made while the card was the colleague's: the colleague's row, not the salesperson's.
    for owner in (sales, world.users["colleague"]):
        db.session.add(
            CardAuditTick(
                store_id=card.store_id, card_id=card.id, owner_id=owner.id,
                month=this_month(), kind="owner", finding="", actor_id=owner.id,
            )
        )  # fmt: skip
    db.session.commit()

    def ticks(actor) -> set[int]:
        stmt, params = scoped_statement(
            CustomerCard, actor, _cards_with_ticks, also=(CardAuditTick,)
        )
        rows = db.session.connection().execute(stmt, params)
        return {tick for card_id, tick in rows if card_id == card.id and tick is not None}

    seen_by_sales = ticks(sales)
    expected = set(db.session.scalars(scoped(sa.select(CardAuditTick.id), CardAuditTick, sales)))
    assert len(seen_by_sales) == 1 and seen_by_sales == expected
    assert len(ticks(manager)) == 2


def test_a_joined_model_left_without_its_scope_is_refused(world):
    from webapp.pdca.audit_models import CardAuditTick

    sales = world.users["salesperson"]
    with pytest.raises(RuntimeError):
        scoped_statement(CustomerCard, sales, _cards_with_unscoped_ticks, also=(CardAuditTick,))
    with pytest.raises(ValueError):  # scope.clause on a model the call did not name
        scoped_statement(CustomerCard, sales, _cards_with_ticks)
