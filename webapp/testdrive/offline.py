"""The test-drive packet's offline entries (ticks of the checklists up to the after-drive
step, notes, consent, licence check, signatures of the safety agreement and of the feedback
form 附表九, feedback) and the data the tablet keeps for it (built in
webapp.testdrive.pull): registered with the sync protocol by the app factory (see
webapp.sync.registry).

Facts are insert-only, keyed by the entry's UUID (unique), so a replay can never double them.
Every handler validates first and writes only when the entry will apply, so a waiting or
rejected entry leaves nothing behind; none commits or flushes by itself.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.access import scoped
from webapp.auth.models import Role, User
from webapp.blobs import encrypt_text
from webapp.customers.card import grade_rules, record_drive_feedback, record_event
from webapp.customers.merge import merge_card
from webapp.customers.models import CustomerCard, Grade
from webapp.extensions import db
from webapp.inputs import sane_date, text_problem, valid_id
from webapp.sync.merge import (
    Deferred,
    Entry,
    Rejected,
    Waiting,
    claim,
    insert_fact,
    is_hash,
    is_uuid,
    read_id,
    read_text,
    write_staged,
)
from webapp.sync.registry import EntryKind, PullSection
from webapp.testdrive import pull
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
from webapp.timeutil import SHANGHAI, local_today, now

PACKET_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
NOTE_FIELDS = ("driving_style", "focus_points", "remark")
# The checklists a tick may be recorded against; the feedback form 附表九 is answered whole.
TICK_KINDS = frozenset({"predrive", "ride", "swap", "drive", "after"})
# What the customer signs on the tablet: the safety agreement (before) and 附表九 (after).
SIGNED_DOCUMENTS = ("safety_agreement", "feedback_form")
CODE = re.compile(r"[a-z][a-z0-9_]{0,19}")
MAX_FOCUS_POINTS = 20
FEEDBACK_KIND = "feedback"
FEEDBACK_ENTRY = "testdrive.feedback"  # the outbox kind of the feedback form
MAX_TEXT = 2000


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
        if found and any(e.kind == FEEDBACK_ENTRY for e in entries):
            # The feedback writes to the customer's card: load the cards now, in one query,
            # so that `booking.card` is found in the session, not loaded (and the rows added
            # so far flushed) entry by entry; the store's grade rules likewise.
            card_ids = {b.card_id for b in found.values()}
            cards = db.session.scalars(
                sa.select(CustomerCard)
                .where(CustomerCard.id.in_(card_ids))
                .options(sa.orm.lazyload("*"))
            ).all()
            cache["cards"] = cards  # held: the identity map alone is weak
            for store_id in {c.store_id for c in cards}:
                cache[("grade_rules", store_id)] = grade_rules(store_id)
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
    if kind == "choice" and (not isinstance(value, str) or value not in item.get("options", [])):
        return _("Choose one of the options.")
    if kind == "multi" and (
        not isinstance(value, list)
        or len(set(map(str, value))) != len(value)
        or any(not isinstance(v, str) or v not in item.get("options", []) for v in value)
    ):
        return _("Choose among the options, each at most once.")
    return None


def _read_codes(p: dict[str, Any], errors: dict[str, str]) -> tuple[str, list[str]]:
    """The feedback's driving style (a code or "") and focus points (a list of codes)."""
    style = p.get("driving_style")
    if style is None:
        style = ""
    if not isinstance(style, str) or (style and not CODE.fullmatch(style)):
        errors["driving_style"] = _("Choose one of the options.")
        style = ""
    points = p.get("focus_points")
    if points is None:
        points = []
    if (
        not isinstance(points, list)
        or len(points) > MAX_FOCUS_POINTS
        or any(not isinstance(v, str) or not CODE.fullmatch(v) for v in points)
    ):
        errors["focus_points"] = _("Choose among the options, each at most once.")
        points = []
    return style, points


