"""The contract list and the approval queue come a page at a time: every contract is reachable
by the next-page link, none shows twice, and the state filter and the counts hold on every
page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.helpers import HX, assert_fragment, assert_full_page
from webapp.extensions import db
from webapp.inputs import MAX_PAGE, page_number
from webapp.negotiation.contract_models import ContractState
from webapp.timeutil import now

S = ContractState
ROW = re.compile(r'href="/negotiation/contracts/(\d+)"')


def _ids(html: str) -> list[int]:
    return [int(n) for n in ROW.findall(html)]


@pytest.fixture
def five_drafts(app, world, make_contract):
    app.config["PAGE_SIZE"] = 2
    made = [make_contract(world.own_card) for _ in range(5)]
    for age, contract in enumerate(made):  # the last made is the newest
        contract.created_at = now() - timedelta(minutes=10 - age)
        contract.updated_at = contract.created_at
    db.session.commit()
    return [c.id for c in made]


def test_the_next_page_links_reach_every_contract_once_newest_first(client, world, five_drafts):
    client.login(world.users["salesperson"].username)
    seen: list[int] = []
    url = "/negotiation/contracts"
    for expected_page in (1, 2, 3):
        html = assert_full_page(client.get(url))
        assert f"第 {expected_page} 页" in html
        seen += _ids(html)
        found = re.search(r'href="(/negotiation/contracts\?page=\d+)"[^>]*>下一页', html)
        if expected_page < 3:
            assert found, "no next page link"
            url = found.group(1)
        else:
            assert found is None
    assert seen == list(reversed(five_drafts))
    assert "上一页" in html


def test_a_page_of_one_state_keeps_the_state_and_the_counts(client, world, make_contract, app):
    app.config["PAGE_SIZE"] = 1
    signed = [make_contract(world.own_card, S.SIGNED) for _ in range(2)]
    make_contract(world.own_card)
    client.login(world.users["salesperson"].username)
    html = assert_fragment(
        client.get("/negotiation/contracts?state=signed&page=2", headers=HX), "contract-rows"
    )
    assert len(_ids(html)) == 1 and _ids(html)[0] in {c.id for c in signed}
    assert re.search(r"page=1&amp;state=signed|state=signed&amp;page=1", html)  # keeps the filter
    assert "下一页" not in html
    assert re.search(r"已签名\s*<strong>2</strong>", html)
    assert re.search(r"草稿\s*<strong>1</strong>", html)


def test_the_approval_queue_pages_oldest_first(client, world, make_contract, app):
    app.config["PAGE_SIZE"] = 2
    made = [make_contract(world.own_card, S.SUBMITTED) for _ in range(3)]
    for age, contract in enumerate(made):  # the first made waits longest
        contract.updated_at = now() - timedelta(hours=10 - age)
    db.session.commit()
    client.login(world.users["sales_manager"].username)
    first = assert_full_page(client.get("/negotiation/approvals"))
    second = assert_fragment(
        client.get("/negotiation/approvals?page=2", headers=HX), "approval-list"
    )
    assert _ids(first) == [made[0].id, made[1].id]
    assert _ids(second) == [made[2].id]
    assert "下一页" in first and "下一页" not in second


@pytest.mark.parametrize("raw", [None, "", "0", "-3", "abc", "1.5", str(MAX_PAGE + 1), "9" * 40])
def test_a_malformed_or_out_of_range_page_is_the_first(raw):
    assert page_number(raw) == 1


def test_a_page_past_the_end_is_empty_not_an_error(client, world, five_drafts):
    client.login(world.users["salesperson"].username)
    html = assert_full_page(client.get(f"/negotiation/contracts?page={MAX_PAGE}"))
    assert _ids(html) == []
    assert "上一页" in html
