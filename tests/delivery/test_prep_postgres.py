"""Two ticks of one delivery's preparation list counted at the same moment: the board's
count holds both, because refresh_prep locks the delivery's DeliveryPrep row before it reads
the ticks. (An online tick also locks the delivery row first; this holds without it.) Row
locks are PostgreSQL's; SQLite locks the whole file, so this runs there only."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

import threading
import time
import uuid

import pytest

from tests.conftest import require_postgres
from tests.delivery.day_fixtures import (  # noqa: F401
    catalogue,
    make_contract,
    make_delivery,
)
from webapp.delivery import prep
from webapp.delivery.checklists import current_checklists
from webapp.delivery.models import DeliveryEntry, DeliveryPrep
from webapp.extensions import db


def _tick_slowly(app, delivery_id: int, store_id: int, user_id: int, key: str, barrier, errors):
    """A tick written, counted and committed, with pauses where another transaction could
    slip in, and without the delivery row's lock."""
    with app.app_context():
        try:
            checklist = current_checklists()["preparation"]
            barrier.wait(timeout=10)
            db.session.add(
                DeliveryEntry(
                    store_id=store_id,
                    delivery_id=delivery_id,
                    kind="preparation",
                    checklist_id=checklist.id,
                    item_key=key,
                    done=True,
                    entry_uuid=str(uuid.uuid4()),
                    recorded_by_id=user_id,
                )
            )
            db.session.flush()
            time.sleep(0.05)
            prep.refresh_prep([delivery_id], checklist)
            time.sleep(0.05)
            db.session.commit()
        except Exception as exc:  # reported by the assertion
            errors.append(repr(exc))
        finally:
            db.session.remove()


@pytest.mark.postgres_only
def test_two_ticks_at_once_are_both_counted(app, world, make_delivery):
    require_postgres()
    assert db.engine.dialect.name == "postgresql"
    delivery = make_delivery()
    assert db.session.get(DeliveryPrep, delivery.id).done == 0
    args = (delivery.id, delivery.store_id, world.users["salesperson"].id)
    barrier, errors = threading.Barrier(2), []
    db.session.commit()
    threads = [
        threading.Thread(target=_tick_slowly, args=(app, *args, key, barrier, errors))
        for key in ("pds_done", "fuel_quarter")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    db.session.expire_all()
    assert db.session.get(DeliveryPrep, delivery.id).done == 2
