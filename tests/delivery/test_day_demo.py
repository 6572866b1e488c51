"""The delivery demo: deliveries today and tomorrow at different stages of preparation, one
customer at the door, made through the area's rules; a second load changes nothing."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.delivery import services as svc
from webapp.delivery.models import Delivery
from webapp.demo import DEMO_STORE, seed
from webapp.extensions import db
from webapp.org.models import Store


def test_demo_has_deliveries_prepared_half_prepared_and_arrived(app):
    seed()
    store = db.session.scalar(sa.select(Store).where(Store.code == DEMO_STORE))
    # The open deliveries of the demo (the follow-up demo adds owners delivered in the past).
    deliveries = list(
        db.session.scalars(
            sa.select(Delivery).where(Delivery.store_id == store.id, Delivery.state != "completed")
        )
    )
    assert len(deliveries) == 4
    states = {d.state for d in deliveries}
    assert states == {"planned", "arrived"}
    prepared = sorted(
        (svc.preparation_state(d).done, svc.preparation_state(d).total) for d in deliveries
    )
    assert prepared[0][0] == 0 and prepared[-1][0] == prepared[-1][1]
    assert any(0 < done < total for done, total in prepared)
    greeter = db.session.scalar(sa.select(User).where(User.username == "greeter"))
    board = svc.board(greeter)
    assert len(board.today) + sum(d.count for d in board.days) == 4
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Delivery))
    seed()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Delivery)) == total
