"""Rules of notices: `notify` (for other areas, in their transaction), the inbox of the acting
user, and the push subscriptions of a user's devices.

Push is a hint, the inbox is the truth: `notify` always writes the inbox row, and adds one
pending delivery per subscription of the user; the sender (webapp/push/sender.py) drains them.
Neither the row nor the push payload holds personal data; the inbox, behind the login, reads
what a notice is about from its record at display time (`arrival_details`).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from webapp.access import scoped, store_clause
from webapp.auth.models import User
from webapp.catalog.models import VehicleModel
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.push import outbound
from webapp.push.labels import title_code
from webapp.push.models import Notification, PushDelivery, PushSubscription
from webapp.timeutil import now

DEVICE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_ENDPOINT = 1024
MAX_URL = 300


def notify(
    user_ids: Iterable[int], *, store_id: int, kind: str, ref_id: int | None, url: str
) -> list[Notification]:
    """Add an inbox row for each user and a pending push delivery per subscription of theirs.

    Runs in the caller's transaction: nothing is committed here. `url` must be a path of this
    app ("/…"). Raises ValueError on a url that is not a local path (a programming error).
    """
    if not url.startswith("/") or url.startswith("//") or len(url) > MAX_URL:
        raise ValueError(f"notify() needs a local path of at most {MAX_URL} characters: {url!r}")
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    if not ids:
        return []
    rows = [
        Notification(
            store_id=store_id,
            user_id=user_id,
            kind=kind[:40],
            ref_id=ref_id,
            url=url,
            title_code=title_code(kind),
        )
        for user_id in ids
    ]
    db.session.add_all(rows)
    db.session.flush()
    by_user = {row.user_id: row for row in rows}
    subscriptions = db.session.execute(
        sa.select(PushSubscription.id, PushSubscription.user_id).where(
            PushSubscription.user_id.in_(ids)
        )
    ).all()
    db.session.add_all(
        PushDelivery(notification_id=by_user[user_id].id, subscription_id=sub_id)
        for sub_id, user_id in subscriptions
    )
    return rows


# --- The inbox of the acting user -----------------------------------------------------------


def _mine(stmt: sa.Select, actor: User) -> sa.Select:
    """Only the actor's own notices, in the stores the actor reaches."""
    return stmt.where(Notification.user_id == actor.id, store_clause(Notification, actor))


@dataclass(frozen=True)
class ArrivalDetails:
    """What the inbox row of a 客户到店 notice says about the customer at the door."""

    name: str
    title: str
    people: int
    model: VehicleModel | None
    greeter: str


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox, newest first."""

    rows: list[Notification]
    page: int
    has_more: bool
    # notice id → the customer at the door, for the arrival notices (see arrival_details)
    arrivals: dict[int, ArrivalDetails] = field(default_factory=dict)


def inbox(actor: User, page: int = 1) -> InboxPage:
    """The actor's notices, newest first, `PAGE_SIZE` a page. Never raises."""
    size = int(current_app.config.get("PAGE_SIZE", 25))
    page = max(1, min(page, 10_000))
    stmt = _mine(sa.select(Notification), actor).order_by(
        Notification.created_at.desc(), Notification.id.desc()
    )
    rows = list(db.session.scalars(stmt.offset((page - 1) * size).limit(size + 1)))
    shown = rows[:size]
    return InboxPage(
        rows=shown,
        page=page,
        has_more=len(rows) > size,
        arrivals=arrival_details(actor, shown),
    )


