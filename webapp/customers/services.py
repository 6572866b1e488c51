"""Rules of the A-C card (附表六): create, edit, the timeline, stage moves, contacts, the form's
choices. The card lists (search, due follow-ups, the card box) are in customers/lists.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from webapp import fields
from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import VehicleModel
from webapp.customers.card import (
    change_grade,
    contact_made,
    grade_rules,
    next_due,
    record_event,
    suggest_grade,
)
from webapp.customers.lists import (
    BY_MOBILE,
    CARD_ROLES,
    SEARCH_ROLES,
    CardRow,
    card_rows,
)
from webapp.customers.models import (
    CardEvent,
    CustomerCard,
    Grade,
    Stage,
)
from webapp.customers.validators import is_valid_mobile, normalise_mobile
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors
from webapp.sql import inline_int
from webapp.timeutil import local_today, now

TITLES = ("mr", "ms")
SOURCES = ("walk_in", "phone_in", "online", "referral", "event", "owner_referral", "other")
PAYMENTS = ("undecided", "cash", "loan")
# A conversation with the customer; an owners' event (车主活动, step ⑧) is a contact too.
CALL_KINDS = ("phone_out", "phone_in", "visit", "message")
CONTACT_KINDS = (*CALL_KINDS, "cr_event")
MAX_BUDGET = Decimal("100000000")

# Fields a form may set; anything else in a request body (store_id, owner_id for a
# salesperson, version, stage) is ignored here.
TEXT_FIELDS = {
    "name": 50,
    "other_contact": 100,
    "preferred_contact_time": 50,
    "family": 200,
    "hobbies": 200,
    "usage": 200,
    "current_car": 100,
    "competitors": 200,
    "decision_makers": 200,
    "address": 200,
    "occupation": 100,
}
# Every field of the card form, in the form's order (the card edit and the questionnaire pass
# the card's own values of the fields they do not ask through the same rules).
FORM_FIELDS = (
    "name",
    "title",
    "mobile",
    "other_contact",
    "preferred_contact_time",
    "address",
    "occupation",
    "family",
    "hobbies",
    "source",
    "model_id",
    "planned_purchase_date",
    "usage",
    "budget",
    "payment",
    "trade_in",
    "current_car",
    "competitors",
    "decision_makers",
    "grade",
    "owner_id",
)
# Budget ranges as dealers say them (万 = 10,000 yuan): code → (low, high), high None = open.
# A chosen range records its upper limit, the most the customer means to spend; the open
# range "30万以上" records its lower limit. A typed amount always wins.
BUDGET_RANGES: dict[str, tuple[Decimal, Decimal | None]] = {
    "under_10": (Decimal("0"), Decimal("100000")),
    "10_15": (Decimal("100000"), Decimal("150000")),
    "15_20": (Decimal("150000"), Decimal("200000")),
    "20_30": (Decimal("200000"), Decimal("300000")),
    "over_30": (Decimal("300000"), None),
}
# Every field of the card form that shows its own error and takes text from the client
# (owner_id is checked as a salesperson of the store; trade_in is a tick box).
CHECKED_FIELDS = (
    *TEXT_FIELDS,
    "title",
    "mobile",
    "source",
    "model_id",
    "planned_purchase_date",
    "budget",
    "budget_range",
    "payment",
    "grade",
)


def _clean(actor: User, data: dict[str, Any], *, card: CustomerCard | None) -> dict[str, Any]:
    """Validate form data against the card's rules; raise ValidationError with every problem."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    today = local_today()

    for field, limit in TEXT_FIELDS.items():
        value = (data.get(field) or "").strip()
        if len(value) > limit:
            errors[field] = _("At most %(n)d characters.", n=limit)
        out[field] = value
    if not out["name"]:
        errors["name"] = _("Enter the customer's name.")

    title = data.get("title") or ""
    if title not in TITLES:
        errors["title"] = _("Choose how to address the customer.")
    out["title"] = title

    mobile = normalise_mobile(data.get("mobile") or "")
    if not mobile:
        errors["mobile"] = _("Enter a mobile number.")
    elif not is_valid_mobile(mobile):
        errors["mobile"] = _("A mainland mobile number has 11 digits and starts with 1.")
    out["mobile"] = mobile

    source = data.get("source") or ""
    if source not in SOURCES:
        errors["source"] = _("Choose where the customer came from.")
    out["source"] = source

    payment = data.get("payment") or "undecided"
    out["payment"] = payment
    out["trade_in"] = bool(data.get("trade_in"))
    out["model_id"] = out["planned_purchase_date"] = out["budget"] = None
    # The rules the tablet's card.update shares (webapp/customers/merge.py).
    for name, parse in (
        ("payment", lambda raw: clean_payment(raw)),
        ("model_id", fields.vehicle_model),
        ("planned_purchase_date", lambda raw: clean_planned_date(raw, card, today)),
        ("budget", clean_budget),
    ):
        try:
            out[name] = parse(data.get(name) if name != "payment" else payment)
        except fields.FieldError as error:
            errors[name] = error.message
            if name == "model_id":
                out[name] = parse_id(data.get(name))
    if "budget" not in errors:
        try:
            out["budget"] = budget_with_range(out["budget"], data.get("budget_range"))
        except fields.FieldError as error:
            errors["budget_range"] = error.message
    planned = out["planned_purchase_date"]

    rules = grade_rules(actor.store_id if card is None else card.store_id)
    grade = data.get("grade") or ""
    if grade == "" and "grade" not in errors:
        grade = suggest_grade(planned, rules, today)
    if grade not in {g.value for g in Grade}:
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    out["grade"] = grade

    out["owner_id"] = _clean_owner(actor, data.get("owner_id"), card, errors)
    # Checked on the raw values: strip() would silently drop a leading vertical tab.
    errors.update(text_errors(data, CHECKED_FIELDS))
    if errors:
        raise ValidationError(errors)
    return out


