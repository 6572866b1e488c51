"""卡片箱检查, the monthly card box audit: the box's section of a month (A cards, open
prospects, filed by planned purchase date; C cards, owners, by purchase date: the cards the
card box page /customers/box shows for that month) checked card by card, first by the card's
salesperson (自查), then by the manager (复查), each tick with an optional finding.

The audit of a month shows its progress (cards checked of the cards in the section, per
salesperson and for the store, for each of the two checks), the findings, and who ticked what
when. Ticks are appended, never edited: a card's standing is its latest tick of each kind, and
its whole trail stays readable. Cards without a planned purchase date are in no section.

Every use case takes the acting user: a salesperson reaches their own cards and the store's
progress line (never a colleague's cards); the sales manager and the admin every active
salesperson of their own store (a group admin's too). A card outside that reach is
NotFound, whatever its id. Nobody ticks a future month; a salesperson's audits before last
month are closed (the manager may still complete one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from webapp.access import get_scoped, require_role, scoped, scoped_statement
from webapp.auth.models import Role, User
from webapp.customers.lists import OPEN_STAGE, month_bounds
from webapp.customers.models import CustomerCard, Stage
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import clean_text, text_errors
from webapp.monthly import is_manager, reach, salespeople, this_month
from webapp.pdca.audit_models import FINDING_LIMIT, CardAuditTick, TickKind
from webapp.sql import in_list, inline_int
from webapp.timeutil import add_months

AUDIT_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
# Twenty cards a page: a tablet screen shows three or four, and each carries its tick form.
CARDS_PAGE = 20
FINDINGS_SHOWN = 50
# What an audit finds most often, offered beside the free text.
SUGGESTED_FINDINGS = ("信息不全", "跟进逾期", "等级不符", "计划购车日期过期", "联系方式有误")
OWNER_STAGE = Stage.OWNER.value


def _in_box() -> sa.ColumnElement[bool]:
    """The box's section of the month [start, end) (parameters), as /customers/box files it."""
    start = sa.bindparam("start", type_=sa.Date)
    end = sa.bindparam("end", type_=sa.Date)
    return sa.or_(
        sa.and_(
            OPEN_STAGE,
            CustomerCard.planned_purchase_date >= start,
            CustomerCard.planned_purchase_date < end,
        ),
        sa.and_(
            CustomerCard.stage == OWNER_STAGE,
            CustomerCard.purchased_on >= start,
            CustomerCard.purchased_on < end,
        ),
    )


@dataclass(frozen=True, slots=True)
class TickView:
    """One tick as the trail shows it."""

    id: int
    kind: str
    finding: str
    actor_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditCard:
    """A card of the section with its ticks of the month (oldest first)."""

    id: int
    name: str
    grade: str
    stage: str
    filed_on: date | None
    owner_id: int
    owner_name: str
    trail: list[TickView] = field(default_factory=list)

    @property
    def section(self) -> str:
        return "C" if self.stage == OWNER_STAGE else "A"

    def latest(self, kind: str) -> TickView | None:
        for tick in reversed(self.trail):
            if tick.kind == kind:
                return tick
        return None

    @property
    def superseded(self) -> bool:
        """Whether the trail holds ticks besides each check's latest (the ones the row shows
        anyway): only then is the whole trail worth a list of its own."""
        return len(self.trail) > len({tick.kind for tick in self.trail})

    @property
    def owner_tick(self) -> TickView | None:
        return self.latest(TickKind.OWNER.value)

    @property
    def manager_tick(self) -> TickView | None:
        return self.latest(TickKind.MANAGER.value)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One salesperson's progress (owner_id None: the store's)."""

    owner_id: int | None
    name: str
    total: int
    owner_checked: int
    manager_checked: int
    findings: int


@dataclass(frozen=True, slots=True)
class Finding:
    """A tick with a finding, for the month's list of findings."""

    card_id: int
    card_name: str
    kind: str
    finding: str
    actor_name: str
    at: datetime


