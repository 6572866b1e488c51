"""The visitor and caller register (来店(电)顾客登记表, 附表五) of step ②: a day's lines in
the actor's scope with their filters, the rows the exports write, the part of the day
"store today" shows, and the visits still open at the store's closing time.

Every use case takes the acting user and checks role and scope through webapp.access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app

from webapp.access import require_role, scoped, scoped_statement
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers import services as cards
from webapp.extensions import db
from webapp.inputs import parse_date
from webapp.reception.models import Visit, VisitKind, VisitResult
from webapp.reception.services.customer import int_field
from webapp.sql import inline_int, row_maker, rows_as
from webapp.timeutil import SHANGHAI, local_today, now

REGISTER_ROLES = (Role.GREETER, Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
EXPORT_ROLES = (Role.SALES_MANAGER, Role.ADMIN)
REGISTER_LIMIT = 500
OPEN_AT_CLOSING_LIMIT = 50
DEFAULT_CLOSES_AT = time(18, 0)


def closing_time() -> time:
    """The store's closing time (STORE_CLOSES_AT, "HH:MM" local; 18:00 by default), the
    counterpart of the opening time (STORE_OPENS_AT)."""
    raw = str(current_app.config.get("STORE_CLOSES_AT", "18:00"))
    try:
        hour, minute = (int(p) for p in raw.split(":"))
        return time(hour, minute)
    except ValueError:
        return DEFAULT_CLOSES_AT


def store_clock(at: datetime | None = None) -> str:
    """The showroom's clock, HH:MM."""
    return (at or now()).astimezone(SHANGHAI).strftime("%H:%M")


def last_closing(at: datetime | None = None) -> datetime:
    """The latest closing moment at or before `at`: today's closing once it has passed,
    else yesterday's. A visit that came in before it and is still open was left open at
    closing time."""
    moment = (at or now()).astimezone(SHANGHAI)
    closing = datetime.combine(moment.date(), closing_time(), tzinfo=SHANGHAI)
    if closing > moment:
        closing -= timedelta(days=1)
    return closing


@dataclass(frozen=True)
class RegisterFilter:
    """The register's filters: day, salesperson, source, result (blank = any)."""

    day: date
    owner_id: int | None = None
    source: str = ""
    result: str = ""


def parse_filter(args: dict[str, Any]) -> RegisterFilter:
    """Filters from a query string; anything unreadable is ignored (today, any)."""
    day = parse_date(args.get("day")) or local_today()
    owner = int_field(args, "owner_id")
    source = args.get("source") or ""
    result = args.get("result") or ""
    return RegisterFilter(
        day=day,
        owner_id=owner if owner and owner > 0 else None,
        source=source if source in cards.SOURCES else "",
        result=result if result in {r.value for r in VisitResult} or result == "open" else "",
    )