def clean_payment(raw: Any) -> str:
    """Cash, loan or undecided. Raises fields.FieldError."""
    return fields.choice(raw, PAYMENTS, _("Choose cash or loan."))


def clean_budget(raw: Any) -> Decimal | None:
    """The customer's budget in yuan, up to ¥100,000,000 ("¥150,000" reads as 150000).
    Raises fields.FieldError."""
    return fields.money(raw, MAX_BUDGET)


def budget_with_range(amount: Decimal | None, raw_range: Any) -> Decimal | None:
    """The budget from the amount typed and the range chosen (BUDGET_RANGES): the amount when
    there is one, else the range's figure (its upper limit; 300000 for "30万以上"). Raises
    fields.FieldError for a range that does not exist, or an amount outside the range chosen
    (two answers that disagree: the person picks one)."""
    if raw_range in (None, ""):
        return amount
    if not isinstance(raw_range, str) or raw_range not in BUDGET_RANGES:
        raise fields.FieldError(_("Choose one of the budget ranges."))
    low, high = BUDGET_RANGES[raw_range]
    if amount is None:
        return (high if high is not None else low).quantize(Decimal("0.01"))
    if amount < low or (high is not None and amount > high):
        raise fields.FieldError(
            _("The amount is outside this range: clear the amount or choose another range.")
        )
    return amount


def budget_range_amounts() -> dict[str, int]:
    """The amount each budget range records, for the form to fill the amount in."""
    return {code: int(budget_with_range(None, code) or 0) for code in BUDGET_RANGES}


def clean_planned_date(raw: Any, card: CustomerCard | None, today: date) -> date | None:
    """The planned purchase date: a date, and not in the past unless the card already had
    it (an old card keeps its date). Raises fields.FieldError."""
    planned = fields.day(raw)
    changed = card is None or planned != card.planned_purchase_date
    if planned is not None and planned < today and changed:
        raise fields.FieldError(_("The planned purchase date cannot be in the past."))
    return planned


def _clean_owner(
    actor: User, owner_id: Any, card: CustomerCard | None, errors: dict[str, str]
) -> int:
    """A salesperson always owns what they create; a manager may assign a store salesperson."""
    current = card.owner_id if card else actor.id
    if not actor.has_role(Role.SALES_MANAGER, Role.ADMIN) or owner_id in (None, ""):
        return current
    wanted = parse_id(owner_id)
    store_id = card.store_id if card else actor.store_id
    ok = (
        None
        if wanted is None
        else db.session.scalar(
            sa.select(User.id)
            .join(UserRole, UserRole.user_id == User.id)
            .where(
                User.id == wanted,
                User.store_id == store_id,
                User.active,
                UserRole.role == Role.SALESPERSON.value,
            )
        )
    )
    if ok is None:
        errors["owner_id"] = _("Choose a salesperson of this store.")
        return current
    return wanted