@dataclass(frozen=True, slots=True)
class AuditSheet:
    """The audit of a month as the actor may see it."""

    month: date
    store_name: str
    lines: list[AuditLine]
    total: AuditLine
    cards: list[AuditCard]
    page: int
    has_more: bool
    people: list[tuple[int, str]]
    owner_id: int | None
    store_wide: bool
    tick_kind: str
    closed: str | None

    @property
    def previous_month(self) -> date:
        return add_months(self.month, -1)

    @property
    def findings(self) -> int:
        """The month's ticks with a finding on the cards of the people shown (their list,
        the newest FINDINGS_SHOWN of them, is month_findings())."""
        return sum(line.findings for line in self.lines)

    @property
    def next_month(self) -> date | None:
        following = add_months(self.month, 1)
        return following if following <= this_month() else None


@dataclass(frozen=True, slots=True)
class RowStatus:
    """What a card's row of the audit needs of the page: the actor's check, whether the
    month is closed to them, and the page's person."""

    store_wide: bool
    tick_kind: str
    closed: str | None
    owner_id: int | None


def row_status(actor: User, month: date, owner_id: int | None) -> RowStatus:
    """The row's status for the actor in the audit of `month`."""
    store_wide = is_manager(actor)
    return RowStatus(
        store_wide=store_wide,
        tick_kind=tick_kind(actor),
        closed=month_problem(actor, month.replace(day=1)),
        owner_id=owner_id if store_wide else actor.id,
    )


def tick_kind(actor: User) -> str:
    """The check the actor makes: the manager's (manager, admin) or the salesperson's own."""
    return TickKind.MANAGER.value if is_manager(actor) else TickKind.OWNER.value


def month_problem(actor: User, month: date) -> str | None:
    """Why the actor may not tick the audit of `month`, or None."""
    current = this_month()
    if month > current:
        return _("The audit of a future month cannot be ticked.")
    if not is_manager(actor) and month < add_months(current, -1):
        return _("The audit of that month is closed.")
    return None


def _bounds(month: date) -> dict[str, date]:
    start, end = month_bounds(month)
    return {"start": start, "end": end}


def _section_parts(*columns: Any) -> tuple[sa.Select, sa.Select]:
    """The box's section of the month [start, end) in the store `store_id` as two selects of
    `columns` (over customer_card) with `filed_on` and `is_c`: A cards by planned purchase
    date, C cards by purchase date. Each reads its own card box index alone (the owner is in
    both); as one OR, PostgreSQL read every card of the section through a bitmap."""
    start = sa.bindparam("start", type_=sa.Date)
    end = sa.bindparam("end", type_=sa.Date)
    store = CustomerCard.store_id == sa.bindparam("store_id")
    a_cards = sa.select(
        *columns, CustomerCard.planned_purchase_date.label("filed_on"), sa.literal(0).label("is_c")
    ).where(
        store,
        CustomerCard.planned_purchase_date >= start,
        CustomerCard.planned_purchase_date < end,
        OPEN_STAGE,
    )
    c_cards = sa.select(
        *columns, CustomerCard.purchased_on.label("filed_on"), sa.literal(1).label("is_c")
    ).where(
        store,
        CustomerCard.purchased_on >= start,
        CustomerCard.purchased_on < end,
        CustomerCard.stage == OWNER_STAGE,
    )
    return a_cards, c_cards


@cache
def _progress_statement() -> sa.CompoundSelect:
    """The section's cards, those each check has ticked in this month's audit, and the ticks
    with a finding, as (salesperson, cards, checked by their salesperson, checked by the
    manager, findings) rows in one round trip:

    - the section's cards by salesperson from the card box indexes alone, each counted as a
      card and, when the month of its latest tick of a check is this month, as checked;
    - the month's ticks with a finding by the card's salesperson, from their own partial
      index.

    The month of each check's latest tick is kept on the card by the tick (mark_audited): a
    closed month holds about two ticks for each of its thousand or two cards, and matching
    them to the section cost PostgreSQL 2–3 ms a page."""
    month = sa.bindparam("month", type_=sa.Date)
    section = sa.union_all(
        *_section_parts(
            CustomerCard.owner_id, CustomerCard.audit_owner_month, CustomerCard.audit_manager_month
        )
    ).subquery("section")
    cards = sa.select(
        section.c.owner_id,
        sa.func.count(),
        sa.func.count().filter(section.c.audit_owner_month == month),
        sa.func.count().filter(section.c.audit_manager_month == month),
        sa.literal(0),
    ).group_by(section.c.owner_id)
    found = (
        sa.select(
            CardAuditTick.owner_id, sa.literal(0), sa.literal(0), sa.literal(0), sa.func.count()
        )
        .where(
            CardAuditTick.store_id == sa.bindparam("store_id"),
            CardAuditTick.month == month,
            CardAuditTick.finding != "",
        )
        .group_by(CardAuditTick.owner_id)
    )
    return sa.union_all(cards, found)


