"""附表二 活动预订表: the suggestions from the records (checked by hand), a salesperson's lines
and results, bad input (past times, ranges, cards not theirs), the manager's comment and
marks, the day's plan and the workbook's rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from tests.delivery.jobs_fixtures import catalogue, make_contract, make_delivery  # noqa: F401
from tests.sync import support as s
from webapp import timeutil
from webapp.customers.models import Stage
from webapp.delivery.models import DeliveryState
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.followup.models import FollowUpTask
from webapp.pdca import meetings
from webapp.pdca import schedule as schedules
from webapp.pdca.schedule_models import (
    ActivitySchedule,
    MeetingCase,
    MeetingDay,
    MeetingSetting,
    ScheduleLine,
)
from webapp.testdrive.models import BookingStatus
from webapp.timeutil import SHANGHAI

TODAY = date(2026, 11, 20)  # before the real clock: a login made now stays fresh
TOMORROW = TODAY + timedelta(days=1)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI).astimezone(UTC)


@pytest.fixture
def clock(monkeypatch):
    """The showroom's clock at 15:00 on TODAY (Asia/Shanghai); `clock(moment)` moves it."""

    def set_to(moment: datetime) -> None:
        monkeypatch.setattr(timeutil, "now", lambda: moment)
        monkeypatch.setattr(schedules, "now", lambda: moment)
        monkeypatch.setattr(meetings, "now", lambda: moment)

    set_to(local(TODAY, 15))
    return set_to


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def line_data(**fields: str) -> dict[str, str]:
    return {"day": TOMORROW.isoformat(), "at": "09:30", "purpose": "call", "note": ""} | fields


def test_suggestions_are_what_the_records_put_on_the_day(
    world,
    clock,
    make_card,
    make_delivery,  # noqa: F811
):
    """Hand-checked: a task due tomorrow at 10:00 local, a booked test drive at 14:30, a
    planned delivery at 16:00 and a card due tomorrow are offered, by time; what is done,
    cancelled, on another day, lost or a colleague's is not."""
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    card = world.own_card
    due = make_card(sales, name="明天回访", next_follow_up_due=TOMORROW)
    make_card(sales, name="已战败", next_follow_up_due=TOMORROW, stage=Stage.LOST.value)
    make_card(colleague, name="同事的", next_follow_up_due=TOMORROW)
    make_card(sales, name="后天", next_follow_up_due=TOMORROW + timedelta(days=1))
    task = FollowUpTask(
        store_id=sales.store_id,
        card_id=card.id,
        owner_id=sales.id,
        kind="thank_you",
        due_at=local(TOMORROW, 10),
        source="t:1",
    )
    done = FollowUpTask(
        store_id=sales.store_id,
        card_id=card.id,
        owner_id=sales.id,
        kind="quarterly",
        due_at=local(TOMORROW, 11),
        source="t:2",
        done_at=local(TODAY, 9),
    )
    late_night = FollowUpTask(  # 23:30 tomorrow local is still tomorrow (15:30 UTC)
        store_id=sales.store_id,
        card_id=card.id,
        owner_id=sales.id,
        kind="agreed_call",
        due_at=local(TOMORROW, 23, 30),
        source="t:3",
    )
    db.session.add_all([task, done, late_night])
    db.session.commit()
    drive, handover = _drive_and_delivery(world, card, make_delivery)

    offered = schedules.suggestions(sales, sales.id, TOMORROW)
    assert [(x.source, x.at, x.customer, x.purpose) for x in offered] == [
        (f"card:{due.id}", time(10), "明天回访", "call"),  # a card's day: 10:00
        (f"followup:{task.id}", time(10), card.name, "call"),
        (f"testdrive:{drive.id}", time(14, 30), card.name, "test_drive"),
        (f"delivery:{handover.id}", time(16), card.name, "delivery"),
        (f"followup:{late_night.id}", time(23, 30), card.name, "call"),
    ]
    # A colleague's records never reach the salesperson, even asked for by id.
    assert schedules.suggestions(sales, colleague.id, TOMORROW) == []
    # Taking one stores it with its source; it is not offered again.
    schedules.take_suggestions(sales, {"day": TOMORROW.isoformat(), "source": f"card:{due.id}"})
    sheet = schedules.day_sheet(sales, TOMORROW)
    assert [(line.source, line.card_id, line.at) for line in sheet.lines] == [
        (f"card:{due.id}", due.id, time(10))
    ]
    assert f"card:{due.id}" not in {x.source for x in sheet.suggestions}
    with pytest.raises(ValidationError) as refused:
        schedules.take_suggestions(sales, {"day": TOMORROW.isoformat(), "source": f"card:{due.id}"})
    assert set(refused.value.errors) == {"source"}
    # "all" takes the rest at once.
    assert schedules.take_suggestions(sales, {"day": TOMORROW.isoformat(), "source": "all"}) == 4
    assert count(ScheduleLine) == 5
    assert schedules.day_sheet(sales, TOMORROW).suggestions == []


