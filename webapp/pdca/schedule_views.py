"""附表二 活动预订表 at the evening meeting (夕会) and the morning meeting (早会): a
salesperson's schedule of a day with its suggestions, lines and results; the manager's review
with comments, cases for discussion and the store's evening hour; the morning meeting's page
with the day's plan; the workbook of a day."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.errors import NotFound, ValidationError
from webapp.htmx import (
    fragment_or_redirect,
    is_fragment_request,
    render_page_or_fragment,
    see_other,
)
from webapp.inputs import parse_id
from webapp.monthly import is_manager, owner_arg
from webapp.pdca import bp, meetings
from webapp.pdca import schedule as schedules
from webapp.timeutil import local_today

SCHEDULE = "pdca/schedule.html"
SCHEDULE_BLOCK = "schedule_sheet"
EVENING = "pdca/evening.html"
EVENING_BLOCK = "evening_review"
MORNING = "pdca/morning.html"
MORNING_BLOCK = "morning_sheet"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LINE_FIELDS = ("day", "at", "card_id", "purpose", "note")


def _form_day(default: date) -> date:
    """The day a form names; `default` when it names none the pages read (the service then
    refuses what it must, next to the field)."""
    try:
        return schedules.day_arg(request.form.get("day"), default)
    except NotFound:
        return default


# --- A salesperson's schedule ---------------------------------------------------------------


def _schedule_context(
    sheet: schedules.Sheet,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    error_line: int | None = None,
    saved: str = "",
) -> dict[str, Any]:
    """The schedule page's context; the new line's form starts empty (a free morning slot)."""
    return {
        "sheet": sheet,
        "cards": schedules.card_choices(current_user, sheet.owner_id) if sheet.editable else [],
        "purposes": [(k, str(v)) for k, v in schedules.PURPOSES.items()],
        "results": [(k, str(v)) for k, v in schedules.RESULTS.items()],
        "values": values or {"day": sheet.day.isoformat(), "purpose": "call"},
        "errors": errors or {},
        "error_line": error_line,
        "saved": saved,
        "today": local_today(),
        "tomorrow": schedules.tomorrow(),
    }


def _schedule_url(day: date) -> str:
    return url_for("pdca.schedule", day=day.isoformat())


def _schedule_page(day: date, status: int = 200, **extra: Any) -> Response:
    sheet = schedules.day_sheet(current_user, day)
    return render_page_or_fragment(
        SCHEDULE, SCHEDULE_BLOCK, status=status, **_schedule_context(sheet, **extra)
    )


def _schedule_saved(day: date, message: str, saved: str) -> Response:
    if not is_fragment_request():
        flash(message, "success")
    sheet = schedules.day_sheet(current_user, day)
    return fragment_or_redirect(
        _schedule_url(day),
        SCHEDULE,
        SCHEDULE_BLOCK,
        trigger="schedule-saved",
        **_schedule_context(sheet, saved=saved),
    )


@bp.get("/schedule")
@login_required
def schedule() -> Response:
    """附表二 of a day (`day=YYYY-MM-DD`, tomorrow by default): the salesperson's lines with
    their results, the suggestions from their records and the form for a line of their own.
    The manager and the admin are sent to the review of the evening meeting. 403 for other
    roles, 404 for a day out of range."""
    day = schedules.day_arg(request.args.get("day"), schedules.tomorrow())
    if is_manager(current_user):
        return see_other(url_for("pdca.evening", day=(day - timedelta(days=1)).isoformat()))
    return _schedule_page(day)


@bp.post("/schedule/lines")
@login_required
def add_line() -> Response:
    """Add a line of the salesperson's own: 422 with the errors next to the fields (nothing
    saved), else the schedule (303, or the updated sheet for htmx)."""
    day = _form_day(schedules.tomorrow())
    try:
        line = schedules.add_line(current_user, request.form)
    except ValidationError as exc:
        values = {name: request.form.get(name, "") for name in LINE_FIELDS}
        return _schedule_page(day, status=422, values=values, errors=exc.errors)
    return _schedule_saved(line.schedule.day, _("The line is added."), "line")


@bp.post("/schedule/suggestions")
@login_required
def take_suggestion() -> Response:
    """Store one suggestion (`source`) or all of them (`source=all`) as lines of the day."""
    day = _form_day(schedules.tomorrow())
    try:
        schedules.take_suggestions(current_user, request.form)
    except ValidationError as exc:
        return _schedule_page(day, status=422, errors=exc.errors)
    return _schedule_saved(day, _("The line is added."), "line")


@bp.post("/schedule/lines/<int:line_id>/delete")
@login_required
def remove_line(line_id: int) -> Response:
    """Remove a line before its day (422 on the day or after; 404 for a line not theirs)."""
    day = _form_day(schedules.tomorrow())
    try:
        day = schedules.remove_line(current_user, line_id)
    except ValidationError as exc:
        return _schedule_page(day, status=422, errors=exc.errors, error_line=line_id)
    return _schedule_saved(day, _("The line is removed."), "removed")


@bp.post("/schedule/lines/<int:line_id>/result")
@login_required
def record_result(line_id: int) -> Response:
    """Record a line's result (done / not done and what happened); 422 next to the line's
    fields, nothing saved; 404 for a line not theirs."""
    day = _form_day(local_today())
    try:
        line = schedules.record_result(current_user, line_id, request.form)
    except ValidationError as exc:
        values = {
            "result": request.form.get("result", ""),
            "result_note": request.form.get("result_note", ""),
        }
        return _schedule_page(day, status=422, values=values, errors=exc.errors, error_line=line_id)
    return _schedule_saved(line.schedule.day, _("The result is saved."), "result")


@bp.get("/schedule.xlsx")
@login_required
def schedule_xlsx() -> Response:
    """附表二 of a day as an Excel workbook with Chinese headers: a salesperson's own, the
    manager's every salesperson's (or one: `owner=<id>`)."""
    day = schedules.day_arg(request.args.get("day"), schedules.tomorrow())
    owner_id = owner_arg(request.args.get("owner"))
    body = schedules.xlsx(current_user, day, owner_id)
    response = Response(body, mimetype=XLSX_MIMETYPE)
    filename = schedules.xlsx_filename(day)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The manager's review at the evening meeting --------------------------------------------


def _evening_context(
    review: meetings.Review,
    errors: dict[str, str] | None = None,
    error_owner: int | None = None,
    values: dict[str, Any] | None = None,
    saved: str = "",
) -> dict[str, Any]:
    return {
        "review": review,
        "purposes": {k: str(v) for k, v in schedules.PURPOSES.items()},
        "results": {k: str(v) for k, v in schedules.RESULTS.items()},
        "errors": errors or {},
        "error_owner": error_owner,
        "values": values or {},
        "saved": saved,
        "today": local_today(),
    }


def _evening_page(day: date, status: int = 200, **extra: Any) -> Response:
    review = meetings.review(current_user, day)
    return render_page_or_fragment(
        EVENING, EVENING_BLOCK, status=status, **_evening_context(review, **extra)
    )


def _evening_saved(day: date, message: str, saved: str) -> Response:
    if not is_fragment_request():
        flash(message, "success")
    review = meetings.review(current_user, day)
    return fragment_or_redirect(
        url_for("pdca.evening", day=day.isoformat()),
        EVENING,
        EVENING_BLOCK,
        trigger="evening-saved",
        **_evening_context(review, saved=saved),
    )


@bp.get("/evening")
@login_required
def evening() -> Response:
    """The evening meeting of a day (`day`, today by default) for the sales manager and the
    admin: each salesperson's schedule of the next day with the comment form, the day's
    failed lines and overdue cards to mark for discussion, and the store's evening hour. 403
    for other roles."""
    day = schedules.day_arg(request.args.get("day"), local_today())
    return _evening_page(day)


@bp.post("/evening/comment")
@login_required
def save_comment() -> Response:
    """The manager's comment on a salesperson's schedule of `day` (422 next to the field)."""
    day = _form_day(local_today())
    owner_id = owner_arg(request.form.get("owner_id"))
    meeting_day = day - timedelta(days=1)
    if owner_id is None:
        return _evening_page(meeting_day, status=422, errors={"comment": _("Pick a salesperson.")})
    try:
        meetings.save_comment(current_user, owner_id, day, request.form)
    except ValidationError as exc:
        values = {"comment": request.form.get("comment", "")}
        return _evening_page(
            meeting_day, status=422, errors=exc.errors, error_owner=owner_id, values=values
        )
    return _evening_saved(meeting_day, _("The comment is saved."), f"comment-{owner_id}")


@bp.post("/evening/lines/<int:line_id>/discuss")
@login_required
def mark_line(line_id: int) -> Response:
    """Mark (`discuss=1`) or unmark a failed line for discussion at the meeting."""
    day = _form_day(local_today())
    try:
        meetings.mark_line(current_user, line_id, request.form.get("discuss") == "1")
    except ValidationError as exc:
        return _evening_page(day, status=422, errors=exc.errors)
    return _evening_saved(day, _("The list for discussion is updated."), "cases")


@bp.post("/evening/cases")
@login_required
def mark_card() -> Response:
    """Mark a salesperson's card for discussion at the meeting of `day` (422 next to the
    card: a card out of the store is refused, nothing saved)."""
    day = _form_day(local_today())
    try:
        meetings.mark_card(current_user, day, request.form)
    except ValidationError as exc:
        error_owner = parse_id(request.form.get("owner_id"))
        values = {"case_note": request.form.get("case_note", "")}
        return _evening_page(
            day, status=422, errors=exc.errors, error_owner=error_owner, values=values
        )
    return _evening_saved(day, _("The list for discussion is updated."), "cases")


@bp.post("/evening/cases/<int:case_id>/delete")
@login_required
def unmark_card(case_id: int) -> Response:
    """Take a card off the meeting's list (404 out of the store)."""
    day = meetings.unmark_card(current_user, case_id)
    return _evening_saved(day, _("The list for discussion is updated."), "cases")


