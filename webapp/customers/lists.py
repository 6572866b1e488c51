"""The A-C card lists: search by name or phone, "my day"'s due follow-ups and the card box,
each one scoped statement per kind of list (webapp.access.scoped_statement), and who may see
cards (CARD_ROLES) or search them (SEARCH_ROLES, the greeter too)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from webapp.access import require_role, scoped_statement
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard, Stage
from webapp.customers.validators import normalise_mobile
from webapp.extensions import db
from webapp.inputs import text_problem
from webapp.sql import in_codes, literal_int
from webapp.timeutil import SHANGHAI, local_today

CARD_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
SEARCH_ROLES = (*CARD_ROLES, Role.GREETER)
SEARCH_LIMIT = 20


@dataclass(frozen=True)
class CardRow:
    """A search/list row. The greeter's rows carry only what registration needs."""

    id: int
    name: str
    title: str
    mobile: str
    owner_name: str
    grade: str | None = None
    stage: str | None = None
    model_zh: str | None = None
    model_en: str | None = None
    next_follow_up_due: date | None = None
    last_contact_on: date | None = None  # the day of the last contact, in Shanghai
    can_open: bool = False

    @property
    def overdue(self) -> bool:
        return self.next_follow_up_due is not None and self.next_follow_up_due < local_today()


# One alias for the whole process: a fresh aliased(User) per call made SQLAlchemy build new
# column proxies and a new cache key every time (~0.35 ms of each list query).
OWNER = aliased(User, name="owner")


@dataclass(frozen=True, eq=False)
class CardList:
    """One kind of card list: its filter and order over customer_card, with named
    parameters, so its statement is built once (see access.scoped_statement). A list is
    itself (equal and hashed by identity): two lists never share a statement."""

    name: str
    criteria: tuple[Any, ...]
    order: tuple[Any, ...] = (CustomerCard.name, CustomerCard.id)


# The open stages as literals, not an expanding parameter (expanded again on every run).
OPEN_STAGE = in_codes(CustomerCard.stage, (Stage.PROSPECT.value, Stage.ORDERED.value))
BY_MOBILE = CardList("by_mobile", (CustomerCard.mobile == sa.bindparam("mobile"),))
MOBILE_PREFIX = CardList(
    "mobile_prefix",
    (CustomerCard.mobile.like(sa.bindparam("prefix"), escape="\\"),),
    (CustomerCard.mobile,),
)
NAME_PREFIX = CardList(
    "name_prefix", (CustomerCard.name.like(sa.bindparam("prefix"), escape="\\"),)
)
# "My day" is personal even for a manager who also sells: their own cards only.
_DUE = (
    CustomerCard.store_id == sa.bindparam("my_store"),
    OPEN_STAGE,
    CustomerCard.owner_id == sa.bindparam("me"),
    CustomerCard.next_follow_up_due <= sa.bindparam("today"),
)
_DUE_ORDER = (CustomerCard.next_follow_up_due, CustomerCard.id)
DUE = CardList("due", _DUE, _DUE_ORDER)
DUE_AFTER = CardList(
    "due_after",
    (
        *_DUE,
        sa.or_(
            CustomerCard.next_follow_up_due > sa.bindparam("after_due"),
            sa.and_(
                CustomerCard.next_follow_up_due == sa.bindparam("after_due"),
                CustomerCard.id > sa.bindparam("after_id"),
            ),
        ),
    ),
    _DUE_ORDER,
)


def _card_list_statement(
    scope: Callable[[sa.Select], sa.Select], spec: CardList, full: bool, limit: int
) -> sa.Select:
    columns: list[Any] = [
        CustomerCard.id,
        CustomerCard.name,
        CustomerCard.title,
        CustomerCard.mobile,
        OWNER.display_name.label("owner_name"),
    ]
    if full:
        columns += [
            CustomerCard.grade,
            CustomerCard.stage,
            VehicleModel.name_zh.label("model_zh"),
            VehicleModel.name_en.label("model_en"),
            CustomerCard.next_follow_up_due,
            CustomerCard.last_contact_at,
        ]
    # The page of cards is chosen first, on the card table alone (scoped), and only its rows
    # are joined to their owner and model: joining first made PostgreSQL hash the whole user
    # table and join a month's cards (~1,000) before keeping 30.
    page = scope(sa.select(CustomerCard.id).where(*spec.criteria))
    page = page.order_by(*spec.order).limit(literal_int(limit))
    stmt = sa.select(*columns).join(OWNER, OWNER.id == CustomerCard.owner_id)
    if full:
        stmt = stmt.outerjoin(VehicleModel, VehicleModel.id == CustomerCard.model_id)
    return stmt.where(CustomerCard.id.in_(page.scalar_subquery())).order_by(*spec.order)


def card_rows(actor: User, spec: CardList, params: dict[str, Any], limit: int) -> list[CardRow]:
    """Scoped list rows of one kind of list; the greeter's rows are cut to name, 称谓, phone
    and owner. `params` fills the list's named parameters."""
    full = actor.has_role(*CARD_ROLES)
    stmt, scope_params = scoped_statement(
        CustomerCard, actor, _card_list_statement, spec, full, limit
    )
    # Plain columns, no ORM entities: the connection runs it without the session's ORM layer.
    result = db.session.connection().execute(stmt, {**params, **scope_params})
    if full:
        return [full_row(r) for r in result]
    return [
        CardRow(id=r.id, name=r.name, title=r.title, mobile=r.mobile, owner_name=r.owner_name)
        for r in result
    ]