def _drive_and_delivery(world, card, make_delivery):  # noqa: F811
    """A booked test drive at 14:30 and a planned delivery at 16:00 tomorrow (local), with a
    cancelled test drive and a completed delivery the same day that are not offered."""

    def drive(at: datetime, status: str):
        packet = s.make_packet(card.owner, card)
        packet.booking.starts_at = at
        packet.booking.ends_at = at + timedelta(minutes=30)
        packet.booking.status = status
        db.session.commit()
        return packet.booking

    booked = drive(local(TOMORROW, 14, 30), BookingStatus.BOOKED.value)
    drive(local(TOMORROW, 9), BookingStatus.CANCELLED.value)
    handover = make_delivery(card, local(TOMORROW, 16))
    make_delivery(card, local(TOMORROW, 11), state=DeliveryState.COMPLETED.value)
    return booked, handover


def test_a_salesperson_adds_lines_and_records_results_from_the_day_on(world, clock):
    sales = world.users["salesperson"]
    card = world.own_card
    line = schedules.add_line(
        sales, line_data(at="14:00", card_id=str(card.id), purpose="visit", note="带报价单")
    )
    schedules.add_line(sales, line_data(at="09:00", note="整理卡片"))
    sheet = schedules.day_sheet(sales, TOMORROW)
    assert [(x.at, x.purpose, x.card_id) for x in sheet.lines] == [
        (time(9), "call", None),
        (time(14), "visit", card.id),
    ]
    assert sheet.removable and not sheet.results_open
    # No result before the line's day.
    with pytest.raises(ValidationError) as early:
        schedules.record_result(sales, line.id, {"result": "done"})
    assert set(early.value.errors) == {"result"}
    # The next day: results, but no more removing.
    clock(local(TOMORROW, 18))
    with pytest.raises(ValidationError) as too_late:
        schedules.remove_line(sales, line.id)
    assert set(too_late.value.errors) == {"line"}
    with pytest.raises(ValidationError) as why:
        schedules.record_result(sales, line.id, {"result": "not_done", "result_note": ""})
    assert set(why.value.errors) == {"result_note"}
    schedules.record_result(sales, line.id, {"result": "not_done", "result_note": "客户改期"})
    db.session.expire_all()
    assert (line.result, line.result_note) == ("not_done", "客户改期")


