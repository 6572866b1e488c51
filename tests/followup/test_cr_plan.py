"""附表四 月度CR活动计划: what is counted as done in a month, who sees which lines, saving a
plan and its refusals, the page and its fragment, and the workbook."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import assert_fragment, assert_full_page
from webapp.auth.models import Role
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup import cr_plan
from webapp.followup.models import CrPlan
from webapp.monthly import percent, this_month
from webapp.timeutil import SHANGHAI, add_months

MONTH = date(2026, 3, 1)
SHEET_HX = {"HX-Request": "true", "HX-Target": "cr-sheet"}
PAGE = "/followup/cr-plan"


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    """A showroom-local moment (stored as UTC)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def log(card: CustomerCard, actor: Any, kind: str, when: datetime) -> None:
    db.session.add(
        CardEvent(
            store_id=card.store_id, card_id=card.id, actor_id=actor.id, kind=kind, occurred_at=when
        )
    )


def plan_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(CrPlan))


def month_arg(month: date) -> str:
    return f"{month:%Y-%m}"


def good(**changes: Any) -> dict[str, Any]:
    data = {"contacts_planned": "20", "events_planned": "2", "referrals_planned": "5", "note": ""}
    data.update(changes)
    return data


def _errors(call) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.errors


@pytest.fixture
def march(world, make_card):
    """A hand-built March 2026 for the salesperson: each record counted or not, by the rules."""
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    owner = make_card(sales, stage="owner", name="车主甲")
    prospect = make_card(sales, name="意向客户")
    colleague_owner = make_card(colleague, stage="owner", name="同事车主")
    # Owner contacts: on a C card, by the salesperson, inside the showroom's month.
    log(owner, sales, "phone_out", at(date(2026, 3, 1), 0, 5))  # first minutes of the month
    log(owner, sales, "visit", at(date(2026, 3, 31), 23, 55))  # last minutes of the month
    log(owner, sales, "message", at(date(2026, 3, 15)))
    log(colleague_owner, sales, "phone_in", at(date(2026, 3, 16)))  # a colleague's owner: counts
    # Not owner contacts of the salesperson's March:
    log(owner, sales, "phone_in", at(date(2026, 2, 28), 23, 59))  # February (16:59 UTC)
    log(owner, sales, "phone_out", at(date(2026, 4, 1), 0, 0))  # April
    log(prospect, sales, "phone_out", at(date(2026, 3, 10)))  # an A card
    log(owner, colleague, "phone_out", at(date(2026, 3, 10)))  # someone else's contact
    log(owner, sales, "grade_changed", at(date(2026, 3, 10)))  # not a contact
    # Owner events: any card.
    log(owner, sales, "cr_event", at(date(2026, 3, 20)))
    log(prospect, sales, "cr_event", at(date(2026, 3, 21)))
    log(owner, sales, "cr_event", at(date(2026, 4, 2)))  # April
    log(owner, colleague, "cr_event", at(date(2026, 3, 22)))  # the colleague's
    # Referral requests.
    log(owner, sales, "referral_asked", at(date(2026, 3, 5)))
    log(owner, sales, "referral_asked", at(date(2026, 2, 5)))  # February
    # Referrals won: new cards of the salesperson in March that an owner's referral brought.
    make_card(sales, referred_by_id=owner.id, created_at=at(date(2026, 3, 12)))
    make_card(sales, referred_by_id=owner.id, created_at=at(date(2026, 2, 12)))  # February
    make_card(sales, created_at=at(date(2026, 3, 12)))  # not referred
    make_card(colleague, referred_by_id=owner.id, created_at=at(date(2026, 3, 13)))  # colleague's
    # The other store's salesperson, whose lines no one here sees.
    other = world.users["other_salesperson"]
    log(world.other_store_card, other, "cr_event", at(date(2026, 3, 20)))
    db.session.add(
        CrPlan(
            store_id=sales.store_id,
            owner_id=sales.id,
            month=MONTH,
            contacts_planned=4,
            events_planned=0,
            referrals_planned=3,
            note="重点回访",
        )
    )
    db.session.commit()
    return world


# --- What is counted -------------------------------------------------------------------------


def test_done_is_counted_from_the_records_of_the_month(march):
    sales = march.users["salesperson"]
    sheet = cr_plan.month_plan(sales, MONTH, None)
    assert [line.owner_id for line in sheet.lines] == [sales.id]
    line = sheet.lines[0]
    assert (line.contacts.planned, line.contacts.done, line.contacts.rate) == (4, 4, 100)
    assert (line.events.planned, line.events.done, line.events.rate) == (0, 2, None)
    assert (line.referrals.planned, line.referrals.done, line.referrals.rate) == (3, 1, 33)
    assert line.referrals_won == 1
    assert line.note == "重点回访"
    assert sheet.total is None