def arrival_details(actor: User, rows: list[Notification]) -> dict[int, ArrivalDetails]:
    """Notice id → the arrival it announces (称谓, party size, model, who registered it), for
    the arrival notices among `rows` whose visit the actor may still see. Never raises."""
    refs = {row.id: row.ref_id for row in rows if row.kind == "arrival" and row.ref_id}
    if not refs:
        return {}
    # Imported here: reception notifies through this module, so it cannot be imported first.
    from webapp.reception.models import Visit

    greeter = sa.orm.aliased(User, name="greeter")
    stmt = scoped(
        sa.select(Visit, greeter.display_name)
        .options(sa.orm.lazyload(Visit.owner))
        .outerjoin(greeter, greeter.id == Visit.registered_by_id)
        .where(Visit.id.in_(set(refs.values()))),
        Visit,
        actor,
    )
    found = {
        visit.id: ArrivalDetails(
            name=visit.name,
            title=visit.title,
            people=visit.people,
            model=visit.model,
            greeter=greeter_name or "",
        )
        for visit, greeter_name in db.session.execute(stmt)
    }
    return {notice: found[ref] for notice, ref in refs.items() if ref in found}


def unread_count(actor: User) -> int:
    """How many of the actor's notices are unread."""
    stmt = _mine(sa.select(sa.func.count(Notification.id)), actor).where(
        Notification.read_at.is_(None)
    )
    return int(db.session.scalar(stmt) or 0)


def newest_unread_title(actor: User) -> str | None:
    """The title code of the actor's newest unread notice (None when all are read)."""
    stmt = (
        _mine(sa.select(Notification.title_code), actor)
        .where(Notification.read_at.is_(None))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(1)
    )
    return db.session.scalar(stmt)


def mark_read(actor: User, notification_id: int) -> Notification:
    """Mark one of the actor's notices read (again is harmless). Raises NotFound otherwise."""
    row = db.session.scalar(
        _mine(sa.select(Notification), actor).where(Notification.id == notification_id)
    )
    if row is None:
        raise NotFound()
    if row.read_at is None:
        row.read_at = now()
    db.session.commit()
    return row


def mark_all_read(actor: User) -> int:
    """Mark every unread notice of the actor read; returns how many changed."""
    ids = sa.select(Notification.id).where(
        Notification.user_id == actor.id,
        store_clause(Notification, actor),
        Notification.read_at.is_(None),
    )
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.id.in_(ids))
        .values(read_at=now())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return int(result.rowcount or 0)


# --- Subscriptions -------------------------------------------------------------------------


