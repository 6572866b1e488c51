"""Pages of the negotiation memo (附表十): the form (full page, fragment, live total), errors
next to the fields with 422, the versions, the customer's confirmation and the manager's
decision as fragments, and the customer's copy in Chinese as print HTML and as a PDF."""

from __future__ import annotations

import re

import pypdfium2
import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import assert_fragment, assert_full_page
from tests.negotiation.test_memos import cat, memo_form  # noqa: F401  (the catalogue fixture)
from webapp.extensions import db
from webapp.negotiation import memos
from webapp.negotiation import pdf as pdf_module
from webapp.negotiation.contract_models import MemoVersion, SalesTerms
from webapp.negotiation.pdf import RefusedFetch, refuse_fetch


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def version_count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(MemoVersion))


def test_the_memo_form_is_a_full_page_prefilled_with_the_store_defaults(client, world, cat):  # noqa: F811
    client.login("sales")
    html = assert_full_page(client.get(f"/negotiation/cards/{world.own_card.id}/memo"))
    assert "商谈memo" in html and 'name="sfx_id"' in html
    assert 'name="deposit"' in html and 'value="5000' in html  # the store's usual deposit
    assert 'id="memo-preview"' in html


def test_the_memo_form_as_a_fragment(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.get(f"/negotiation/cards/{world.own_card.id}/memo", headers=hx("memo-form"))
    assert_fragment(response, "memo-form")


def test_the_live_total_is_a_fragment_and_saves_nothing(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.post(
        f"/negotiation/cards/{world.own_card.id}/memo/preview",
        data=memo_form(cat),
        headers=hx("memo-preview"),
    )
    html = assert_fragment(response, "memo-preview")
    assert "合计" in html and "¥" in html
    assert 'id="memo-stock" class="memo-stock" hx-swap-oob="true"' in html
    assert version_count() == 0
    bad = client.post(
        f"/negotiation/cards/{world.own_card.id}/memo/preview",
        data=memo_form(cat, discount="200000"),
        headers=hx("memo-preview"),
    )
    html = assert_fragment(bad, "memo-preview")
    assert 'class="memo-preview-errors"' in html and "¥" not in html


def test_saving_makes_a_version_and_opens_it(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.post(f"/negotiation/cards/{world.own_card.id}/memo", data=memo_form(cat))
    assert response.status_code == 303
    version = db.session.scalar(sa.select(MemoVersion))
    assert response.headers["Location"].endswith(f"/negotiation/memos/{version.memo_id}/v/1")
    html = assert_full_page(client.get(f"/negotiation/memos/{version.memo_id}"))
    for word in (
        "车价",
        "交强险",
        "商业险",
        "车辆购置税",
        "上牌费",
        "检测费",
        "一条龙服务费",
        "赠送",
    ):
        assert word in html, word
    assert "¥" + f"{version.total:,.2f}" in html


def test_saving_from_htmx_answers_with_the_location(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.post(
        f"/negotiation/cards/{world.own_card.id}/memo", data=memo_form(cat), headers=hx("memo-form")
    )
    assert response.status_code == 200 and "/v/1" in response.headers["HX-Location"]


def test_bad_input_comes_back_with_422_and_the_messages_next_to_the_fields(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.post(
        f"/negotiation/cards/{world.own_card.id}/memo",
        data=memo_form(cat, discount="200000", delivery_date="2020-01-01"),
        headers=hx("memo-form"),
    )
    html = assert_fragment(response, "memo-form", status=422)
    errors = field_errors(html)
    assert set(errors) == {"discount", "delivery_date"}
    assert errors["delivery_date"] == "交车日期不能早于今天。"
    assert 'value="200000"' in html  # what was typed stays
    assert version_count() == 0


def test_a_bad_accessory_price_is_marked_on_its_row(client, world, cat):  # noqa: F811
    client.login("sales")
    response = client.post(
        f"/negotiation/cards/{world.own_card.id}/memo",
        data=memo_form(cat, **{"accessories-1-price": "-5"}),
    )
    html = assert_full_page(response, status=422)
    assert re.search(r'id="f-accessories-1-price-error">[^<]+<', html)


def test_versions_are_listed_and_each_opens(client, world, cat):  # noqa: F811
    sales = world.users["salesperson"]
    first = memos.save_version(sales, world.own_card.id, memo_form(cat))
    memos.save_version(sales, world.own_card.id, memo_form(cat, discount="4000"))
    client.login("sales")
    html = assert_full_page(client.get(f"/negotiation/memos/{first.memo_id}"))
    assert "第 1 版" in html and "第 2 版" in html
    response = client.get(f"/negotiation/memos/{first.memo_id}/v/1", headers=hx("memo-version"))
    assert "¥3,000.00" in assert_fragment(response, "memo-version")
    assert client.get(f"/negotiation/memos/{first.memo_id}/v/3").status_code == 404


def test_the_customer_confirms_the_latest_version_in_a_fragment(client, world, cat):  # noqa: F811
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    client.login("sales")
    url = f"/negotiation/memos/{version.memo_id}/v/1/confirm"
    html = client.get(f"/negotiation/memos/{version.memo_id}").get_data(as_text=True)
    assert "对这份报价单，您还有什么问题吗？" in html
    response = client.post(url, data={"questions": "上牌要几天？"}, headers=hx("memo-version"))
    html = assert_fragment(response, "memo-version")
    assert "顾客已确认" in html and "上牌要几天？" in html
    assert 'id="memo-versions-wrap" hx-swap-oob="true"' in html  # the list above follows
    assert response.headers["HX-Trigger"] == "memo-changed"
    again = client.post(url, data={"questions": ""}, headers=hx("memo-version"))
    assert "f-confirm-error" in assert_fragment(again, "memo-version", status=422)


def test_a_pending_discount_cannot_be_confirmed_and_the_manager_decides(client, world, cat):  # noqa: F811
    version = memos.save_version(
        world.users["salesperson"], world.own_card.id, memo_form(cat, discount="9000")
    )
    base = f"/negotiation/memos/{version.memo_id}/v/1"
    client.login("sales")
    html = client.get(base).get_data(as_text=True)
    assert "待部长审批" in html and 'id="memo-confirm"' not in html
    assert client.post(f"{base}/confirm", data={}).status_code == 422
    assert client.post(f"{base}/decide", data={"decision": "approve"}).status_code == 403
    client.post("/logout")
    client.login("manager")
    rejected = client.post(
        f"{base}/decide", data={"decision": "reject", "note": ""}, headers=hx("memo-version")
    )
    html = assert_fragment(rejected, "memo-version", status=422)
    assert field_errors(html) == {"note": "请写明不批准优惠的原因。"}
    approved = client.post(
        f"{base}/decide", data={"decision": "approve"}, headers=hx("memo-version")
    )
    assert "优惠已批准" in assert_fragment(approved, "memo-version")
    assert db.session.get(MemoVersion, version.id).approval == "approved"


def test_other_stores_and_roles_are_kept_out(client, world, cat):  # noqa: F811
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    base = f"/negotiation/memos/{version.memo_id}"
    client.login("bsales")
    assert client.get(base).status_code == 404
    assert client.get(f"{base}/v/1/pdf").status_code == 404
    assert client.get(f"/negotiation/cards/{world.own_card.id}/memo").status_code == 404
    client.post("/logout")
    client.login("greeter")
    assert client.get(base).status_code == 403
    assert client.get(f"/negotiation/cards/{world.own_card.id}/memo").status_code == 403
    client.post("/logout")
    client.login("finance")
    assert (
        client.post(f"/negotiation/cards/{world.own_card.id}/memo", data=memo_form(cat)).status_code
        == 403
    )
    assert version_count() == 1


def test_the_customers_copy_is_chinese_with_the_store_header_whatever_the_users_language(
    client,
    world,
    cat,  # noqa: F811
):
    db.session.add(SalesTerms(store_id=world.store_a.id, address="友谊路 88 号", phone="022-8888"))
    world.users["salesperson"].locale = "en"
    db.session.commit()
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    client.login("sales")
    page = client.get(f"/negotiation/memos/{version.memo_id}").get_data(as_text=True)
    assert "Every cost explained" in page  # the salesperson's own pages follow their language
    response = client.get(f"/negotiation/memos/{version.memo_id}/v/1/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<html lang="zh-Hans">' in html
    assert "A店" in html and "友谊路 88 号" in html and "022-8888" in html
    assert "对这份报价单，您还有什么问题吗？" in html and "费用明细说明" in html
    assert " style=" not in html and not re.search(r"<script(?![^>]*\ssrc=)", html)


def test_the_pdf_is_a_chinese_document_made_without_the_network(client, world, cat):  # noqa: F811
    version = memos.save_version(world.users["salesperson"], world.own_card.id, memo_form(cat))
    client.login("sales")
    response = client.get(f"/negotiation/memos/{version.memo_id}/v/1/pdf")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.data.startswith(b"%PDF")
    pdf = pypdfium2.PdfDocument(response.data)
    text = pdf[0].get_textpage().get_text_range()
    assert "商谈" in text and "A店" in text and "车辆购置税" in text


def test_making_a_pdf_refuses_every_url_the_html_names(app):
    fetched: list[str] = []

    def spy(url: str, *args, **kwargs):
        fetched.append(url)
        return refuse_fetch(url)

    html = (
        '<html><body><img src="http://192.0.2.1/logo.png">'
        '<link rel="stylesheet" href="https://example.com/x.css"><p>商谈memo</p></body></html>'
    )
    with pytest.raises(RefusedFetch):
        refuse_fetch("file:///etc/passwd")
    original = pdf_module.refuse_fetch
    pdf_module.refuse_fetch = spy
    try:
        body = pdf_module.render_pdf(html)
    finally:
        pdf_module.refuse_fetch = original
    assert body.startswith(b"%PDF")
    # The image went to the refusing fetcher; no local file was asked for.
    assert "http://192.0.2.1/logo.png" in fetched
    assert all(not url.startswith("file:") for url in fetched)
