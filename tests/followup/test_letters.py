"""附表十六 感谢信: the letter's placeholders filled from the card, the delivery and the store
(a store's own text with stray braces kept as written), who reaches a letter, and the
month's letters as a list and a workbook with the same columns."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

import io
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import World
from tests.delivery.day_fixtures import (  # noqa: F401
    catalogue,
    make_contract,
    make_delivery,
)
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.test_chinese_pages import ALLOWED, english_words
from webapp.catalog.models import VehicleModel
from webapp.customers.models import CustomerCard
from webapp.delivery.models import DeliveryState
from webapp.errors import NotFound, PermissionDenied
from webapp.extensions import db
from webapp.followup import letters
from webapp.followup.models import FollowUpSetting, FollowUpTask
from webapp.labels import labels_for
from webapp.timeutil import SHANGHAI

DUE = datetime(2026, 3, 10, 1, 0, tzinfo=UTC)  # 2026-03-10 09:00 in the store
MONTH = "2026-03"


@pytest.fixture
def camry(app) -> VehicleModel:
    model = VehicleModel(code="CAMRY", name_zh="凯美瑞", name_en="Camry")
    db.session.add(model)
    db.session.commit()
    return model


@pytest.fixture
def make_task(app):
    """make_task(card, kind="thank_you", source=…): a task of the card's owner due DUE."""
    serial = iter(range(1, 10_000))

    def factory(card: CustomerCard, **fields: Any) -> FollowUpTask:
        values: dict[str, Any] = {
            "store_id": card.store_id,
            "card_id": card.id,
            "owner_id": card.owner_id,
            "kind": "thank_you",
            # A delivery id that does not exist: the card's purchase date stands in.
            "source": f"delivery:{900_000 + next(serial)}",
            "due_at": DUE,
        }
        values.update(fields)
        task = FollowUpTask(**values)
        db.session.add(task)
        db.session.commit()
        return task

    return factory


@pytest.fixture
def wang(world: World, make_card, camry) -> CustomerCard:
    return make_card(
        world.users["salesperson"],
        name="王伟",
        title="mr",
        model_id=camry.id,
        stage="owner",
        purchased_on=date(2026, 3, 5),
    )


def login(app, world: World, role: str):
    client = app.test_client()
    assert client.login(world.users[role].username).status_code == 303
    return client


# --- the text ---------------------------------------------------------------------------------


def test_render_letter_replaces_only_the_known_placeholders():
    values = {"称谓": "王先生", "车型": "凯美瑞"}
    body = "尊敬的{称谓}：{车型} {foo} { {{称谓}} {销售顾问}%s %(x)s }"
    assert letters.render_letter(body, values) == "尊敬的王先生：凯美瑞 {foo} { {王先生} %s %(x)s }"


def test_letter_has_the_customers_form_of_address_model_and_salesperson(
    app, world, wang, make_task
):
    task = make_task(wang)
    found = letters.letter_for(world.users["sales_manager"], task.id)
    salesperson = world.users["salesperson"].display_name
    assert "尊敬的王先生" in found.text
    assert "凯美瑞" in found.text
    assert salesperson in found.text
    assert "A店" in found.text
    assert "2026年3月5日" in found.text
    assert "{" not in found.text
    assert found.row.values()["称谓"] == "王先生"
    # The closing (the store and the date) is set apart; the greeting is not.
    parts = found.parts
    assert parts[0] == ("尊敬的王先生：", False)
    assert parts[-1] == ("A店\n2026年3月5日", True)

    html = assert_full_page(
        login(app, world, "salesperson").get(f"/followup/tasks/{task.id}/letter")
    )
    assert "尊敬的王先生：" in html and "凯美瑞" in html and salesperson in html
    assert "附表十六" in html and "data-print" in html


def test_a_ms_is_written_nushi(app, world, make_card, make_task):
    card = make_card(world.users["salesperson"], name="李娜", title="ms")
    found = letters.letter_for(world.users["salesperson"], make_task(card).id)
    assert "尊敬的李女士" in found.text


