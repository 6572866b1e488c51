"""Login, server-side sessions, password changes and language choice."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from webapp import timeutil
from webapp.auth.models import User, UserRole, UserSession
from webapp.auth.passwords import dummy_verify, hash_password, verify_password
from webapp.auth.throttle import Counter, allows, count
from webapp.errors import DomainError, ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem

MIN_PASSWORD_LENGTH = 10
# Writing last_seen_at on every request would turn each page view into a write.
LAST_SEEN_GRANULARITY = timedelta(minutes=1)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return username.strip().lower()


class LoginThrottled(DomainError):
    """Too many failed logins: for this account name, or (wrong credentials) from this address."""


def _check_credentials(username: str, password: str) -> tuple[User | None, bool]:
    """(the active user for these credentials or None, whether the name is an account's).

    Spends the same hashing work for unknown accounts, and upgrades outdated hashes.
    """
    if text_problem(username) is not None:  # no account name holds one; PostgreSQL refuses NUL
        dummy_verify(password)
        return None, False
    user = db.session.scalar(sa.select(User).where(User.username == normalise_username(username)))
    if user is None:
        dummy_verify(password)
        return None, False
    ok, new_hash = verify_password(user.password_hash, password)
    if not ok or not user.active:
        return None, True
    if new_hash:
        user.password_hash = new_hash
        db.session.commit()
    return user, True


def authenticate(username: str, password: str) -> User | None:
    """Return the active user for these credentials, or None (no throttling: see log_in)."""
    return _check_credentials(username, password)[0]


def log_in(username: str, password: str, address: str) -> User | None:
    """Check a login from `address` under the login limits; the user, or None when wrong.

    Raises LoginThrottled, the same for known and unknown names:
    - when the account name has too many recent failures, even for the right password
      (tested before any hashing, so guesses at one account stay slow);
    - when the credentials are wrong and the address is over its limit for real accounts
      or for unknown names. Correct credentials never meet the address limits: a store's
      tablets share one NAT address, and behind a proxy without PROXY_HOPS so does everyone.
    Every failure is counted, refused or not, so an address refusal never hides a guess from
    the account's count.
    """
    name = normalise_username(username)
    if not allows(Counter.ACCOUNT, name):
        raise LoginThrottled
    user, known = _check_credentials(name, password)
    if user is not None:
        return user
    # Either address limit refuses every failure from the address: refusing only the unknown
    # names would tell which names are accounts.
    refused = not (allows(Counter.ADDRESS, address) and allows(Counter.UNKNOWN, address))
    count(Counter.ACCOUNT, name)
    count(Counter.ADDRESS if known else Counter.UNKNOWN, address)
    if refused:
        raise LoginThrottled
    return None


def start_session(user: User, user_agent: str = "") -> str:
    """Create the server-side session row for a fresh login and return its token."""
    token = secrets.token_urlsafe(32)
    db.session.add(
        UserSession(user_id=user.id, token_hash=_token_hash(token), user_agent=user_agent[:200])
    )
    db.session.commit()
    user.session_token = token
    return token


@functools.cache
def _session_user_statement() -> sa.Select:
    """Session, user, store and roles in one statement, built once per process: this runs on
    every request, and building the select costs SQLAlchemy about as much as running it."""
    return (
        sa.select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .options(sa.orm.joinedload(User.store), sa.orm.joinedload(User.role_rows))
        .where(UserSession.token_hash == sa.bindparam("token_hash"))
    )


def load_session_user(token: str, activity: bool = True) -> User | None:
    """Resolve a cookie's token to its user, enforcing revocation, idle and absolute timeouts.

    `activity=False` (background polling such as the inbox badge) does not count as use, so
    a tablet left open on a page still reaches its idle timeout.
    """
    row = (
        db.session.execute(_session_user_statement(), {"token_hash": _token_hash(token)})
        .unique()
        .first()
    )
    if row is None:
        return None
    record, user = row
    moment = timeutil.now()
    cfg = current_app.config
    if (
        record.revoked_at is not None
        or not user.active
        or moment - record.last_seen_at > cfg["SESSION_IDLE_TIMEOUT"]
        or moment - record.created_at > cfg["SESSION_ABSOLUTE_TIMEOUT"]
    ):
        return None
    if activity and moment - record.last_seen_at > LAST_SEEN_GRANULARITY:
        record.last_seen_at = moment
        db.session.commit()
    user.session_token = token
    return user


def end_session(token: str | None) -> None:
    """Revoke one session (logout)."""
    if not token:
        return
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _token_hash(token), UserSession.revoked_at.is_(None))
        .values(revoked_at=timeutil.now())
    )
    db.session.commit()


def _revoke_all(user_id: int, keep_token: str | None = None) -> None:
    stmt = sa.update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_token:
        stmt = stmt.where(UserSession.token_hash != _token_hash(keep_token))
    db.session.execute(stmt.values(revoked_at=timeutil.now()))


def check_new_password(password: str, confirm: str, field: str = "new_password") -> None:
    """Raise ValidationError when a new password is too weak or not confirmed."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError({field: _("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH)})
    if password != confirm:
        raise ValidationError({"confirm": _("The two passwords differ.")})


def change_password(actor: User, current: str, new: str, confirm: str) -> None:
    """Change the actor's own password; ends every other session of theirs."""
    ok, _unused = verify_password(actor.password_hash, current)
    if not ok:
        raise ValidationError({"current_password": _("The current password is wrong.")})
    check_new_password(new, confirm)
    actor.password_hash = hash_password(new)
    actor.password_changed_at = timeutil.now()
    _revoke_all(actor.id, keep_token=actor.session_token)
    db.session.commit()


def set_password_and_revoke(user: User, new_password: str) -> None:
    """Set a password (admin reset) and end all of that user's sessions. Caller commits."""
    user.password_hash = hash_password(new_password)
    user.password_changed_at = timeutil.now()
    _revoke_all(user.id)


def revoke_all_sessions(user: User) -> None:
    """End every session of a user (account disabled). Caller commits."""
    _revoke_all(user.id)


def set_locale(actor: User, locale: str) -> None:
    """Remember the actor's UI language."""
    if locale not in current_app.config["LANGUAGES"]:
        raise ValidationError({"locale": _("Unknown language.")})
    actor.locale = locale
    db.session.commit()


def staff_ids(store_id: int, roles: Iterable[str]) -> set[int]:
    """The active users of the store holding any of `roles` (role codes)."""
    stmt = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active, UserRole.role.in_(list(roles)))
    )
    return set(db.session.scalars(stmt))