def _progress(store_id: int, month: date, ids: list[int]) -> dict[int, tuple[int, int, int, int]]:
    """(cards, checked by their salesperson, checked by the manager, findings) by salesperson
    (of `ids`, each of them present): one statement."""
    params = {"store_id": store_id, "month": month, **_bounds(month)}
    totals = {pid: [0, 0, 0, 0] for pid in ids}
    for owner_id, *figures in db.session.connection().execute(_progress_statement(), params):
        line = totals.get(owner_id)
        if line is not None:
            for i, n in enumerate(figures):
                line[i] += int(n)
    return {pid: tuple(line) for pid, line in totals.items()}


# A section's cards in the order of its card box index: by date, then stage, grade and id.
_INDEX_ORDER = ("filed_on", "stage", "grade", "id")


def _cards_statement(scope: Any) -> sa.Select:
    """One page (`limit`, `offset`; `depth` is their sum) of the section's cards of the
    salespeople `ids` in the store `store_id`: A cards, then C cards, by the date they are
    filed under (a day's by stage, grade and id), each with its ticks of the audit of `month`
    (a row per tick, oldest first; one row with no tick for a card without), the ticks
    scoped by their own rules. The page is picked from the card box indexes alone; only its
    cards and their ticks are read.

    Each section stops at the page's depth, read in its index's own order: a store's month
    holds ~1,000 A cards, and the first page reads some twenty index entries. Ordered any
    other way (by date and id), PostgreSQL's plan of the prepared statement, made without
    the month's dates, read and sorted all thousand for every page."""
    parts = []
    for part in _section_parts(CustomerCard.id, CustomerCard.stage, CustomerCard.grade):
        mine = scope(part.where(in_list(CustomerCard.owner_id, "ids")))
        head = mine.subquery()
        ordered = sa.select(head).order_by(*(head.c[name] for name in _INDEX_ORDER))
        parts.append(sa.select(ordered.limit(inline_int("depth")).subquery()))
    section = sa.union_all(*parts).subquery("section")
    order = (section.c.is_c, *(section.c[name] for name in _INDEX_ORDER))
    page = (
        sa.select(section)
        .order_by(*order)
        .limit(inline_int("limit"))
        .offset(inline_int("offset"))
        .subquery("page")
    )
    ticks = (
        sa.select(
            CardAuditTick.id,
            CardAuditTick.card_id,
            CardAuditTick.kind,
            CardAuditTick.finding,
            CardAuditTick.created_at,
            User.display_name,
        )
        .join(User, User.id == CardAuditTick.actor_id)
        .where(
            CardAuditTick.month == sa.bindparam("month", type_=sa.Date),
            scope.clause(CardAuditTick),
        )
        .subquery("tick")
    )
    return (
        sa.select(
            CustomerCard.id,
            CustomerCard.name,
            CustomerCard.grade,
            CustomerCard.stage,
            page.c.filed_on,
            CustomerCard.owner_id,
            ticks.c.id.label("tick_id"),
            ticks.c.kind,
            ticks.c.finding,
            ticks.c.display_name,
            ticks.c.created_at,
        )
        .join(page, page.c.id == CustomerCard.id)
        .outerjoin(ticks, ticks.c.card_id == CustomerCard.id)
        .order_by(
            page.c.is_c,
            *(page.c[name] for name in _INDEX_ORDER),
            ticks.c.created_at,
            ticks.c.id,
        )
    )


def _cards(
    actor: User, month: date, names: dict[int, str], page: int
) -> tuple[list[AuditCard], bool]:
    """One page of the section's cards of the salespeople `names` (A cards, then C cards, by
    date) with their ticks of the month: one statement, built once per kind of actor."""
    stmt, scope = scoped_statement(CustomerCard, actor, _cards_statement, also=(CardAuditTick,))
    params = {
        **scope,
        **_bounds(month),
        "store_id": actor.store_id,
        "month": month,
        "ids": list(names),
        "limit": CARDS_PAGE + 1,
        "offset": (page - 1) * CARDS_PAGE,
        "depth": page * CARDS_PAGE + 1,
    }
    cards: dict[int, AuditCard] = {}
    has_more = False
    for row in db.session.connection().execute(stmt, params):
        card = cards.get(row.id)
        if card is None:
            if len(cards) == CARDS_PAGE:  # the first card of the next page
                has_more = True
                break
            owner = names[row.owner_id]
            card = cards[row.id] = AuditCard(
                row.id, row.name, row.grade, row.stage, row.filed_on, row.owner_id, owner
            )
        if row.tick_id is not None:
            card.trail.append(
                TickView(row.tick_id, row.kind, row.finding, row.display_name, row.created_at)
            )
    return list(cards.values()), has_more