def test_a_line_is_removed_before_its_day(world, clock):
    sales = world.users["salesperson"]
    line = schedules.add_line(sales, line_data())
    assert schedules.remove_line(sales, line.id) == TOMORROW
    assert count(ScheduleLine) == 0 and count(ActivitySchedule) == 1


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({"day": (TODAY - timedelta(days=1)).isoformat()}, {"day"}),  # yesterday
        ({"day": TODAY.isoformat(), "at": "14:59"}, {"at"}),  # today, already passed
        ({"day": TODAY.isoformat(), "at": "15:00"}, {"at"}),  # now is not later
        ({"day": (TODAY + timedelta(days=15)).isoformat()}, {"day"}),  # too far ahead
        ({"day": "2026-02-30"}, {"day"}),
        ({"at": "24:00"}, {"at"}),
        ({"at": "9:5"}, {"at"}),
        ({"at": ""}, {"at"}),
        ({"purpose": "party"}, {"purpose"}),
        ({"note": "长" * 201}, {"note"}),
        ({"note": "bad\x00"}, {"note"}),
        ({"card_id": "99999999999"}, {"card_id"}),
        ({"card_id": "abc"}, {"card_id"}),
    ],
)
def test_bad_lines_are_refused_by_field_and_nothing_saved(world, clock, fields, errors):
    sales = world.users["salesperson"]
    with pytest.raises(ValidationError) as refused:
        schedules.add_line(sales, line_data(**fields))
    assert set(refused.value.errors) == errors
    assert count(ScheduleLine) == 0 and count(ActivitySchedule) == 0


def test_a_line_later_today_is_fine(world, clock):
    sales = world.users["salesperson"]
    schedules.add_line(sales, line_data(day=TODAY.isoformat(), at="15:01"))
    assert count(ScheduleLine) == 1


def test_a_card_of_a_colleague_or_another_store_is_refused(world, clock):
    sales = world.users["salesperson"]
    for card in (world.colleague_card, world.other_store_card):
        with pytest.raises(ValidationError) as refused:
            schedules.add_line(sales, line_data(card_id=str(card.id)))
        assert set(refused.value.errors) == {"card_id"}
    assert count(ScheduleLine) == 0


def test_a_salesperson_never_reaches_a_colleagues_schedule(world, clock):
    sales, colleague = world.users["salesperson"], world.users["colleague"]
    theirs = schedules.add_line(colleague, line_data(note="同事的安排"))
    with pytest.raises(NotFound):
        schedules.day_sheet(sales, TOMORROW, colleague.id)
    with pytest.raises(NotFound):
        schedules.remove_line(sales, theirs.id)
    with pytest.raises(NotFound):
        schedules.record_result(sales, theirs.id, {"result": "done"})
    [own] = schedules.store_sheets(sales, TOMORROW)
    assert own.owner_id == sales.id and own.lines == []
    # Only salespeople write lines; the greeter reads no schedule.
    with pytest.raises(PermissionDenied):
        schedules.add_line(world.users["sales_manager"], line_data())
    with pytest.raises(PermissionDenied):
        meetings.morning(world.users["greeter"], TODAY)
    assert count(ScheduleLine) == 1


