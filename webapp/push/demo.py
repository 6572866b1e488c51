"""Demo data of the push area: a few inbox notices for sales1 (idempotent, no commit)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from webapp.auth.models import User
from webapp.extensions import db
from webapp.org.models import Store
from webapp.push.models import Notification
from webapp.push.services import notify
from webapp.timeutil import now

# (kind, url, minutes ago, read)
DEMO_NOTICES = (
    ("generic", "/customers/box", 180, True),
    ("delivery_today", "/my-day", 95, False),
    ("approval", "/customers/box", 40, False),
    ("arrival", "/my-day", 5, False),
)


def seed_demo(store: Store, users: dict[str, User]) -> str:
    """Add sales1's demo notices unless sales1 has notices already; the caller commits."""
    sales1 = users.get("sales1")
    if sales1 is None:
        return "Push demo: no sales1, nothing added."
    exists = db.session.scalar(
        sa.select(Notification.id).where(Notification.user_id == sales1.id).limit(1)
    )
    if exists is not None:
        return "Push demo: inbox already present."
    moment = now()
    for kind, url, minutes, read in DEMO_NOTICES:
        for row in notify([sales1.id], store_id=store.id, kind=kind, ref_id=None, url=url):
            row.created_at = moment - timedelta(minutes=minutes)
            row.read_at = row.created_at + timedelta(minutes=2) if read else None
    db.session.flush()
    return f"Push demo: {len(DEMO_NOTICES)} inbox notices for sales1."