def _duplicate(actor: User, store_id: int, mobile: str, exclude_id: int | None) -> None:
    stmt = sa.select(CustomerCard.id, CustomerCard.owner_id, User.display_name).join(
        User, User.id == CustomerCard.owner_id
    )
    stmt = stmt.where(CustomerCard.store_id == store_id, CustomerCard.mobile == mobile)
    if exclude_id:
        stmt = stmt.where(CustomerCard.id != exclude_id)
    found = db.session.execute(stmt).first()
    if found is None:
        return
    visible = db.session.scalar(
        scoped(sa.select(CustomerCard.id).where(CustomerCard.id == found.id), CustomerCard, actor)
    )
    error = ValidationError(
        {
            "mobile": _(
                "This mobile number is already on a card in this store (salesperson: %(name)s).",
                name=found.display_name,
            )
        }
    )
    error.duplicate_id = found.id if visible else None  # type: ignore[attr-defined]
    raise error


def find_duplicate(actor: User, raw_mobile: str) -> CardRow | None:
    """For the inline duplicate check while typing: the visible card with this mobile."""
    require_role(actor, *SEARCH_ROLES)
    mobile = normalise_mobile(raw_mobile)
    if not is_valid_mobile(mobile):
        return None
    rows = card_rows(actor, BY_MOBILE, {"mobile": mobile}, limit=1)
    return rows[0] if rows else None


def referrer(actor: User, raw_id: Any) -> CustomerCard | None:
    """The owner (C card) in the actor's reach whose referral a new A card records, or None
    for an empty, malformed or unreachable id."""
    card_id = parse_id(raw_id)
    if card_id is None:
        return None
    stmt = scoped(
        sa.select(CustomerCard).where(
            CustomerCard.id == card_id, CustomerCard.stage == Stage.OWNER.value
        ),
        CustomerCard,
        actor,
    )
    return db.session.scalar(stmt)


def user_name(user_id: int | None) -> str:
    """A colleague's display name ("" for none)."""
    if user_id is None:
        return ""
    return db.session.scalar(sa.select(User.display_name).where(User.id == user_id)) or ""


def create_card(actor: User, data: dict[str, Any]) -> CustomerCard:
    """Create an A card owned by the actor (or the salesperson a manager chose). With
    `referred_by`, the id of an owner's C card in reach, the card records the referral: it is
    linked to the owner, its source is the owner's referral, and the owner's timeline notes
    it.

    Raises ValidationError (with `duplicate_id` when the mobile is already on a card).
    """
    require_role(actor, *CARD_ROLES)
    clean = _clean(actor, data, card=None)
    raw_referrer = data.get("referred_by")
    referred = referrer(actor, raw_referrer) if raw_referrer not in (None, "") else None
    if raw_referrer not in (None, "") and referred is None:
        raise ValidationError({"referred_by": _("The referring owner could not be found.")})
    _duplicate(actor, actor.store_id, clean["mobile"], None)
    rules = grade_rules(actor.store_id)
    card = CustomerCard(store_id=actor.store_id, stage=Stage.PROSPECT.value, **clean)
    card.next_follow_up_due = next_due(local_today(), clean["grade"], rules)
    if referred is not None:
        card.referred_by_id = referred.id
        card.source = "owner_referral"
    db.session.add(card)
    db.session.flush()
    _event(card, actor, "created", data={"grade": card.grade})
    if referred is not None:
        _event(referred, actor, "referral", note=card.name, data={"card": card.id})
    try:
        db.session.commit()
    except sa.exc.IntegrityError:
        # Two tablets saving the same mobile at once: the unique constraint decides.
        db.session.rollback()
        _duplicate(actor, actor.store_id, clean["mobile"], None)
        raise
    return card


READ_ROLES = (*CARD_ROLES, Role.SERVICE_ADVISOR)


def view_card(actor: User, card_id: int) -> CustomerCard:
    """The card, for reading its page: the sales roles, and the service advisor for a C card
    handed to service (webapp.access). Raises NotFound / PermissionDenied."""
    card = get_scoped(
        CustomerCard, card_id, actor, sa.orm.joinedload(CustomerCard.owner).lazyload(User.role_rows)
    )
    require_role(actor, *READ_ROLES)
    return card


