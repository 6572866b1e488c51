"""What is overdue in a store, for the daily notices (webapp.jobs.runner) and the manager's
overdue page: the open follow-up tasks past their day, and the open A cards whose follow-up
date has passed (the H-grade ones go to their salesperson)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.customers.models import CustomerCard, Grade, Stage
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.timeutil import local_day_bounds, local_today

OPEN_STAGES = (Stage.PROSPECT.value, Stage.ORDERED.value)
OVERDUE_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)


def hot_overdue_owners(store_id: int, day: date) -> set[int]:
    """The salespeople with an H-grade open card whose follow-up was due before `day`."""
    stmt = (
        sa.select(CustomerCard.owner_id)
        .where(
            CustomerCard.store_id == store_id,
            CustomerCard.stage.in_(OPEN_STAGES),
            CustomerCard.grade == Grade.H.value,
            CustomerCard.next_follow_up_due < day,
        )
        .distinct()
    )
    return set(db.session.scalars(stmt))


def store_has_overdue(store_id: int, day: date) -> bool:
    """Whether anything of the store's follow-up is overdue on `day` (the manager's digest)."""
    start, _end = local_day_bounds(day)
    task = sa.select(FollowUpTask.id).where(
        FollowUpTask.store_id == store_id,
        FollowUpTask.done_at.is_(None),
        FollowUpTask.due_at < start,
    )
    card = sa.select(CustomerCard.id).where(
        CustomerCard.store_id == store_id,
        CustomerCard.stage.in_(OPEN_STAGES),
        CustomerCard.next_follow_up_due < day,
    )
    return bool(db.session.scalar(sa.select(sa.or_(task.exists(), card.exists()))))


@dataclass(frozen=True, slots=True)
class OwnerCount:
    """One salesperson's overdue A cards (all grades, and the H-grade ones)."""

    owner_id: int
    name: str
    cards: int
    hot: int


def overdue_cards_by_owner(actor: User) -> list[OwnerCount]:
    """Per salesperson in the actor's reach, their open cards whose follow-up is overdue."""
    require_role(actor, *OVERDUE_ROLES)
    today = local_today()
    stmt = scoped(
        sa.select(
            CustomerCard.owner_id,
            sa.func.count().label("cards"),
            sa.func.count().filter(CustomerCard.grade == Grade.H.value).label("hot"),
        )
        .where(CustomerCard.stage.in_(OPEN_STAGES), CustomerCard.next_follow_up_due < today)
        .group_by(CustomerCard.owner_id),
        CustomerCard,
        actor,
    )
    counts = {row.owner_id: (row.cards, row.hot) for row in db.session.execute(stmt)}
    if not counts:
        return []
    stmt_names = sa.select(User.id, User.display_name).where(User.id.in_(counts))
    names = {row.id: row.display_name for row in db.session.execute(stmt_names)}
    lines = [OwnerCount(o, names.get(o, ""), c, h) for o, (c, h) in counts.items()]
    return sorted(lines, key=lambda line: (-line.hot, -line.cards, line.name))