# --- facts --------------------------------------------------------------------------------


def _fact(
    cache: dict | None,
    booking: TestDriveBooking,
    entry: Entry,
    recorder_id: int,
    *,
    kind: str,
    item_key: str,
    value: Any,
    template_id: int | None = None,
    revises_uuid: str | None = None,
) -> Deferred:
    """A tick or a note, written with the batch's other facts (sync.merge.insert_fact)."""
    return insert_fact(
        cache,
        TestDriveEntry,
        {
            "store_id": booking.store_id,
            "booking_id": booking.id,
            "kind": kind,
            "template_id": template_id,
            "item_key": item_key,
            "value": value,
            "revises_uuid": revises_uuid,
            "entry_uuid": entry.id,
            "recorded_by_id": recorder_id,
            "device_time": entry.device_time,
            "recorded_at": now(),
        },
    )


def _tick(actor: User, entry: Entry, recorder_id: int, cache: dict | None = None) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
    template = _template(read_id(p, "template_id", errors), errors, cache)
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
    return {
        "entry_id": _fact(
            cache,
            booking,
            entry,
            recorder_id,
            kind=template.kind,  # type: ignore[union-attr]
            template_id=template.id,  # type: ignore[union-attr]
            item_key=key,
            value=p.get("value"),
        )
    }


def _note(actor: User, entry: Entry, recorder_id: int, cache: dict | None = None) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
    field = p.get("field")
    if field not in NOTE_FIELDS:
        errors["field"] = _("Unknown kind of note.")
    text = read_text(p, "text", errors, MAX_TEXT)
    revises = p.get("revises")
    if revises is not None and revises != "" and not is_uuid(revises):
        errors["revises"] = _("Unknown entry.")
    if errors:
        raise Rejected("validation", errors)
    if revises:
        revises = revises.lower()
        write_staged(cache)  # the note it revises may have come in this batch
        exists = db.session.scalar(
            sa.select(TestDriveEntry.id).where(
                TestDriveEntry.entry_uuid == revises,
                TestDriveEntry.booking_id == booking.id,
            )
        )
        if exists is None:
            raise Waiting({"waiting_for": revises})
    return {
        "entry_id": _fact(
            cache,
            booking,
            entry,
            recorder_id,
            kind="note",
            item_key=field,
            value=text,
            revises_uuid=revises or None,
        )
    }


