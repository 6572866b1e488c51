"""The pages of 附表三 月度Hot管理表 and 卡片箱检查: each view in full and as its htmx fragment,
the workbook, the tick's answers (the redrawn row with its event, the redirect), and the
refusals: 404 for a card out of reach, 422 with the message next to the field, nothing saved."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import field_errors
from webapp.extensions import db
from webapp.monthly import this_month
from webapp.pdca.audit_models import CardAuditTick
from webapp.timeutil import add_months

MONTH = f"{this_month():%Y-%m}"
FUTURE = f"{add_months(this_month(), 1):%Y-%m}"


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def ticks() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(CardAuditTick))


@pytest.fixture
def cards(world, make_card):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    planned = this_month().replace(day=15)
    return {
        "own": make_card(sales, name="王先生", grade="H", planned_purchase_date=planned),
        "colleague": make_card(colleague, name="李女士", planned_purchase_date=planned),
        "other": make_card(world.users["other_salesperson"], planned_purchase_date=planned),
    }


def test_the_hot_table_in_full_and_as_a_fragment(app, world, cards):
    client = app.test_client()
    client.login("manager")
    page = client.get("/pdca/hot")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html.lower() and 'id="hot-sheet"' in html
    assert "附表三" in html and "王先生" not in html  # the cards open on demand
    assert int(page.headers["X-SQL-Count"]) <= 12
    fragment = client.get(f"/pdca/hot?month={MONTH}", headers=hx("hot-sheet"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="hot-sheet"' in body
    assert "<html" not in body.lower() and "<nav" not in body.split('id="hot-sheet"')[0]
    assert fragment.headers["Vary"] == "HX-Request" or "HX-Request" in fragment.headers["Vary"]


def test_the_cards_behind_a_count_in_full_and_as_a_fragment(app, world, cards):
    client = app.test_client()
    client.login("manager")
    owner = world.users["salesperson"].id
    url = f"/pdca/hot/cards?month={MONTH}&owner={owner}&list=H"
    page = client.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html.lower() and "王先生" in html
    fragment = client.get(url, headers=hx("hot-cards"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="hot-cards"')
    assert "王先生" in body and "李女士" not in body
    # Without a person (the manager's whole store), an unknown list, a future month: 404.
    assert client.get(f"/pdca/hot/cards?month={MONTH}&list=H").status_code == 404
    assert client.get(f"/pdca/hot/cards?owner={owner}&list=Z").status_code == 404
    assert client.get(f"/pdca/hot?month={FUTURE}").status_code == 404
    assert client.get("/pdca/hot?month=2026-13").status_code == 404


def test_a_salesperson_sees_their_own_cards_only(app, world, cards):
    client = app.test_client()
    client.login("sales")
    html = client.get("/pdca/hot/cards?list=B").get_data(as_text=True)
    assert "李女士" not in html
    colleague = world.users["colleague"].id
    assert client.get(f"/pdca/hot/cards?owner={colleague}&list=B").status_code == 404
    assert client.get(f"/pdca/hot?owner={colleague}").status_code == 404


def test_the_hot_workbook(app, world, cards):
    client = app.test_client()
    client.login("manager")
    response = client.get(f"/pdca/hot.xlsx?month={MONTH}")
    assert response.status_code == 200 and response.mimetype.endswith("spreadsheetml.sheet")
    assert "no-store" in response.headers["Cache-Control"]
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[0][0] == "销售顾问" and rows[-1][0] == "合计"


def test_the_audit_page_and_its_progress_in_full_and_as_fragments(app, world, cards):
    client = app.test_client()
    client.login("sales")
    page = client.get("/pdca/audit")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html.lower() and 'id="audit-sheet"' in html
    assert f'id="audit-card-{cards["own"].id}"' in html and "李女士" not in html
    assert int(page.headers["X-SQL-Count"]) <= 12
    fragment = client.get(f"/pdca/audit?month={MONTH}", headers=hx("audit-sheet"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and body.lstrip().startswith('<div id="audit-sheet"')
    progress = client.get(f"/pdca/audit/progress?month={MONTH}", headers=hx("audit-progress"))
    body = progress.get_data(as_text=True)
    assert progress.status_code == 200 and body.lstrip().startswith('<div id="audit-progress"')
    assert client.get(f"/pdca/audit/progress?month={MONTH}").get_data(as_text=True).count("<html")
    assert client.get(f"/pdca/audit?month={FUTURE}").status_code == 404


def test_a_tick_redraws_the_row_with_an_event_or_redirects(app, world, cards):
    client = app.test_client()
    client.login("sales")
    card = cards["own"]
    url = f"/pdca/audit/cards/{card.id}/tick"
    answer = client.post(url, data={"month": MONTH, "finding": "信息不全"}, headers=hx("x"))
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and answer.headers["HX-Trigger"] == "audit-ticked"
    assert body.lstrip().startswith(f'<li id="audit-card-{card.id}"') and "信息不全" in body
    plain = client.post(url, data={"month": MONTH, "page": "1"})
    assert plain.status_code == 303
    assert plain.headers["Location"].endswith(
        f"/pdca/audit?month={MONTH}&page=1#audit-card-{card.id}"
    )
    assert ticks() == 2
    html = client.get("/pdca/audit").get_data(as_text=True)
    assert "1/1" in html  # the salesperson's check is complete


def test_an_over_long_finding_is_refused_next_to_its_field(app, world, cards):
    client = app.test_client()
    client.login("sales")
    card = cards["own"]
    url = f"/pdca/audit/cards/{card.id}/tick"
    data = {"month": MONTH, "finding": "字" * 201}
    fragment = client.post(url, data=data, headers=hx(f"audit-card-{card.id}"))
    assert fragment.status_code == 422
    body = fragment.get_data(as_text=True)
    assert f"finding_{card.id}" in field_errors(body) and "<html" not in body.lower()
    page = client.post(url, data=data)
    assert page.status_code == 422
    assert "200" in field_errors(page.get_data(as_text=True))[f"finding_{card.id}"]
    future = client.post(url, data={"month": FUTURE}, headers=hx(f"audit-card-{card.id}"))
    assert future.status_code == 422
    assert f"month_{card.id}" in field_errors(future.get_data(as_text=True))
    assert ticks() == 0


@pytest.mark.parametrize(
    ("user", "card"), [("sales", "colleague"), ("sales", "other"), ("manager", "other")]
)
def test_a_tick_on_a_card_out_of_reach_is_not_found(app, world, cards, user, card):
    client = app.test_client()
    client.login(user)
    answer = client.post(f"/pdca/audit/cards/{cards[card].id}/tick", data={"month": MONTH})
    assert answer.status_code == 404
    assert ticks() == 0


def test_a_tick_without_a_csrf_token_is_refused(app, world, cards):
    client = app.test_client()
    client.login("sales")
    answer = client.post(
        f"/pdca/audit/cards/{cards['own'].id}/tick", data={"month": MONTH}, csrf=False
    )
    assert answer.status_code == 400
    assert ticks() == 0


def test_the_card_lists_pages_keep_the_month_and_person(app, world, cards, make_card, monkeypatch):
    from webapp.pdca import hot

    monkeypatch.setattr(hot, "CARDS_PAGE", 1)
    make_card(world.users["salesperson"], name="赵先生", grade="H")
    client = app.test_client()
    client.login("manager")
    owner = world.users["salesperson"].id
    url = f"/pdca/hot/cards?month={MONTH}&owner={owner}&list=H"
    body = client.get(url, headers=hx("hot-cards")).get_data(as_text=True)
    assert f"month={MONTH}&amp;owner={owner}&amp;list=H&amp;page=2" in body
    second = client.get(url + "&page=2", headers=hx("hot-cards")).get_data(as_text=True)
    assert "page=1" in second and "page=3" not in second


def test_the_whole_trail_is_listed_only_when_a_check_was_ticked_again(app, world, cards):
    card = cards["own"]
    url = f"/pdca/audit/cards/{card.id}/tick"
    sales, manager = app.test_client(), app.test_client()
    sales.login("sales")
    manager.login("manager")
    sales.post(url, data={"month": MONTH, "finding": "信息不全"}, headers=hx("x"))
    row = manager.post(url, data={"month": MONTH}, headers=hx("x")).get_data(as_text=True)
    # Each check's latest tick is on the row already: no list of the same two ticks.
    assert "信息不全" in row and "audit-trail" not in row
    row = sales.post(url, data={"month": MONTH}, headers=hx("x")).get_data(as_text=True)
    assert ticks() == 3
    assert 'class="audit-trail"' in row and "全部勾选记录（3）" in row
    trail = row.split('class="audit-trail"')[1]
    assert trail.count("顾问自查") == 2 and "顾问自查: 信息不全" in trail and "经理复查" in trail


def test_the_findings_are_read_when_their_list_is_opened(app, world, cards):
    manager = app.test_client()
    manager.login("manager")
    url = f"/pdca/audit/cards/{cards['own'].id}/tick"
    manager.post(url, data={"month": MONTH, "finding": "等级不符"}, headers=hx("x"))
    page = manager.get(f"/pdca/audit?month={MONTH}").get_data(as_text=True)
    # The page gives the count and where the list comes from, not the list.
    findings = page.split('class="audit-findings"')[1].split("</details>")[0]
    assert "(1)" in findings and 'hx-get="/pdca/audit/findings?month=' in findings
    assert "等级不符" not in findings and 'id="audit-findings-list"' in findings
    fragment = manager.get(
        f"/pdca/audit/findings?month={MONTH}", headers=hx("audit-findings-list")
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<ul id="audit-findings-list">')
    assert "王先生" in fragment and "等级不符" in fragment and "经理复查" in fragment
    # Without htmx: the whole page with the list open.
    full = manager.get(f"/pdca/audit/findings?month={MONTH}").get_data(as_text=True)
    assert "<html" in full.lower() and 'class="audit-findings" open' in full
    assert "等级不符" in full
    # The salesperson reads their own; a future month or a colleague is out of reach.
    sales = app.test_client()
    sales.login("sales")
    assert "等级不符" in sales.get(f"/pdca/audit/findings?month={MONTH}").get_data(as_text=True)
    assert sales.get(f"/pdca/audit/findings?month={FUTURE}").status_code == 404
    colleague = world.users["colleague"].id
    other = sales.get(f"/pdca/audit/findings?month={MONTH}&owner={colleague}")
    assert other.status_code in (200, 404) and "李女士" not in other.get_data(as_text=True)
