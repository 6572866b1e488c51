"""Users of the generator's data, for the benchmarks' tests."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.auth.models import User, UserRole
from webapp.extensions import db


def a_salesperson() -> str:
    """The username of the first generated salesperson."""
    return db.session.scalar(
        sa.select(User.username)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == "salesperson")
        .order_by(User.id)
        .limit(1)
    )
