"""Statements built once (access.scoped_statement) see exactly what scoped() lets each actor
see: their scope is part of the statement, with the actor's ids as parameters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from webapp.access import scoped, scoped_statement
from webapp.customers.models import CustomerCard
from webapp.extensions import db


def _ids_built_once(actor) -> set[int]:
    stmt, params = scoped_statement(
        "test:card_ids", CustomerCard, actor, lambda scope: scope(sa.select(CustomerCard.id))
    )
    return set(db.session.connection().execute(stmt, params).scalars())


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
        stmt, params = scoped_statement(
            "test:store_card_ids",
            CustomerCard,
            actor,
            lambda scope: scope(sa.select(CustomerCard.id)),
            store_only=True,
        )
        return set(db.session.connection().execute(stmt, params).scalars())

    # A salesperson's store-only statement sees the colleague's card, never another store's.
    seen = ids(world.users["salesperson"])
    assert {world.own_card.id, world.colleague_card.id} <= seen
    assert world.other_store_card.id not in seen
    # The same key with the full scope is another statement: the owner rule still applies.
    assert world.colleague_card.id not in _ids_built_once(world.users["salesperson"])
    assert world.own_card.id not in ids(world.users["other_salesperson"])


def test_a_statement_built_without_its_scope_is_refused(world):
    with pytest.raises(RuntimeError):
        scoped_statement(
            "test:unscoped", CustomerCard, world.users["salesperson"], lambda scope: sa.select(1)
        )


def test_codes_written_into_sql_must_be_plain_words():
    from webapp.sql import in_codes

    clause = in_codes(CustomerCard.stage, ["prospect", "ordered"])
    assert "IN ('prospect', 'ordered')" in str(clause.compile())
    with pytest.raises(ValueError):
        in_codes(CustomerCard.stage, ["x') OR ('1'='1"])
