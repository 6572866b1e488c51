"""The delivery-day pages read in Chinese only (the demo data, every role of the day)."""

from __future__ import annotations

import sqlalchemy as sa

from tests.test_chinese_pages import ALLOWED, _names_in_catalogue, english_words
from webapp.delivery.models import Delivery
from webapp.demo import DEMO_USERS, seed
from webapp.extensions import db


def test_board_schedule_and_delivery_pages_read_in_chinese(app):
    seed()
    db.session.commit()
    allowed = ALLOWED | _names_in_catalogue()
    passwords = {name: password for name, _, _, password, _, _ in DEMO_USERS}
    deliveries = list(db.session.scalars(sa.select(Delivery).order_by(Delivery.id)))
    assert deliveries
    found: dict[str, set[str]] = {}
    seen = 0
    for username in ("sales1", "sales2", "manager", "greeter", "service"):
        client = app.test_client()
        client.login(username, passwords[username])
        urls = ["/delivery/board"]
        urls += [f"/delivery/{d.id}" for d in deliveries]
        urls += [f"/delivery/contracts/{d.contract_id}/schedule" for d in deliveries]
        for url in urls:
            response = client.get(url)
            if response.status_code != 200:
                continue
            seen += 1
            words = english_words(response.get_data(as_text=True), allowed)
            if words:
                found[f"{username} {url}"] = words
    assert not found, "\n".join(f"{page}: {sorted(words)}" for page, words in found.items())
    assert seen >= 10