def test_other_months_count_their_own_records(march):
    sales = march.users["salesperson"]
    feb = cr_plan.month_plan(sales, date(2026, 2, 1), None).lines[0]
    assert (feb.contacts.done, feb.events.done, feb.referrals.done, feb.referrals_won) == (
        1,
        0,
        1,
        1,
    )
    assert feb.contacts.planned == 0 and feb.contacts.rate is None
    april = cr_plan.month_plan(sales, date(2026, 4, 1), None).lines[0]
    assert (april.contacts.done, april.events.done) == (1, 1)


def test_manager_sees_every_salesperson_and_the_total(march):
    sales, colleague = march.users["salesperson"], march.users["colleague"]
    sheet = cr_plan.month_plan(march.users["sales_manager"], MONTH, None)
    by_owner = {line.owner_id: line for line in sheet.lines}
    assert set(by_owner) == {sales.id, colleague.id}
    other = by_owner[colleague.id]
    assert (other.contacts.done, other.events.done, other.referrals_won) == (1, 1, 1)
    assert other.has_plan is False and other.contacts.planned == 0
    total = sheet.total
    assert total is not None
    assert (total.contacts.planned, total.contacts.done) == (4, 5)
    assert (total.events.done, total.referrals.done, total.referrals_won) == (3, 1, 2)
    assert total.contacts.rate == 125


def test_manager_narrows_the_sheet_to_one_salesperson(march):
    colleague = march.users["colleague"]
    sheet = cr_plan.month_plan(march.users["admin"], MONTH, colleague.id)
    assert [line.owner_id for line in sheet.lines] == [colleague.id]
    assert sheet.total is None and sheet.single is not None


def test_salesperson_sees_only_their_own_line(march):
    sales, colleague = march.users["salesperson"], march.users["colleague"]
    sheet = cr_plan.month_plan(sales, MONTH, None)
    assert [line.owner_id for line in sheet.lines] == [sales.id]
    with pytest.raises(NotFound):
        cr_plan.month_plan(sales, MONTH, colleague.id)


def test_people_out_of_reach_and_other_roles(march):
    manager = march.users["sales_manager"]
    with pytest.raises(NotFound):
        cr_plan.month_plan(manager, MONTH, march.users["other_salesperson"].id)
    with pytest.raises(NotFound):  # in the store, but not a salesperson
        cr_plan.month_plan(manager, MONTH, march.users["greeter"].id)
    for role in ("greeter", "service_advisor", "finance", "car_keeper"):
        with pytest.raises(PermissionDenied):
            cr_plan.month_plan(march.users[role], MONTH, None)


def test_inactive_salespeople_have_no_line(march):
    colleague = march.users["colleague"]
    colleague.active = False
    db.session.commit()
    sheet = cr_plan.month_plan(march.users["sales_manager"], MONTH, None)
    assert [line.owner_id for line in sheet.lines] == [march.users["salesperson"].id]


def test_the_sheet_takes_the_same_statements_whatever_the_number_of_people(
    app, march, make_user, make_card
):
    client = app.test_client()
    client.login("manager")
    url = f"{PAGE}?month=2026-03"

    def count() -> int:
        response = client.get(url)
        assert response.status_code == 200
        return int(response.headers["X-SQL-Count"])

    before = count()
    for n in range(4):
        person = make_user(Role.SALESPERSON, store=march.store_a)
        card = make_card(person, stage="owner")
        log(card, person, "phone_out", at(date(2026, 3, 3 + n)))
        db.session.add(CrPlan(store_id=person.store_id, owner_id=person.id, month=MONTH))
    db.session.commit()
    assert count() == before


def test_rate_rounds_half_up():
    assert percent(1, 3) == 33
    assert percent(2, 3) == 67
    assert percent(1, 8) == 13  # 12.5
    assert percent(5, 0) is None


# --- Saving a plan ---------------------------------------------------------------------------


