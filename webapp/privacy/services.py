"""Sensitive personal information (PIPL): who may see a licence copy or a signature, the log
of every view and deletion, consent withdrawal and the retention purge.

Access: the booking's owning salesperson, the sales managers and admins of that store (scope
first: another salesperson or store gets NotFound; then role: a greeter gets
PermissionDenied), and only within RECENT_LOGIN_MINUTES of entering the password.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role
from webapp.auth.models import Role, User, UserSession
from webapp.auth.passwords import verify_password
from webapp.blobs import BlobMissing, blob_path, delete_blob, viewed_copy
from webapp.blobs.models import Blob
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.privacy.models import SensitiveAccessLog
from webapp.testdrive.models import Consent, LicenceCheck, SignedDocument, TestDriveBooking
from webapp.timeutil import local_today, now

VIEW_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)


def _token_hash(token: str) -> str:
    """The session token as UserSession stores it (sha256)."""
    return hashlib.sha256(token.encode()).hexdigest()


class ReauthRequired(Exception):
    """The password was entered too long ago for sensitive data: ask for it again."""


def recent_login(actor: User) -> bool:
    """Whether this login's last password entry lies within RECENT_LOGIN_MINUTES."""
    token = getattr(actor, "session_token", None)
    if not token:
        return False
    at = db.session.scalar(
        sa.select(UserSession.authenticated_at).where(UserSession.token_hash == _token_hash(token))
    )
    window = timedelta(minutes=current_app.config["RECENT_LOGIN_MINUTES"])
    return at is not None and now() - at <= window


def reauthenticate(actor: User, password: str) -> None:
    """Confirm the password and mark this login as freshly authenticated.

    Raises ValidationError on a wrong password.
    """
    ok, _new = verify_password(actor.password_hash, password or "")
    if not ok:
        raise ValidationError({"password": _("Wrong password.")})
    db.session.execute(
        sa.update(UserSession)
        .where(UserSession.token_hash == _token_hash(actor.session_token or ""))
        .values(authenticated_at=now())
    )
    db.session.commit()


def _log(
    store_id: int,
    user_id: int | None,
    action: str,
    subject: str,
    subject_id: int,
    sha: str | None,
    detail: str = "",
) -> None:
    db.session.add(
        SensitiveAccessLog(
            store_id=store_id,
            user_id=user_id,
            action=action,
            subject=subject,
            subject_id=subject_id,
            blob_sha256=sha,
            detail=detail[:200],
        )
    )


def _guard(actor: User) -> None:
    require_role(actor, *VIEW_ROLES)
    if not recent_login(actor):
        raise ReauthRequired()


def view_image(
    actor: User, store_id: int, subject: str, subject_id: int, sha: str
) -> tuple[bytes, str]:
    """A sensitive image of a record the caller has already checked the actor may see: only
    after a recent password entry, the view logged, committed. Raises ReauthRequired,
    NotFound (the image was purged)."""
    if not recent_login(actor):
        raise ReauthRequired()
    try:
        image, mime = viewed_copy(sha, store_id, actor)
    except BlobMissing:
        raise NotFound() from None
    _log(store_id, actor.id, "view", subject, subject_id, sha, "image")
    db.session.commit()
    return image, mime


@dataclass
class SensitiveView:
    """What a permitted person sees: the record and (for the image route) the bytes."""

    record: LicenceCheck | SignedDocument
    image: bytes | None = None
    mime: str = ""
    extra: dict = field(default_factory=dict)


def view_licence(actor: User, licence_check_id: int, with_image: bool) -> SensitiveView:
    """A licence check (and its copy), logged. Raises NotFound, PermissionDenied,
    ReauthRequired."""
    check = get_scoped(LicenceCheck, licence_check_id, actor)
    _guard(actor)
    image, mime = (None, "")
    if with_image and check.photo_sha256:
        try:
            image, mime = viewed_copy(check.photo_sha256, check.store_id, actor)
        except Exception:
            raise NotFound() from None
    _log(
        check.store_id,
        actor.id,
        "view",
        "licence_check",
        check.id,
        check.photo_sha256,
        "image" if with_image else "data",
    )
    db.session.commit()
    return SensitiveView(check, image, mime)


def view_signature(actor: User, signed_document_id: int, with_image: bool) -> SensitiveView:
    """A signed document (and its signature image), logged. Same errors as view_licence."""
    doc = get_scoped(SignedDocument, signed_document_id, actor)
    _guard(actor)
    image, mime = (None, "")
    if with_image:
        try:
            image, mime = viewed_copy(doc.signature_sha256, doc.store_id, actor)
        except Exception:
            raise NotFound() from None
    _log(
        doc.store_id,
        actor.id,
        "view",
        "signed_document",
        doc.id,
        doc.signature_sha256,
        "image" if with_image else "data",
    )
    db.session.commit()
    return SensitiveView(doc, image, mime)


def _referenced_by_card(sha: str, card_id: int) -> bool:
    """Whether the customer's own records still reference the blob.

    Only the customer's references keep the file: a copy is that customer's data, and a
    reference from anywhere else (another store's row made before blobs were bound to one
    record) must not keep it alive after the customer withdrew or retention ended.
    """
    licence = sa.select(LicenceCheck.id).where(
        LicenceCheck.photo_sha256 == sha, LicenceCheck.card_id == card_id
    )
    signed = sa.select(SignedDocument.id).where(
        SignedDocument.signature_sha256 == sha, SignedDocument.card_id == card_id
    )
    return db.session.scalar(sa.select(sa.exists(licence.union_all(signed)))) or False


