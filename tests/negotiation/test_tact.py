"""The export for the maker's dealer system (TACT): the store's signed contracts by contract
date or its deliveries by delivery day, as a CSV Excel opens (UTF-8 with BOM), safe against
formula injection, for the sales manager and the admin only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from tests.conftest import field_errors
from tests.helpers import assert_full_page
from tests.negotiation.test_contracts import contract_at
from webapp.errors import PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.negotiation import tact
from webapp.negotiation.contract_models import ContractEvent, ContractState
from webapp.timeutil import local_today

S = ContractState


def login(client, world, role: str) -> None:
    assert client.login(world.users[role].username).status_code == 303


def read(body: bytes) -> list[dict[str, str]]:
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def at(world, catalogue, make_contract):
    def build(state: ContractState, card=None, **fields):
        return contract_at(make_contract, catalogue, card or world.own_card, state, **fields)

    return build


def period(kind: str = "signed", start: date | None = None, end: date | None = None):
    today = local_today()
    return tact.Period(kind, start or today - timedelta(days=30), end or today)


def test_the_csv_has_the_columns_a_tact_entry_needs(world, at):
    contract = at(S.ALLOCATED, loan_principal=80000)
    body = tact.export_csv(world.users["sales_manager"], period())
    header = body.decode("utf-8-sig").splitlines()[0].split(",")
    assert header == list(tact.COLUMNS)
    [row] = read(body)
    assert row == {
        "经销店代码": world.store_a.code,
        "合同号": contract.number,
        "合同日期": contract.contract_date.isoformat(),
        "客户姓名": world.own_card.name,
        "手机号": world.own_card.mobile,
        "车型代码": "COROLLA",
        "SFX代码": "ZRE211-P",
        "颜色": "铂金珍珠白",
        "VIN": contract.vehicle.vin,
        "成交价": "105800.00",
        "定金": "5000.00",
        "贷款金额": "80000.00",
        "预计交车日期": contract.delivery_date.isoformat(),
        "合同状态": "已配车",
        "交车日期": "",
        "交车完成时间": "",
        "销售顾问": world.users["salesperson"].display_name,
    }
    assert body.count(b"\r\n") == 2


def test_only_signed_or_later_contracts_of_the_own_store_are_exported(world, at):
    wanted = {
        at(S.SIGNED).number,
        at(S.DEPOSIT_PAID).number,
        at(S.BALANCE_PAID, card=world.colleague_card).number,
        at(S.DELIVERED).number,
        at(S.CANCELLED, signed_at=datetime.now(UTC)).number,  # cancelled after signing
    }
    at(S.DRAFT)
    at(S.SUBMITTED)
    at(S.APPROVED)
    at(S.CANCELLED)  # never signed
    at(S.SIGNED, card=world.other_store_card)
    rows = read(tact.export_csv(world.users["admin"], period()))
    assert {r["合同号"] for r in rows} == wanted
    assert {r["经销店代码"] for r in rows} == {world.store_a.code}


def test_the_date_range_is_on_the_contract_date_both_ends_included(world, at):
    inside = [at(S.SIGNED, contract_date=date(2026, 11, d)).number for d in (1, 15, 30)]
    at(S.SIGNED, contract_date=date(2026, 10, 31))
    at(S.SIGNED, contract_date=date(2026, 12, 1))
    rows = read(
        tact.export_csv(
            world.users["sales_manager"], period("signed", date(2026, 11, 1), date(2026, 11, 30))
        )
    )
    assert [r["合同号"] for r in rows] == inside


def test_the_delivery_complete_report_is_by_the_day_of_delivery(world, at):
    def delivered_on(day: date, **fields):
        contract = at(S.DELIVERED, **fields)
        event = db.session.scalars(
            sa.select(ContractEvent).where(
                ContractEvent.contract_id == contract.id, ContractEvent.to_state == "delivered"
            )
        ).one()
        # 00:30 in Shanghai is the evening before in UTC: the day counts in Shanghai.
        event.at = datetime(day.year, day.month, day.day, 0, 30) - timedelta(hours=8)
        event.at = event.at.replace(tzinfo=UTC)
        db.session.commit()
        return contract

    early = delivered_on(date(2026, 11, 1), contract_date=date(2026, 10, 1))
    delivered_on(date(2026, 10, 31))
    at(S.BALANCE_PAID)
    rows = read(
        tact.export_csv(
            world.users["sales_manager"],
            period("delivered", date(2026, 11, 1), date(2026, 11, 30)),
        )
    )
    assert [(r["合同号"], r["交车日期"], r["交车完成时间"], r["合同状态"]) for r in rows] == [
        (early.number, "2026-11-01", "00:30", "已交车")
    ]


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+86 139", "-1+1", "@SUM(A1)"])
def test_a_cell_a_spreadsheet_would_run_gets_an_apostrophe(world, at, text):
    world.own_card.name = text
    db.session.commit()
    at(S.SIGNED)
    [row] = read(tact.export_csv(world.users["sales_manager"], period()))
    assert row["客户姓名"] == "'" + text
    assert tact.safe_cell("王先生") == "王先生"
    assert tact.safe_cell(None) == ""


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-13-01"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "2025-01-01", "to": "2026-11-30"}, "to"),
        ({"kind": "all"}, "kind"),
        ({"from": "0999-01-01", "to": "0999-01-02"}, "from"),
    ],
)
def test_bad_dates_are_refused_with_a_message(app, args, field):
    with pytest.raises(ValidationError) as exc:
        tact.parse_period(MultiDict(args))
    assert field in exc.value.errors


def test_without_dates_the_report_is_this_month(app):
    today = local_today()
    assert tact.parse_period(MultiDict()) == tact.Period("signed", today.replace(day=1), today)


@pytest.mark.parametrize("role", ["salesperson", "finance", "greeter"])
def test_only_the_manager_and_the_admin_export(world, role):
    with pytest.raises(PermissionDenied):
        tact.export_csv(world.users[role], period())


# --- the route -------------------------------------------------------------------------------


def test_the_manager_downloads_the_csv(client, world, at):
    contract = at(S.SIGNED)
    login(client, world, "sales_manager")
    today = local_today()
    response = client.get(
        f"/negotiation/contracts/tact.csv?kind=signed&from={today.replace(day=1)}&to={today}"
    )
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Content-Disposition"].endswith('.csv"')
    assert response.headers["Cache-Control"] == "no-store"
    [row] = read(response.get_data())
    assert row["合同号"] == contract.number


def test_bad_dates_show_the_form_with_the_message(client, world):
    login(client, world, "admin")
    response = client.get("/negotiation/contracts/tact.csv?from=2026-11-30&to=2026-11-01")
    html = assert_full_page(response, 422)
    assert "结束日期不能早于开始日期" in field_errors(html)["to"]


def test_the_export_form_page(client, world):
    login(client, world, "sales_manager")
    html = assert_full_page(client.get("/negotiation/contracts/tact"))
    assert "TACT" in html and 'action="/negotiation/contracts/tact.csv"' in html


@pytest.mark.parametrize("role", ["salesperson", "finance", "greeter"])
def test_other_roles_get_403(client, world, role):
    login(client, world, role)
    assert client.get("/negotiation/contracts/tact.csv").status_code == 403
    assert client.get("/negotiation/contracts/tact").status_code == 403


def test_another_stores_manager_gets_only_their_own_store(client, world, at):
    at(S.SIGNED)
    login(client, world, "other_manager")
    response = client.get("/negotiation/contracts/tact.csv")
    assert response.status_code == 200
    assert read(response.get_data()) == []
