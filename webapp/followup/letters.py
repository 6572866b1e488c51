"""附表十六 感谢信: the thank-you letter a salesperson sends within three days of the delivery,
its placeholders filled from the card, the delivery and the store, and the month's letters
as a list and an XLSX workbook.

The store may write its own letter (FollowUpSetting.letter_body); the standard one is
`DEFAULT_LETTER`. A store's text is the user's: only the known placeholders are replaced and
nothing else in it is read (a stray brace is text), so it can never break the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from webapp.access import get_scoped, require_role, scoped
from webapp.auth.models import Role, User
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.delivery.models import Delivery
from webapp.errors import NotFound
from webapp.extensions import db
from webapp.followup.models import FollowUpTask, TaskKind
from webapp.followup.rules import setting_for
from webapp.labels import labels_for
from webapp.negotiation.contract_models import Contract
from webapp.org.models import Store
from webapp.timeutil import local_date_of, local_month_bounds
from webapp.xlsx import append_rows, finished, workbook

LETTER_ROLES = (Role.SALESPERSON, Role.SALES_MANAGER, Role.ADMIN)
PLACEHOLDERS = ("称谓", "车型", "销售顾问", "经销店", "交车日期")
_PLACEHOLDER = re.compile("\\{(" + "|".join(PLACEHOLDERS) + ")\\}")
MONTH_LIMIT = 2000

DEFAULT_LETTER = """尊敬的{称谓}：

　　您好！衷心感谢您选择一汽丰田，也感谢您对{经销店}的信任与支持。

　　恭喜您喜提爱车{车型}！愿它陪伴您和家人平安出行，为您的生活增添更多便利与欢乐。

　　今后用车中如有任何疑问或需要，请随时联系您的销售顾问{销售顾问}，我们将一如既往地竭诚为您服务。温馨提示：您的爱车可享受免费车检，届时请按时回店，我们的服务团队将为您的爱车做一次全面的检查。

　　如果您的亲朋好友也有购车的打算，欢迎推荐他们来店参观、试乘试驾，我们将以同样的热情和专业为他们服务。

　　再次感谢您的信任，祝您用车愉快，阖家幸福，万事如意！

　　此致
敬礼！

{经销店}
{交车日期}"""

# The list's and the workbook's columns, in order: (key, header).
COLUMNS: tuple[tuple[str, Any], ...] = (
    ("card_name", _l("Customer name")),
    ("call_name", _l("Form of address")),
    ("model", _l("Model")),
    ("delivered_on", _l("Delivery date")),
    ("owner_name", _l("Salesperson")),
    ("due_on", _l("Letter due")),
    ("done_on", _l("Sent on")),
    ("outcome", _l("Result")),
)


def render_letter(body: str, values: Mapping[str, str]) -> str:
    """`body` with the known placeholders ({称谓} {车型} {销售顾问} {经销店} {交车日期})
    replaced by `values` (empty when missing); every other character is kept as written."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), body)


def chinese_date(day: date | None) -> str:
    """A date as a Chinese letter writes it: 2026年3月5日."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


@dataclass(frozen=True, slots=True)
class LetterRow:
    """A thank-you task with what its letter needs and what came of it."""

    task_id: int
    card_id: int
    card_name: str
    call_name: str  # 称谓: the surname and 先生/女士
    model: str  # the model bought (the delivery's contract), else the card's model
    delivered_on: date | None
    salesperson: str  # the card's salesperson, who signs for the store
    owner_name: str  # who owns the task
    store_name: str
    due_at: datetime
    done_at: datetime | None
    outcome: str
    result: str

    @property
    def due_on(self) -> date:
        return local_date_of(self.due_at)

    @property
    def done_on(self) -> date | None:
        return local_date_of(self.done_at) if self.done_at else None

    def values(self) -> dict[str, str]:
        """The placeholders' values for this letter."""
        return {
            "称谓": self.call_name,
            "车型": self.model,
            "销售顾问": self.salesperson,
            "经销店": self.store_name,
            "交车日期": chinese_date(self.delivered_on),
        }


# A closing paragraph is short lines (the store, the salesperson, the date): set on the right.
CLOSING_LINE = 30


@dataclass(frozen=True, slots=True)
class Letter:
    """One printable letter: its text with the placeholders filled, and the task's row."""

    row: LetterRow
    text: str

    @property
    def paragraphs(self) -> list[str]:
        """The text's paragraphs (split at blank lines), empty ones dropped."""
        parts = re.split(r"\n[ \t\u3000]*\n", self.text.replace("\r\n", "\n"))
        return [part.strip("\n") for part in parts if part.strip()]

    @property
    def parts(self) -> list[tuple[str, bool]]:
        """The paragraphs, each with whether it is the closing (signature and date), which
        the page sets on the right: the last one of several, when all its lines are short."""
        paragraphs = self.paragraphs
        last = paragraphs[-1] if len(paragraphs) > 1 else ""
        closing = bool(last) and all(len(line) <= CLOSING_LINE for line in last.splitlines())
        return [(text, closing and n == len(paragraphs) - 1) for n, text in enumerate(paragraphs)]


