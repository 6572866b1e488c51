"""Step ⑧'s work: the follow-up tasks of a person and of a card, and what is done with one
(completed with a result, moved with a reason, escalated to the manager), the hand-over of a
C card to service at its first maintenance, and the tasks' texts.

Every task is reached through webapp.access: a salesperson or service advisor reaches the
tasks they own, the manager and admin the store's; a task of another store is NotFound.
Each use case validates everything first and writes nothing on an error (ValidationError
with the messages by field); each commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import require_role, scoped, scoped_statement, store_clause
from webapp.auth.models import Role, User, UserRole
from webapp.auth.services import staff_ids
from webapp.catalog.models import VehicleModel
from webapp.customers.card import change_grade, contact_made, grade_rules, record_event
from webapp.customers.models import CustomerCard, Grade, Stage
from webapp.customers.services import CONTACT_KINDS
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import engine
from webapp.followup.models import FollowUpTask, Outcome
from webapp.inputs import parse_date, parse_id, text_errors
from webapp.push.services import notify
from webapp.sql import literal_int
from webapp.timeutil import local_date_of, local_day_bounds, local_today, now

TASK_ROLES = (Role.SALESPERSON, Role.SERVICE_ADVISOR, Role.SALES_MANAGER, Role.ADMIN)
MANAGERS = (Role.SALES_MANAGER, Role.ADMIN)
HANDOVER_ROLES = (Role.SERVICE_ADVISOR, Role.SALES_MANAGER, Role.ADMIN)
RESULT_LIMIT = 500
REASON_LIMIT = 200
RESCHEDULE_MAX_DAYS = 365
OUTCOMES = tuple(o.value for o in Outcome)
OVERDUE_URL = "/followup/overdue"


# --- Reading ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TaskRow:
    """A task as the lists show it, with its card's name, 称谓 and model."""

    id: int
    kind: str
    message: str
    due_at: datetime
    card_id: int
    card_name: str
    card_title: str
    mobile: str
    model_zh: str | None
    model_en: str | None
    owner_id: int
    owner_name: str
    done_at: datetime | None
    result: str
    outcome: str
    escalated_at: datetime | None
    reschedules: int

    @property
    def due_day(self) -> date:
        return local_date_of(self.due_at)

    def overdue(self, today: date) -> bool:
        return self.done_at is None and self.due_day < today


def _row_columns() -> list[Any]:
    model = (
        sa.select(VehicleModel.name_zh)
        .where(VehicleModel.id == CustomerCard.model_id)
        .scalar_subquery()
    )
    model_en = (
        sa.select(VehicleModel.name_en)
        .where(VehicleModel.id == CustomerCard.model_id)
        .scalar_subquery()
    )
    owner = sa.select(User.display_name).where(User.id == FollowUpTask.owner_id).scalar_subquery()
    return [
        FollowUpTask.id,
        FollowUpTask.kind,
        FollowUpTask.message,
        FollowUpTask.due_at,
        FollowUpTask.card_id,
        CustomerCard.name.label("card_name"),
        CustomerCard.title.label("card_title"),
        CustomerCard.mobile,
        model.label("model_zh"),
        model_en.label("model_en"),
        FollowUpTask.owner_id,
        owner.label("owner_name"),
        FollowUpTask.done_at,
        FollowUpTask.result,
        FollowUpTask.outcome,
        FollowUpTask.escalated_at,
        FollowUpTask.reschedules,
    ]


def _mine_statement(scope: Any, limit: int) -> sa.Select:
    """The actor's own open tasks due by `:until`, earliest first (my day; built once per
    page size)."""
    return scope(
        sa.select(*_row_columns())
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .where(
            FollowUpTask.owner_id == sa.bindparam("me"),
            FollowUpTask.done_at.is_(None),
            FollowUpTask.due_at < sa.bindparam("until"),
        )
        .order_by(FollowUpTask.due_at, FollowUpTask.id)
        .limit(literal_int(limit))
    )


MY_LIMIT = 50


def my_due_tasks(actor: User, day: date | None = None, limit: int = MY_LIMIT) -> list[TaskRow]:
    """The actor's own open tasks due by the end of `day` (today), overdue first."""
    require_role(actor, *TASK_ROLES)
    _start, end = local_day_bounds(day or local_today())
    stmt, params = scoped_statement(FollowUpTask, actor, _mine_statement, limit, store_only=True)
    rows = db.session.connection().execute(stmt, {**params, "me": actor.id, "until": end})
    return [TaskRow(*row) for row in rows]