def _referenced(sha: str) -> bool:
    from webapp.delivery.models import DeliverySignature  # the delivery area imports this one

    licence = sa.select(LicenceCheck.id).where(LicenceCheck.photo_sha256 == sha)
    signed = sa.select(SignedDocument.id).where(SignedDocument.signature_sha256 == sha)
    delivery = sa.select(DeliverySignature.id).where(DeliverySignature.signature_sha256 == sha)
    found = sa.exists(licence.union_all(signed, delivery))
    return db.session.scalar(sa.select(found)) or False


def _drop_blob(sha: str, card_id: int) -> None:
    """Delete the blob (file and row) once the customer's own references are gone; rows
    elsewhere that still name it lose their copy (their views answer 404)."""
    if _referenced_by_card(sha, card_id):
        return
    for model, column in (
        (LicenceCheck, LicenceCheck.photo_sha256),
        (SignedDocument, SignedDocument.signature_sha256),
    ):
        if column.nullable:
            db.session.execute(sa.update(model).where(column == sha).values({column: None}))
    if _referenced(sha):
        # A signed document elsewhere still names it (its own purge removes the row): the
        # file goes now, the row stays until then.
        blob_path(sha).unlink(missing_ok=True)
        return
    delete_blob(sha)


def _delete_licence(check: LicenceCheck, user_id: int | None, action: str, detail: str) -> None:
    sha, card_id = check.photo_sha256, check.card_id
    _log(check.store_id, user_id, action, "licence_check", check.id, sha, detail)
    db.session.delete(check)
    db.session.flush()
    if sha:
        _drop_blob(sha, card_id)


def _delete_signature(doc: SignedDocument, user_id: int | None, action: str, detail: str) -> None:
    sha, card_id = doc.signature_sha256, doc.card_id
    _log(doc.store_id, user_id, action, "signed_document", doc.id, sha, detail)
    db.session.delete(doc)
    db.session.flush()
    _drop_blob(sha, card_id)


def withdraw_consent(actor: User, consent_id: int) -> int:
    """The customer withdraws consent: mark it, delete every licence copy made under it
    (file and row), log each deletion. Returns how many copies were deleted.

    The booking's salesperson, the manager or an admin. Raises NotFound, PermissionDenied.
    """
    consent = get_scoped(Consent, consent_id, actor)
    require_role(actor, *VIEW_ROLES)
    if actor.has_role(Role.SALESPERSON) and not actor.has_role(Role.SALES_MANAGER, Role.ADMIN):
        owner = db.session.scalar(
            sa.select(TestDriveBooking.owner_id).where(TestDriveBooking.id == consent.booking_id)
        )
        if owner != actor.id:
            raise NotFound()
    if consent.withdrawn_at is None:
        consent.withdrawn_at = now()
    checks = list(
        db.session.scalars(sa.select(LicenceCheck).where(LicenceCheck.consent_id == consent.id))
    )
    for check in checks:
        _delete_licence(check, actor.id, "withdraw", f"consent {consent.id} withdrawn")
    db.session.commit()
    return len(checks)


def purge_expired(today: object | None = None) -> list[str]:
    """Delete licence copies, signatures and never-linked sensitive blobs past retention
    (file and row), logging each deletion. Returns one line per deletion. Commits."""
    day = today or local_today()
    lines: list[str] = []
    for check in db.session.scalars(
        sa.select(LicenceCheck).where(LicenceCheck.purge_after < day)
    ).all():
        lines.append(f"licence_check {check.id} (purge after {check.purge_after}) deleted")
        _delete_licence(check, None, "purge", "retention")
    for doc in db.session.scalars(
        sa.select(SignedDocument).where(SignedDocument.purge_after < day)
    ).all():
        lines.append(f"signed_document {doc.id} (purge after {doc.purge_after}) deleted")
        _delete_signature(doc, None, "purge", "retention")
    from webapp.delivery.models import DeliverySignature  # the delivery area imports this one

    for form in db.session.scalars(
        sa.select(DeliverySignature).where(DeliverySignature.purge_after < day)
    ).all():
        lines.append(f"delivery_signature {form.id} (purge after {form.purge_after}) deleted")
        sha = form.signature_sha256
        _log(form.store_id, None, "purge", "delivery_signature", form.id, sha, "retention")
        db.session.delete(form)
        db.session.flush()
        if not _referenced(sha):
            delete_blob(sha)
    for blob in db.session.scalars(
        sa.select(Blob).where(Blob.sensitive.is_(True), Blob.purge_after < day)
    ).all():
        if blob.linked_at is None and not _referenced(blob.sha256):
            lines.append(f"blob {blob.sha256[:12]}… ({blob.purpose}, never linked) deleted")
            _log(blob.store_id, None, "purge", "blob", 0, blob.sha256, "never linked")
            delete_blob(blob.sha256)
    db.session.commit()
    return lines


__all__ = [
    "PermissionDenied",
    "ReauthRequired",
    "purge_expired",
    "reauthenticate",
    "recent_login",
    "view_licence",
    "view_signature",
    "withdraw_consent",
]
