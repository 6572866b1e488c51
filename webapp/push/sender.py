"""The push sender: drains the delivery outbox through pywebpush (`flask push send`).

Several workers may run at once on PostgreSQL: each claims a batch with
`SELECT … FOR UPDATE SKIP LOCKED` and leases it (next_attempt_at moves forward) before
sending, so a crashed worker's batch is retried after the lease. SQLite has no row locks;
there one worker is expected.

Every send carries a TTL (never 0), an Urgency, a Topic (kind-ref) and connect/read
timeouts, and gets a FRESH claims dict (pywebpush writes aud and exp into the one it gets).
404/410 delete the subscription; 429 and 5xx are retried with backoff (Retry-After wins).

Every request goes through `pinned.pinned_session`: the endpoint's name is resolved once
and refused unless every address is public, the connection goes to the checked address, and
no redirect is followed. A refused endpoint is never retried: the delivery fails with the
neutral reason "blocked address" and the subscription is deleted. Network errors are stored
as their kind only (e.g. "ConnectTimeout"), never with an address, port or OS message.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from pywebpush import WebPushException, webpush

from webapp.auth.models import User
from webapp.extensions import db
from webapp.labels import label
from webapp.push.keys import load_vapid
from webapp.push.models import DeliveryStatus, Notification, PushDelivery, PushSubscription
from webapp.push.outbound import BlockedAddress
from webapp.push.pinned import pinned_session
from webapp.timeutil import now

MAX_PAYLOAD = 2048
HIGH_URGENCY = frozenset({"arrival"})
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
GONE_STATUSES = frozenset({404, 410})
BLOCKED = "blocked address"


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    gone: int = 0
    blocked: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.sent + self.retried + self.failed + self.gone + self.blocked

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, retried {self.retried}, failed {self.failed}, "
            f"gone {self.gone}, blocked {self.blocked}"
        )


def payload(notification: Notification, locale: str | None = None) -> str:
    """The JSON sent to the device: kind, id, url and the neutral title, nothing personal."""
    with force_locale(locale or current_app.config.get("BABEL_DEFAULT_LOCALE", "zh_CN")):
        title = label("notice_title", notification.title_code)
    body = {
        "kind": notification.kind,
        "id": notification.ref_id,
        "url": notification.url,
        "title": title,
    }
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if len(text.encode()) > MAX_PAYLOAD:  # cannot happen with the column limits; be sure
        raise ValueError("push payload over 2 KB")
    return text


def topic(notification: Notification) -> str:
    """The Topic header: one pending message per kind and record replaces older ones.

    At most 32 characters of the URL-safe base64 alphabet (RFC 8030).
    """
    raw = f"{notification.kind}-{notification.ref_id or notification.id}"
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in raw)[:32]


def retry_delay(attempts: int, retry_after: str | None, at: datetime) -> timedelta:
    """How long to wait before the next attempt: Retry-After (seconds or a date) when given,
    else exponential backoff from PUSH_RETRY_BASE seconds, capped by PUSH_RETRY_MAX."""
    cap = int(current_app.config.get("PUSH_RETRY_MAX", 3600))
    if retry_after:
        value = retry_after.strip()
        seconds: float | None = None
        if value.isdigit():
            seconds = float(value)
        else:
            try:
                seconds = (parsedate_to_datetime(value) - at).total_seconds()
            except (TypeError, ValueError, IndexError):
                seconds = None
        if seconds is not None:
            return timedelta(seconds=min(max(seconds, 0), cap))
    base = int(current_app.config.get("PUSH_RETRY_BASE", 30))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), cap))


def _claim(batch: int) -> list[int]:
    """Claim up to `batch` due deliveries (lease them) and commit; returns their ids."""
    at = now()
    lease = timedelta(seconds=int(current_app.config.get("PUSH_LEASE_SECONDS", 120)))
    stmt = (
        sa.select(PushDelivery.id)
        .where(
            PushDelivery.status == DeliveryStatus.PENDING.value,
            PushDelivery.next_attempt_at <= at,
        )
        .order_by(PushDelivery.next_attempt_at, PushDelivery.id)
        .limit(batch)
    )
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(db.session.scalars(stmt))
    if ids:
        db.session.execute(
            sa.update(PushDelivery)
            .where(PushDelivery.id.in_(ids))
            .values(next_attempt_at=at + lease)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    return ids


def _settle_subscription(
    delivery: PushDelivery, subscription: PushSubscription, status: str, reason: str | None
) -> int:
    """Settle `delivery` and every other pending delivery of `subscription` with `status`
    (and `reason` as their error, when given), then delete the subscription. Returns how
    many other deliveries were settled."""
    delivery.status = status
    delivery.subscription_id = None
    values: dict[str, object] = {"status": status, "subscription_id": None}
    if reason is not None:
        delivery.last_error = reason
        values["last_error"] = reason
    others = db.session.execute(
        sa.update(PushDelivery)
        .where(
            PushDelivery.subscription_id == subscription.id,
            PushDelivery.status == DeliveryStatus.PENDING.value,
            PushDelivery.id != delivery.id,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(sa.delete(PushSubscription).where(PushSubscription.id == subscription.id))
    return int(others.rowcount or 0)


def _deliver(
    delivery: PushDelivery, report: SendReport, session: requests.Session | None = None
) -> None:
    """Send one delivery through `session` (a pinned session, made here when None) and record
    the outcome (the caller commits)."""
    config = current_app.config
    if delivery.status != DeliveryStatus.PENDING.value:
        return  # settled meanwhile (its subscription went away with another delivery)
    subscription = delivery.subscription
    notification = delivery.notification
    at = now()
    if subscription is None or subscription.user_id != notification.user_id:
        # Deleted, or the tablet is now subscribed for someone else (a shared device).
        delivery.status = DeliveryStatus.GONE.value
        delivery.last_error = "subscription deleted" if subscription is None else "device moved"
        report.gone += 1
        return
    delivery.attempts += 1
    vapid = load_vapid()
    if vapid is None:
        raise RuntimeError("No VAPID key: run `flask push init` first.")
    locale = db.session.scalar(sa.select(User.locale).where(User.id == notification.user_id))
    ttl = max(int(config.get("PUSH_TTL", 3600)), 1)
    headers = {
        "Urgency": "high" if notification.kind in HIGH_URGENCY else "normal",
        "Topic": topic(notification),
    }
    own_session = session is None
    if session is None:
        session = pinned_session(allow_local=bool(config.get("PUSH_ALLOW_LOCAL_ENDPOINTS")))
    try:
        webpush(
            subscription_info={
                "endpoint": subscription.endpoint,
                "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
            },
            data=payload(notification, locale),
            vapid_private_key=vapid,
            vapid_claims={"sub": config["VAPID_SUBJECT"]},  # fresh each time: pywebpush edits it
            ttl=ttl,
            headers=headers,
            timeout=(
                float(config.get("PUSH_CONNECT_TIMEOUT", 5)),
                float(config.get("PUSH_READ_TIMEOUT", 10)),
            ),
            requests_session=session,
        )
    except BlockedAddress:
        # Not retried, and nothing about the network is stored: no oracle of what answers.
        delivery.last_status = None
        report.blocked += 1 + _settle_subscription(
            delivery, subscription, DeliveryStatus.FAILED.value, BLOCKED
        )
        return
    except WebPushException as exc:
        response = exc.response
        status = response.status_code if response is not None else None
        delivery.last_status = status
        delivery.last_error = str(exc.message)[:300]
        if status in GONE_STATUSES:
            report.gone += 1 + _settle_subscription(
                delivery, subscription, DeliveryStatus.GONE.value, None
            )
            return
        if status in RETRY_STATUSES or status is None:
            retry_after = response.headers.get("Retry-After") if response is not None else None
            _retry(delivery, report, retry_after, at)
            return
        delivery.status = DeliveryStatus.FAILED.value
        report.failed += 1
        return
    except (requests.RequestException, OSError) as exc:
        delivery.last_status = None
        delivery.last_error = type(exc).__name__[:300]
        _retry(delivery, report, None, at)
        return
    finally:
        if own_session:
            session.close()
    delivery.status = DeliveryStatus.SENT.value
    delivery.sent_at = now()
    delivery.last_status = 201
    delivery.last_error = ""
    report.sent += 1


def _retry(delivery: PushDelivery, report: SendReport, retry_after: str | None, at) -> None:
    if delivery.attempts >= int(current_app.config.get("PUSH_MAX_ATTEMPTS", 6)):
        delivery.status = DeliveryStatus.FAILED.value
        report.failed += 1
        return
    delivery.next_attempt_at = at + retry_delay(delivery.attempts, retry_after, at)
    report.retried += 1


def send_pending(batch: int = 50, max_rounds: int = 100) -> SendReport:
    """One shot: send every due delivery (batch by batch) and return what happened.

    A retry that is due at once (Retry-After: 0) is sent again in the same run, up to the
    attempt limit. Raises RuntimeError when the VAPID key is missing and something is due.
    """
    report = SendReport()
    allow_local = bool(current_app.config.get("PUSH_ALLOW_LOCAL_ENDPOINTS"))
    with pinned_session(allow_local=allow_local) as session:
        for _round in range(max_rounds):
            ids = _claim(batch)
            if not ids:
                break
            deliveries = db.session.scalars(
                sa.select(PushDelivery).where(PushDelivery.id.in_(ids)).order_by(PushDelivery.id)
            ).unique()
            for delivery in deliveries:
                _deliver(delivery, report, session)
                db.session.commit()
    return report


def run_loop(interval: float = 2.0, stop_after: int | None = None) -> None:
    """`flask push send --loop`: send, sleep, repeat (Ctrl+C stops). `stop_after` rounds."""
    rounds = 0
    while stop_after is None or rounds < stop_after:
        try:
            report = send_pending()
        except Exception:  # the database restarting, a missing key: log, wait, go on
            db.session.rollback()
            current_app.logger.exception("push: sending failed; trying again")
        else:
            if report.total:
                current_app.logger.info("push: %s", report)
        finally:
            db.session.remove()
        rounds += 1
        time.sleep(interval)
