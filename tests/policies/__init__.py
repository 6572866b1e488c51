"""Access policies of the later areas, one module per area, merged into the access matrix.

Each module defines `POLICY` (endpoint → cases, as in tests/test_access_matrix.py) and may
define `RECORD_KINDS` (names usable as `{kind}` in path templates) and
`records(world, relation) -> dict` giving the record of each kind in that relation to the
acting user. A body builder receives `(world, card)`; `world.current` holds all the records
of the case being run.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType


def area_modules() -> list[ModuleType]:
    """Every policy module in this package, in name order."""
    return [
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    ]


def fresh_cards(world, tag: str) -> dict:
    """A card per relation (own, colleague, other store) with the owners of the world's cards,
    for an area whose records are one per card (a memo, a contract) and must not collide with
    another area's records on the world's own cards."""
    from webapp.customers.models import CustomerCard
    from webapp.extensions import db

    cards = {}
    for n, (relation, card) in enumerate(
        (
            ("own", world.own_card),
            ("colleague", world.colleague_card),
            ("other_store", world.other_store_card),
        ),
        start=1,
    ):
        copy = CustomerCard(
            store_id=card.store_id,
            owner_id=card.owner_id,
            name=f"{tag}{n}",
            title="mr",
            mobile=f"137{abs(hash(tag)) % 10_000:04d}{n:04d}",
            source="walk_in",
            grade="B",
        )
        db.session.add(copy)
        cards[relation] = copy
    db.session.flush()
    return cards
