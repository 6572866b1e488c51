"""The offline entries of delivery day, made on the tablet at the car (see webapp.sync.registry):
`delivery.tick` (an item of 附表十四 or 附表十五 ticked or unticked) and `delivery.signature`
(the customer's signature on one of the two forms, an encrypted sensitive blob), and the data
the tablet keeps for the day (`delivery.day`: today's and tomorrow's deliveries and the forms'
current items).

Facts are insert-only, keyed by the entry's UUID (unique), so a replay can never double them.
Every handler validates first and writes only when the entry will apply, so a rejected entry
leaves nothing behind; none commits or flushes by itself.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from webapp.access import scoped
from webapp.auth.models import User
from webapp.delivery.handover import FORM_KINDS, FORM_ROLES, purge_after
from webapp.delivery.models import (
    Delivery,
    DeliveryChecklist,
    DeliveryEntry,
    DeliverySignature,
    DeliveryState,
)
from webapp.extensions import db
from webapp.inputs import valid_id
from webapp.negotiation.contract_models import Contract
from webapp.sync.merge import Deferred, Entry, Rejected, claim, is_hash, read_id
from webapp.sync.registry import EntryKind, PullSection
from webapp.timeutil import local_day_bounds, local_today


def _delivery(actor: User, delivery_id: int, cache: dict | None = None) -> Delivery:
    """The delivery in the actor's scope, for a role that works the forms; `cache` (one per
    batch) keeps each delivery's answer."""
    if not delivery_id:
        raise Rejected("validation", {"delivery_id": _("Missing or not a number.")})
    key = ("delivery", delivery_id)
    if cache is not None and key in cache:
        found = cache[key]
    else:
        found = db.session.scalar(
            scoped(
                sa.select(Delivery).where(Delivery.id == delivery_id).options(sa.orm.lazyload("*")),
                Delivery,
                actor,
            )
        )
        if cache is not None:
            cache[key] = found
    if found is None or not actor.has_role(*FORM_ROLES):
        raise Rejected("permission", {"delivery_id": _("This delivery is not yours to record.")})
    if found.state == DeliveryState.CANCELLED.value:
        raise Rejected("validation", {"delivery_id": _("This delivery was cancelled.")})
    return found


def _checklist(
    checklist_id: int, kind: Any, errors: dict[str, str], cache: dict | None = None
) -> DeliveryChecklist | None:
    """The checklist version named, which must be a version of the form `kind`."""
    if kind not in FORM_KINDS:
        errors["kind"] = _("Unknown form: 附表十四 (process) or 附表十五 (handover).")
    if not checklist_id:
        return None
    key = ("checklist", checklist_id)
    if cache is not None and key in cache:
        checklist = cache[key]
    else:
        checklist = db.session.get(DeliveryChecklist, checklist_id)
        if cache is not None:
            cache[key] = checklist
    if checklist is None:
        errors["checklist_id"] = _("Unknown checklist version.")
    elif kind in FORM_KINDS and checklist.kind != kind:
        errors["checklist_id"] = _("This checklist version belongs to another form.")
    return checklist


def prefetch(actor: User, entries: list[Entry], cache: dict) -> None:
    """Load the deliveries and checklist versions a batch names in two queries."""
    delivery_ids: set[int] = set()
    checklist_ids: set[int] = set()
    for entry in entries:
        payload = entry.payload if isinstance(entry.payload, dict) else {}
        for key, bucket in (("delivery_id", delivery_ids), ("checklist_id", checklist_ids)):
            value = payload.get(key)
            if valid_id(value):
                bucket.add(value)
    if delivery_ids:
        stmt = (
            sa.select(Delivery).where(Delivery.id.in_(delivery_ids)).options(sa.orm.lazyload("*"))
        )
        found = {d.id: d for d in db.session.scalars(scoped(stmt, Delivery, actor))}
        for delivery_id in delivery_ids:
            cache[("delivery", delivery_id)] = found.get(delivery_id)
    if checklist_ids:
        stmt_c = sa.select(DeliveryChecklist).where(DeliveryChecklist.id.in_(checklist_ids))
        found_c = {c.id: c for c in db.session.scalars(stmt_c)}
        for checklist_id in checklist_ids:
            cache[("checklist", checklist_id)] = found_c.get(checklist_id)


def _tick(actor: User, entry: Entry, recorder_id: int, cache: dict | None = None) -> dict[str, Any]:
    p, errors = entry.payload, {}
    delivery = _delivery(actor, read_id(p, "delivery_id", errors), cache)
    kind = p.get("kind")
    checklist = _checklist(read_id(p, "checklist_id", errors), kind, errors, cache)
    key = p.get("item_key")
    known = checklist is not None and "checklist_id" not in errors
    if known and not any(i.get("key") == key for i in checklist.items):  # type: ignore[union-attr]
        errors["item_key"] = _("This item is not on the form.")
    if not isinstance(p.get("done"), bool):
        errors["done"] = _("Tick or untick.")
    if errors:
        raise Rejected("validation", errors)
    assert checklist is not None
    row = DeliveryEntry(
        store_id=delivery.store_id,
        delivery_id=delivery.id,
        kind=checklist.kind,
        checklist_id=checklist.id,
        item_key=key,
        done=p["done"],
        entry_uuid=entry.id,
        recorded_by_id=recorder_id,
        device_time=entry.device_time,
    )
    db.session.add(row)
    return {"entry_id": Deferred(lambda: row.id)}


