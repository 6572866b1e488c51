"""SQL statements of the pages of steps ② – ⑤ and the inbox, on the full demo data: within the
bound, and (for the lists that grow during a day) the same with more rows. A count, not a time.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.helpers import HX
from tests.test_sql_counts import BOUND, statements
from webapp.auth.models import User
from webapp.demo import seed
from webapp.extensions import db
from webapp.push.services import notify
from webapp.testdrive.models import TestDriveBooking

DEMO_PASSWORDS = {
    "sales1": "demo-sales-2026",
    "manager": "demo-manager-2026",
    "greeter": "demo-greeter-2026",
    "keeper": "demo-keeper-2026",
}


@pytest.fixture
def demo(app):
    seed()
    users = {u.username: u for u in db.session.scalars(sa.select(User))}
    booking = db.session.scalar(
        sa.select(TestDriveBooking.id)
        .where(TestDriveBooking.owner_id == users["sales1"].id)
        .order_by(TestDriveBooking.id)
        .limit(1)
    )
    card = db.session.scalar(
        sa.select(TestDriveBooking.card_id).where(TestDriveBooking.id == booking)
    )
    return {"users": users, "booking": booking, "card": card}


def pages(demo) -> dict[str, list[tuple[str, dict]]]:
    card, booking = demo["card"], demo["booking"]
    return {
        "sales1": [
            (f"/testdrive/bookings/{booking}/packet", {}),
            ("/testdrive/bookings", {}),
            (f"/testdrive/cards/{card}/drives", HX),
            (f"/consult/cards/{card}/needs", {}),
            (f"/consult/cards/{card}/walkaround", {}),
            (f"/consult/cards/{card}/panel", HX),
            ("/inbox/", {}),
            ("/inbox/count", HX),
            ("/arrival-banner", HX),
            ("/my-day", {}),
        ],
        "manager": [
            ("/store-today", {}),
            ("/store-today/by-salesperson", {**HX, "HX-Target": "store-lines"}),
            ("/reception/register", {}),
            ("/reception/roster", {}),
            ("/consult/display-cars", {}),
            ("/sync/quarantine", {}),
        ],
        "greeter": [("/arrivals", {}), ("/reception/today", HX)],
        "keeper": [("/testdrive/schedule", {}), ("/testdrive/cars", {})],
    }


@pytest.mark.parametrize("who", ["sales1", "manager", "greeter", "keeper"])
def test_step_pages_stay_within_the_statement_bound(app, demo, who):
    client = app.test_client()
    client.login(who, DEMO_PASSWORDS[who])
    for path, headers in pages(demo)[who]:
        count = statements(client, "GET", path, {}, headers=headers)
        assert count <= BOUND, f"{path}: {count} statements"


def test_the_inbox_does_not_grow_in_statements_with_its_rows(app, demo):
    sales1 = demo["users"]["sales1"]
    client = app.test_client()
    client.login("sales1", DEMO_PASSWORDS["sales1"])
    # One arrival first: whether the demo's inbox holds one depends on the hour it was seeded.
    notify([sales1.id], store_id=sales1.store_id, kind="arrival", ref_id=10_000, url="/my-day")
    db.session.commit()
    few = statements(client, "GET", "/inbox/", {})
    notify([sales1.id] * 1, store_id=sales1.store_id, kind="generic", ref_id=None, url="/my-day")
    for n in range(25):
        notify([sales1.id], store_id=sales1.store_id, kind="arrival", ref_id=n, url="/my-day")
    db.session.commit()
    assert statements(client, "GET", "/inbox/", {}) == few
