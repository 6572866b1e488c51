"""What each role sees first: the salesperson's day, the store's day, today's arrivals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa

from webapp.access import require_role, scoped_statement
from webapp.auth.models import Role, User, UserRole
from webapp.catalog.models import VehicleModel
from webapp.consult.services.display_cars import display_cars_today
from webapp.customers import lists as cards
from webapp.customers import services as card_services
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db
from webapp.followup.services import TaskRow, my_due_tasks
from webapp.reception.models import Visit, VisitKind
from webapp.reception.services import arrivals, register
from webapp.sql import in_codes, literal_int, rows_as
from webapp.testdrive.services.bookings import BookingRow, todays_bookings
from webapp.timeutil import UTCDateTime, local_day_bounds, local_today, now


def home_endpoint(actor: User) -> str:
    """The landing page for the actor's main role."""
    if actor.has_role(Role.SALES_MANAGER):
        return "home.store_today"
    if actor.has_role(Role.SALESPERSON):
        return "home.my_day"
    if actor.has_role(Role.GREETER):
        return "home.arrivals"
    if actor.has_role(Role.ADMIN):
        return "admin.users"
    if actor.has_role(Role.CAR_KEEPER):
        return "testdrive.schedule"  # the keeper's day: which car goes out when
    if actor.has_role(Role.SERVICE_ADVISOR):
        return "followup.mine"  # the C cards' contacts, and the cards to take over
    if actor.has_role(Role.FINANCE):
        return "negotiation.payments"  # deposits and balances to record
    return "home.welcome"


TOUCHED_LIMIT = 30
MY_DAY_TASKS = 15  # the follow-up tasks "my day" shows, overdue first; the rest on /followup/


