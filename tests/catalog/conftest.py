"""Catalogue fixtures: one store with staff made on demand, and a model with SFX and colour.

The catalogue is national, so these tests need no second store: they skip the heavier
`world` fixture and create only the accounts a test asks for.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from webapp.auth.models import Role, User
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.extensions import db


@pytest.fixture
def staff(make_store, make_user) -> Callable[[str], User]:
    """`staff("greeter")`: the store's user with that role (username = role), made once."""
    store = make_store("目录店")
    made: dict[str, User] = {}

    def get(role: str) -> User:
        if role not in made:
            made[role] = make_user(Role(role), store=store, username=role)
        return made[role]

    return get


@pytest.fixture
def corolla(app) -> VehicleModel:
    model = VehicleModel(
        code="COROLLA",
        name_zh="卡罗拉",
        name_en="Corolla",
        body_type="sedan",
        fab="全球销量冠军",
        sort_order=1,
    )
    model.sfx = [
        Sfx(
            code="ZRE211-E",
            grade="1.5L CVT 精英版",
            engine="1.5L M15C",
            msrp=Decimal("125800"),
            fab="省油耐用",
        ),
        Sfx(code="OLD-1", grade="旧款", engine="1.6L", msrp=Decimal("135800"), active=False),
    ]
    model.colours = [Colour(name_zh="深红云母", name_en="Emotional Red", hex="#9e1b2f")]
    db.session.add(model)
    db.session.commit()
    return model
