"""How one outbox entry changes the server: facts are inserted, the card is merged field by field.

`apply_entry` runs inside the caller's transaction and never commits or flushes by itself:
every handler validates first and writes only when the entry will apply, so a Waiting or
Rejected entry leaves nothing behind (no savepoint needed). It returns the per-entry result
(values that need the flush are `Deferred`, see `resolve`) or raises:
- `Waiting` — something the entry needs has not arrived (a blob, or the entry a note
  revises); nothing is stored and the tablet sends the entry again later;
- `Rejected` — the entry can never apply as it is (validation, permission); the caller
  keeps it in quarantine.

Facts (ticks, notes, consent, licence checks, signatures, feedback) are insert-only, keyed
by the entry's UUID (unique), so a replay can never double them. Only `card.update` can
conflict: a field changed on the server since the tablet's base is kept, and the tablet's
value is recorded in a SyncConflict row next to it. Device clocks are shown, never used to
order anything: the order is the order in which entries reach the server.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, Grade
from webapp.customers.services import PAYMENTS, grade_rules, next_due
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.inputs import MIN_YEAR, parse_id, sane_date, text_problem, valid_id
from webapp.sync.blobs import BlobRefused, claim_blob, decrypt_text, encrypt_text
from webapp.sync.models import SyncConflict
from webapp.testdrive.models import (
    BookingStatus,
    ChecklistTemplate,
    Consent,
    LicenceCheck,
    LicenceClass,
    SignedDocument,
    TestDriveBooking,
    TestDriveEntry,
)
from webapp.testdrive.validators import (
    is_valid_resident_id,
    licence_covers,
    normalise_id_number,
)
from webapp.timeutil import SHANGHAI, local_today

PACKET_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
KINDS = (
    "testdrive.tick",
    "testdrive.note",
    "testdrive.consent",
    "testdrive.licence",
    "testdrive.signature",
    "testdrive.feedback",
    "card.update",
    "reception.arrival",
)
# Who may push at all: the packet's roles, and the greeter for reception kinds only (every
# testdrive/card handler checks PACKET_ROLES itself; the reception handler its own roles).
RECEPTION_KINDS = ("reception.arrival",)
PUSH_ROLES = (*PACKET_ROLES, Role.GREETER)
# An offline arrival keeps the tablet's time in when it is plausible (not older than this).
ARRIVAL_MAX_AGE = timedelta(hours=12)
NOTE_FIELDS = ("driving_style", "focus_points", "remark")
# The checklists a tick may be recorded against; the feedback form 附表九 is answered whole.
TICK_KINDS = frozenset({"predrive", "ride", "swap", "drive"})
FEEDBACK_KIND = "feedback"
UUID_CHARS = frozenset("0123456789abcdef-")
HEX_CHARS = frozenset("0123456789abcdef")
MAX_TEXT = 2000
# Card fields a tablet may change through `card.update` (never owner, store, stage, mobile).
CARD_TEXT_FIELDS = {
    "usage": 200,
    "current_car": 100,
    "competitors": 200,
    "decision_makers": 200,
    "family": 200,
    "hobbies": 200,
    "preferred_contact_time": 50,
    "other_contact": 100,
}
CARD_FIELDS = (
    *CARD_TEXT_FIELDS,
    "grade",
    "planned_purchase_date",
    "budget",
    "payment",
    "trade_in",
    "model_id",
)


class Deferred:
    """A result value known only after the flush (a new row's id, the card's new version).

    Entries of a batch are flushed together; `resolve()` turns these into plain values.
    """

    __slots__ = ("get",)

    def __init__(self, get: Any):
        self.get = get


def resolve(value: Any) -> Any:
    """The result with every Deferred replaced by its value (call after the flush)."""
    if isinstance(value, Deferred):
        return value.get()
    if isinstance(value, dict):
        return {k: resolve(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v) for v in value]
    return value


class Waiting(Exception):
    """The entry depends on something not yet on the server; `detail` goes to the client."""

    def __init__(self, detail: dict[str, Any]):
        super().__init__(detail)
        self.detail = detail


class Rejected(Exception):
    """The entry cannot apply: `reason` is a stable word, `errors` maps field → message."""

    def __init__(self, reason: str, errors: dict[str, str] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}


@dataclass
class Entry:
    """One outbox entry as the server reads it."""

    id: str
    device: str
    seq: int
    kind: str
    payload: dict[str, Any]
    created_at: str | None = None
    # Set by the batch reader: the body's hash, and why the entry is refused before it is
    # applied (a broken envelope); `keep` says whether quarantine can keep it (a UUID id).
    sha: str = ""
    refused: Rejected | None = None
    keep: bool = True

    @property
    def device_time(self) -> datetime | None:
        """What the tablet's clock said, for display only (None when unreadable)."""
        return device_time(self.created_at)


