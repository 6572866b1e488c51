"""The negotiation memo (附表十 商谈memo) of a card, in numbered versions.

Every save makes a new MemoVersion; none is changed afterwards but for the sales manager's
word on its discount and the customer's confirmation. A version's `inputs` hold the quote as
entered, with the store's fees and the vehicle's names as they were, so the memo prints the
same for ever: `result_of` recomputes its lines from them with `pricing.compute_quote`. The
form and its reading into a quote are in `memo_inputs`.

A discount above the store's threshold, and above any discount already approved on the memo,
waits for the sales manager (each manager of the store gets an inbox notice); the customer
confirms only the latest version, and only once its discount is settled.

The salesperson works on their own cards' memos, the manager and the admin on the store's;
the greeter, finance and the other roles get PermissionDenied, another store's memo NotFound.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import Sfx
from webapp.customers.models import CustomerCard
from webapp.customers.services import get_card
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.negotiation.contract_models import Approval, Memo, MemoVersion
from webapp.negotiation.memo_inputs import latest_version as latest_version  # the pages' too
from webapp.negotiation.memo_inputs import quote_of, read_form
from webapp.negotiation.pricing import (
    QuoteResult,
    compute_quote,
)
from webapp.negotiation.terms import terms_for
from webapp.org.models import Store
from webapp.push.services import notify
from webapp.stock.models import Vehicle, VehicleStatus
from webapp.timeutil import now
from webapp.transactions import commit_unique

MEMO_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
DECIDE_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
QUESTIONS_LIMIT = 500
PENDING_LIMIT = 100
NOTE_LIMIT = 200
# The question the memo asks the customer before they confirm it.
CONFIRM_QUESTION = _l("Do you have any questions about this quotation?")

# The memo's lines (pricing.QuoteResult.lines codes) as printed.
LINE_LABELS: dict[str, Any] = {
    "vehicle_price": _l("Vehicle price"),
    "accessories": _l("Accessories (精品)"),
    "compulsory_insurance": _l("Compulsory insurance (交强险)"),
    "commercial_insurance": _l("Commercial insurance"),
    "purchase_tax": _l("Purchase tax (购置税)"),
    "plate_fee": _l("Plate fee"),
    "inspection_fee": _l("Inspection fee"),
    "service_fee": _l("One-stop service fee"),
    "trade_in": _l("Trade-in value"),
}
APPROVAL_LABELS: dict[str, Any] = {
    Approval.NOT_NEEDED.value: _l("No approval needed"),
    Approval.PENDING.value: _l("Waiting for the manager"),
    Approval.APPROVED.value: _l("Discount approved"),
    Approval.REJECTED.value: _l("Discount rejected"),
}


# --- Reading ---------------------------------------------------------------------------------


def memo_for_card(actor: User, card_id: int) -> tuple[CustomerCard, Memo | None]:
    """The card and its memo (None before the first save), for the card's salesperson, the
    store's manager and admin. Raises PermissionDenied (other roles), NotFound."""
    require_role(actor, *MEMO_ROLES)
    card = get_card(actor, card_id)
    memo = db.session.scalar(sa.select(Memo).where(Memo.card_id == card.id))
    return card, memo


def get_memo(actor: User, memo_id: int) -> Memo:
    """A memo the actor may see, with its card and versions. Raises PermissionDenied, NotFound."""
    require_role(actor, *MEMO_ROLES)
    return get_scoped(Memo, memo_id, actor, joinedload(Memo.card))


def get_version(actor: User, memo_id: int, number: int) -> tuple[Memo, MemoVersion]:
    """Version `number` of a memo the actor may see. Raises PermissionDenied, NotFound."""
    memo = get_memo(actor, memo_id)
    version = next((v for v in memo.versions if v.number == number), None)
    if version is None:
        raise NotFound()
    return memo, version


def _version_by_id(actor: User, version_id: int) -> MemoVersion:
    stmt = scoped(
        sa.select(MemoVersion).join(Memo, Memo.id == MemoVersion.memo_id), Memo, actor
    ).where(MemoVersion.id == version_id)
    version = db.session.scalar(stmt)
    if version is None:
        raise NotFound()
    return version


def store_of(memo: Memo) -> Store:
    """The store the memo belongs to (its name heads the customer's copy)."""
    store = db.session.get(Store, memo.store_id)
    if store is None:
        raise NotFound()
    return store


def version_url(memo_id: int, number: int) -> str:
    """The version's page (also outside a request, as in a command or a test)."""
    if has_request_context():
        return url_for("negotiation.memo_version", memo_id=memo_id, number=number)
    with current_app.test_request_context():
        return url_for("negotiation.memo_version", memo_id=memo_id, number=number)