def register_rows(actor: User, flt: RegisterFilter, limit: int = REGISTER_LIMIT) -> list[Visit]:
    """附表五 rows of a day in the actor's scope, by time in.

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    stmt = sa.select(Visit).where(Visit.day == flt.day)
    if flt.owner_id:
        stmt = stmt.where(Visit.owner_id == flt.owner_id)
    if flt.source:
        stmt = stmt.where(Visit.source == flt.source)
    if flt.result == "open":
        stmt = stmt.where(Visit.time_out.is_(None))
    elif flt.result:
        stmt = stmt.where(Visit.result == flt.result)
    stmt = scoped(stmt, Visit, actor).order_by(Visit.time_in, Visit.id).limit(limit)
    return list(db.session.scalars(stmt))


@dataclass(frozen=True, slots=True)
class RegisterLine:
    """One row of 附表五 as plain values, for lists of a few hundred rows."""

    id: int
    kind: str
    time_in: datetime
    time_out: datetime | None
    people: int
    repeat: bool
    card_id: int | None
    owner_id: int
    owner_name: str
    name: str
    title: str
    model_zh: str | None
    model_en: str | None
    source: str
    test_drive: bool
    grade: str | None
    result: str | None
    purpose: str
    companions: str
    influencer: str
    drinks_offered: bool
    greeted_at: datetime | None

    @property
    def is_open(self) -> bool:
        return self.time_out is None

    @property
    def greeted_hm(self) -> str:
        return self.greeted_at.astimezone(SHANGHAI).strftime("%H:%M") if self.greeted_at else ""

    @property
    def wait_minutes(self) -> int | None:
        """Minutes from time in to the greeting at the door (None until greeted)."""
        return wait_minutes(self.time_in, self.greeted_at)

    def open_at_closing(self, cutoff: datetime) -> bool:
        """Still open though it came in before the closing moment `cutoff`."""
        return self.time_out is None and self.time_in < cutoff

    @property
    def in_hm(self) -> str:
        return self.time_in.astimezone(SHANGHAI).strftime("%H:%M")

    @property
    def out_hm(self) -> str:
        return self.time_out.astimezone(SHANGHAI).strftime("%H:%M") if self.time_out else ""

    def stay_minutes(self, at: datetime | None = None) -> int:
        end = self.time_out or at or now()
        return max(0, int((end - self.time_in).total_seconds() // 60))


def wait_minutes(time_in: datetime, greeted_at: datetime | None) -> int | None:
    """Waiting time of a customer: greeted_at − time_in in whole minutes (None until greeted)."""
    if greeted_at is None:
        return None
    return max(0, int((greeted_at - time_in).total_seconds() // 60))


def _register_select(*extra: Any) -> sa.Select:
    """The columns of a RegisterLine (then `extra`), visits joined to owner and model."""
    return (
        sa.select(
            Visit.id,
            Visit.kind,
            Visit.time_in,
            Visit.time_out,
            Visit.people,
            Visit.repeat,
            Visit.card_id,
            Visit.owner_id,
            User.display_name.label("owner_name"),
            Visit.name,
            Visit.title,
            VehicleModel.name_zh.label("model_zh"),
            VehicleModel.name_en.label("model_en"),
            Visit.source,
            Visit.test_drive,
            Visit.grade,
            Visit.result,
            Visit.purpose,
            Visit.companions,
            Visit.influencer,
            Visit.drinks_offered,
            Visit.greeted_at,
            *extra,
        )
        .join(User, User.id == Visit.owner_id)
        .outerjoin(VehicleModel, VehicleModel.id == Visit.model_id)
    )


@dataclass(frozen=True, slots=True)
class BoardRegister:
    """Today's register as "store today" shows it: the latest lines, the walk-ins still in
    the showroom, the visits with no A card, and how many lines the day holds."""

    latest: list[RegisterLine]  # newest first
    open_walk_ins: list[RegisterLine]  # oldest first
    no_card: list[RegisterLine]  # oldest first
    total: int


def _board_register_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The day's register lines the board shows, with their rank (newest first) and the
    day's count: the latest `:latest`, the open walk-ins and the visits with no card."""
    newest = sa.func.row_number().over(order_by=(Visit.time_in.desc(), Visit.id.desc()))
    day = scope(
        sa.select(
            Visit.id,
            Visit.time_out,
            Visit.kind,
            Visit.card_id,
            newest.label("rank"),
            sa.func.count().over().label("total"),
        ).where(Visit.day == sa.bindparam("day"))
    ).subquery()
    shown = (
        sa.select(day.c.id, day.c.rank, day.c.total)
        .where(
            sa.or_(
                day.c.rank <= sa.bindparam("latest"),
                sa.and_(day.c.time_out.is_(None), day.c.kind == VisitKind.WALK_IN.value),
                day.c.card_id.is_(None),
            )
        )
        .subquery()
    )
    # Only the lines shown are joined to their owner and model: joined first, PostgreSQL
    # hashed the whole user table for a day's hundred lines.
    return (
        _register_select(shown.c.rank.label("rank"), shown.c.total.label("day_total"))
        .join(shown, shown.c.id == Visit.id)
        .order_by(shown.c.rank.desc())
    )


