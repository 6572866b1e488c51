"""The register's exports (附表五) survive what old rows may hold and never hand a spreadsheet
a formula: control characters stored before the input rules are dropped from CSV and XLSX,
and a cell starting with = + - @ or their full-width forms is quoted."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.reception.support import arrive, roster
from webapp.auth.models import Role
from webapp.extensions import db
from webapp.reception.exports import HEADERS
from webapp.reception.models import Visit
from webapp.timeutil import local_today
from webapp.xlsx import safe_cell

NAME, NEXT_STEP, NOTES = (HEADERS.index(h) for h in ("顾客姓名", "下一步", "5W2H准备"))


@pytest.fixture
def team(world, make_user):
    third = make_user(Role.SALESPERSON, store=world.store_a, username="third")
    people = [world.users["salesperson"], world.users["colleague"], third]
    roster(world.users["sales_manager"], people)
    return people


def stored_controls() -> str:
    """What an old row may hold: a vertical tab, other C0 controls and, where the database
    takes one, a NUL (PostgreSQL's text refuses NUL outright, so no row there holds one)."""
    nul = "" if db.engine.dialect.name == "postgresql" else "\x00"
    return f"\x0b{nul}\x1f\x08"


def old_row(world, **values: str) -> Visit:
    """A visit whose text was written before the input rules, straight into the table."""
    visit = arrive(world.users["greeter"], name="旧")
    db.session.execute(sa.update(Visit).where(Visit.id == visit.id).values(**values))
    db.session.commit()
    return visit


def csv_rows(client) -> list[list[str]]:
    response = client.get("/reception/register.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))


def xlsx_rows(client) -> list[tuple]:
    response = client.get("/reception/register.xlsx")
    assert response.status_code == 200
    return list(load_workbook(io.BytesIO(response.get_data())).active.values)


def test_stored_control_characters_are_dropped_from_the_xlsx(client, world, team):
    bad = stored_controls()
    old_row(world, prep_notes=f"准备{bad}问题\n预算", next_step=f"{bad}回访", name=f"旧{bad}")
    client.login("manager")
    row = xlsx_rows(client)[1]
    assert row[NOTES] == "准备问题\n预算"
    assert row[NEXT_STEP] == "回访" and row[NAME] == "旧"


def test_stored_control_characters_are_dropped_from_the_csv(client, world, team):
    bad = stored_controls()
    old_row(world, prep_notes=f"准备{bad}问题\r\n预算", next_step=f"回访{bad}")
    client.login("manager")
    row = csv_rows(client)[1]
    assert row[NOTES] == "准备问题\n预算" and row[NEXT_STEP] == "回访"
    assert not any(ch in cell for cell in row for ch in bad)


@pytest.mark.parametrize("sign", ["=", "+", "-", "@", "＝", "＋", "－", "＠"])
def test_a_cell_that_would_start_a_formula_is_quoted_in_both_exports(client, world, team, sign):
    formula = f'{sign}HYPERLINK("http://evil.example")'
    old_row(world, name=formula, next_step=f"\t{formula}", prep_notes=f"\r\n {formula}")
    client.login("manager")
    row = csv_rows(client)[1]
    assert row[NAME] == "'" + formula
    assert row[NEXT_STEP] == "'" + formula
    assert row[NOTES] == "'\n " + formula
    cells = xlsx_rows(client)[1]
    assert cells[NAME] == "'" + formula and cells[NEXT_STEP] == "'" + formula


def test_ordinary_text_and_numbers_are_exported_unchanged():
    assert safe_cell("张三") == "张三"
    assert safe_cell("5W2H：预算 20 万") == "5W2H：预算 20 万"
    assert safe_cell(3) == 3 and safe_cell("") == ""


def test_the_export_links_carry_the_filters_as_read_not_the_raw_query(client, world, team):
    client.login("manager")
    page = client.get(
        "/reception/register",
        query_string={"day": "0001-01-01", "source": "referral", "result": "\x00", "x": "<b>"},
    ).get_data(as_text=True)
    today = local_today().isoformat()
    assert f"/reception/register.csv?day={today}&amp;source=referral" in page
    assert "%00" not in page and "0001-01-01" not in page