def test_a_store_letter_with_stray_braces_renders_and_keeps_them(app, world, wang, make_task):
    task = make_task(wang)
    body = "亲爱的{称谓}：\n\n{foo} 感谢 { 与 }} 和 {0} %(name)s {车型\n\n{经销店}"
    db.session.add(FollowUpSetting(store_id=world.store_a.id, letter_body=body))
    db.session.commit()
    found = letters.letter_for(world.users["salesperson"], task.id)
    assert found.text == "亲爱的王先生：\n\n{foo} 感谢 { 与 }} 和 {0} %(name)s {车型\n\nA店"
    html = assert_full_page(
        login(app, world, "salesperson").get(f"/followup/tasks/{task.id}/letter")
    )
    assert "{foo} 感谢 { 与 }} 和 {0} %(name)s {车型" in html


def test_the_delivery_of_the_task_gives_the_day_and_the_model_bought(
    app, world, make_delivery, make_task, catalogue
):
    delivery = make_delivery()
    moment = datetime(2026, 3, 8, 18, 30, tzinfo=UTC)  # 2026-03-09 02:30 in the store
    delivery.state = DeliveryState.COMPLETED.value
    delivery.completed_at = moment
    db.session.commit()
    card = db.session.get(CustomerCard, delivery.card_id)
    card.purchased_on = date(2026, 1, 1)
    db.session.commit()
    task = make_task(card, source=f"delivery:{delivery.id}")
    found = letters.letter_for(world.users["salesperson"], task.id)
    assert found.row.delivered_on == moment.astimezone(SHANGHAI).date() == date(2026, 3, 9)
    assert found.row.model == catalogue.corolla.name_zh
    assert "2026年3月9日" in found.text


# --- who reaches a letter ---------------------------------------------------------------------


def test_a_colleagues_task_is_not_found(app, world, make_card, make_task):
    task = make_task(make_card(world.users["colleague"], name="同事的客户"))
    with pytest.raises(NotFound):
        letters.letter_for(world.users["salesperson"], task.id)
    assert (
        login(app, world, "salesperson").get(f"/followup/tasks/{task.id}/letter").status_code == 404
    )
    assert (
        login(app, world, "sales_manager").get(f"/followup/tasks/{task.id}/letter").status_code
        == 200
    )


def test_another_stores_task_is_not_found(app, world, make_card, make_task):
    task = make_task(make_card(world.users["other_salesperson"], name="外店客户"))
    for role in ("salesperson", "sales_manager", "admin"):
        with pytest.raises(NotFound):
            letters.letter_for(world.users[role], task.id)
        assert login(app, world, role).get(f"/followup/tasks/{task.id}/letter").status_code == 404


def test_other_roles_are_refused_and_other_kinds_are_not_letters(app, world, wang, make_task):
    task = make_task(wang)
    for role in ("service_advisor", "greeter", "finance", "car_keeper"):
        with pytest.raises(PermissionDenied):
            letters.letter_for(world.users[role], task.id)
        client = login(app, world, role)
        assert client.get(f"/followup/tasks/{task.id}/letter").status_code == 403
        assert client.get(f"/followup/letters?month={MONTH}").status_code == 403
        assert client.get(f"/followup/letters.xlsx?month={MONTH}").status_code == 403
    other = make_task(wang, kind="quarterly", source="delivery:1/1")
    with pytest.raises(NotFound):
        letters.letter_for(world.users["sales_manager"], other.id)
    assert login(app, world, "salesperson").get("/followup/tasks/999999/letter").status_code == 404


# --- the month's letters ----------------------------------------------------------------------


def table_headers(html: str) -> list[str]:
    return [
        re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col">(.*?)</th>', html)
    ]