def _signature(
    actor: User, entry: Entry, recorder_id: int, cache: dict | None = None
) -> dict[str, Any]:
    p, errors = entry.payload, {}
    delivery = _delivery(actor, read_id(p, "delivery_id", errors), cache)
    form = p.get("form")
    checklist = _checklist(read_id(p, "checklist_id", errors), form, errors, cache)
    if "kind" in errors:
        errors["form"] = errors.pop("kind")
    sha = p.get("signature_sha256")
    if not is_hash(sha):
        errors["signature_sha256"] = _("The signature is missing.")
    if errors:
        raise Rejected("validation", errors)
    assert checklist is not None
    until = purge_after(delivery)
    blob = claim(
        sha.lower(), delivery.store_id, "signature", recorder_id, "signature_sha256", until
    )
    row = DeliverySignature(
        store_id=delivery.store_id,
        delivery_id=delivery.id,
        form=checklist.kind,
        checklist_id=checklist.id,
        signature_sha256=blob.sha256,
        device_time=entry.device_time,
        recorded_by_id=recorder_id,
        purge_after=until,
        entry_uuid=entry.id,
    )
    db.session.add(row)
    return {"signature_id": Deferred(lambda: row.id)}


def pull_day(actor: User, since: datetime | None) -> dict[str, list[Any]]:
    """What the tablet keeps for delivery day: the deliveries of today and tomorrow in the
    actor's scope (the customer's name and 称谓, the model; no mobile, no price) and the
    current versions of the two forms; with `since`, only rows changed since then."""
    start, _end = local_day_bounds(local_today())
    end = start + timedelta(days=2)
    deliveries = list(
        db.session.scalars(
            scoped(
                sa.select(Delivery)
                .where(
                    Delivery.scheduled_at >= start,
                    Delivery.scheduled_at < end,
                    Delivery.state != DeliveryState.CANCELLED.value,
                )
                .order_by(Delivery.scheduled_at)
                .options(
                    sa.orm.joinedload(Delivery.card),
                    sa.orm.joinedload(Delivery.contract).joinedload(Contract.model),
                ),
                Delivery,
                actor,
            )
        ).unique()
    )
    # Read only: the lists are added by the first page that needs them (a pull writes nothing).
    checklists = {
        c.kind: c
        for c in db.session.scalars(
            sa.select(DeliveryChecklist).where(
                DeliveryChecklist.current.is_(True), DeliveryChecklist.kind.in_(FORM_KINDS)
            )
        )
    }
    return {
        "deliveries": [
            _delivery_json(d)
            for d in deliveries
            if since is None or d.updated_at >= since or d.card.updated_at >= since
        ],
        "checklists": [
            {"id": c.id, "kind": c.kind, "version": c.version, "items": c.items}
            for kind, c in sorted(checklists.items())
            if kind in FORM_KINDS and (since is None or c.created_at >= since)
        ],
    }


def _delivery_json(d: Delivery) -> dict[str, Any]:
    model = d.contract.model if d.contract is not None else None
    return {
        "id": d.id,
        "card_id": d.card_id,
        "name": d.card.name,
        "title": d.card.title,
        "model": model.name_zh if model is not None else "",
        "scheduled_at": d.scheduled_at.isoformat(),
        "state": d.state,
        "version": d.version,
    }


FIELD_LABELS = {
    "delivery_id": _l("Delivery (number)"),
    "kind": _l("Form"),
    "form": _l("Form"),
    "checklist_id": _l("Checklist version"),
    "item_key": _l("Checklist item"),
    "done": _l("Ticked"),
    "signature_sha256": _l("Signature"),
}


def _kind(name: str, label: Any, apply: Any, **extra: Any) -> EntryKind:
    return EntryKind(
        name=name,
        label=label,
        apply=apply,
        roles=FORM_ROLES,
        fix_roles=FORM_ROLES,
        prefetch=prefetch,
        field_labels=FIELD_LABELS,
        **extra,
    )


KINDS = (
    _kind("delivery.tick", _l("Delivery form tick"), _tick),
    _kind(
        "delivery.signature",
        _l("Signature on a delivery form"),
        _signature,
        blobs={"signature_sha256": _l("Signature")},
    ),
)
SECTIONS = (
    PullSection(
        name="delivery.day",
        build=pull_day,
        roles=FORM_ROLES,
        offline_paths=(r"^/delivery/\d+/checklists$",),
    ),
)