def _touched_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The salesperson's own cards touched today (an event of theirs), by name, with their
    customer's first walk-in of the day: one statement, built once per process. The owner's
    and the model's names and the walk-in come from scalar subqueries: as joins PostgreSQL
    planned the statement again on every run (its custom plan always looked cheaper), and
    planning cost more than running it."""
    owner = sa.select(User.display_name).where(User.id == CustomerCard.owner_id)
    model_zh = sa.select(VehicleModel.name_zh).where(VehicleModel.id == CustomerCard.model_id)
    model_en = sa.select(VehicleModel.name_en).where(VehicleModel.id == CustomerCard.model_id)
    walk_in = sa.select(sa.func.min(Visit.time_in)).where(
        Visit.card_id == CustomerCard.id,
        Visit.day == sa.bindparam("today"),
        Visit.kind == VisitKind.WALK_IN.value,
    )
    touched = (
        sa.select(CardEvent.card_id)
        .where(
            CardEvent.actor_id == sa.bindparam("me"),
            CardEvent.store_id == sa.bindparam("my_store"),
            # The day's bounds as literals, not parameters: PostgreSQL then keeps one plan for
            # the day (a new text each day) instead of planning the range on every run.
            CardEvent.occurred_at >= sa.bindparam("start", type_=UTCDateTime, literal_execute=True),
            CardEvent.occurred_at < sa.bindparam("end", type_=UTCDateTime, literal_execute=True),
        )
        .distinct()
    )
    return (
        scope(
            sa.select(
                CustomerCard.id,
                CustomerCard.name,
                CustomerCard.title,
                CustomerCard.mobile,
                owner.scalar_subquery().label("owner_name"),
                CustomerCard.grade,
                CustomerCard.stage,
                model_zh.scalar_subquery().label("model_zh"),
                model_en.scalar_subquery().label("model_en"),
                CustomerCard.next_follow_up_due,
                CustomerCard.last_contact_at,
                walk_in.scalar_subquery().label("time_in"),
            ).where(
                CustomerCard.owner_id == sa.bindparam("me"),
                CustomerCard.store_id == sa.bindparam("my_store"),
                CustomerCard.id.in_(touched),
            )
        )
        .order_by(CustomerCard.name, CustomerCard.id)
        .limit(literal_int(TOUCHED_LIMIT))
    )


def _my_day_counts(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """Open, hot and due cards of the salesperson (my day's figures)."""
    return scope(
        sa.select(
            sa.func.count().label("open_cards"),
            sa.func.count().filter(CustomerCard.grade == "H").label("hot_cards"),
            sa.func.count()
            .filter(CustomerCard.next_follow_up_due <= sa.bindparam("today"))
            .label("due_count"),
        ).where(
            CustomerCard.store_id == sa.bindparam("my_store"),
            cards.OPEN_STAGE,
            CustomerCard.owner_id == sa.bindparam("me"),
        )
    )


def _counts_and_touched(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """My day's figures (one row) joined to the cards touched today (none or more): one
    statement instead of two. Each row repeats the figures; with no card touched yet, the one
    row holds the figures and NULL card columns."""
    counts = _my_day_counts(scope).subquery("counts")
    touched = _touched_statement(scope).subquery("touched")
    return (
        sa.select(counts, touched)
        .select_from(counts)
        .outerjoin(touched, sa.true())
        .order_by(touched.c.name, touched.c.id)
    )


@dataclass(frozen=True)
class _Counts:
    open_cards: int
    hot_cards: int
    due_count: int


def _touched_today(
    actor: User, params: dict[str, Any]
) -> tuple[_Counts, list[cards.CardRow], dict[int, str]]:
    """My day's figures, the cards touched today (see _touched_statement) and, for those
    whose customer came in today, the time of the first walk-in (HH:MM)."""
    stmt, scope = scoped_statement(CustomerCard, actor, _counts_and_touched)
    result = db.session.connection().execute(stmt, {**scope, **params})
    rows: list[cards.CardRow] = []
    arrived: dict[int, str] = {}
    counts = _Counts(0, 0, 0)
    for r in result:
        counts = _Counts(r.open_cards, r.hot_cards, r.due_count)
        if r.id is None:
            continue
        rows.append(cards.full_row(r))
        if r.time_in is not None:
            moment = r.time_in if r.time_in.tzinfo else r.time_in.replace(tzinfo=UTC)
            arrived[r.id] = register.store_clock(moment)
    return counts, rows, arrived


@dataclass(frozen=True)
class MyDay:
    due: list[cards.CardRow]
    next_due_page: tuple[date, int] | None
    touched_today: list[cards.CardRow]
    open_cards: int
    hot_cards: int
    due_count: int  # may exceed len(due): the list pages 20 at a time
    test_drives: list[BookingRow] = field(default_factory=list)  # today's, by time
    arrived_today: dict[int, str] = field(default_factory=dict)  # card id → time in, HH:MM
    tasks: list[TaskRow] = field(default_factory=list)  # step ⑧'s, due by tonight
    more_tasks: bool = False  # more than MY_DAY_TASKS: the rest on /followup/


def my_day(actor: User) -> MyDay:
    """The salesperson's day: follow-ups due (the A cards' by grade, and step ⑧'s tasks),
    customers contacted or created today, counts, and today's test drives they sell or
    drive."""
    require_role(actor, Role.SALESPERSON, Role.SALES_MANAGER)
    today = local_today()
    start, end = local_day_bounds(today)
    tasks = my_due_tasks(actor, today, limit=MY_DAY_TASKS + 1)
    params = {"me": actor.id, "my_store": actor.store_id, "start": start, "end": end}
    counts, touched, arrived = _touched_today(actor, {**params, "today": today})
    due, next_due_page = cards.due_follow_ups(actor)
    return MyDay(
        due=due,
        next_due_page=next_due_page,
        touched_today=touched,
        open_cards=counts.open_cards,
        hot_cards=counts.hot_cards,
        due_count=counts.due_count,
        test_drives=todays_bookings(actor),
        arrived_today=arrived,
        tasks=tasks[:MY_DAY_TASKS],
        more_tasks=len(tasks) > MY_DAY_TASKS,
    )


@dataclass(frozen=True)
class SalespersonLine:
    user_id: int
    name: str
    open_cards: int
    hot_cards: int
    overdue: int
    contacts_today: int
    new_today: int


def _total(column: Any) -> Any:
    """SUM of counts as an integer (PostgreSQL's SUM of bigint is numeric)."""
    return sa.cast(sa.func.sum(column), sa.Integer)


def _store_lines(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """Per salesperson of the store: open, hot and overdue cards, contacts and new cards of
    the day. Three narrow, index-backed aggregates rather than one pass over every card of the
    store: open cards by (store, stage, owner) are an index-only scan; new cards by creation
    time; contacts by the day's events."""
    in_store = CustomerCard.store_id == sa.bindparam("my_store")
    # Grouped by (stage, owner) first, the order of the (store, stage, owner, …) index, so
    # neither database sorts or hashes the store's open cards; then summed per owner. Grouped
    # by owner alone, SQLite built a temporary B-tree of every open card (3.3 → 2.1 ms).
    by_stage = (
        scope(
            sa.select(
                CustomerCard.owner_id.label("owner_id"),
                sa.func.count().label("open_cards"),
                sa.func.count().filter(CustomerCard.grade == "H").label("hot_cards"),
                sa.func.count()
                .filter(CustomerCard.next_follow_up_due < sa.bindparam("today"))
                .label("overdue"),
            ).where(in_store, cards.OPEN_STAGE)
        )
        .group_by(CustomerCard.stage, CustomerCard.owner_id)
        .subquery()
    )
    open_counts = (
        sa.select(
            by_stage.c.owner_id,
            _total(by_stage.c.open_cards).label("open_cards"),
            _total(by_stage.c.hot_cards).label("hot_cards"),
            _total(by_stage.c.overdue).label("overdue"),
        )
        .group_by(by_stage.c.owner_id)
        .subquery()
    )
    new_counts = (
        scope(
            sa.select(
                CustomerCard.owner_id.label("owner_id"), sa.func.count().label("new_today")
            ).where(
                in_store,
                CustomerCard.created_at >= sa.bindparam("start"),
                CustomerCard.created_at < sa.bindparam("end"),
            )
        )
        .group_by(CustomerCard.owner_id)
        .subquery()
    )
    contact_counts = (
        sa.select(CardEvent.actor_id.label("actor_id"), sa.func.count().label("contacts"))
        .where(
            CardEvent.store_id == sa.bindparam("my_store"),
            CardEvent.occurred_at >= sa.bindparam("start"),
            CardEvent.occurred_at < sa.bindparam("end"),
            in_codes(CardEvent.kind, card_services.CONTACT_KINDS),
        )
        .group_by(CardEvent.actor_id)
    ).subquery()
    return (
        sa.select(
            User.id.label("user_id"),
            User.display_name.label("name"),
            sa.func.coalesce(open_counts.c.open_cards, 0).label("open_cards"),
            sa.func.coalesce(open_counts.c.hot_cards, 0).label("hot_cards"),
            sa.func.coalesce(open_counts.c.overdue, 0).label("overdue"),
            sa.func.coalesce(contact_counts.c.contacts, 0).label("contacts_today"),
            sa.func.coalesce(new_counts.c.new_today, 0).label("new_today"),
        )
        .join(UserRole, UserRole.user_id == User.id)
        .outerjoin(open_counts, open_counts.c.owner_id == User.id)
        .outerjoin(new_counts, new_counts.c.owner_id == User.id)
        .outerjoin(contact_counts, contact_counts.c.actor_id == User.id)
        .where(
            User.store_id == sa.bindparam("my_store"),
            User.active,
            UserRole.role == Role.SALESPERSON.value,
        )
        .order_by(User.display_name)
    )


def store_today(actor: User) -> list[SalespersonLine]:
    """The manager's view: per salesperson, open and hot cards, overdue follow-ups, today's work."""
    require_role(actor, Role.SALES_MANAGER, Role.ADMIN)
    today = local_today()
    start, end = local_day_bounds(today)
    stmt, scope = scoped_statement(CustomerCard, actor, _store_lines)
    params = {**scope, "my_store": actor.store_id, "today": today, "start": start, "end": end}
    return rows_as(SalespersonLine, db.session.connection().execute(stmt, params))


# The board shows the day's latest lines; the register page (附表五) has them all.
REGISTER_SHOWN = 10


@dataclass(frozen=True)
class WithCustomer:
    """A salesperson with a customer now: since when and for how long."""

    visit_id: int
    salesperson: str
    customer: str
    title: str
    model_zh: str | None
    model_en: str | None
    people: int
    minutes: int
    has_card: bool


@dataclass(frozen=True)
class StoreBoard:
    """ "Store today" for the manager: who is with whom, the register so far, visits with no
    A card, the rotation, the display cars not ready by opening time, and the visits still
    open at closing time (someone must record that the customer left)."""

    with_customer: list[WithCustomer]
    register: list  # the latest REGISTER_SHOWN register lines of today, newest first
    register_count: int  # all of today's lines (the register page has them all)
    no_card: list
    proposal: object
    display_cars: list | None  # None while the display-car checklist is not available
    open_at_closing: list = field(default_factory=list)  # RegisterLine, oldest first
    closing_cutoff: datetime | None = None  # the closing moment they were open at
    clock: str = ""  # the showroom's clock, HH:MM


def store_board(actor: User) -> StoreBoard:
    """The live part of "store today". Raises PermissionDenied for other roles."""
    require_role(actor, Role.SALES_MANAGER, Role.ADMIN)
    moment = now()
    day = register.board_register(actor, local_today(), REGISTER_SHOWN)
    with_customer = [
        WithCustomer(
            visit_id=v.id,
            salesperson=v.owner_name,
            customer=v.name,
            title=v.title,
            model_zh=v.model_zh,
            model_en=v.model_en,
            people=v.people,
            minutes=v.stay_minutes(moment),
            has_card=v.card_id is not None,
        )
        for v in day.open_walk_ins
    ]
    with_customer.sort(key=lambda w: -w.minutes)
    return StoreBoard(
        with_customer=with_customer,
        register=day.latest,
        register_count=day.total,
        no_card=day.no_card,
        proposal=arrivals.proposal(actor),
        display_cars=_display_cars(actor),
        open_at_closing=register.open_at_closing(actor, moment),
        closing_cutoff=register.last_closing(moment),
        clock=register.store_clock(moment),
    )


def _display_cars(actor: User) -> list:
    """Today's display cars and their setup checklist (from the consultation area)."""
    return display_cars_today(actor)