def workbook_rows(body: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(body)).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_month_list_and_workbook_have_the_same_columns_and_the_row(app, world, wang, make_task):
    task = make_task(wang)
    task.outcome, task.result = "reached", "客户很满意"
    task.done_at = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    make_task(wang, due_at=datetime(2026, 4, 2, 1, 0, tzinfo=UTC))  # next month
    db.session.commit()
    client = login(app, world, "sales_manager")
    html = assert_full_page(client.get(f"/followup/letters?month={MONTH}"))
    response = client.get(f"/followup/letters.xlsx?month={MONTH}")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    rows = workbook_rows(response.data)
    headers = table_headers(html)
    assert headers == rows[0]
    assert headers == [
        "顾客姓名",
        "称谓",
        "车型",
        "交车日期",
        "销售顾问",
        "应寄日期",
        "寄出日期",
        "结果",
    ]
    salesperson = world.users["salesperson"].display_name
    assert rows[1:] == [
        [
            "王伟",
            "王先生",
            "凯美瑞",
            "2026-03-05",
            salesperson,
            "2026-03-10",
            "2026-03-09",
            f"{labels_for('zh_CN')['outcome']['reached']} · 客户很满意",
        ]
    ]
    assert html.count('id="letter-') == 2  # the block and the one row of March
    for text in ("王伟", "王先生", "凯美瑞", "2026-03-05", "2026-03-10", "客户很满意"):
        assert text in html
    assert f"/followup/tasks/{task.id}/letter" in html


def test_the_list_is_the_salespersons_own_and_never_another_stores(
    app, world, wang, make_card, make_task
):
    make_task(wang)
    make_task(make_card(world.users["colleague"], name="同事客户甲"))
    make_task(make_card(world.users["other_salesperson"], name="外店客户甲"))
    mine = letters.month_letters(world.users["salesperson"], date(2026, 3, 1))
    assert [row.card_name for row in mine] == ["王伟"]
    store = letters.month_letters(world.users["sales_manager"], date(2026, 3, 1))
    assert sorted(row.card_name for row in store) == ["同事客户甲", "王伟"]
    html = login(app, world, "salesperson").get(f"/followup/letters?month={MONTH}").get_data(True)
    assert "王伟" in html and "同事客户甲" not in html and "外店客户甲" not in html
    rows = workbook_rows(
        login(app, world, "salesperson").get(f"/followup/letters.xlsx?month={MONTH}").data
    )
    assert [row[0] for row in rows[1:]] == ["王伟"]


def test_full_page_and_fragment(app, world, wang, make_task):
    make_task(wang)
    client = login(app, world, "salesperson")
    assert_full_page(client.get(f"/followup/letters?month={MONTH}"))
    html = assert_fragment(
        client.get(f"/followup/letters?month={MONTH}", headers={**HX, "HX-Target": "letter-rows"}),
        "letter-rows",
    )
    assert "王伟" in html and "<h1" not in html
    assert "month=2026-02" in html and "month=2026-04" in html


@pytest.mark.parametrize(
    "month", ["2026-13", "2026-3", "abc", "2026-03-01", "0000-01", "２０２６-03"]
)
def test_an_unreadable_month_is_not_found(app, world, month):
    client = login(app, world, "sales_manager")
    assert client.get(f"/followup/letters?month={month}").status_code == 404
    assert client.get(f"/followup/letters.xlsx?month={month}").status_code == 404


def test_workbook_cells_are_never_formulas(app, world, make_card, make_task):
    card = make_card(world.users["salesperson"], name="=HYPERLINK(1)")
    task = make_task(card)
    task.outcome, task.result = "reached", "x"
    db.session.commit()
    rows = workbook_rows(letters.letters_xlsx(world.users["salesperson"], date(2026, 3, 1)))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_pages_read_in_chinese_by_default(app, world, wang, make_task):
    task = make_task(wang)
    allowed = ALLOWED | {"camry"}
    client = login(app, world, "sales_manager")
    for url in (f"/followup/letters?month={MONTH}", f"/followup/tasks/{task.id}/letter"):
        html = assert_full_page(client.get(url))
        assert 'lang="zh-Hans"' in html
        assert english_words(html, allowed) == set(), url
    assert "感谢信" in client.get(f"/followup/letters?month={MONTH}").get_data(True)
