"""附表一 计划·实绩表: targets and the store's plan (rules, reach, bad input), the page in full
and as a fragment, and the workbook."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import field_errors
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.monthly import this_month
from webapp.pdca import plan as plans
from webapp.pdca.models import SalesTarget, StorePlan
from webapp.timeutil import add_months

HX = {"HX-Request": "true", "HX-Target": "plan-sheet"}
TARGETS = {"visits": "60", "a_cards": "30", "test_drives": "20", "orders": "8", "deliveries": "6"}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_salesperson_sets_next_months_targets_and_sees_them_beside_the_actuals(world):
    sales = world.users["salesperson"]
    month = add_months(this_month(), 1)
    plans.save_targets(sales, sales.id, month, {**TARGETS, "note": "重点跟进H级"})
    sheet = plans.month_sheet(sales, month)
    [line] = sheet.lines
    assert line.owner_id == sales.id and line.has_target and line.note == "重点跟进H级"
    assert {m: x.target for m, x in line.measures.items()} == {
        "visits": 60,
        "a_cards": 30,
        "test_drives": 20,
        "orders": 8,
        "deliveries": 6,
    }
    assert line.measures["visits"].actual == 0 and line.measures["visits"].achieved == 0
    # The store's total sums every salesperson's targets; a colleague's line is not shown.
    assert sheet.total.measures["orders"].target == 8 and sheet.single is line
    assert sheet.due_by == plans.deadline(month) and sheet.due_by.month != month.month
    # Saving again updates the same row.
    plans.save_targets(sales, sales.id, month, {**TARGETS, "orders": "9"})
    assert count(SalesTarget) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("visits", "-1"),
        ("orders", "1.5"),
        ("deliveries", "10000"),
        ("a_cards", ""),
        ("note", "\x00"),
    ],
)
def test_a_target_below_zero_or_not_a_whole_number_is_refused_and_nothing_saved(
    world, field, value
):
    sales = world.users["salesperson"]
    with pytest.raises(ValidationError) as refused:
        plans.save_targets(sales, sales.id, this_month(), {**TARGETS, field: value})
    assert set(refused.value.errors) == {field}
    assert count(SalesTarget) == 0


def test_a_salesperson_reaches_only_their_own_line_and_not_a_past_month(world):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    with pytest.raises(NotFound):
        plans.save_targets(sales, colleague.id, this_month(), TARGETS)
    with pytest.raises(NotFound):
        plans.month_sheet(sales, this_month(), colleague.id)
    with pytest.raises(ValidationError) as refused:
        plans.save_targets(sales, sales.id, add_months(this_month(), -1), TARGETS)
    assert set(refused.value.errors) == {"month"}
    with pytest.raises(PermissionDenied):
        plans.save_store_plan(sales, this_month(), TARGETS)
    with pytest.raises(PermissionDenied):
        plans.month_sheet(world.users["greeter"], this_month())
    assert count(SalesTarget) == 0 and count(StorePlan) == 0


def test_the_manager_sets_the_stores_plan_and_sees_every_salesperson_against_it(world):
    manager = world.users["sales_manager"]
    month = this_month()
    plans.save_targets(manager, world.users["salesperson"].id, month, TARGETS)
    plans.save_targets(manager, world.users["colleague"].id, month, {**TARGETS, "orders": "4"})
    plans.save_store_plan(manager, month, {**TARGETS, "orders": "15", "comment": "冲刺年底"})
    sheet = plans.month_sheet(manager, month)
    ids = {line.owner_id for line in sheet.lines}
    assert {world.users["salesperson"].id, world.users["colleague"].id} <= ids
    assert world.users["other_salesperson"].id not in ids  # store B's
    assert sheet.total.measures["orders"].target == 12  # the salespeople's targets, summed
    assert sheet.plan["orders"] == 15 and sheet.plan_comment == "冲刺年底" and sheet.has_plan
    assert sheet.plan_achieved("orders") == 0
    # Another store's manager sees none of it.
    other = plans.month_sheet(world.users["other_manager"], month)
    assert not other.has_plan and other.total.measures["orders"].target == 0
    # The manager may correct a past month; the salespeople without targets are listed.
    plans.save_targets(manager, world.users["salesperson"].id, add_months(month, -1), TARGETS)
    missing = plans.missing_targets(manager.store_id, add_months(month, 1))
    assert world.users["salesperson"].id in missing


def test_the_page_and_its_fragment_show_the_sheet_and_the_form(app, world):
    client = app.test_client()
    client.login("sales")
    page = client.get("/pdca/plan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "附表一" in html and 'id="targets-form"' in html
    assert "<html" in html.lower()
    fragment = client.get("/pdca/plan", headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="plan-sheet"' in body
    assert "<html" not in body.lower() and "<nav" not in body
    assert client.get("/pdca/plan?month=2026-13").status_code == 404
    other = world.users["colleague"].id
    assert client.get(f"/pdca/plan?owner={other}").status_code == 404


def test_a_target_below_zero_gets_its_message_next_to_the_field_and_saves_nothing(app, world):
    client = app.test_client()
    client.login("sales")
    month = f"{this_month():%Y-%m}"
    response = client.post(
        "/pdca/plan/targets", data={**TARGETS, "visits": "-5", "month": month}, headers=HX
    )
    assert response.status_code == 422
    assert set(field_errors(response.get_data(as_text=True))) == {"visits"}
    assert 'value="-5"' in response.get_data(as_text=True)  # what was typed stays
    assert count(SalesTarget) == 0
    ok = client.post("/pdca/plan/targets", data={**TARGETS, "month": month}, headers=HX)
    assert ok.status_code == 200 and "目标已保存" in ok.get_data(as_text=True)
    plain = client.post("/pdca/plan/targets", data={**TARGETS, "month": month})
    assert plain.status_code == 303


def test_the_managers_store_plan_form_and_its_errors(app, world):
    client = app.test_client()
    client.login("manager")
    month = f"{this_month():%Y-%m}"
    page = client.get("/pdca/plan").get_data(as_text=True)
    assert 'id="store-plan-form"' in page  # the store's plan form
    bad = client.post(
        "/pdca/plan/store", data={**TARGETS, "orders": "-1", "month": month}, headers=HX
    )
    assert bad.status_code == 422
    assert set(field_errors(bad.get_data(as_text=True))) == {"orders"}
    assert count(StorePlan) == 0
    good = client.post(
        "/pdca/plan/store",
        data={**TARGETS, "comment": "本月主推卡罗拉", "month": month},
        headers=HX,
    )
    assert good.status_code == 200 and "本月主推卡罗拉" in good.get_data(as_text=True)


def test_the_workbook_has_the_screens_columns_with_chinese_headers(app, world):
    manager = world.users["sales_manager"]
    month = this_month()
    plans.save_targets(manager, world.users["salesperson"].id, month, TARGETS)
    client = app.test_client()
    client.login("manager")
    response = client.get(f"/pdca/plan.xlsx?month={month:%Y-%m}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'plan-actual-{month:%Y-%m}.xlsx"')
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == plans.xlsx_headers()
    assert rows[0][:4] == ("销售顾问", "来店组数目标", "来店组数实绩", "来店组数达成率")
    names = [row[0] for row in rows[1:]]
    assert names[-2:] == ["合计", "店计划"]
    line = next(row for row in rows if row[0] == world.users["salesperson"].display_name)
    assert line[1:4] == (60, 0, 0)


def test_a_group_admins_sheet_is_their_own_stores(world, make_user):
    from webapp.auth.models import Role

    group_admin = make_user(Role.ADMIN, store=world.store_a, group_admin=True)
    month = this_month()
    manager, other = world.users["sales_manager"], world.users["other_manager"]
    plans.save_targets(manager, world.users["salesperson"].id, month, TARGETS)
    plans.save_targets(other, world.users["other_salesperson"].id, month, TARGETS)
    plans.save_store_plan(other, month, {**TARGETS, "comment": "B店"})
    sheet = plans.month_sheet(group_admin, month)
    assert sheet.total.measures["visits"].target == 60  # store A's targets, not the group's
    assert not sheet.has_plan  # store B's plan is not store A's
    assert {line.owner_id for line in sheet.lines} == {
        pid for pid, _name in plans.salespeople(group_admin)
    }