def board_register(actor: User, day: date, latest: int) -> BoardRegister:
    """The parts of a day's register the manager's board shows, in one query.

    The database numbers the day's lines (newest first) and counts them, and returns only
    the lines shown: the latest `latest`, the open walk-ins and the visits with no card. A
    busy store's day holds a hundred lines or more; reading them all to keep a score of
    them was most of the board's time. Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    stmt, params = scoped_statement(Visit, actor, _board_register_statement)
    rows = db.session.connection().execute(stmt, {**params, "day": day, "latest": latest})
    as_line = row_maker(RegisterLine, rows.keys())
    newest: list[RegisterLine] = []
    open_walk_ins: list[RegisterLine] = []
    no_card: list[RegisterLine] = []
    total = 0
    for row in rows:  # oldest first
        line, total = as_line(row), row.day_total
        if row.rank <= latest:
            newest.append(line)
        if line.is_open and line.kind == VisitKind.WALK_IN.value:
            open_walk_ins.append(line)
        if line.card_id is None:
            no_card.append(line)
    return BoardRegister(newest[::-1], open_walk_ins, no_card, total)


def _register_statement(
    scope: Callable[[sa.Select], sa.Select], by_owner: bool, by_source: bool, result: str
) -> sa.Select:
    """The register lines of `:day`, filtered by the filters in use (`result`: "", "open" or
    "result"), by time in; at most `:limit`."""
    stmt = _register_select().where(Visit.day == sa.bindparam("day"))
    if by_owner:
        stmt = stmt.where(Visit.owner_id == sa.bindparam("owner_id"))
    if by_source:
        stmt = stmt.where(Visit.source == sa.bindparam("source"))
    if result == "open":
        stmt = stmt.where(Visit.time_out.is_(None))
    elif result:
        stmt = stmt.where(Visit.result == sa.bindparam("result"))
    return scope(stmt).order_by(Visit.time_in, Visit.id).limit(inline_int("limit"))


def register_lines(
    actor: User, flt: RegisterFilter, limit: int = REGISTER_LIMIT
) -> list[RegisterLine]:
    """Like register_rows, as plain rows in one query (no ORM objects): for the lists.

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    result = "open" if flt.result == "open" else "result" if flt.result else ""
    # Built once per combination of filters (see access.scoped_statement).
    stmt, params = scoped_statement(
        Visit, actor, _register_statement, bool(flt.owner_id), bool(flt.source), result
    )
    params = {
        **params,
        "day": flt.day,
        "owner_id": flt.owner_id,
        "source": flt.source,
        "result": flt.result,
        "limit": limit,
    }
    return rows_as(RegisterLine, db.session.connection().execute(stmt, params))


def _open_at_closing_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """Visits still open that came in before `:cutoff`, oldest first; at most `:limit`."""
    stmt = _register_select().where(
        Visit.time_out.is_(None), Visit.time_in < sa.bindparam("cutoff")
    )
    return scope(stmt).order_by(Visit.time_in, Visit.id).limit(inline_int("limit"))


def open_at_closing(actor: User, at: datetime | None = None) -> list[RegisterLine]:
    """Visits and calls still open at the store's last closing time (today's once it has
    passed, else yesterday's), oldest first: nobody recorded that the customer left.

    Raises PermissionDenied for roles outside reception.
    """
    require_role(actor, *REGISTER_ROLES)
    stmt, params = scoped_statement(Visit, actor, _open_at_closing_statement)
    params = {**params, "cutoff": last_closing(at), "limit": OPEN_AT_CLOSING_LIMIT}
    return rows_as(RegisterLine, db.session.connection().execute(stmt, params))
