"""The follow-up pages: a person's tasks, working one (done, moved, to the manager) in place
from "my day", the card or this list, the manager's overdue list, and the service
department's cards (the first maintenance hands a C card over)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.errors import ValidationError
from webapp.followup import bp, overdue
from webapp.followup import services as svc
from webapp.htmx import fragment_or_redirect, render_page_or_fragment, see_other
from webapp.labels import Labels
from webapp.timeutil import local_today

# Where a task's form returns without script: the pages that list tasks, by name.
RETURNS = {"my_day": "home.my_day", "mine": "followup.mine", "overdue": "followup.overdue"}


@bp.app_template_global()
def task_links() -> Labels:
    """The card's and the task's URL without the id, for task_item (followup/_tasks.html):
    a list builds them once instead of two url_for per task."""
    return Labels(
        card=url_for("customers.card", card_id=0)[:-1],
        task=url_for("followup.task", task_id=0)[:-1],
    )


def _return_url(task_card_id: int) -> str:
    back = request.form.get("back", "")
    if back == "card":
        return url_for("customers.card", card_id=task_card_id)
    return url_for(RETURNS.get(back, "followup.mine"))


def _task_row(task_id: int) -> svc.TaskRow:
    return svc.task_row(current_user, task_id)


def _item(task_id: int, status: int = 200, **extra: Any) -> Response:
    """One task's list item: the fragment the task's forms swap, or its own page."""
    context = {
        "task": _task_row(task_id),
        "today": local_today(),
        "back": request.form.get("back", "mine"),
        "values": {},
        "errors": {},
        "open_form": "",
        **extra,
    }
    return render_page_or_fragment("followup/task.html", "task_item", status=status, **context)


FORMS = ("complete", "reschedule", "escalate")


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int) -> Response:
    """One task, with the form asked for (`?form=complete|reschedule|escalate`) open: the
    item alone for htmx (a button of the list brings its form in place), else its page."""
    svc.get_task(current_user, task_id)  # the owner or a manager: others NotFound / 403
    form = request.args.get("form", "")
    back = request.args.get("back", "mine")
    return render_page_or_fragment(
        "followup/task.html",
        "task_item",
        task=_task_row(task_id),
        today=local_today(),
        back=back if back in (*RETURNS, "card") else "mine",
        values={},
        errors={},
        open_form=form if form in FORMS else "",
    )


@bp.get("/")
@login_required
def mine() -> Response:
    """My follow-ups: what is due (overdue first) and what comes in the next days."""
    today = local_today()
    tasks = svc.my_due_tasks(current_user, today + timedelta(days=7), limit=200)
    return render_page_or_fragment(
        "followup/mine.html", "task_list", tasks=tasks, today=today, back="mine"
    )


def _posted(names: tuple[str, ...]) -> dict[str, str]:
    return {name: request.form.get(name, "") for name in names}


@bp.post("/tasks/<int:task_id>/complete")
@login_required
def complete(task_id: int) -> Response:
    """Done, with what came of it; the contact is logged on the card."""
    values = _posted(("result", "outcome", "contact_kind", "grade", "referral_asked"))
    try:
        task = svc.complete_task(
            current_user,
            task_id,
            values["result"],
            values["outcome"],
            contact_kind=values["contact_kind"] or "phone_out",
            grade=values["grade"] or None,
            referral_asked=values["referral_asked"] == "1",
        )
    except ValidationError as exc:
        return _item(task_id, 422, values=values, errors=exc.errors, open_form="complete")
    flash(_("Follow-up done: it is on the card."), "success")
    return _after(task.id, task.card_id)


@bp.post("/tasks/<int:task_id>/reschedule")
@login_required
def reschedule(task_id: int) -> Response:
    """Moved to another day, with the reason."""
    values = _posted(("due_on", "reason"))
    try:
        task = svc.reschedule_task(current_user, task_id, values["due_on"], values["reason"])
    except ValidationError as exc:
        return _item(task_id, 422, values=values, errors=exc.errors, open_form="reschedule")
    flash(_("Follow-up moved."), "success")
    return _after(task.id, task.card_id)


@bp.post("/tasks/<int:task_id>/escalate")
@login_required
def escalate(task_id: int) -> Response:
    """Handed to the managers, with what they should know."""
    values = _posted(("escalation_note",))
    try:
        task = svc.escalate_task(current_user, task_id, values["escalation_note"])
    except ValidationError as exc:
        return _item(task_id, 422, values=values, errors=exc.errors, open_form="escalate")
    flash(_("The manager has been told."), "success")
    return _after(task.id, task.card_id)


def _after(task_id: int, card_id: int) -> Response:
    """The updated item for htmx, else back where the form was."""
    return fragment_or_redirect(
        _return_url(card_id),
        "followup/task.html",
        "task_item",
        trigger="task-changed",
        task=_task_row(task_id),
        today=local_today(),
        back=request.form.get("back", "mine"),
        values={},
        errors={},
        open_form="",
    )


@bp.get("/overdue", endpoint="overdue")
@login_required
def overdue_page() -> Response:
    """What is overdue: the tasks (escalated first) and the A cards past their follow-up,
    by salesperson. The manager sees the store; a salesperson their own."""
    return render_page_or_fragment(
        "followup/overdue.html",
        "overdue_tasks",
        tasks=svc.overdue_tasks(current_user),
        cards=overdue.overdue_cards_by_owner(current_user),
        today=local_today(),
        back="overdue",
    )


@bp.get("/service")
@login_required
def service() -> Response:
    """The service department's cards: owners waiting for their first maintenance, and the
    C cards handed to service (contact data, no prices)."""
    return render_page_or_fragment(
        "followup/service.html",
        "service_lists",
        awaiting=svc.awaiting_service(current_user),
        handed=svc.handed_cards(current_user),
        advisors=svc.service_advisors(current_user.store_id),
        values={},
        errors={},
        error_card=None,
        today=local_today(),
    )


@bp.post("/cards/<int:card_id>/first-maintenance")
@login_required
def first_maintenance(card_id: int) -> Response:
    """Record the first maintenance: the card goes to the service department."""
    values = _posted(("maintained_on", "advisor_id"))
    try:
        svc.record_first_maintenance(
            current_user, card_id, values["maintained_on"], values["advisor_id"] or None
        )
    except ValidationError as exc:
        return render_page_or_fragment(
            "followup/service.html",
            "service_lists",
            status=422,
            awaiting=svc.awaiting_service(current_user),
            handed=svc.handed_cards(current_user),
            advisors=svc.service_advisors(current_user.store_id),
            values=values,
            errors=exc.errors,
            error_card=card_id,
            today=local_today(),
        )
    flash(_("First maintenance recorded: the card is with the service department."), "success")
    return see_other(url_for("followup.service"))
