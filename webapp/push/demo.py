"""Demo data of the push area: a few inbox notices for sales1 (idempotent, no commit); the
arrival notice announces sales1's waiting arrival of the reception demo when there is one."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, url_for

from webapp.auth.models import User
from webapp.extensions import db
from webapp.org.models import Store
from webapp.push.models import Notification
from webapp.push.services import notify
from webapp.reception.models import Visit, VisitKind
from webapp.reception.services.arrivals import visit_url
from webapp.timeutil import local_today, now

# (kind, endpoint of the page it opens, minutes ago, read)
DEMO_NOTICES = (
    ("generic", "customers.box", 180, True),
    ("delivery_today", "home.my_day", 95, False),
    ("approval", "customers.box", 40, False),
    ("arrival", "home.my_day", 5, False),
)


def _waiting_arrival(store: Store, user: User) -> Visit | None:
    """The user's latest walk-in of today nobody has greeted yet (the reception demo's)."""
    return db.session.scalar(
        sa.select(Visit)
        .where(
            Visit.store_id == store.id,
            Visit.owner_id == user.id,
            Visit.day == local_today(),
            Visit.kind == VisitKind.WALK_IN.value,
            Visit.time_out.is_(None),
            Visit.greeted_at.is_(None),
        )
        .order_by(Visit.time_in.desc())
        .limit(1)
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
    waiting = _waiting_arrival(store, sales1)
    for kind, endpoint, minutes, read in DEMO_NOTICES:
        with current_app.test_request_context():
            url = url_for(endpoint)
        ref_id, created = None, moment - timedelta(minutes=minutes)
        if kind == "arrival" and waiting is not None:
            ref_id, created, url = waiting.id, waiting.time_in, visit_url(waiting.id)
        for row in notify([sales1.id], store_id=store.id, kind=kind, ref_id=ref_id, url=url):
            row.created_at = created
            row.read_at = row.created_at + timedelta(minutes=2) if read else None
    db.session.flush()
    return f"Push demo: {len(DEMO_NOTICES)} inbox notices for sales1."
