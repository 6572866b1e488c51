"""Step ⑧'s work list, the minimum the delivery needs: make a follow-up task once
(`create_task`, idempotent on its source and kind), list the tasks falling due (`due_tasks`,
scoped: the owner sees their own, the manager the store's) and close one with its result
(`complete_task`). The next area builds the pages on these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup.models import FollowUpTask, TaskKind
from webapp.inputs import text_errors
from webapp.timeutil import now

TASK_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
RESULT_LIMIT = 500


def _existing(source: str, kind: str) -> FollowUpTask | None:
    return db.session.scalar(
        sa.select(FollowUpTask).where(FollowUpTask.source == source, FollowUpTask.kind == kind)
    )


def create_task(
    *,
    store_id: int,
    card_id: int,
    owner_id: int,
    kind: TaskKind | str,
    due_at: datetime,
    source: str,
) -> FollowUpTask:
    """The task of this source and kind: the existing one, or a new one added in the caller's
    transaction (flushed, not committed). A concurrent insert of the same task loses on the
    unique key inside a savepoint and reads the winner back."""
    code = TaskKind(kind).value
    found = _existing(source, code)
    if found is not None:
        return found
    task = FollowUpTask(
        store_id=store_id,
        card_id=card_id,
        owner_id=owner_id,
        kind=code,
        due_at=due_at,
        source=source[:40],
    )
    savepoint = db.session.begin_nested()
    try:
        db.session.add(task)
        db.session.flush()
        savepoint.commit()
    except IntegrityError:
        savepoint.rollback()
        found = _existing(source, code)
        if found is None:
            raise
        return found
    return task


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


def complete_task(actor: User, task_id: int, result: Any) -> FollowUpTask:
    """Close a task with what came of it (required). The owner or the manager. Commits."""
    require_role(actor, *TASK_ROLES)
    task = get_scoped(FollowUpTask, task_id, actor)
    if task.owner_id != actor.id and not actor.has_role(Role.SALES_MANAGER, Role.ADMIN):
        raise PermissionDenied()
    errors = text_errors({"result": result})
    text = result.strip() if isinstance(result, str) else ""
    if not errors and not text:
        errors["result"] = _("Write what came of it.")
    elif not errors and len(text) > RESULT_LIMIT:
        errors["result"] = _("At most %(n)d characters.", n=RESULT_LIMIT)
    if task.done_at is not None:
        errors["result"] = _("This task is already done.")
    if errors:
        raise ValidationError(errors)
    task.result = text
    task.done_at = now()
    task.done_by_id = actor.id
    db.session.commit()
    return task
