"""The pages of 附表二 and the meetings: each in full and as its htmx fragment, the errors
next to their fields with a 422 and nothing saved, the redirects after a plain POST, who sees
what, and the workbook."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from tests.conftest import field_errors
from tests.pdca.test_schedule import TODAY, TOMORROW, local
from webapp import timeutil
from webapp.extensions import db
from webapp.pdca import meetings
from webapp.pdca import schedule as schedules
from webapp.pdca.schedule_models import (
    ActivitySchedule,
    MeetingCase,
    MeetingDay,
    MeetingSetting,
    ScheduleLine,
)


@pytest.fixture
def clock(monkeypatch):
    def set_to(moment):
        monkeypatch.setattr(timeutil, "now", lambda: moment)
        monkeypatch.setattr(schedules, "now", lambda: moment)
        monkeypatch.setattr(meetings, "now", lambda: moment)

    set_to(local(TODAY, 15))
    return set_to


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def logged_in(app, username: str):
    client = app.test_client()
    assert client.login(username).status_code == 303
    return client


def test_the_schedule_page_and_its_fragment(app, world, clock):
    client = logged_in(app, "sales")
    page = client.get("/pdca/schedule")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html.lower() and "附表二" in html
    assert 'id="line-form"' in html and f'value="{TOMORROW.isoformat()}"' in html
    assert "pdca-schedule.css" in html
    fragment = client.get(f"/pdca/schedule?day={TOMORROW}", headers=hx("schedule-sheet"))
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and 'id="schedule-sheet"' in body
    assert "<html" not in body.lower() and "<nav" not in body
    assert client.get("/pdca/schedule?day=2026-13-01").status_code == 404
    assert client.get("/pdca/schedule?day=2030-01-01").status_code == 404
    colleague = world.users["colleague"].id
    assert client.get(f"/pdca/schedule.xlsx?owner={colleague}").status_code == 404
    # The manager is taken to the evening review of the day before.
    manager = logged_in(app, "manager")
    moved = manager.get(f"/pdca/schedule?day={TOMORROW}")
    assert moved.status_code == 303 and moved.headers["Location"].endswith(
        f"/pdca/evening?day={TODAY}"
    )
    assert logged_in(app, "greeter").get("/pdca/schedule").status_code == 403


def test_a_line_in_the_past_gets_its_message_next_to_the_field_and_saves_nothing(app, world, clock):
    client = logged_in(app, "sales")
    data = {"day": TODAY.isoformat(), "at": "14:00", "purpose": "call", "note": "回访"}
    bad = client.post("/pdca/schedule/lines", data=data, headers=hx("schedule-sheet"))
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert field_errors(body) == {"at": "这个时间已经过了：请选择更晚的时间。"}
    assert 'value="14:00"' in body and 'value="回访"' in body  # what was typed stays
    yesterday = {**data, "day": (TODAY - timedelta(days=1)).isoformat()}
    old = client.post("/pdca/schedule/lines", data=yesterday, headers=hx("schedule-sheet"))
    assert old.status_code == 422 and set(field_errors(old.get_data(as_text=True))) == {"day"}
    theirs = {**data, "day": TOMORROW.isoformat(), "card_id": str(world.colleague_card.id)}
    other = client.post("/pdca/schedule/lines", data=theirs)
    assert other.status_code == 422 and set(field_errors(other.get_data(as_text=True))) == {
        "card_id"
    }
    assert count(ScheduleLine) == 0 and count(ActivitySchedule) == 0

    ok = client.post(
        "/pdca/schedule/lines",
        data={**data, "day": TOMORROW.isoformat(), "card_id": str(world.own_card.id)},
        headers=hx("schedule-sheet"),
    )
    assert ok.status_code == 200 and ok.headers["HX-Trigger"] == "schedule-saved"
    assert "已添加" in ok.get_data(as_text=True) and "自己客户" in ok.get_data(as_text=True)
    plain = client.post("/pdca/schedule/lines", data={**data, "day": TOMORROW.isoformat()})
    assert plain.status_code == 303
    assert count(ScheduleLine) == 2


def test_results_removal_and_suggestions_through_the_page(app, world, clock, make_card):
    sales = world.users["salesperson"]
    make_card(sales, name="明天到期", next_follow_up_due=TOMORROW)
    client = logged_in(app, "sales")
    page = client.get("/pdca/schedule").get_data(as_text=True)
    assert "明天到期" in page and "根据记录" in page
    taken = client.post(
        "/pdca/schedule/suggestions",
        data={"day": TOMORROW.isoformat(), "source": "all"},
        headers=hx("schedule-sheet"),
    )
    assert taken.status_code == 200 and count(ScheduleLine) == 1
    again = client.post(
        "/pdca/schedule/suggestions",
        data={"day": TOMORROW.isoformat(), "source": "card:999999"},
        headers=hx("schedule-sheet"),
    )
    assert again.status_code == 422 and "source" in field_errors(again.get_data(as_text=True))
    line = db.session.scalars(sa.select(ScheduleLine)).one()
    # Removing before the day works; a colleague's line is not found.
    colleague_line = schedules.add_line(
        world.users["colleague"], {"day": TOMORROW.isoformat(), "at": "09:00", "purpose": "call"}
    )
    assert client.post(f"/pdca/schedule/lines/{colleague_line.id}/delete").status_code == 404
    assert client.post(f"/pdca/schedule/lines/{colleague_line.id}/result").status_code == 404
    # On the line's day: a result, with the message next to the field when it is incomplete.
    clock(local(TOMORROW, 18))
    client = logged_in(app, "sales")  # a new day, a new login
    bad = client.post(
        f"/pdca/schedule/lines/{line.id}/result",
        data={"day": TOMORROW.isoformat(), "result": "not_done", "result_note": ""},
        headers=hx("schedule-sheet"),
    )
    assert bad.status_code == 422
    assert set(field_errors(bad.get_data(as_text=True))) == {"result_note"}
    db.session.expire_all()
    assert line.result == ""
    good = client.post(
        f"/pdca/schedule/lines/{line.id}/result",
        data={"day": TOMORROW.isoformat(), "result": "done", "result_note": "已约周六来店"},
        headers=hx("schedule-sheet"),
    )
    assert good.status_code == 200 and "已约周六来店" in good.get_data(as_text=True)
    late = client.post(
        f"/pdca/schedule/lines/{line.id}/delete",
        data={"day": TOMORROW.isoformat()},
        headers=hx("schedule-sheet"),
    )
    assert late.status_code == 422 and count(ScheduleLine) == 2


def test_the_evening_review_and_its_forms(app, world, clock):
    sales = world.users["salesperson"]
    clock(local(TODAY, 8))
    failed = schedules.add_line(
        sales, {"day": TODAY.isoformat(), "at": "10:00", "purpose": "call", "note": "首次回访"}
    )
    clock(local(TODAY, 17, 40))
    schedules.record_result(sales, failed.id, {"result": "not_done", "result_note": "未接通"})
    client = logged_in(app, "manager")
    page = client.get("/pdca/evening")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html.lower() and "未接通" in html
    assert sales.display_name in html and world.users["other_salesperson"].display_name not in html
    fragment = client.get(f"/pdca/evening?day={TODAY}", headers=hx("evening-review"))
    body = fragment.get_data(as_text=True)
    assert 'id="evening-review"' in body and "<nav" not in body

    long = client.post(
        "/pdca/evening/comment",
        data={"day": TOMORROW.isoformat(), "owner_id": str(sales.id), "comment": "长" * 1001},
        headers=hx("evening-review"),
    )
    assert long.status_code == 422
    assert set(field_errors(long.get_data(as_text=True))) == {"comment"}
    assert count(ActivitySchedule) == 1  # today's only: nothing made for tomorrow
    said = client.post(
        "/pdca/evening/comment",
        data={"day": TOMORROW.isoformat(), "owner_id": str(sales.id), "comment": "明早先打H级"},
        headers=hx("evening-review"),
    )
    assert said.status_code == 200 and "明早先打H级" in said.get_data(as_text=True)
    marked = client.post(
        f"/pdca/evening/lines/{failed.id}/discuss",
        data={"day": TODAY.isoformat(), "discuss": "1"},
        headers=hx("evening-review"),
    )
    assert marked.status_code == 200
    db.session.expire_all()
    assert failed.discuss
    outsider = client.post(
        "/pdca/evening/cases",
        data={
            "day": TODAY.isoformat(),
            "owner_id": str(sales.id),
            "card_id": str(world.other_store_card.id),
        },
        headers=hx("evening-review"),
    )
    assert outsider.status_code == 422
    assert set(field_errors(outsider.get_data(as_text=True))) == {"card_id"}
    assert count(MeetingCase) == 0
    hour = client.post(
        "/pdca/evening/hour", data={"evening_at": "23:30"}, headers=hx("evening-review")
    )
    assert hour.status_code == 422
    assert set(field_errors(hour.get_data(as_text=True))) == {"evening_at"}
    assert count(MeetingSetting) == 0
    assert client.post("/pdca/evening/hour", data={"evening_at": "18:00"}).status_code == 303
    # The salesperson reads the comment on their schedule, never the review.
    sales_client = logged_in(app, "sales")
    assert "明早先打H级" in sales_client.get("/pdca/schedule").get_data(as_text=True)
    assert sales_client.get("/pdca/evening").status_code == 403


def test_the_morning_meeting_page_and_the_days_plan(app, world, clock):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    clock(local(TODAY, 7))
    schedules.add_line(sales, {"day": TODAY.isoformat(), "at": "09:00", "purpose": "visit"})
    schedules.add_line(
        colleague, {"day": TODAY.isoformat(), "at": "10:00", "purpose": "call", "note": "同事行程"}
    )
    manager = logged_in(app, "manager")
    page = manager.get("/pdca/morning")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "早会" in html and 'id="day-plan-form"' in html
    assert "同事行程" in html
    fragment = manager.get(f"/pdca/morning?day={TODAY}", headers=hx("morning-sheet"))
    assert 'id="morning-sheet"' in fragment.get_data(as_text=True)
    assert "<nav" not in fragment.get_data(as_text=True)
    bad = manager.post(
        "/pdca/morning/plan",
        data={"day": TODAY.isoformat(), "plan": "长" * 1001},
        headers=hx("morning-sheet"),
    )
    assert bad.status_code == 422 and set(field_errors(bad.get_data(as_text=True))) == {"plan"}
    assert count(MeetingDay) == 0
    good = manager.post(
        "/pdca/morning/plan",
        data={"day": TODAY.isoformat(), "plan": "今日主推卡罗拉双擎"},
        headers=hx("morning-sheet"),
    )
    assert good.status_code == 200 and "今日主推卡罗拉双擎" in good.get_data(as_text=True)
    # A salesperson sees the plan and their own schedule, not a colleague's.
    mine = logged_in(app, "sales").get("/pdca/morning").get_data(as_text=True)
    assert "今日主推卡罗拉双擎" in mine and "同事行程" not in mine
    assert 'id="day-plan-form"' not in mine


def test_the_workbook_has_the_screens_columns_with_chinese_headers(app, world, clock):
    schedules.add_line(
        world.users["salesperson"],
        {"day": TOMORROW.isoformat(), "at": "09:30", "purpose": "test_drive", "note": "=cmd"},
    )
    response = logged_in(app, "manager").get(f"/pdca/schedule.xlsx?day={TOMORROW}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith(f'activity-schedule-{TOMORROW}.xlsx"')
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert list(rows[0]) == schedules.XLSX_HEADERS
    assert rows[1][2:6] == ("09:30", None, "试乘试驾", "'=cmd")