def due_tasks(actor: User, until: datetime) -> list[FollowUpTask]:
    """The open tasks due by `until`, earliest first: a salesperson's own, the store's for
    the manager and the admin."""
    require_role(actor, *TASK_ROLES)
    stmt = scoped(
        sa.select(FollowUpTask).where(FollowUpTask.done_at.is_(None), FollowUpTask.due_at <= until),
        FollowUpTask,
        actor,
    ).order_by(FollowUpTask.due_at, FollowUpTask.id)
    return list(db.session.scalars(stmt.limit(200)))


def card_tasks(card: CustomerCard, limit: int = 30) -> list[TaskRow]:
    """A card's tasks, open ones first by due time, then the done ones latest first. The
    caller has checked the card is the actor's to read (its page)."""
    stmt = (
        sa.select(*_row_columns())
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .where(FollowUpTask.card_id == card.id)
        .order_by(
            FollowUpTask.done_at.is_not(None),
            sa.case((FollowUpTask.done_at.is_(None), FollowUpTask.due_at)),
            FollowUpTask.done_at.desc(),
            FollowUpTask.id,
        )
        .limit(limit)
    )
    return [TaskRow(*row) for row in db.session.execute(stmt)]


def overdue_tasks(actor: User, limit: int = 200) -> list[TaskRow]:
    """The open tasks due before today in the actor's reach (the store's for a manager),
    escalated first, then the longest overdue."""
    require_role(actor, *TASK_ROLES)
    start, _end = local_day_bounds(local_today())
    stmt = scoped(
        sa.select(*_row_columns())
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .where(FollowUpTask.done_at.is_(None), FollowUpTask.due_at < start),
        FollowUpTask,
        actor,
    ).order_by(FollowUpTask.escalated_at.is_(None), FollowUpTask.due_at, FollowUpTask.id)
    return [TaskRow(*row) for row in db.session.execute(stmt.limit(limit))]


def task_row(actor: User, task_id: int) -> TaskRow:
    """One task as the lists show it, in the actor's reach (NotFound otherwise)."""
    require_role(actor, *TASK_ROLES)
    stmt = scoped(
        sa.select(*_row_columns())
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .where(FollowUpTask.id == task_id),
        FollowUpTask,
        actor,
    )
    row = db.session.execute(stmt).first()
    if row is None:
        raise NotFound()
    return TaskRow(*row)


def get_task(actor: User, task_id: int, *, lock: bool = False) -> FollowUpTask:
    """A task the actor may work on: its owner, or a manager or admin of its store.
    NotFound outside the actor's reach."""
    require_role(actor, *TASK_ROLES)
    stmt = scoped(sa.select(FollowUpTask).where(FollowUpTask.id == task_id), FollowUpTask, actor)
    if lock:
        stmt = stmt.with_for_update()
    task = db.session.scalar(stmt)
    if task is None:
        raise NotFound()
    if task.owner_id != actor.id and not actor.has_role(*MANAGERS):
        raise PermissionDenied()
    return task


# --- Working a task ----------------------------------------------------------------------------


def _text(raw: Any, limit: int, name: str, missing: str, errors: dict[str, str]) -> str:
    errors.update(text_errors({name: raw}))
    text = raw.strip() if isinstance(raw, str) else ""
    if name in errors:
        return ""
    if not text:
        errors[name] = missing
    elif len(text) > limit:
        errors[name] = _("At most %(n)d characters.", n=limit)
    return text


def _open(task: FollowUpTask, errors: dict[str, str], field: str) -> None:
    if task.done_at is not None:
        errors[field] = _("This task is already done.")