def _letter_select() -> sa.Select:
    """The thank-you tasks with their letter's values, in one statement.

    The delivery is the task's own ("delivery:<id>") when it was completed, else the card's
    latest completed one; without any, the card's purchase date stands in for its day.
    """
    chosen = aliased(Delivery)
    source = sa.literal("delivery:") + sa.cast(chosen.id, sa.String)
    completed = (chosen.card_id == FollowUpTask.card_id, chosen.completed_at.is_not(None))
    own = (
        sa.select(chosen.id)
        .where(
            *completed,
            sa.or_(FollowUpTask.source == source, FollowUpTask.source.like(source + "/%")),
        )
        .limit(1)
        .correlate(FollowUpTask)
        .scalar_subquery()
    )
    latest = (
        sa.select(chosen.id)
        .where(*completed)
        .order_by(chosen.completed_at.desc(), chosen.id.desc())
        .limit(1)
        .correlate(FollowUpTask)
        .scalar_subquery()
    )
    delivery_id = sa.func.coalesce(own, latest)
    bought = aliased(VehicleModel)
    interest = aliased(VehicleModel)
    card_owner = aliased(User)
    task_owner = aliased(User)
    return (
        sa.select(
            FollowUpTask.id,
            FollowUpTask.card_id,
            CustomerCard.name,
            CustomerCard.title,
            sa.func.coalesce(bought.name_zh, interest.name_zh, "").label("model"),
            Delivery.completed_at,
            CustomerCard.purchased_on,
            card_owner.display_name.label("salesperson"),
            task_owner.display_name.label("owner_name"),
            Store.name.label("store_name"),
            FollowUpTask.due_at,
            FollowUpTask.done_at,
            FollowUpTask.outcome,
            FollowUpTask.result,
        )
        .select_from(FollowUpTask)
        .join(CustomerCard, CustomerCard.id == FollowUpTask.card_id)
        .join(card_owner, card_owner.id == CustomerCard.owner_id)
        .join(task_owner, task_owner.id == FollowUpTask.owner_id)
        .join(Store, Store.id == FollowUpTask.store_id)
        .outerjoin(Delivery, Delivery.id == delivery_id)
        .outerjoin(Contract, Contract.id == Delivery.contract_id)
        .outerjoin(bought, bought.id == Contract.model_id)
        .outerjoin(interest, interest.id == CustomerCard.model_id)
        .where(FollowUpTask.kind == TaskKind.THANK_YOU.value)
    )


def _rows(stmt: sa.Select) -> list[LetterRow]:
    # Imported here: webapp.delivery.services imports this package (the follow-up engine).
    from webapp.delivery.services import call_name

    rows = db.session.execute(stmt).all()
    # 称谓 is written in Chinese whatever the reader's language: it goes into the letter.
    with force_locale("zh_CN"):
        return [
            LetterRow(
                task_id=row.id,
                card_id=row.card_id,
                card_name=row.name,
                call_name=call_name(row.name, row.title),
                model=row.model or "",
                delivered_on=local_date_of(row.completed_at)
                if row.completed_at
                else row.purchased_on,
                salesperson=row.salesperson,
                owner_name=row.owner_name,
                store_name=row.store_name,
                due_at=row.due_at,
                done_at=row.done_at,
                outcome=row.outcome,
                result=row.result,
            )
            for row in rows
        ]


def letter_for(actor: User, task_id: int) -> Letter:
    """The printable letter of a thank-you task, in the store's words (or the standard's).

    The task's owner, or a manager or admin of its store. Raises PermissionDenied for the
    other roles, NotFound for a task out of reach (a colleague's, another store's) or of
    another kind."""
    require_role(actor, *LETTER_ROLES)
    task = get_scoped(FollowUpTask, task_id, actor)
    if task.kind != TaskKind.THANK_YOU.value:
        raise NotFound()
    found = _rows(_letter_select().where(FollowUpTask.id == task.id))
    if not found:
        raise NotFound()
    row = found[0]
    body = setting_for(task.store_id).letter_body or DEFAULT_LETTER
    return Letter(row=row, text=render_letter(body, row.values()))


def month_letters(actor: User, month: date) -> list[LetterRow]:
    """The thank-you tasks due in the store-local month, in the actor's reach (a
    salesperson's own, the store's for a manager or admin), by due time. Raises
    PermissionDenied for the other roles."""
    require_role(actor, *LETTER_ROLES)
    start, end = local_month_bounds(month)
    stmt = scoped(
        _letter_select().where(FollowUpTask.due_at >= start, FollowUpTask.due_at < end),
        FollowUpTask,
        actor,
    ).order_by(FollowUpTask.due_at, FollowUpTask.id)
    return _rows(stmt.limit(MONTH_LIMIT))


def outcome_text(row: LetterRow, outcomes: Mapping[str, str]) -> str:
    """What came of the task: its outcome's label and the result written, as one text."""
    parts = [outcomes.get(row.outcome, row.outcome) if row.outcome else "", row.result]
    return " · ".join(part for part in parts if part)


def _cell(value: Any) -> Any:
    """A workbook cell's value before the export's rules (webapp.xlsx.safe_cell): a date as
    YYYY-MM-DD, nothing as an empty cell."""
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    return value


def letters_xlsx(actor: User, month: date) -> bytes:
    """The month's letters as an XLSX workbook with the list's columns, headers and labels in
    Chinese. Raises PermissionDenied as month_letters."""
    rows = month_letters(actor, month)
    with force_locale("zh_CN"):
        headers = [str(header) for _key, header in COLUMNS]
    outcomes = labels_for("zh_CN")["outcome"]
    book, sheet = workbook("感谢信", headers)

    def line(row: LetterRow) -> list[Any]:
        values = {
            "card_name": row.card_name,
            "call_name": row.call_name,
            "model": row.model,
            "delivered_on": row.delivered_on,
            "owner_name": row.owner_name,
            "due_on": row.due_on,
            "done_on": row.done_on,
            "outcome": outcome_text(row, outcomes),
        }
        return [_cell(values[key]) for key, _header in COLUMNS]

    append_rows(sheet, (line(row) for row in rows))
    return finished(book, sheet, "A2")