def device_time(created_at: Any) -> datetime | None:
    """An entry's `created_at` as an aware datetime within sane years, else None."""
    if not isinstance(created_at, str) or len(created_at) > 40:
        return None
    try:
        moment = datetime.fromisoformat(created_at)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)
        utc = moment.astimezone(SHANGHAI)  # raises OverflowError at the ends of the calendar
    except (ValueError, OverflowError):
        return None
    return moment if sane_date(utc.date()) and utc.year >= MIN_YEAR else None


# --- helpers ------------------------------------------------------------------------------


def _int(payload: dict[str, Any], key: str, errors: dict[str, str]) -> int:
    """A record id (1 ≤ id < 2^31) from the payload; 0 and an error when it is not one."""
    value = parse_id(payload.get(key))
    if value is None:
        errors[key] = _("Missing or not a number.")
        return 0
    return value


def _text(payload: dict[str, Any], key: str, errors: dict[str, str], limit: int) -> str:
    value = payload.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[key] = _("Enter text.")
        return ""
    if len(value) > limit:
        errors[key] = _("At most %(n)d characters.", n=limit)
    elif (problem := text_problem(value)) is not None:
        errors[key] = problem
    return value.strip()


def _is_hash(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 64 and set(value.lower()) <= HEX_CHARS


def _is_uuid(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 36 and set(value.lower()) <= UUID_CHARS


def _claim(sha: str, booking: TestDriveBooking, purpose: str, recorder_id: int, field: str) -> Any:
    """The blob the entry references, linked to it; Waiting when it has not arrived, Rejected
    when this entry may not reference it (see blobs.claim_blob)."""
    try:
        blob = claim_blob(sha, store_id=booking.store_id, purpose=purpose, user_id=recorder_id)
    except BlobRefused:
        raise Rejected(
            "permission",
            {field: _("This photo or signature belongs to another record. Take it again.")},
        ) from None
    if blob is None:
        raise Waiting({"missing": [sha]})
    return blob


def _booking(actor: User, booking_id: int, cache: dict | None = None) -> TestDriveBooking:
    """The booking in the actor's scope, for a role that works the packet.

    `cache` (one per batch) keeps each booking's answer, so 50 ticks of one drive ask once.
    """
    if not booking_id:
        raise Rejected("validation", {"booking_id": _("Missing or not a number.")})
    key = ("booking", booking_id)
    if cache is not None and key in cache:
        found = cache[key]
    else:
        found = db.session.scalar(
            scoped(
                sa.select(TestDriveBooking)
                .where(TestDriveBooking.id == booking_id)
                .options(sa.orm.lazyload("*")),
                TestDriveBooking,
                actor,
            )
        )
        if cache is not None:
            cache[key] = found
    allowed = cache.get("packet_role") if cache is not None else None
    if allowed is None:
        allowed = actor.has_role(*PACKET_ROLES)
    if found is None or not allowed:
        raise Rejected("permission", {"booking_id": _("This test drive is not yours to record.")})
    if found.status == BookingStatus.CANCELLED.value:
        raise Rejected("cancelled", {"booking_id": _("This test drive was cancelled.")})
    return found


def prefetch(actor: User, entries: list[Entry], cache: dict) -> None:
    """Load the bookings and templates a batch names in two queries, before any row is
    added: the entries then need no query of their own and flush together in bulk."""
    booking_ids: set[int] = set()
    template_ids: set[int] = set()
    for entry in entries:
        payload = entry.payload if isinstance(entry.payload, dict) else {}
        for key, bucket in (("booking_id", booking_ids), ("template_id", template_ids)):
            value = payload.get(key)
            if valid_id(value):
                bucket.add(value)
    if booking_ids:
        stmt = (
            sa.select(TestDriveBooking)
            .where(TestDriveBooking.id.in_(booking_ids))
            .options(sa.orm.lazyload("*"))
        )
        found = {b.id: b for b in db.session.scalars(scoped(stmt, TestDriveBooking, actor))}
        for booking_id in booking_ids:
            cache[("booking", booking_id)] = found.get(booking_id)
    if template_ids:
        stmt = sa.select(ChecklistTemplate).where(ChecklistTemplate.id.in_(template_ids))
        found_t = {t.id: t for t in db.session.scalars(stmt)}
        for template_id in template_ids:
            cache[("template", template_id)] = found_t.get(template_id)
    cache["packet_role"] = actor.has_role(*PACKET_ROLES)


def _drive_day(booking: TestDriveBooking) -> date:
    return booking.starts_at.astimezone(SHANGHAI).date()


def _purge_after(booking: TestDriveBooking) -> date:
    return _drive_day(booking) + timedelta(days=current_app.config["LICENCE_RETENTION_DAYS"])


def _template(
    template_id: int, errors: dict[str, str], cache: dict | None = None
) -> ChecklistTemplate | None:
    key = ("template", template_id)
    if cache is not None and key in cache:
        template = cache[key]
    else:
        template = db.session.get(ChecklistTemplate, template_id) if template_id else None
        if cache is not None:
            cache[key] = template  # holds it: the identity map alone is weak
    if template is None:
        errors["template_id"] = _("Unknown checklist version.")
    return template


def _check_item_value(item: dict[str, Any], value: Any) -> str | None:
    """None when `value` fits the template item, else the message."""
    kind = item.get("type", "tick")
    if kind == "tick" and not isinstance(value, bool):
        return _("Tick or untick.")
    if kind == "score" and (
        isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5
    ):
        return _("Choose a score from 1 to 5.")
    if kind == "text" and (not isinstance(value, str) or len(value) > MAX_TEXT):
        return _("At most %(n)d characters.", n=MAX_TEXT)
    if kind == "text" and (problem := text_problem(value)) is not None:
        return problem
    if kind == "choice" and value not in (item.get("options") or []):
        return _("Choose one of the options.")
    return None


# --- facts --------------------------------------------------------------------------------


def _tick(actor: User, entry: Entry, recorder_id: int, cache: dict | None = None) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    template = _template(_int(p, "template_id", errors), errors, cache)
    key = p.get("item_key")
    item = None
    if template is not None and template.kind not in TICK_KINDS:
        errors["template_id"] = _("This form is not a checklist.")
    elif template is not None:
        item = next((i for i in template.items if i.get("key") == key), None)
        if item is None:
            errors["item_key"] = _("This item is not on the checklist.")
        elif (problem := _check_item_value(item, p.get("value"))) is not None:
            errors["value"] = problem
    if errors:
        raise Rejected("validation", errors)
    row = TestDriveEntry(
        store_id=booking.store_id,
        booking_id=booking.id,
        kind=template.kind,  # type: ignore[union-attr]
        template_id=template.id,  # type: ignore[union-attr]
        item_key=key,
        value=p.get("value"),
        entry_uuid=entry.id,
        recorded_by_id=recorder_id,
        device_time=entry.device_time,
    )
    db.session.add(row)
    return {"entry_id": Deferred(lambda: row.id)}


def _note(actor: User, entry: Entry, recorder_id: int, cache: dict | None = None) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    field = p.get("field")
    if field not in NOTE_FIELDS:
        errors["field"] = _("Unknown kind of note.")
    text = _text(p, "text", errors, MAX_TEXT)
    revises = p.get("revises")
    if revises is not None and revises != "" and not _is_uuid(revises):
        errors["revises"] = _("Unknown entry.")
    if errors:
        raise Rejected("validation", errors)
    if revises:
        revises = revises.lower()
        exists = db.session.scalar(
            sa.select(TestDriveEntry.id).where(
                TestDriveEntry.entry_uuid == revises,
                TestDriveEntry.booking_id == booking.id,
            )
        )
        if exists is None:
            raise Waiting({"waiting_for": revises})
    row = TestDriveEntry(
        store_id=booking.store_id,
        booking_id=booking.id,
        kind="note",
        item_key=field,
        value=text,
        revises_uuid=revises or None,
        entry_uuid=entry.id,
        recorded_by_id=recorder_id,
        device_time=entry.device_time,
    )
    db.session.add(row)
    return {"entry_id": Deferred(lambda: row.id)}


def _consent(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    if p.get("purpose") != "licence_copy":
        errors["purpose"] = _("Unknown purpose of the consent.")
    version = _text(p, "notice_version", errors, 20)
    if not version:
        errors["notice_version"] = _("The notice version is missing.")
    if p.get("agreed") is not True:
        errors["agreed"] = _("The customer has not agreed.")
    if errors:
        raise Rejected("validation", errors)
    row = Consent(
        store_id=booking.store_id,
        card_id=booking.card_id,
        booking_id=booking.id,
        purpose="licence_copy",
        notice_version=version,
        recorded_by_id=recorder_id,
        device_time=entry.device_time,
        entry_uuid=entry.id,
    )
    db.session.add(row)
    return {"consent_id": Deferred(lambda: row.id)}


def _licence(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    raw_id = p.get("id_number")
    number = normalise_id_number(raw_id) if isinstance(raw_id, str) else ""
    if not is_valid_resident_id(number):
        errors["id_number"] = _(
            "Not a valid resident ID number: 18 characters, and the last one is a check character."
        )
    klass = p.get("licence_class")
    if not isinstance(klass, str) or klass not in {c.value for c in LicenceClass}:
        errors["licence_class"] = _("Choose the licence class shown on the licence.")
    elif not licence_covers(klass, booking.car.transmission):
        errors["licence_class"] = _("A %(cls)s licence does not cover this car.", cls=klass)
    expires = None
    raw_expires = p.get("expires_on")
    try:
        expires = date.fromisoformat(raw_expires if isinstance(raw_expires, str) else "")
    except ValueError:
        errors["expires_on"] = _("Enter the licence's expiry date.")
    if expires is not None and expires <= local_today():
        errors["expires_on"] = _("The licence has expired.")
    elif expires is not None and not sane_date(expires):
        errors["expires_on"] = _("Enter the licence's expiry date.")
    photo = p.get("photo_sha256")
    if not _is_hash(photo):
        errors["photo_sha256"] = _("The licence photo is missing.")
    if errors:
        raise Rejected("validation", errors)
    consent = db.session.scalar(
        sa.select(Consent)
        .where(
            Consent.card_id == booking.card_id,
            Consent.purpose == "licence_copy",
            Consent.withdrawn_at.is_(None),
        )
        .order_by(Consent.id.desc())
        .limit(1)
    )
    if consent is None:
        raise Rejected(
            "no_consent",
            {"consent": _("The customer's consent to keep a licence copy is missing.")},
        )
    blob = _claim(photo.lower(), booking, "licence", recorder_id, "photo_sha256")
    purge_after = _purge_after(booking)
    if blob.purge_after is None or blob.purge_after < purge_after:
        blob.purge_after = purge_after
    row = LicenceCheck(
        store_id=booking.store_id,
        booking_id=booking.id,
        card_id=booking.card_id,
        owner_id=booking.owner_id,
        consent_id=consent.id,
        id_number_enc=encrypt_text(number),
        id_number_last4=number[-4:],
        licence_class=klass,
        expires_on=expires,
        photo_sha256=blob.sha256,
        checked_by_id=recorder_id,
        device_time=entry.device_time,
        purge_after=purge_after,
        entry_uuid=entry.id,
    )
    db.session.add(row)
    return {"licence_check_id": Deferred(lambda: row.id)}


def _signature(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    if p.get("document") != "safety_agreement":
        errors["document"] = _("Unknown document.")
    version = _text(p, "document_version", errors, 20)
    if not version:
        errors["document_version"] = _("The document version is missing.")
    sha = p.get("signature_sha256")
    if not _is_hash(sha):
        errors["signature_sha256"] = _("The signature is missing.")
    if errors:
        raise Rejected("validation", errors)
    blob = _claim(sha.lower(), booking, "signature", recorder_id, "signature_sha256")
    purge_after = _purge_after(booking)
    if blob.purge_after is None or blob.purge_after < purge_after:
        blob.purge_after = purge_after
    row = SignedDocument(
        store_id=booking.store_id,
        booking_id=booking.id,
        card_id=booking.card_id,
        owner_id=booking.owner_id,
        document="safety_agreement",
        document_version=version,
        signature_sha256=blob.sha256,
        device_time=entry.device_time,
        recorded_by_id=recorder_id,
        purge_after=purge_after,
        entry_uuid=entry.id,
    )
    db.session.add(row)
    return {"signed_document_id": Deferred(lambda: row.id)}


def _feedback(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, _int(p, "booking_id", errors), cache)
    template = _template(_int(p, "template_id", errors), errors, cache)
    answers = p.get("answers")
    if not isinstance(answers, dict):
        errors["answers"] = _("The answers are missing.")
        answers = {}
    if template is not None and template.kind != FEEDBACK_KIND:
        errors["template_id"] = _("This form is not the feedback form.")
    elif template is not None:
        items = {i.get("key"): i for i in template.items}
        for key, value in answers.items():
            item = items.get(key)
            if item is None:
                readable = len(key) <= 40 and text_problem(key) is None
                errors[f"answers.{key}" if readable else "answers"] = _(
                    "This item is not on the form."
                )
            elif (problem := _check_item_value(item, value)) is not None:
                errors[f"answers.{key}"] = problem
    intention = _text(p, "intention", errors, 200)
    grade = p.get("grade")
    if not (grade is None or (isinstance(grade, str) and grade in ("", *(g.value for g in Grade)))):
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    if errors:
        raise Rejected("validation", errors)
    row = TestDriveEntry(
        store_id=booking.store_id,
        booking_id=booking.id,
        kind="feedback",
        template_id=template.id,  # type: ignore[union-attr]
        value={"answers": answers, "intention": intention, "grade": grade or None},
        entry_uuid=entry.id,
        recorded_by_id=recorder_id,
        device_time=entry.device_time,
    )
    db.session.add(row)
    if booking.status != BookingStatus.DONE.value:
        booking.status = BookingStatus.DONE.value
    card = booking.card
    scores = {k: v for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool)}
    db.session.add(
        CardEvent(
            store_id=card.store_id,
            card_id=card.id,
            actor_id=recorder_id,
            kind="test_drive",
            data={
                "booking_id": booking.id,
                "scores": scores,
                "intention": intention,
                "likes": answers.get("likes", ""),
                "concerns": answers.get("concerns", ""),
            },
        )
    )
    result: dict[str, Any] = {
        "entry_id": Deferred(lambda: row.id),
        "booking_status": booking.status,
    }
    if grade:
        # The post-drive answer goes through the card merge like any other card edit.
        merged = merge_card(
            card,
            {"grade": grade},
            base_version=_version(p.get("card_version", card.version)),
            base=p.get("card_base") if isinstance(p.get("card_base"), dict) else None,
            entry_id=entry.id,
            actor_id=recorder_id,
        )
        result["card"] = merged
    return result


# --- the card merge -------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A card value as JSON sees it (dates ISO, money as a string)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value.quantize(Decimal("0.01")), "f")
    return value


def _clean_card_fields(fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse the tablet's values into column values; every problem goes to `errors`."""
    out: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in fields.items():
        if name not in CARD_FIELDS:
            errors[name] = _("This field cannot be changed from the tablet.")
        elif name in CARD_TEXT_FIELDS:
            if not isinstance(value, str) or len(value) > CARD_TEXT_FIELDS[name]:
                errors[name] = _("At most %(n)d characters.", n=CARD_TEXT_FIELDS[name])
            elif (problem := text_problem(value)) is not None:
                errors[name] = problem
            else:
                out[name] = value.strip()
        elif name == "grade":
            if not isinstance(value, str) or value not in {g.value for g in Grade}:
                errors[name] = _("Choose a grade: H, A, B or C.")
            else:
                out[name] = value
        elif name == "planned_purchase_date":
            try:
                planned = date.fromisoformat(value) if value else None
                if planned is not None and not sane_date(planned):
                    raise ValueError
                out[name] = planned
            except (TypeError, ValueError):
                errors[name] = _("Enter a date.")
        elif name == "budget":
            try:
                amount = None if value in (None, "") else Decimal(str(value))
                if amount is not None and (not amount.is_finite() or not 0 <= amount < 10**8):
                    raise InvalidOperation
                out[name] = None if amount is None else amount.quantize(Decimal("0.01"))
            except InvalidOperation:
                errors[name] = _("Enter an amount in yuan, for example 150000.")
        elif name == "payment":
            if not isinstance(value, str) or value not in PAYMENTS:
                errors[name] = _("Choose cash or loan.")
            else:
                out[name] = value
        elif name == "trade_in":
            if not isinstance(value, bool):
                errors[name] = _("Yes or no.")
            else:
                out[name] = value
        elif name == "model_id":
            exists = (
                db.session.scalar(
                    sa.select(VehicleModel.id).where(VehicleModel.id == value, VehicleModel.active)
                )
                if valid_id(value)
                else None
            )
            if value is not None and exists is None:
                errors[name] = _("Choose a model from the catalogue.")
            else:
                out[name] = value
    return out, errors


def merge_card(
    card: CustomerCard,
    fields: dict[str, Any],
    *,
    base_version: Any,
    base: dict[str, Any] | None,
    entry_id: str,
    actor_id: int,
) -> dict[str, Any]:
    """Merge the tablet's field values into the card, field by field.

    A field applies when the tablet started from the current version, or when the server
    value still equals the tablet's `base` value (nobody else changed that field). Otherwise
    the server keeps its value and a SyncConflict row keeps the tablet's: nothing is lost.
    Raises Rejected for values that break the card's rules.
    """
    clean, errors = _clean_card_fields(fields)
    if errors:
        raise Rejected("validation", errors)
    base_version = _version(base_version)
    same_version = base_version is not None and base_version == card.version
    applied: dict[str, Any] = {}
    conflicts: dict[str, dict[str, Any]] = {}
    unchanged: list[str] = []
    for name, value in clean.items():
        server = getattr(card, name)
        if _plain(server) == _plain(value):
            unchanged.append(name)
            continue
        untouched = base is not None and name in base and _plain(base[name]) == _plain(server)
        if same_version or untouched:
            applied[name] = value
        else:
            conflicts[name] = {"server": _plain(server), "device": _plain(value)}
    old_grade = card.grade
    rules = grade_rules(card.store_id) if "grade" in applied else None  # query before edits
    for name, value in applied.items():
        setattr(card, name, value)
    for name, both in conflicts.items():
        db.session.add(
            SyncConflict(
                store_id=card.store_id,
                owner_id=card.owner_id,
                record_type="customer_card",
                record_id=card.id,
                field=name,
                base_version=base_version or 0,
                server_value=both["server"],
                device_value=both["device"],
                entry_id=entry_id,
            )
        )
    if "grade" in applied:
        since = (
            card.last_contact_at.astimezone(SHANGHAI).date()
            if card.last_contact_at
            else local_today()
        )
        card.next_follow_up_due = next_due(since, card.grade, rules)  # type: ignore[arg-type]
        db.session.add(
            CardEvent(
                store_id=card.store_id,
                card_id=card.id,
                actor_id=actor_id,
                kind="grade_changed",
                data={"from": old_grade, "to": card.grade},
            )
        )
    if applied:
        db.session.add(
            CardEvent(
                store_id=card.store_id,
                card_id=card.id,
                actor_id=actor_id,
                kind="updated",
                data={"fields": sorted(applied), "via": "sync"},
            )
        )
    return {
        "card_id": card.id,
        "version": Deferred(lambda: card.version),
        "applied": sorted(applied),
        "unchanged": sorted(unchanged),
        "conflicts": sorted(conflicts),
        "server": {name: _plain(getattr(card, name)) for name in conflicts},
    }


def _version(value: Any) -> int | None:
    """A card version from the tablet: a whole number that fits the column, else None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**31:
        return value
    return None


def _card_update(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    card_id = _int(p, "card_id", errors)
    fields = p.get("fields")
    if not isinstance(fields, dict) or not fields:
        errors["fields"] = _("Nothing to change.")
    base = p.get("base")
    if base is not None and not isinstance(base, dict):
        errors["base"] = _("Unreadable base values.")
    if errors:
        raise Rejected("validation", errors)
    try:
        card = get_scoped(CustomerCard, card_id, actor)
        require_role(actor, *PACKET_ROLES)
    except (NotFound, PermissionDenied):
        raise Rejected("permission", {"card_id": _("This card is not yours to change.")}) from None
    return merge_card(
        card,
        fields,  # type: ignore[arg-type]
        base_version=p.get("base_version"),
        base=base,
        entry_id=entry.id,
        actor_id=recorder_id,
    )


def _reception_arrival(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    """The greeter's arrival, registered offline: the same service as the online form
    (validation → Rejected, so the entry is quarantined; the entry UUID on the visit makes a
    replay impossible to double)."""
    from webapp.errors import ValidationError
    from webapp.reception import services as reception

    try:
        visit = reception.register_arrival(
            actor,
            dict(entry.payload),
            entry_uuid=entry.id,
            time_in=_arrival_time(entry),
            commit=False,
        )
    except ValidationError as error:
        raise Rejected("validation", error.errors) from None
    except (NotFound, PermissionDenied):
        raise Rejected("permission", {"kind": _("Your role does not allow this.")}) from None
    return {"visit_id": visit.id, "salesperson_id": visit.owner_id}


def _arrival_time(entry: Entry) -> datetime | None:
    """The tablet's time of the arrival when plausible (within 12 h, not in the future)."""
    from webapp.timeutil import now

    moment = entry.device_time
    current = now()
    if moment is None or not current - ARRIVAL_MAX_AGE <= moment <= current + timedelta(minutes=2):
        return None
    return min(moment, current)


APPLY = {
    "testdrive.tick": _tick,
    "testdrive.note": _note,
    "testdrive.consent": _consent,
    "testdrive.licence": _licence,
    "testdrive.signature": _signature,
    "testdrive.feedback": _feedback,
    "card.update": _card_update,
    "reception.arrival": _reception_arrival,
}


def apply_entry(
    actor: User, entry: Entry, recorder_id: int | None = None, cache: dict | None = None
) -> dict[str, Any]:
    """Apply one entry in the current transaction (no commit). Returns the stored result.

    `cache` may be shared by the entries of one batch (scope answers per booking).

    Raises Waiting or Rejected (see the module docstring).
    """
    if not isinstance(entry.payload, dict):
        raise Rejected("validation", {"payload": _("The entry has no readable content.")})
    handler = APPLY.get(entry.kind)
    if handler is None:
        raise Rejected("unknown_kind", {"kind": _("Unknown kind of entry.")})
    return handler(actor, entry, recorder_id or actor.id, cache)


def _storable(value: Any) -> Any:
    """`value` with lone surrogates replaced by "?", so quarantine can store and show it
    (the entry's body hash, taken before, still answers the tablet's replays)."""
    if isinstance(value, str):
        return value if value.isascii() else value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


def sealed_payload(entry: Entry) -> dict[str, Any]:
    """The payload as quarantine keeps it: an ID number is encrypted, its last 4 shown."""
    payload = dict(entry.payload) if isinstance(entry.payload, dict) else {"raw": entry.payload}
    payload = _storable(payload)
    number = payload.get("id_number")
    if isinstance(number, str) and number:
        payload["id_number"] = {
            "sealed": base64.b64encode(encrypt_text(number)).decode(),
            "last4": number[-4:],
        }
    return payload


def unsealed_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Inverse of sealed_payload, to re-apply a quarantined entry."""
    out = dict(payload)
    number = out.get("id_number")
    if isinstance(number, dict) and "sealed" in number:
        out["id_number"] = decrypt_text(base64.b64decode(number["sealed"]))
    return out


__all__ = [
    "KINDS",
    "PUSH_ROLES",
    "Deferred",
    "Entry",
    "Rejected",
    "Waiting",
    "apply_entry",
    "merge_card",
    "resolve",
]