def _b64url_bytes(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _taken() -> str:
    return _(
        "This browser's push subscription belongs to another account."
        " Turn push off and on again here."
    )


def _allow_local() -> bool:
    return bool(current_app.config.get("PUSH_ALLOW_LOCAL_ENDPOINTS"))


def _endpoint_error(endpoint: str) -> str | None:
    """Why an endpoint is refused, or None: the written form only, no DNS.

    Push services are https on port 443 under a public DNS name, so anything else is refused
    (the sender would post to it: SSRF): IP literals in any notation (`127.1`, `0x7f000001`,
    `2130706433`, `0177.0.0.1`, `[::1]`, `[::ffff:127.0.0.1]`), a trailing dot, single-label
    names, `localhost` and private-use suffixes (`.local`, `.lan`, `.internal`, `.home.arpa`,
    …), user info and other ports; see `outbound.endpoint_problem`. PUSH_ALLOW_LOCAL_ENDPOINTS
    (tests, a LAN push relay) accepts any http(s) URL with a host.
    """
    if not endpoint or len(endpoint) > MAX_ENDPOINT:
        return _("The browser sent no valid push address.")
    if outbound.endpoint_problem(endpoint, allow_local=_allow_local()):
        return _("The browser sent no valid push address.")
    return None


def _address_error(endpoint: str) -> str | None:
    """Why an endpoint's name is refused once resolved, or None.

    Any answer that is not a public address refuses it. A name that does not resolve now is
    accepted: the sender resolves again and checks before every connection, which is the
    guard; this is early feedback for the user. Skipped with PUSH_ALLOW_LOCAL_ENDPOINTS.
    """
    if _allow_local():
        return None
    parts = urlsplit(endpoint)
    try:
        outbound.checked_address(parts.hostname or "", parts.port or 443)
    except outbound.BlockedAddress:
        return _("The browser sent no valid push address.")
    except (OSError, UnicodeError):
        return None
    return None


def _clean_subscription(data: dict[str, Any]) -> dict[str, str]:
    errors: dict[str, str] = {}
    endpoint = str(data.get("endpoint") or "").strip()
    keys = data.get("keys") if isinstance(data.get("keys"), dict) else {}
    p256dh = str(keys.get("p256dh") or "").strip()
    auth = str(keys.get("auth") or "").strip()
    device_id = str(data.get("device_id") or "").strip()
    problem = _endpoint_error(endpoint)
    if problem:
        errors["endpoint"] = problem
    raw_key = _b64url_bytes(p256dh) if len(p256dh) <= 200 else None
    if raw_key is None or len(raw_key) != 65 or raw_key[0] != 4:
        errors["p256dh"] = _("The browser sent no valid encryption key.")
    raw_auth = _b64url_bytes(auth) if len(auth) <= 64 else None
    if raw_auth is None or len(raw_auth) != 16:
        errors["auth"] = _("The browser sent no valid encryption key.")
    if not DEVICE_ID.match(device_id):
        errors["device_id"] = _("This device has no valid id. Reload the page.")
    if errors:
        raise ValidationError(errors)
    return {"endpoint": endpoint, "p256dh": p256dh, "auth": auth, "device_id": device_id}


def save_subscription(actor: User, data: dict[str, Any], user_agent: str = "") -> PushSubscription:
    """Save this device's subscription for the actor, or re-save it (keys, last seen).

    The endpoint must look like a public push service (`_endpoint_error`); a new endpoint,
    or one not yet the actor's, is also resolved and refused when its name points at a
    private address (`_address_error`; the sender checks again before every send).
    Re-saving the actor's own endpoint (every app start) does no DNS look-up.

    An endpoint held by another user is never taken over silently. It is replaced only in
    the shared-tablet case: the same device (same device_id) in the actor's own store, where
    the browser subscription now belongs to whoever is logged in; the other user's row is
    deleted, and their pending pushes to this device are not sent. Otherwise it is refused:
    knowing another person's endpoint must not redirect their notices. Other subscriptions
    of the same device and user (an older endpoint) are replaced. Raises ValidationError.
    """
    clean = _clean_subscription(data)
    existing = db.session.scalar(
        sa.select(PushSubscription).where(PushSubscription.endpoint == clean["endpoint"])
    )
    if existing is None or existing.user_id != actor.id:
        problem = _address_error(clean["endpoint"])
        if problem:
            raise ValidationError({"endpoint": problem})
    if existing is not None and existing.user_id != actor.id:
        if existing.device_id != clean["device_id"] or existing.store_id != actor.store_id:
            raise ValidationError({"endpoint": _taken()})
        db.session.delete(existing)
        db.session.flush()  # before the insert below: the endpoint is unique
        existing = None
    db.session.execute(
        sa.delete(PushSubscription).where(
            PushSubscription.user_id == actor.id,
            PushSubscription.device_id == clean["device_id"],
            PushSubscription.endpoint != clean["endpoint"],
        )
    )
    subscription = existing or PushSubscription(endpoint=clean["endpoint"], created_at=now())
    subscription.user_id = actor.id
    subscription.store_id = actor.store_id
    subscription.device_id = clean["device_id"]
    subscription.p256dh = clean["p256dh"]
    subscription.auth = clean["auth"]
    subscription.user_agent = user_agent[:300]
    subscription.last_seen_at = now()
    db.session.add(subscription)
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # The same endpoint saved at the same moment by another request: that one won.
        db.session.rollback()
        subscription = db.session.scalar(
            sa.select(PushSubscription).where(PushSubscription.endpoint == clean["endpoint"])
        )
        if subscription is None or subscription.user_id != actor.id:
            raise ValidationError({"endpoint": _taken()}) from None
    return subscription


def delete_subscription(actor: User, endpoint: str) -> bool:
    """Forget the actor's subscription with this endpoint; True when one was deleted."""
    result = db.session.execute(
        sa.delete(PushSubscription).where(
            PushSubscription.user_id == actor.id,
            PushSubscription.endpoint == str(endpoint or "")[:MAX_ENDPOINT],
        )
    )
    db.session.commit()
    return bool(result.rowcount)