@bp.post("/evening/hour")
@login_required
def save_evening_hour() -> Response:
    """The store's evening meeting hour, from which the reminder goes out (422 next to it)."""
    day = _form_day(local_today())
    try:
        meetings.save_evening_hour(current_user, request.form)
    except ValidationError as exc:
        values = {"evening_at": request.form.get("evening_at", "")}
        return _evening_page(day, status=422, errors=exc.errors, values=values)
    return _evening_saved(day, _("The evening meeting hour is saved."), "hour")


# --- The morning meeting --------------------------------------------------------------------


def _morning_context(
    meeting: meetings.Morning,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    saved: str = "",
) -> dict[str, Any]:
    return {
        "meeting": meeting,
        "purposes": {k: str(v) for k, v in schedules.PURPOSES.items()},
        "results": {k: str(v) for k, v in schedules.RESULTS.items()},
        "values": values if values is not None else {"plan": meeting.plan},
        "errors": errors or {},
        "saved": saved,
        "today": local_today(),
    }


@bp.get("/morning")
@login_required
def morning() -> Response:
    """The morning meeting of a day (`day`, today by default): the manager's plan, the duty
    roster (read only) and the schedules with their results (a salesperson: their own).
    403 for other roles."""
    day = schedules.day_arg(request.args.get("day"), local_today())
    meeting = meetings.morning(current_user, day)
    return render_page_or_fragment(MORNING, MORNING_BLOCK, **_morning_context(meeting))


@bp.post("/morning/plan")
@login_required
def save_day_plan() -> Response:
    """The manager's plan of the day (422 next to the field, nothing saved)."""
    day = _form_day(local_today())
    try:
        meetings.save_day_plan(current_user, day, request.form)
    except ValidationError as exc:
        meeting = meetings.morning(current_user, day)
        values = {"plan": request.form.get("plan", "")}
        context = _morning_context(meeting, values, exc.errors)
        return render_page_or_fragment(MORNING, MORNING_BLOCK, status=422, **context)
    meeting = meetings.morning(current_user, day)
    if not is_fragment_request():
        flash(_("The plan of the day is saved."), "success")
    return fragment_or_redirect(
        url_for("pdca.morning", day=day.isoformat()),
        MORNING,
        MORNING_BLOCK,
        trigger="morning-saved",
        **_morning_context(meeting, saved="plan"),
    )
