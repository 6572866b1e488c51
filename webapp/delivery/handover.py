"""The services of the two forms the customer signs at the car on delivery day: 附表十四
交车过程及文件确认表 (ChecklistKind.PROCESS) and 附表十五 新车交接确认表 (HANDOVER).

The tablet page and the Chinese print read the same `FormState`: the items of the form's
checklist version grouped by `part`, the latest tick of each item (entries are insert-only,
the latest is the state), the progress over the required items and the customer's signature.
Writes come through the outbox (webapp.delivery.offline); nothing here writes.

Who works the forms: the salesperson (their own delivery), the sales manager and admin, and
the service advisor (the store's deliveries: they explain maintenance and warranty). The
page shows no price, so the service advisor may open it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.access import get_scoped, require_role
from webapp.auth.models import Role, User
from webapp.delivery.checklists import PARTS, current_checklists
from webapp.delivery.models import (
    SIGNED_FORMS,
    ChecklistKind,
    Delivery,
    DeliveryChecklist,
    DeliveryEntry,
    DeliverySignature,
)
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.org.models import Store
from webapp.privacy.services import view_image
from webapp.timeutil import SHANGHAI

FORM_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN, Role.SERVICE_ADVISOR)
# The forms by their number in the standard, in page order.
FORM_NUMBERS = {ChecklistKind.PROCESS.value: "附表十四", ChecklistKind.HANDOVER.value: "附表十五"}
FORM_TITLES_ZH = {
    ChecklistKind.PROCESS.value: "交车过程及文件确认表",
    ChecklistKind.HANDOVER.value: "新车交接确认表",
}
FORM_KINDS = tuple(k.value for k in SIGNED_FORMS)
# Who may see the customer's signature image (sensitive): the sales roles, as for the order's
# signature; the service advisor works the forms but does not need the image.
SIGNATURE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)


@dataclass
class Part:
    """One group of a form's items (`code` from checklists.PARTS)."""

    code: str
    label: Any
    items: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FormState:
    """One form of one delivery as it stands on the server."""

    kind: str
    checklist: DeliveryChecklist
    parts: list[Part]
    ticks: dict[str, bool]
    signature: DeliverySignature | None

    @property
    def number(self) -> str:
        return FORM_NUMBERS[self.kind]

    @property
    def title_zh(self) -> str:
        return FORM_TITLES_ZH[self.kind]

    @property
    def required(self) -> list[str]:
        return [i["key"] for i in self.checklist.items if i.get("required")]

    @property
    def done_required(self) -> int:
        return sum(1 for key in self.required if self.ticks.get(key))

    @property
    def ready_to_sign(self) -> bool:
        return self.done_required == len(self.required)


@dataclass
class DayForms:
    """Both forms of one delivery."""

    delivery: Delivery
    forms: list[FormState]

    def form(self, kind: str) -> FormState:
        return next(f for f in self.forms if f.kind == kind)


def get_delivery(actor: User, delivery_id: int) -> Delivery:
    """The delivery in the actor's scope for a role that works the forms.

    Raises NotFound (outside the scope) and PermissionDenied (a greeter, finance…)."""
    delivery = get_scoped(Delivery, delivery_id, actor)
    require_role(actor, *FORM_ROLES)
    return delivery


def purge_after(delivery: Delivery) -> date:
    """When the customer's signatures on the forms may go (as the test-drive signatures: the
    retention days after the day)."""
    day = delivery.scheduled_at.astimezone(SHANGHAI).date()
    return day + timedelta(days=current_app.config["LICENCE_RETENTION_DAYS"])


def group_items(kind: str, items: list[dict[str, Any]]) -> list[Part]:
    """The items in the order of the form's parts (an unknown part goes last, as itself)."""
    labels = PARTS.get(kind, {})
    parts = {code: Part(code, label) for code, label in labels.items()}
    for item in items:
        code = item.get("part") or ""
        if code not in parts:
            parts[code] = Part(code, code)
        parts[code].items.append(item)
    return [p for p in parts.values() if p.items]


def forms_of(delivery: Delivery) -> DayForms:
    """Both forms of the delivery: each on the version its ticks were made against (the
    latest entry's), else the current version."""
    current = current_checklists()
    entries = list(
        db.session.scalars(
            sa.select(DeliveryEntry)
            .where(
                DeliveryEntry.delivery_id == delivery.id,
                DeliveryEntry.kind.in_(FORM_KINDS),
            )
            .order_by(DeliveryEntry.recorded_at, DeliveryEntry.id)
        )
    )
    signatures = {
        s.form: s
        for s in db.session.scalars(
            sa.select(DeliverySignature)
            .where(DeliverySignature.delivery_id == delivery.id)
            .order_by(DeliverySignature.signed_at, DeliverySignature.id)
        )
    }
    forms = []
    for kind in FORM_KINDS:
        mine = [e for e in entries if e.kind == kind]
        checklist = current[kind]
        if mine and mine[-1].checklist_id != checklist.id:
            checklist = db.session.get(DeliveryChecklist, mine[-1].checklist_id) or checklist
        ticks: dict[str, bool] = {}
        for entry in mine:
            if entry.checklist_id == checklist.id:
                ticks[entry.item_key] = entry.done
        forms.append(
            FormState(
                kind=kind,
                checklist=checklist,
                parts=group_items(kind, checklist.items),
                ticks=ticks,
                signature=signatures.get(kind),
            )
        )
    return DayForms(delivery=delivery, forms=forms)


def day_forms(actor: User, delivery_id: int) -> DayForms:
    """The tablet page's data: both forms of a delivery in the actor's scope."""
    return forms_of(get_delivery(actor, delivery_id))


def print_forms(actor: User, delivery_id: int) -> tuple[DayForms, Store]:
    """The print's data: both forms and the store that heads them."""
    forms = day_forms(actor, delivery_id)
    store = db.session.get(Store, forms.delivery.store_id)
    assert store is not None
    return forms, store


def may_see_signatures(actor: User) -> bool:
    """Whether the print may offer the signature images (a sales role)."""
    return actor.has_role(*SIGNATURE_ROLES)


def signature_image(actor: User, delivery_id: int, form: str) -> tuple[bytes, str]:
    """The decrypted image of the customer's signature on one form, logged as a view of
    sensitive data. Raises NotFound (out of scope, not signed, purged), PermissionDenied
    (not a sales role), ReauthRequired (no recent password entry)."""
    delivery = get_delivery(actor, delivery_id)
    require_role(actor, *SIGNATURE_ROLES)
    if form not in FORM_KINDS:
        raise NotFound()
    signed = db.session.scalar(
        sa.select(DeliverySignature)
        .where(DeliverySignature.delivery_id == delivery.id, DeliverySignature.form == form)
        .order_by(DeliverySignature.signed_at.desc(), DeliverySignature.id.desc())
        .limit(1)
    )
    if signed is None:
        raise NotFound()
    return view_image(
        actor, delivery.store_id, "delivery_signature", signed.id, signed.signature_sha256
    )