def complete_task(
    actor: User,
    task_id: int,
    result: Any,
    outcome: Any = Outcome.REACHED.value,
    *,
    contact_kind: Any = "phone_out",
    grade: Any = None,
    referral_asked: bool = False,
) -> FollowUpTask:
    """Close a task with what came of it (required) and how the contact went. The contact is
    logged on the card's timeline (with the task); a reached customer counts as the card's
    last contact; a grade re-grades the card; a referral asked is logged for the CR plan
    (附表四). The owner or the manager. Commits."""
    task = get_task(actor, task_id, lock=True)
    errors: dict[str, str] = {}
    text = _text(result, RESULT_LIMIT, "result", _("Write what came of it."), errors)
    if outcome not in OUTCOMES:
        errors["outcome"] = _("Choose how the contact went.")
    if contact_kind not in CONTACT_KINDS:
        errors["contact_kind"] = _("Choose the kind of contact.")
    if grade and grade not in {g.value for g in Grade}:
        errors["grade"] = _("Choose a grade: H, A, B or C.")
    _open(task, errors, "result")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    moment = now()
    task.result = text
    task.outcome = str(outcome)
    task.done_at = moment
    task.done_by_id = actor.id
    card = db.session.get(CustomerCard, task.card_id)
    assert card is not None
    rules = grade_rules(card.store_id)
    if grade:
        change_grade(card, str(grade), actor.id, rules)
    if outcome == Outcome.REACHED.value:
        contact_made(card, moment, rules)
    data = {"task": task.id, "task_kind": task.kind, "outcome": task.outcome}
    record_event(card, actor.id, str(contact_kind), note=text, data=data)
    if referral_asked:
        record_event(card, actor.id, "referral_asked", data={"task": task.id})
    db.session.commit()
    return task


def reschedule_task(actor: User, task_id: int, day: Any, reason: Any) -> FollowUpTask:
    """Move an open task to another day (today or later, within a year) with the reason
    (required); the timeline notes it. The owner or the manager. Commits."""
    task = get_task(actor, task_id, lock=True)
    errors: dict[str, str] = {}
    why = _text(reason, REASON_LIMIT, "reason", _("Say why it moves."), errors)
    new_day = day if isinstance(day, date) else parse_date(day)
    today = local_today()
    if new_day is None:
        errors["due_on"] = _("Enter a date such as 2026-12-31.")
    elif new_day < today:
        errors["due_on"] = _("The new date cannot be in the past.")
    elif new_day > today + timedelta(days=RESCHEDULE_MAX_DAYS):
        errors["due_on"] = _("At most %(n)d days ahead.", n=RESCHEDULE_MAX_DAYS)
    _open(task, errors, "due_on")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    assert new_day is not None
    before = local_date_of(task.due_at)
    task.due_at = engine.due_moment(new_day)
    task.reschedules += 1
    task.escalated_at = None  # a new day: the escalation clock starts again
    card = db.session.get(CustomerCard, task.card_id)
    assert card is not None
    data = {
        "task": task.id,
        "task_kind": task.kind,
        "from": before.isoformat(),
        "to": new_day.isoformat(),
    }
    record_event(card, actor.id, "task_rescheduled", note=why, data=data)
    db.session.commit()
    return task


def escalate_task(actor: User, task_id: int, note: Any) -> FollowUpTask:
    """Hand an open task to the managers with what they should know (required): they are
    notified and it heads their overdue list. The owner. Commits."""
    task = get_task(actor, task_id, lock=True)
    errors: dict[str, str] = {}
    text = _text(
        note, RESULT_LIMIT, "escalation_note", _("Say what the manager should know."), errors
    )
    _open(task, errors, "escalation_note")
    if task.escalated_at is not None and "escalation_note" not in errors:
        errors["escalation_note"] = _("This task is already with the manager.")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    task.escalated_at = now()
    task.escalation_note = text
    card = db.session.get(CustomerCard, task.card_id)
    assert card is not None
    record_event(
        card, actor.id, "task_escalated", note=text, data={"task": task.id, "task_kind": task.kind}
    )
    managers = staff_ids(task.store_id, [Role.SALES_MANAGER.value]) - {actor.id}
    notify(
        sorted(managers),
        store_id=task.store_id,
        kind="task_escalated",
        ref_id=task.id,
        url=OVERDUE_URL,
    )
    db.session.commit()
    return task


# --- The hand-over to service --------------------------------------------------------------


def service_advisors(store_id: int) -> list[tuple[int, str]]:
    """The store's active service advisors, by name: (id, name). (Not delivery's
    store_advisors: that module imports this area's engine.)"""
    stmt = (
        sa.select(User.id, User.display_name)
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.store_id == store_id, User.active, UserRole.role == Role.SERVICE_ADVISOR.value)
        .order_by(User.display_name, User.id)
    )
    return [(row.id, row.display_name) for row in db.session.execute(stmt)]