def _findings_statement(scope: Callable[[sa.Select], sa.Select]) -> sa.Select:
    """The month's latest ticks with a finding on the cards of the salespeople `ids`."""
    return (
        scope(
            sa.select(
                CardAuditTick.card_id,
                CustomerCard.name,
                CardAuditTick.kind,
                CardAuditTick.finding,
                User.display_name,
                CardAuditTick.created_at,
            )
            .join(CustomerCard, CustomerCard.id == CardAuditTick.card_id)
            .join(User, User.id == CardAuditTick.actor_id)
            .where(
                CardAuditTick.store_id == sa.bindparam("store_id"),
                CardAuditTick.month == sa.bindparam("month", type_=sa.Date),
                in_list(CardAuditTick.owner_id, "ids"),
                CardAuditTick.finding != "",
            )
        )
        .order_by(CardAuditTick.created_at.desc(), CardAuditTick.id.desc())
        .limit(FINDINGS_SHOWN)
    )


def _findings(actor: User, month: date, ids: list[int]) -> list[Finding]:
    stmt, scope = scoped_statement(CardAuditTick, actor, _findings_statement)
    params = {**scope, "store_id": actor.store_id, "month": month, "ids": ids}
    return [Finding(*row) for row in db.session.connection().execute(stmt, params)]


def _audited(
    actor: User, month: date, owner_id: int | None
) -> tuple[date, list[tuple[int, str]], list[int]]:
    """The first day of `month` with the people the actor reaches and the ids shown (all of
    them, or `owner_id`'s). PermissionDenied for other roles; NotFound for a future month or
    a person out of reach."""
    require_role(actor, *AUDIT_ROLES)
    month = month.replace(day=1)
    if month > this_month():
        raise NotFound()
    people, ids = reach(actor, owner_id)
    return month, people, ids


def month_audit(actor: User, month: date, owner_id: int | None = None, page: int = 1) -> AuditSheet:
    """The audit of `month` for the actor: the progress of their own cards and the store's
    (a salesperson), or of every active salesperson (manager, admin; one with `owner_id`);
    one page of the cards with their ticks, and the count of the month's findings (their list
    is month_findings(), read when it is opened).
    PermissionDenied for other roles; NotFound for a future month or a person out of reach."""
    month, people, ids = _audited(actor, month, owner_id)
    store_wide = is_manager(actor)
    everyone = [pid for pid, _name in (people if store_wide else salespeople(actor))]
    progress = _progress(actor.store_id, month, everyone)
    names = dict(people)

    def line(pid: int, name: str) -> AuditLine:
        return AuditLine(pid, name, *progress.get(pid, (0, 0, 0, 0)))

    lines = [line(pid, names[pid]) for pid in ids]
    every = [line(pid, "") for pid in everyone]
    total = AuditLine(
        None,
        _("Store total"),
        sum(x.total for x in every),
        sum(x.owner_checked for x in every),
        sum(x.manager_checked for x in every),
        sum(x.findings for x in every),
    )
    cards, has_more = _cards(actor, month, {pid: names[pid] for pid in ids}, page)
    return AuditSheet(
        month=month,
        store_name=actor.store.name,
        lines=lines,
        total=total,
        cards=cards,
        page=page,
        has_more=has_more,
        people=people,
        owner_id=owner_id if store_wide else actor.id,
        store_wide=store_wide,
        tick_kind=tick_kind(actor),
        closed=month_problem(actor, month),
    )


def month_findings(actor: User, month: date, owner_id: int | None = None) -> list[Finding]:
    """The newest FINDINGS_SHOWN ticks with a finding in the audit of `month` on the cards of
    the people month_audit() shows the actor (the same `owner_id`), newest first.
    PermissionDenied for other roles; NotFound for a future month or a person out of reach."""
    month, _people, ids = _audited(actor, month, owner_id)
    return _findings(actor, month, ids)