def test_salesperson_saves_and_updates_their_plan(world):
    sales = world.users["salesperson"]
    month = this_month()
    plan = cr_plan.save_plan(sales, sales.id, month, good(note=" 车主节 "))
    assert (plan.contacts_planned, plan.events_planned, plan.referrals_planned) == (20, 2, 5)
    assert plan.note == "车主节" and plan.updated_by_id == sales.id
    again = cr_plan.save_plan(sales, sales.id, month, good(contacts_planned="0"))
    assert again.id == plan.id and again.contacts_planned == 0
    assert plan_count() == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("contacts_planned", "-1"),
        ("events_planned", "1000"),
        ("referrals_planned", "abc"),
        ("contacts_planned", "2.5"),
        ("events_planned", ""),
        ("referrals_planned", "１２"),  # full-width digits
    ],
)
def test_planned_numbers_are_whole_numbers_from_0_to_999(world, field, value):
    sales = world.users["salesperson"]
    errors = _errors(
        lambda: cr_plan.save_plan(sales, sales.id, this_month(), good(**{field: value}))
    )
    assert list(errors) == [field]
    assert plan_count() == 0


def test_note_is_checked(world):
    sales = world.users["salesperson"]
    month = this_month()
    for note in ("a\x00", "长" * 501):
        data = good(note=note)
        assert "note" in _errors(lambda d=data: cr_plan.save_plan(sales, sales.id, month, d))
    assert cr_plan.save_plan(sales, sales.id, month, good(note="长" * 500)).note == "长" * 500


def test_salesperson_plans_only_this_month_and_up_to_a_year_ahead(world):
    sales = world.users["salesperson"]
    current = this_month()
    last_month = add_months(current, -1)
    assert "month" in _errors(lambda: cr_plan.save_plan(sales, sales.id, last_month, good()))
    too_far = add_months(current, 13)
    assert "month" in _errors(lambda: cr_plan.save_plan(sales, sales.id, too_far, good()))
    assert plan_count() == 0
    cr_plan.save_plan(sales, sales.id, add_months(current, 12), good())
    assert plan_count() == 1
    assert cr_plan.month_plan(sales, last_month, None).editable is False


def test_manager_plans_for_a_salesperson_of_the_store_a_past_month_too(world):
    manager, colleague = world.users["sales_manager"], world.users["colleague"]
    last_month = add_months(this_month(), -1)
    plan = cr_plan.save_plan(manager, colleague.id, last_month, good())
    assert plan.owner_id == colleague.id and plan.updated_by_id == manager.id
    assert plan.store_id == colleague.store_id


def test_nobody_saves_a_plan_out_of_reach(world):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    month = this_month()
    with pytest.raises(NotFound):
        cr_plan.save_plan(sales, world.users["colleague"].id, month, good())
    with pytest.raises(NotFound):
        cr_plan.save_plan(manager, world.users["other_salesperson"].id, month, good())
    with pytest.raises(NotFound):
        cr_plan.save_plan(manager, manager.id, month, good())  # not a salesperson
    with pytest.raises(PermissionDenied):
        cr_plan.save_plan(world.users["greeter"], sales.id, month, good())
    assert plan_count() == 0


# --- The page --------------------------------------------------------------------------------


def test_page_is_chinese_by_default_with_the_form_number(client, march):
    client.login("sales")
    html = assert_full_page(client.get(f"{PAGE}?month=2026-03"))
    assert "月度CR活动计划" in html and "附表四" in html
    assert "车主联系" in html and "转介绍成交" in html and "达成率" in html
    assert "重点回访" in html
    assert march.users["colleague"].display_name not in html


def test_fragment_is_the_sheet_alone(client, march):
    client.login("manager")
    html = assert_fragment(client.get(f"{PAGE}?month=2026-03", headers=SHEET_HX), "cr-sheet")
    assert "<h1" not in html
    assert march.users["colleague"].display_name in html and "合计" in html


def test_manager_page_lists_everyone_with_the_total(client, march):
    client.login("manager")
    html = assert_full_page(client.get(f"{PAGE}?month=2026-03"))
    for key in ("salesperson", "colleague"):
        assert march.users[key].display_name in html
    assert "合计" in html
    colleague = march.users["colleague"]
    html = assert_full_page(client.get(f"{PAGE}?month=2026-03&owner={colleague.id}"))
    assert 'name="owner_id"' in html and "合计" not in html


@pytest.mark.parametrize("month", ["2026-13", "abc", "2026-3", "0000-01", "2026-03-01"])
def test_unreadable_month_is_not_found(client, world, month):
    client.login("sales")
    assert client.get(f"{PAGE}?month={month}").status_code == 404
    assert client.get(f"{PAGE}.xlsx?month={month}").status_code == 404
    assert client.post(PAGE, data={**good(), "month": month}).status_code == 404


def test_roles_without_the_plan_are_refused(client, world):
    client.login("greeter")
    assert client.get(PAGE).status_code == 403
    assert client.get(f"{PAGE}.xlsx").status_code == 403


