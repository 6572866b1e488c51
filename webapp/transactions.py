"""Committing a use case: a unique constraint lost to a concurrent save becomes a field error."""

from __future__ import annotations

import sqlalchemy as sa

from webapp.errors import ValidationError
from webapp.extensions import db


def commit_unique(field: str, message: str) -> None:
    """Commit; if a unique constraint refuses it (two people saving the same value at once),
    roll back and raise ValidationError with `message` on `field`: nothing is half-saved."""
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ValidationError({field: message}) from None