def _pending_exists(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    waiting = scope(sa.select(MemoVersion.id).where(MemoVersion.approval == Approval.PENDING.value))
    return sa.select(sa.exists(waiting))


def pending_discount_approvals(actor: User) -> list[MemoVersion]:
    """The store's versions whose discount waits for the manager, oldest first (with the
    memo and card loaded). Manager and admin only: PermissionDenied for the others."""
    require_role(actor, *DECIDE_ROLES)
    # Most of the time nothing waits: a statement built once per process says so, and the
    # loading query (whose joined loads cost milliseconds to build) runs only when needed.
    exists, params = scoped_statement(MemoVersion, actor, _pending_exists)
    if not db.session.execute(exists, params).scalar():
        return []
    # Scoped by the version's own store column: (store_id, approval) is its index.
    stmt = scoped(
        sa.select(MemoVersion).where(MemoVersion.approval == Approval.PENDING.value),
        MemoVersion,
        actor,
    )
    stmt = (
        stmt.limit(PENDING_LIMIT)
        .options(
            joinedload(MemoVersion.memo).joinedload(Memo.card),
            joinedload(MemoVersion.sfx).joinedload(Sfx.model),
            joinedload(MemoVersion.created_by),
        )
        .order_by(MemoVersion.created_at, MemoVersion.id)
    )
    return list(db.session.scalars(stmt).unique())


# --- Stock next to the delivery date ---------------------------------------------------------


@dataclass(frozen=True)
class StockHint:
    """The store's cars of one SFX (and colour): how many in each status, and the earliest
    expected arrival of those still in transit."""

    counts: dict[str, int]
    earliest_arrival: date | None

    @property
    def available(self) -> int:
        """Cars not yet promised to anyone: in stock, in PDS or on the way."""
        return sum(
            self.counts.get(s.value, 0)
            for s in (VehicleStatus.IN_STOCK, VehicleStatus.PDS, VehicleStatus.IN_TRANSIT)
        )


def stock_for(actor: User, sfx_id: int | None, colour_id: int | None) -> StockHint:
    """The actor's store's cars matching the SFX (and the colour when given), by status, and
    the earliest arrival date in transit. Raises PermissionDenied for roles without memos."""
    require_role(actor, *MEMO_ROLES)
    counts = {s.value: 0 for s in VehicleStatus if s is not VehicleStatus.DELIVERED}
    if sfx_id is None:
        return StockHint(counts, None)
    where = [Vehicle.sfx_id == sfx_id, Vehicle.status != VehicleStatus.DELIVERED.value]
    if colour_id is not None:
        where.append(Vehicle.colour_id == colour_id)
    stmt = scoped(
        sa.select(Vehicle.status, sa.func.count(), sa.func.min(Vehicle.arrived_on))
        .select_from(Vehicle)
        .where(*where)
        .group_by(Vehicle.status),
        Vehicle,
        actor,
    )
    earliest = None
    for status, count, first_day in db.session.execute(stmt):
        counts[status] = count
        if status == VehicleStatus.IN_TRANSIT.value:
            earliest = first_day
    return StockHint(counts, earliest)


def result_of(version: MemoVersion) -> QuoteResult:
    """The version's lines, totals and schedule, recomputed from what it keeps."""
    return compute_quote(quote_of(version.inputs))


def preview(actor: User, card_id: int, form: Any) -> tuple[QuoteResult | None, dict[str, str]]:
    """The quote the form would save (nothing is saved): the result, or the errors."""
    card, _memo = memo_for_card(actor, card_id)
    try:
        draft = read_form(card, terms_for(card.store_id), form)
    except ValidationError as exc:
        return None, exc.errors
    return draft.result, {}


# --- Saving ----------------------------------------------------------------------------------


def _largest_approved(memo: Memo | None) -> MemoVersion | None:
    if memo is None:
        return None
    approved = [v for v in memo.versions if v.approval == Approval.APPROVED.value]
    return max(approved, key=lambda v: (v.discount, v.number), default=None)


def manager_ids(store_id: int) -> list[int]:
    """The active sales managers of the store (who decide discounts and contracts)."""
    stmt = (
        sa.select(User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.store_id == store_id,
            User.active,
            UserRole.role == Role.SALES_MANAGER.value,
        )
        .order_by(User.id)
    )
    return list(dict.fromkeys(db.session.scalars(stmt)))


def save_version(actor: User, card_id: int, form: Any) -> MemoVersion:
    """Save the form as the next version of the card's memo (making the memo on the first
    save), in one commit. A discount above the store's threshold and above any discount
    approved on this memo waits for the manager: each sales manager of the store is notified.

    Raises PermissionDenied, NotFound, ValidationError (field → message; nothing saved)."""
    card, memo = memo_for_card(actor, card_id)
    terms = terms_for(card.store_id)
    draft = read_form(card, terms, form)
    discount = draft.quote.discount
    approval, decided = Approval.NOT_NEEDED, None
    if discount > terms.discount_threshold:
        approved = _largest_approved(memo)
        if approved is not None and discount <= approved.discount:
            approval, decided = Approval.APPROVED, approved
        else:
            approval = Approval.PENDING
    result = draft.result
    if memo is None:
        memo = Memo(
            store_id=card.store_id, card_id=card.id, owner_id=card.owner_id, latest_number=0
        )
        db.session.add(memo)
    number = memo.latest_number + 1
    memo.latest_number = number
    version = MemoVersion(
        store_id=card.store_id,
        number=number,
        sfx_id=draft.sfx.id,
        colour_id=draft.colour.id if draft.colour is not None else None,
        inputs=draft.inputs,
        list_price=result.list_price,
        discount=result.discount,
        total=result.total,
        delivery_date=draft.delivery_date,
        delivery_accepted=draft.delivery_accepted,
        approval=approval.value,
        approval_note=decided.approval_note if decided is not None else "",
        decided_by_id=decided.decided_by_id if decided is not None else None,
        decided_at=decided.decided_at if decided is not None else None,
        created_by_id=actor.id,
    )
    memo.versions.append(version)
    db.session.flush()
    if approval is Approval.PENDING:
        notify(
            manager_ids(card.store_id),
            store_id=card.store_id,
            kind="discount_approval",
            ref_id=version.id,
            url=version_url(memo.id, number),
        )
    commit_unique("memo", _("Someone saved this memo at the same moment: save again."))
    return version


def decide_discount(actor: User, version_id: int, approve: bool, note: Any) -> MemoVersion:
    """The sales manager approves or rejects a version's discount (a rejection needs a note).

    Raises PermissionDenied (not a manager/admin), NotFound, ValidationError (not waiting,
    no note for a rejection, note too long)."""
    require_role(actor, *DECIDE_ROLES)
    version = _version_by_id(actor, version_id)
    text = note.strip() if isinstance(note, str) else ""
    errors: dict[str, str] = {}
    if version.approval != Approval.PENDING.value:
        errors["approval"] = _("This version is not waiting for a decision.")
    if isinstance(note, str) and (problem := text_problem(note)) is not None:
        errors["note"] = problem
    elif len(text) > NOTE_LIMIT:
        errors["note"] = _("At most %(n)d characters.", n=NOTE_LIMIT)
    elif not approve and not text:
        errors["note"] = _("Write why the discount is rejected.")
    if errors:
        raise ValidationError(errors)
    version.approval = (Approval.APPROVED if approve else Approval.REJECTED).value
    version.approval_note = text
    version.decided_by_id = actor.id
    version.decided_at = now()
    db.session.commit()
    return version


def confirm_version(actor: User, version_id: int, questions: Any) -> MemoVersion:
    """Record that the customer confirmed this version, with their questions if any. Only the
    latest version, once its discount is settled, and only once.

    Raises PermissionDenied, NotFound, ValidationError."""
    require_role(actor, *MEMO_ROLES)
    version = _version_by_id(actor, version_id)
    text = questions.strip() if isinstance(questions, str) else ""
    errors: dict[str, str] = {}
    if version.number != version.memo.latest_number:
        errors["confirm"] = _("Only the latest version can be confirmed.")
    elif version.approval == Approval.PENDING.value:
        errors["confirm"] = _("The discount waits for the manager's approval.")
    elif version.approval == Approval.REJECTED.value:
        errors["confirm"] = _("The manager rejected this discount: save a new version.")
    elif version.confirmed_at is not None:
        errors["confirm"] = _("The customer already confirmed this version.")
    if isinstance(questions, str) and (problem := text_problem(questions)) is not None:
        errors["questions"] = problem
    elif len(text) > QUESTIONS_LIMIT:
        errors["questions"] = _("At most %(n)d characters.", n=QUESTIONS_LIMIT)
    if errors:
        raise ValidationError(errors)
    version.customer_questions = text
    version.confirmed_at = now()
    db.session.commit()
    return version


def can_confirm(memo: Memo, version: MemoVersion) -> bool:
    """Whether the confirm button is offered for this version."""
    return (
        version.number == memo.latest_number
        and version.confirmed_at is None
        and version.approval in (Approval.NOT_NEEDED.value, Approval.APPROVED.value)
    )