def may_work(actor: User, card: CustomerCard) -> bool:
    """Whether the actor may change the card itself (edit it, log a contact, move its stage).
    A C card handed to service is the service department's and the managers'; the
    salesperson keeps read access."""
    if actor.has_role(Role.SALES_MANAGER, Role.ADMIN):
        return True
    if card.handed_to_service_at is not None:
        return actor.has_role(Role.SERVICE_ADVISOR)
    return actor.has_role(Role.SALESPERSON)


def _workable(actor: User, card: CustomerCard) -> CustomerCard:
    if not may_work(actor, card):
        raise PermissionDenied()
    return card


def get_card(actor: User, card_id: int) -> CustomerCard:
    """The card, for roles that may open a whole card. Raises NotFound / PermissionDenied."""
    # The owner is shown by name: their roles (loaded with every user by default) are not
    # needed, and loading them was one more query on every card page.
    card = get_scoped(
        CustomerCard, card_id, actor, sa.orm.joinedload(CustomerCard.owner).lazyload(User.role_rows)
    )
    require_role(actor, *CARD_ROLES)
    return card


@dataclass(frozen=True, slots=True)
class EventActor:
    display_name: str


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of the card's timeline, as the card page shows it."""

    id: int
    kind: str
    occurred_at: datetime
    note: str
    data: dict
    actor: EventActor | None


_ACTOR = aliased(User, name="event_actor")
# Built once, with parameters (the card was already checked by get_card).
_TIMELINE = (
    sa.select(
        CardEvent.id,
        CardEvent.kind,
        CardEvent.occurred_at,
        CardEvent.note,
        CardEvent.data,
        _ACTOR.display_name,
    )
    .outerjoin(_ACTOR, _ACTOR.id == CardEvent.actor_id)
    .where(
        CardEvent.card_id == sa.bindparam("card_id"),
        CardEvent.store_id == sa.bindparam("store_id"),
    )
    .order_by(CardEvent.occurred_at.desc(), CardEvent.id.desc())
    .limit(inline_int("limit"))
)


def timeline(actor: User, card: CustomerCard, limit: int = 100) -> list[TimelineEvent]:
    """The card's events, newest first (the card was already checked by get_card), as plain
    rows: ORM entities with their actors cost more than the query."""
    params = {"card_id": card.id, "store_id": card.store_id, "limit": limit}
    return [
        TimelineEvent(
            id, kind, at, note or "", data or {}, EventActor(name) if name is not None else None
        )
        for id, kind, at, note, data, name in db.session.connection().execute(_TIMELINE, params)
    ]


def update_card(
    actor: User, card_id: int, data: dict[str, Any], version: int | None
) -> CustomerCard:
    """Edit a card the actor may edit, and commit. A stale `version` is refused rather than
    overwritten. Raises NotFound, PermissionDenied, ValidationError."""
    card = _workable(actor, get_card(actor, card_id))
    apply_card_changes(actor, card, data, version)
    db.session.commit()
    return card


def apply_card_changes(
    actor: User, card: CustomerCard, data: dict[str, Any], version: int | None
) -> list[str]:
    """Validate the card form's values and write the changes (timeline, grade, follow-up)
    in the caller's transaction, without committing; the names of the changed fields.

    For use cases that change a card beside their own rows (the needs analysis). Raises
    ValidationError (a stale `version`, or field → message) before writing anything.
    """
    if version is not None and version != card.version:
        raise ValidationError(
            {"version": _("Someone else changed this card meanwhile. Reload it and try again.")}
        )
    clean = _clean(actor, data, card=card)
    _duplicate(actor, card.store_id, clean["mobile"], card.id)
    changed = {k: v for k, v in clean.items() if getattr(card, k) != v}
    if not changed:
        return []
    new_grade = changed.pop("grade", None)
    for key, value in changed.items():
        setattr(card, key, value)
    if new_grade is not None:
        change_grade(card, new_grade, actor.id)
        changed["grade"] = new_grade
    _event(card, actor, "updated", data={"fields": sorted(changed)})
    return sorted(changed)


# Moves a person may make on the card. Later steps (contract, delivery, lost-sale record 附表十三)
# will make these moves themselves; until then the salesperson records them here.
STAGE_MOVES: dict[str, tuple[str, ...]] = {
    Stage.PROSPECT.value: (Stage.ORDERED.value, Stage.LOST.value),
    Stage.ORDERED.value: (Stage.OWNER.value, Stage.PROSPECT.value, Stage.LOST.value),
    Stage.OWNER.value: (),
    Stage.LOST.value: (Stage.PROSPECT.value,),
}