def audit_card(actor: User, month: date, card_id: int) -> AuditCard:
    """One card of the audit of `month` with its ticks (the row a tick redraws). NotFound
    outside the actor's reach."""
    require_role(actor, *AUDIT_ROLES)
    card = _reachable_card(actor, card_id)
    month = month.replace(day=1)
    stmt = scoped(
        sa.select(CardAuditTick, User.display_name)
        .join(User, User.id == CardAuditTick.actor_id)
        .where(CardAuditTick.card_id == card.id, CardAuditTick.month == month),
        CardAuditTick,
        actor,
    ).order_by(CardAuditTick.created_at, CardAuditTick.id)
    filed = card.purchased_on if card.stage == OWNER_STAGE else card.planned_purchase_date
    row = AuditCard(
        card.id, card.name, card.grade, card.stage, filed, card.owner_id, card.owner.display_name
    )
    for tick, name in db.session.execute(stmt):
        row.trail.append(TickView(tick.id, tick.kind, tick.finding, name, tick.created_at))
    return row


def _reachable_card(actor: User, card_id: int) -> CustomerCard:
    """The card, if the actor reaches it in their own store (a group admin too): else
    NotFound, so another store cannot learn that the id exists."""
    card = get_scoped(CustomerCard, card_id, actor)
    if card.store_id != actor.store_id:
        raise NotFound()
    return card


def _in_section(card: CustomerCard, month: date) -> bool:
    start, end = month_bounds(month)
    if card.stage == OWNER_STAGE:
        return card.purchased_on is not None and start <= card.purchased_on < end
    if card.stage in (Stage.PROSPECT.value, Stage.ORDERED.value):
        planned = card.planned_purchase_date
        return planned is not None and start <= planned < end
    return False


def tick(actor: User, card_id: int, month: date, data: Mapping[str, Any]) -> CardAuditTick:
    """Tick a card as checked in the audit of `month`, with an optional finding (text, at
    most 200 characters): the salesperson's own check on their own card, the manager's check
    on any card of the store. A new row every time: the trail is never edited.

    NotFound for a card out of reach (another store's, a colleague's for a salesperson);
    ValidationError by field ("finding", "month": a future or closed month, or a card that
    is not in the month's section), nothing saved. Commits."""
    require_role(actor, *AUDIT_ROLES)
    month = month.replace(day=1)
    card = _reachable_card(actor, card_id)
    errors: dict[str, str] = {}
    raw = data.get("finding")
    raw = "" if raw is None else raw
    finding = ""
    if not isinstance(raw, str):
        errors["finding"] = _("Enter text.")
    else:
        errors.update(text_errors({"finding": raw}))
        finding = clean_text(raw).strip()
        if "finding" not in errors and len(finding) > FINDING_LIMIT:
            errors["finding"] = _("At most %(n)d characters.", n=FINDING_LIMIT)
    if (problem := month_problem(actor, month)) is not None:
        errors["month"] = problem
    elif not _in_section(card, month):
        shown = f"{month:%Y-%m}"
        errors["month"] = _("This card is not in the card box of %(month)s.", month=shown)
    if errors:
        db.session.rollback()
        raise ValidationError(errors)
    kind = tick_kind(actor)
    row = CardAuditTick(
        store_id=card.store_id,
        card_id=card.id,
        owner_id=card.owner_id,
        month=month,
        kind=kind,
        finding=finding,
        actor_id=actor.id,
    )
    db.session.add(row)
    db.session.execute(mark_audited(card.id, kind, month))
    db.session.commit()
    return row


_MONTH_COLUMN = {
    TickKind.OWNER.value: CustomerCard.audit_owner_month,
    TickKind.MANAGER.value: CustomerCard.audit_manager_month,
}


def mark_audited(card_id: int, kind: str, month: date) -> sa.Update:
    """The card's month of its latest tick of `kind` (the progress counts it): the audit's
    column alone, the card's edit time and version left as they are, since its contents
    did not change (an open edit of the card on a tablet stays current)."""
    column = _MONTH_COLUMN[kind]
    return (
        sa.update(CustomerCard)
        .where(CustomerCard.id == card_id)
        .values({column: month, CustomerCard.updated_at: CustomerCard.updated_at})
        .execution_options(synchronize_session=False)
    )