def full_row(r: Any) -> CardRow:
    """A list row from a result row holding every column of a full list (see
    _card_list_statement), for the roles that open the card."""
    return CardRow(
        id=r.id,
        name=r.name,
        title=r.title,
        mobile=r.mobile,
        owner_name=r.owner_name,
        grade=r.grade,
        stage=r.stage,
        model_zh=r.model_zh,
        model_en=r.model_en,
        next_follow_up_due=r.next_follow_up_due,
        last_contact_on=local_day(r.last_contact_at),
        can_open=True,
    )


def local_day(moment: datetime | None) -> date | None:
    """The Shanghai date of a stored (UTC) moment."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SHANGHAI).date()


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_cards(actor: User, query: str, limit: int = SEARCH_LIMIT) -> list[CardRow]:
    """Prefix search by mobile (digits) or name, index-backed on both databases."""
    require_role(actor, *SEARCH_ROLES)
    if text_problem(query or "") is not None:
        return []  # no name or number holds a control character (and PostgreSQL refuses NUL)
    q = (query or "").strip()
    if not q:
        return []
    digits = normalise_mobile(q)
    if digits.isdigit():
        if len(digits) < 3:
            return []
        return card_rows(actor, MOBILE_PREFIX, {"prefix": _escape_like(digits) + "%"}, limit)
    return card_rows(actor, NAME_PREFIX, {"prefix": _escape_like(q[:50]) + "%"}, limit)


# Ten at a time: my day also lists the after-sale tasks, test drives and contract contacts,
# and a phone shows about ten rows; "Show more" pages on.
DUE_PAGE = 10


def due_follow_ups(
    actor: User, after: tuple[date, int] | None = None, limit: int = DUE_PAGE
) -> tuple[list[CardRow], tuple[date, int] | None]:
    """The actor's open cards whose follow-up is due today or overdue, most overdue first.

    Keyset pages on (due date, id): `after` is the last row shown; returns the rows and the
    cursor of the next page (None on the last page).
    """
    require_role(actor, *CARD_ROLES)
    params: dict[str, Any] = {"my_store": actor.store_id, "me": actor.id, "today": local_today()}
    spec = DUE
    if after is not None:
        spec = DUE_AFTER
        params["after_due"], params["after_id"] = after
    rows = card_rows(actor, spec, params, limit + 1)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    last = rows[-1]
    return rows, (last.next_follow_up_due, last.id)  # type: ignore[return-value]


def month_bounds(month: date) -> tuple[date, date]:
    start = month.replace(day=1)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


BOX_PAGE = 30
# Hottest first: H, A, B, C (the letters alone would sort H last).
GRADE_RANK = sa.case({"H": 0, "A": 1, "B": 2, "C": 3}, value=CustomerCard.grade, else_=4)
GRADE_ORDER = "HABC"
# The card box of a month: prospects by planned purchase date, owners by purchase date.
_BOX = (
    sa.or_(
        sa.and_(
            OPEN_STAGE,
            CustomerCard.planned_purchase_date >= sa.bindparam("start"),
            CustomerCard.planned_purchase_date < sa.bindparam("end"),
        ),
        sa.and_(
            CustomerCard.stage == Stage.OWNER.value,
            CustomerCard.purchased_on >= sa.bindparam("start"),
            CustomerCard.purchased_on < sa.bindparam("end"),
        ),
    ),
)
BOX = CardList("box", _BOX, (GRADE_RANK, CustomerCard.id))
BOX_AFTER = CardList(
    "box_after",
    (
        *_BOX,
        sa.or_(
            sa.bindparam("rank") < GRADE_RANK,
            sa.and_(sa.bindparam("rank") == GRADE_RANK, CustomerCard.id > sa.bindparam("last_id")),
        ),
    ),
    (GRADE_RANK, CustomerCard.id),
)


def card_box(
    actor: User, month: date, after: tuple[str, int] | None = None, limit: int = BOX_PAGE
) -> tuple[list[CardRow], tuple[str, int] | None]:
    """One page of the card box (卡片箱) of a month, hottest grade first.

    Prospects are filed by planned purchase date, owners by purchase date. Keyset pagination
    on (grade, id): `after` is the last row of the previous page; returns the rows and the
    cursor of the next page (None on the last page).
    """
    require_role(actor, *CARD_ROLES)
    start, end = month_bounds(month)
    params: dict[str, Any] = {"start": start, "end": end}
    spec = BOX
    if after is not None:
        spec = BOX_AFTER
        params["rank"], params["last_id"] = GRADE_ORDER.index(after[0]), after[1]
    rows = card_rows(actor, spec, params, limit + 1)
    if len(rows) <= limit:
        return rows, None
    rows = rows[:limit]
    return rows, (rows[-1].grade or "", rows[-1].id)