def _consent(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
    if p.get("purpose") != "licence_copy":
        errors["purpose"] = _("Unknown purpose of the consent.")
    version = read_text(p, "notice_version", errors, 20)
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
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
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
    if not is_hash(photo):
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
    purge_after = _purge_after(booking)
    blob = claim(
        photo.lower(), booking.store_id, "licence", recorder_id, "photo_sha256", purge_after
    )
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
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
    document = p.get("document")
    if document not in SIGNED_DOCUMENTS:
        errors["document"] = _("Unknown document.")
    version = read_text(p, "document_version", errors, 20)
    if not version:
        errors["document_version"] = _("The document version is missing.")
    sha = p.get("signature_sha256")
    if not is_hash(sha):
        errors["signature_sha256"] = _("The signature is missing.")
    if errors:
        raise Rejected("validation", errors)
    purge_after = _purge_after(booking)
    blob = claim(
        sha.lower(), booking.store_id, "signature", recorder_id, "signature_sha256", purge_after
    )
    row = SignedDocument(
        store_id=booking.store_id,
        booking_id=booking.id,
        card_id=booking.card_id,
        owner_id=booking.owner_id,
        document=document,
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
    booking = _booking(actor, read_id(p, "booking_id", errors), cache)
    template = _template(read_id(p, "template_id", errors), errors, cache)
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
    intention = read_text(p, "intention", errors, 200)
    driving_style, focus_points = _read_codes(p, errors)
    grade = p.get("grade")
    if not (grade is None or (isinstance(grade, str) and grade in ("", *(g.value for g in Grade)))):
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    if errors:
        raise Rejected("validation", errors)
    fact = _fact(
        cache,
        booking,
        entry,
        recorder_id,
        kind="feedback",
        item_key="",
        template_id=template.id,  # type: ignore[union-attr]
        value={"answers": answers, "intention": intention, "grade": grade or None},
    )
    if booking.status != BookingStatus.DONE.value:
        booking.status = BookingStatus.DONE.value
    card = booking.card
    scores = {k: v for k, v in answers.items() if isinstance(v, int) and not isinstance(v, bool)}
    record_event(
        card,
        recorder_id,
        "test_drive",
        data={
            "booking_id": booking.id,
            "scores": scores,
            "intention": intention,
            "likes": answers.get("likes", ""),
            "concerns": answers.get("concerns", ""),
        },
    )
    result: dict[str, Any] = {
        "entry_id": fact,
        "booking_status": booking.status,
    }
    if grade:
        # The post-drive answer goes through the card merge like any other card edit.
        merged = merge_card(
            card,
            {"grade": grade},
            rules=cache.get(("grade_rules", card.store_id)) if cache is not None else None,
            base_version=p.get("card_version", card.version),
            base=p.get("card_base") if isinstance(p.get("card_base"), dict) else None,
            entry_id=entry.id,
            actor_id=recorder_id,
        )
        result["card"] = merged
    # What the drive showed goes on the card's own fields (after the grade's merge, which
    # compares the version the tablet started from).
    record_drive_feedback(recorder_id, card, driving_style, focus_points)
    return result


FIELD_LABELS = {
    "booking_id": _l("Test drive (booking number)"),
    "template_id": _l("Checklist version"),
    "item_key": _l("Checklist item"),
    "value": _l("Value"),
    "field": _l("Kind of note"),
    "text": _l("Text"),
    "revises": _l("Corrects entry"),
    "purpose": _l("Purpose"),
    "notice_version": _l("Notice version"),
    "agreed": _l("Agreed"),
    "id_number": _l("ID number"),
    "licence_class": _l("Licence class"),
    "expires_on": _l("Licence valid until"),
    "photo_sha256": _l("Licence photo"),
    "document": _l("Document"),
    "document_version": _l("Document version"),
    "signature_sha256": _l("Signature"),
    "answers": _l("Answers"),
    "intention": _l("Intention to buy"),
    "grade": _l("Grade"),
    "driving_style": _l("Driving style"),
    "focus_points": _l("Focus points"),
}


def _kind(name: str, label: Any, apply: Any, **extra: Any) -> EntryKind:
    return EntryKind(
        name=name,
        label=label,
        apply=apply,
        roles=PACKET_ROLES,
        fix_roles=PACKET_ROLES,
        prefetch=prefetch,
        field_labels=FIELD_LABELS,
        **extra,
    )


KINDS = (
    _kind("testdrive.tick", _l("Checklist tick"), _tick, free_value=frozenset({"value"})),
    _kind("testdrive.note", _l("Note"), _note),
    _kind("testdrive.consent", _l("Consent"), _consent),
    _kind(
        "testdrive.licence",
        _l("Licence check"),
        _licence,
        sensitive=frozenset({"id_number"}),
        blobs={"photo_sha256": _l("Licence photo")},
    ),
    _kind(
        "testdrive.signature",
        _l("Signature"),
        _signature,
        blobs={"signature_sha256": _l("Signature")},
    ),
    _kind(
        FEEDBACK_ENTRY,
        _l("Feedback form"),
        _feedback,
        free_value=frozenset({"answers"}),
        card_result="card",
    ),
)
SECTIONS = (
    PullSection(
        name="testdrive.packets",
        build=pull.pull_packets,
        roles=PACKET_ROLES,
        offline_paths=(r"^/testdrive/bookings/\d+/packet(/map)?$",),
    ),
)