def change_stage(actor: User, card_id: int, stage: str, note: str, version: int | None) -> None:
    """Move a card along prospect → ordered → owner, to lost (with the reason), or back.

    An owner's card is filed in the card box by today's purchase date; a lost card has no
    follow-up due; a reopened card is due again by its grade. Raises ValidationError for a
    move the process does not allow, a missing reason, or a stale version.
    """
    card = _workable(actor, get_card(actor, card_id))
    apply_stage_change(actor, card, stage, note, version)
    db.session.commit()


def apply_stage_change(
    actor: User, card: CustomerCard, stage: str, note: str, version: int | None
) -> None:
    """change_stage's rules and writes in the caller's transaction, without committing (for
    use cases that move the card beside their own rows: the lost-sale record). Raises
    ValidationError before writing anything."""
    errors: dict[str, str] = {}
    if version is not None and version != card.version:
        errors["version"] = _("Someone else changed this card meanwhile. Reload it and try again.")
    if stage not in STAGE_MOVES.get(card.stage, ()):
        errors["stage"] = _("This card cannot move to that stage.")
    raw_note, note = note, (note or "").strip()
    if stage == Stage.LOST.value and not note:
        errors["stage_note"] = _("Write why the customer did not buy.")
    elif len(note) > 1000:
        errors["stage_note"] = _("At most %(n)d characters.", n=1000)
    errors.update(text_errors({"stage": stage, "stage_note": raw_note}))
    if errors:
        raise ValidationError(errors)
    previous = card.stage
    card.stage = stage
    today = local_today()
    if stage == Stage.OWNER.value:
        card.purchased_on = today
        card.next_follow_up_due = today + timedelta(days=3)  # step ⑧: thank within 3 days
    elif stage == Stage.LOST.value:
        card.next_follow_up_due = None
    elif card.next_follow_up_due is None:
        card.next_follow_up_due = next_due(today, card.grade, grade_rules(card.store_id))
    _event(card, actor, "stage_changed", note=note, data={"from": previous, "to": stage})


def record_contact(
    actor: User,
    card_id: int,
    kind: str,
    note: str,
    grade: str | None = None,
    referral_asked: bool = False,
) -> CardEvent:
    """Log a contact on the timeline, set the last contact and the next follow-up due date
    (by the store's grade rules, after a re-grade when one is given). A referral asked is
    logged beside it (the CR plan, 附表四, counts it). The service advisor logs the contacts
    of the C cards handed to service."""
    card = _workable(actor, view_card(actor, card_id))
    raw = {"kind": kind, "note": note, "grade": grade}
    errors = {}
    if kind not in CONTACT_KINDS:
        errors["kind"] = _("Choose the kind of contact.")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("Write what was said or agreed.")
    elif len(note) > 1000:
        errors["note"] = _("At most %(n)d characters.", n=1000)
    if grade and grade not in {g.value for g in Grade}:
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    errors.update(text_errors(raw))
    if errors:
        raise ValidationError(errors)
    rules = grade_rules(card.store_id)
    if grade:
        change_grade(card, grade, actor.id, rules)
    contact_made(card, now(), rules)
    event = _event(card, actor, kind, note=note)
    if referral_asked:
        _event(card, actor, "referral_asked")
    db.session.commit()
    return event


def _event(
    card: CustomerCard, actor: User, kind: str, note: str = "", data: dict | None = None
) -> CardEvent:
    return record_event(card, actor.id, kind, note, data)


def owner_choices(actor: User) -> list[tuple[int, str]]:
    """Salespeople of the actor's store, for a manager assigning an owner."""
    if not actor.has_role(Role.SALES_MANAGER, Role.ADMIN):
        return []
    stmt = (
        sa.select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            User.store_id == actor.store_id, User.active, UserRole.role == Role.SALESPERSON.value
        )
        .order_by(User.display_name)
    )
    return [(r.id, r.display_name) for r in db.session.execute(stmt)]


def model_choices() -> list[VehicleModel]:
    return list(
        db.session.scalars(
            sa.select(VehicleModel).where(VehicleModel.active).order_by(VehicleModel.sort_order)
        )
    )
