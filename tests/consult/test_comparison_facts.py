"""Comparison sheets name the like-for-like versions compared and where each fact comes from,
as of which date: the service's rules (a bad or future date is refused with a message for
its field, nothing saved), the form's errors next to the field, the comparison page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.helpers import assert_fragment, assert_full_page
from webapp.consult import services
from webapp.consult.models import ComparisonSheet
from webapp.errors import ValidationError
from webapp.extensions import db
from webapp.timeutil import local_today

HX = {"HX-Request": "true", "HX-Target": "sheet-form"}


def sheet_data(showroom, **overrides) -> dict:
    data = {
        "model_id": str(showroom.model.id),
        "competitor": "日产天籁 Nissan Teana",
        "ours_version": "2.0L CVT 进取版",
        "theirs_version": "天籁 2.0L XL 舒适版",
        "source": "厂家官网配置表",
        "as_of": "2025-10-01",
        "aliases": "天籁, Teana",
        "rows": "轴距 | 2870 mm | 2825 mm | 工信部公告 | 2025-09-15\n变速器 | CVT | CVT",
    }
    return {**data, **overrides}


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(ComparisonSheet))


def test_a_sheet_keeps_its_versions_and_each_row_its_source_and_date(world, showroom):
    sheet = services.comparison.save_sheet(world.users["admin"], None, sheet_data(showroom))
    assert (sheet.ours_version, sheet.theirs_version) == ("2.0L CVT 进取版", "天籁 2.0L XL 舒适版")
    assert (sheet.source, sheet.as_of) == ("厂家官网配置表", date(2025, 10, 1))
    facts = services.comparison.facts(sheet)
    assert [(f.aspect, f.source, f.as_of, f.own) for f in facts] == [
        ("轴距", "工信部公告", date(2025, 9, 15), True),
        ("变速器", "厂家官网配置表", date(2025, 10, 1), False),
    ]
    # The form shows the rows as they were written.
    assert services.comparison.rows_text(sheet.rows).splitlines() == [
        "轴距 | 2870 mm | 2825 mm | 工信部公告 | 2025-09-15",
        "变速器 | CVT | CVT",
    ]


@pytest.mark.parametrize(
    "raw", ["2025-13-01", "01/10/2025", "2025-02-30", "明年", "tomorrow"], ids=str
)
def test_a_bad_as_of_date_is_refused_for_its_field_and_nothing_is_saved(world, showroom, raw):
    if raw == "tomorrow":
        raw = (local_today() + timedelta(days=1)).isoformat()
    before = count()
    with pytest.raises(ValidationError) as raised:
        services.comparison.save_sheet(world.users["admin"], None, sheet_data(showroom, as_of=raw))
    assert set(raised.value.errors) == {"as_of"}
    assert count() == before


def test_a_bad_date_on_a_row_names_its_line(world, showroom):
    rows = "轴距 | 2870 mm | 2825 mm\n变速器 | CVT | CVT | 厂家官网 | 2025-9-1"
    with pytest.raises(ValidationError) as raised:
        services.comparison.save_sheet(world.users["admin"], None, sheet_data(showroom, rows=rows))
    assert set(raised.value.errors) == {"rows"}
    assert "2" in raised.value.errors["rows"] and "2026-03-01" in raised.value.errors["rows"]
    assert count() == 1


def test_versions_and_a_source_and_date_for_every_row_are_required(world, showroom):
    with pytest.raises(ValidationError) as raised:
        services.comparison.save_sheet(
            world.users["admin"],
            None,
            sheet_data(showroom, ours_version=" ", theirs_version="", source="", as_of=""),
        )
    assert set(raised.value.errors) == {"ours_version", "theirs_version", "source", "as_of"}
    # Rows that all carry their own source and date need none on the sheet.
    rows = "轴距 | 2870 mm | 2825 mm | 工信部公告 | 2025-09-15"
    sheet = services.comparison.save_sheet(
        world.users["admin"], None, sheet_data(showroom, source="", as_of="", rows=rows)
    )
    assert sheet.as_of is None and services.comparison.facts(sheet)[0].source == "工信部公告"


def test_editing_with_a_bad_date_shows_the_message_next_to_the_field(client, world, showroom):
    client.login("admin")
    sheet = showroom.sheet
    url = f"/consult/comparisons/{sheet.id}/edit"
    data = {**sheet_data(showroom, as_of="2025-02-30"), "version": sheet.version}
    response = client.post(url, data=data, headers=HX)
    html = assert_fragment(response, "sheet-form", status=422)
    assert 'id="f-as_of-error"' in html
    assert "2026-03-01" in field_errors(html)["as_of"]
    db.session.expire_all()
    assert sheet.competitor == "本田雅阁 Honda Accord" and sheet.as_of is None
    # Without htmx the whole page comes back with the same message.
    assert "f-as_of-error" in assert_full_page(client.post(url, data=data), status=422)
    ok = client.post(url, data={**sheet_data(showroom), "version": sheet.version})
    assert ok.status_code == 303


def test_the_comparison_page_names_the_versions_sources_and_dates(client, world, showroom):
    services.comparison.save_sheet(
        world.users["admin"],
        showroom.sheet.id,
        sheet_data(
            showroom,
            competitor="本田雅阁 Honda Accord",
            aliases="雅阁",
            theirs_version="雅阁 e:HEV",
        ),
        showroom.sheet.version,
    )
    card = world.own_card
    card.model_id = showroom.model.id
    card.competitors = "雅阁"
    db.session.commit()
    client.login("sales")
    page = assert_full_page(client.get(f"/consult/cards/{card.id}/compare"))
    for text in ("2.0L CVT 进取版", "雅阁 e:HEV", "工信部公告", "厂家官网配置表", "2025-10-01"):
        assert text in page
    assert "2025-09-15" in page  # the row's own date, under its aspect