def test_the_manager_comments_and_marks_the_days_failed_cases(world, clock, make_card):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    clock(local(TODAY, 8))
    failed = schedules.add_line(sales, line_data(day=TODAY.isoformat(), at="10:00"))
    fine = schedules.add_line(sales, line_data(day=TODAY.isoformat(), at="11:00"))
    schedules.add_line(sales, line_data(at="09:00", note="明天第一件事"))
    clock(local(TODAY, 17, 30))
    schedules.record_result(sales, failed.id, {"result": "not_done", "result_note": "未接通"})
    late = make_card(sales, name="逾期客户", next_follow_up_due=TODAY - timedelta(days=2))

    review = meetings.review(manager, TODAY)
    assert review.next_day == TOMORROW
    plan = next(x for x in review.plans if x.owner_id == sales.id)
    assert [x.note for x in plan.lines] == ["明天第一件事"]
    assert [x.id for x in review.failed[sales.id]] == [failed.id]
    assert review.open_results[sales.id] == 1  # the 11:00 line has no result yet
    assert (late.id, "逾期客户", late.next_follow_up_due) in review.overdue[sales.id]
    assert world.users["other_salesperson"].id not in review.failed

    meetings.save_comment(manager, sales.id, TOMORROW, {"comment": "先回访H级客户"})
    meetings.mark_line(manager, failed.id, True)
    with pytest.raises(ValidationError):
        meetings.mark_line(manager, fine.id, True)  # not failed
    case = meetings.mark_card(
        manager, TODAY, {"card_id": str(late.id), "case_note": "连续三次未联系"}
    )
    assert meetings.mark_card(manager, TODAY, {"card_id": str(late.id)}).id == case.id
    for card in (world.other_store_card, None):
        with pytest.raises(ValidationError) as refused:
            meetings.mark_card(manager, TODAY, {"card_id": str(card.id) if card else "x"})
        assert set(refused.value.errors) == {"card_id"}
    assert count(MeetingCase) == 1

    # The salesperson sees the comment and the mark on their own schedule.
    sheet = schedules.day_sheet(sales, TOMORROW)
    assert sheet.comment == "先回访H级客户"
    today_sheet = schedules.day_sheet(sales, TODAY)
    assert [x.discuss for x in today_sheet.lines] == [True, False]
    # Another store's manager reaches none of it.
    other = world.users["other_manager"]
    with pytest.raises(NotFound):
        meetings.save_comment(other, sales.id, TOMORROW, {"comment": "x"})
    with pytest.raises(NotFound):
        meetings.mark_line(other, failed.id, True)
    with pytest.raises(NotFound):
        meetings.unmark_card(other, case.id)
    with pytest.raises(ValidationError) as long:
        meetings.save_comment(manager, sales.id, TOMORROW, {"comment": "长" * 1001})
    assert set(long.value.errors) == {"comment"}
    assert meetings.unmark_card(manager, case.id) == TODAY
    assert count(MeetingCase) == 0


def test_the_evening_hour_and_the_days_plan(world, clock):
    manager, sales = world.users["sales_manager"], world.users["salesperson"]
    assert meetings.evening_hour(manager.store_id) == time(17, 30)
    for bad in ("25:00", "7:00", "08:00", "23:00", ""):
        with pytest.raises(ValidationError) as refused:
            meetings.save_evening_hour(manager, {"evening_at": bad})
        assert set(refused.value.errors) == {"evening_at"}
    with pytest.raises(PermissionDenied):
        meetings.save_evening_hour(sales, {"evening_at": "18:00"})
    assert count(MeetingSetting) == 0
    meetings.save_evening_hour(manager, {"evening_at": "18:15"})
    assert meetings.evening_hour(manager.store_id) == time(18, 15)

    meetings.save_day_plan(manager, TODAY, {"plan": "上午集中电话回访，下午试驾活动"})
    meeting = meetings.morning(sales, TODAY)
    assert meeting.plan == "上午集中电话回访，下午试驾活动" and not meeting.store_wide
    assert [x.owner_id for x in meeting.sheets] == [sales.id]
    with pytest.raises(ValidationError):
        meetings.save_day_plan(manager, TODAY - timedelta(days=1), {"plan": "补写"})
    with pytest.raises(ValidationError):
        meetings.save_day_plan(manager, TODAY, {"plan": "长" * 1001})
    with pytest.raises(PermissionDenied):
        meetings.save_day_plan(sales, TODAY, {"plan": "x"})
    assert count(MeetingDay) == 1
    assert meetings.morning(world.users["other_manager"], TODAY).plan == ""


def test_the_workbook_rows_are_the_screens_columns(world, clock):
    sales, manager = world.users["salesperson"], world.users["sales_manager"]
    schedules.add_line(
        sales, line_data(at="10:00", card_id=str(world.own_card.id), note="=1+1", purpose="visit")
    )
    schedules.add_line(world.users["colleague"], line_data(at="09:00"))
    rows = schedules.xlsx_rows(schedules.store_sheets(sales, TOMORROW))
    assert rows == [
        [TOMORROW.isoformat(), sales.display_name, "10:00", "自己客户", "拜访", "=1+1", "", ""]
    ]
    assert len(schedules.xlsx_rows(schedules.store_sheets(manager, TOMORROW))) == 2
    assert schedules.XLSX_HEADERS[2:] == ["时间", "顾客", "目的", "备注", "结果", "结果说明"]