def test_bad_input_comes_back_with_errors_next_to_the_fields(client, world):
    client.login("sales")
    this = month_arg(this_month())
    response = client.post(
        PAGE, data={**good(contacts_planned="-1", events_planned="1000"), "month": this}
    )
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True))
    assert set(errors) == {"contacts_planned", "events_planned"}
    assert plan_count() == 0
    past = month_arg(add_months(this_month(), -1))
    response = client.post(PAGE, data={**good(), "month": past}, headers=SHEET_HX)
    assert_fragment(response, "cr-sheet", status=422)
    assert "month" in field_errors(response.get_data(as_text=True))
    assert plan_count() == 0


def test_saving_redirects_to_the_month_or_returns_the_sheet(client, world):
    sales = world.users["salesperson"]
    client.login("sales")
    this = month_arg(this_month())
    response = client.post(PAGE, data={**good(), "month": this})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}?month={this}")
    response = client.post(PAGE, data={**good(events_planned="7"), "month": this}, headers=SHEET_HX)
    html = assert_fragment(response, "cr-sheet")
    assert response.headers["HX-Trigger"] == "cr-plan-saved"
    assert 'value="7"' in html
    plan = db.session.scalar(sa.select(CrPlan))
    assert (plan.owner_id, plan.events_planned) == (sales.id, 7)


def test_salesperson_cannot_save_a_colleagues_plan(client, world):
    client.login("sales")
    data = {**good(), "month": month_arg(this_month())}
    response = client.post(PAGE, data={**data, "owner_id": str(world.users["colleague"].id)})
    assert response.status_code == 404
    assert plan_count() == 0


def test_manager_saves_a_colleagues_plan_and_returns_to_their_sheet(client, world):
    colleague = world.users["colleague"]
    client.login("manager")
    this = month_arg(this_month())
    response = client.post(PAGE, data={**good(), "month": this, "owner_id": str(colleague.id)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}?month={this}&owner={colleague.id}")
    assert db.session.scalar(sa.select(CrPlan.owner_id)) == colleague.id


# --- The workbook ----------------------------------------------------------------------------


def test_xlsx_has_the_sheets_columns_and_values(client, march):
    from openpyxl import load_workbook

    client.login("manager")
    response = client.get(f"{PAGE}.xlsx?month=2026-03")
    assert response.status_code == 200
    assert "cr-plan-2026-03.xlsx" in response.headers["Content-Disposition"]
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.values)
    assert rows[0] == cr_plan.XLSX_HEADERS
    assert rows[0][:4] == ("销售顾问", "车主联系计划", "车主联系实绩", "车主联系达成率")
    assert rows[0][-2:] == ("转介绍成交", "备注")
    by_name = {row[0]: row for row in rows[1:]}
    sales = march.users["salesperson"]
    assert by_name[sales.display_name] == (
        sales.display_name,
        4,
        4,
        1,
        0,
        2,
        "—",
        3,
        1,
        0.33,
        1,
        "重点回访",
    )
    total = by_name["合计"]
    assert total[1:3] == (4, 5) and total[10] == 2
    assert len(rows) == 1 + 2 + 1  # header, two salespeople, the total


def test_xlsx_quotes_a_note_that_looks_like_a_formula(client, world):
    from openpyxl import load_workbook

    sales = world.users["salesperson"]
    month = this_month()
    cr_plan.save_plan(sales, sales.id, month, good(note="=HYPERLINK(1)"))
    client.login("sales")
    response = client.get(f"{PAGE}.xlsx?month={month_arg(month)}")
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.values)
    assert len(rows) == 2 and rows[1][-1] == "'=HYPERLINK(1)"


# --- Who reaches it --------------------------------------------------------------------------

OUTCOMES = {
    "salesperson": (200, 422, 200),
    "sales_manager": (200, 422, 200),
    "admin": (200, 422, 200),
    "greeter": (403, 403, 403),
    "service_advisor": (403, 403, 403),
    "finance": (403, 403, 403),
    "car_keeper": (403, 403, 403),
}


@pytest.mark.parametrize("role", sorted(OUTCOMES))
def test_each_role_gets_the_plan_or_is_refused(app, world, role):
    client = app.test_client()
    assert client.login(world.users[role].username).status_code == 303
    body = {"month": "2000-01", "owner_id": str(world.users["salesperson"].id)}
    got = (
        client.get(PAGE).status_code,
        client.post(PAGE, data={**body, "contacts_planned": "x"}).status_code,
        client.get(f"{PAGE}.xlsx").status_code,
    )
    assert got == OUTCOMES[role]
    assert plan_count() == 0


def test_anonymous_is_sent_to_log_in(client):
    for response in (client.get(PAGE), client.post(PAGE, data={}), client.get(f"{PAGE}.xlsx")):
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