def owner_card_for_service(actor: User, card_id: int, *, lock: bool = False) -> CustomerCard:
    """A C card (an owner's) of the actor's store, for the service department to record its
    first maintenance. NotFound otherwise."""
    require_role(actor, *HANDOVER_ROLES)
    stmt = sa.select(CustomerCard).where(
        CustomerCard.id == card_id,
        store_clause(CustomerCard, actor),
        CustomerCard.stage == Stage.OWNER.value,
    )
    if lock:  # the card alone: its owner and model are joined by default, and not lockable
        stmt = stmt.options(sa.orm.lazyload("*")).with_for_update()
    card = db.session.scalar(stmt)
    if card is None:
        raise NotFound()
    return card


def record_first_maintenance(
    actor: User, card_id: int, day: Any, advisor_id: Any = None
) -> CustomerCard:
    """The first maintenance of an owner's car: the C card goes to the service department.
    Its advisor (the acting service advisor, or the one a manager names) owns the 3-monthly
    contact from now on, the card's open tasks move to them, and the salesperson keeps read
    access. The day is not in the future nor before the purchase. Commits."""
    card = owner_card_for_service(actor, card_id, lock=True)
    errors: dict[str, str] = {}
    when = day if isinstance(day, date) else parse_date(day)
    today = local_today()
    if when is None:
        errors["maintained_on"] = _("Enter a date such as 2026-12-31.")
    elif when > today:
        errors["maintained_on"] = _("The first maintenance cannot be in the future.")
    elif card.purchased_on and when < card.purchased_on:
        errors["maintained_on"] = _("The first maintenance cannot be before the purchase.")
    advisors = dict(service_advisors(card.store_id))
    if actor.has_role(Role.SERVICE_ADVISOR) and not advisor_id:
        chosen: int | None = actor.id
    else:
        chosen = parse_id(advisor_id)
    if chosen not in advisors:
        errors["advisor_id"] = _("Choose the service advisor.")
    if card.handed_to_service_at is not None:
        errors["maintained_on"] = _("This card is already with the service department.")
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    assert when is not None and chosen is not None
    card.first_maintenance_on = when
    card.service_advisor_id = chosen
    card.handed_to_service_at = now()
    db.session.execute(
        sa.update(FollowUpTask)
        .where(
            FollowUpTask.card_id == card.id,
            FollowUpTask.done_at.is_(None),
            FollowUpTask.owner_id == card.owner_id,
        )
        .values(owner_id=chosen)
        .execution_options(synchronize_session=False)
    )
    record_event(
        card,
        actor.id,
        "handed_to_service",
        data={"advisor": advisors[chosen], "day": when.isoformat()},
    )
    db.session.flush()
    engine.plan_for(card.store_id, card_ids=[card.id])
    db.session.commit()
    return card


def awaiting_service(actor: User, limit: int = 100) -> list[tuple[int, str, str, date | None]]:
    """The store's owners not yet handed to service (the service department records their
    first maintenance): (card id, name, 称谓, purchase date), latest purchase first."""
    require_role(actor, *HANDOVER_ROLES)
    stmt = (
        sa.select(CustomerCard.id, CustomerCard.name, CustomerCard.title, CustomerCard.purchased_on)
        .where(
            store_clause(CustomerCard, actor),
            CustomerCard.stage == Stage.OWNER.value,
            CustomerCard.handed_to_service_at.is_(None),
        )
        .order_by(CustomerCard.purchased_on.desc(), CustomerCard.id.desc())
        .limit(limit)
    )
    return [tuple(row) for row in db.session.execute(stmt)]  # type: ignore[misc]


def handed_cards(actor: User, limit: int = 200) -> list[tuple[int, str, str, str, date | None]]:
    """The C cards handed to service in the actor's reach: (card id, name, 称谓, mobile,
    first maintenance), latest first."""
    require_role(actor, *HANDOVER_ROLES)
    stmt = scoped(
        sa.select(
            CustomerCard.id,
            CustomerCard.name,
            CustomerCard.title,
            CustomerCard.mobile,
            CustomerCard.first_maintenance_on,
        ).where(CustomerCard.handed_to_service_at.is_not(None)),
        CustomerCard,
        actor,
    ).order_by(CustomerCard.handed_to_service_at.desc(), CustomerCard.id.desc())
    return [tuple(row) for row in db.session.execute(stmt.limit(limit))]  # type: ignore[misc]
