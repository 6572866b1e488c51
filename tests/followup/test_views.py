"""The follow-up pages, full and as fragments: tasks on "my day", the card and the lists,
worked in place (the item comes back) or by plain forms (303 back), errors next to the field
(422) with nothing saved; the manager's overdue list; the service department's page and the
hand-over; the referral form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.followup.engine import due_moment
from webapp.followup.models import FollowUpTask
from webapp.timeutil import local_today


def htmx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


@pytest.fixture
def task(app, world) -> FollowUpTask:
    world.own_card.stage = "owner"
    world.own_card.purchased_on = local_today() - timedelta(days=3)
    row = FollowUpTask(
        store_id=world.store_a.id,
        card_id=world.own_card.id,
        owner_id=world.users["salesperson"].id,
        kind="thank_you",
        due_at=due_moment(local_today() - timedelta(days=1)),
        source="view:1",
    )
    db.session.add(row)
    db.session.commit()
    return row


def reload(task_id: int) -> FollowUpTask:
    db.session.expire_all()
    return db.session.get(FollowUpTask, task_id)


def test_my_day_lists_the_due_task_overdue_with_its_forms(client, world, task):
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    assert 'id="my-tasks"' in html and f'id="task-{task.id}"' in html
    assert "感谢信及致谢电话" in html and "逾期" in html
    assert f"/followup/tasks/{task.id}?form=complete" in html  # the form comes when asked
    assert f"/followup/tasks/{task.id}/letter" in html  # 附表十六 from the thank-you
    # the page's fragment carries them too
    part = client.get("/my-day", headers=htmx("my-day")).get_data(as_text=True)
    assert "<html" not in part and f'id="task-{task.id}"' in part


def test_only_the_task_buttons_swap_the_item_its_links_open_their_page(client, world, task):
    """The card's and the letter's links are boosted: an hx-target on the item would make
    them load their page into the item."""
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    item = re.search(rf'<li class="task-row[^"]*" id="task-{task.id}"[^>]*>', html)
    assert item is not None and "hx-target" not in item.group(0)
    actions = re.search(r'<div class="task-actions"[^>]*>', html)
    assert actions is not None and f'hx-target="#task-{task.id}"' in actions.group(0)


def test_a_button_brings_its_form_into_the_item(client, world, task):
    client.login("sales")
    part = client.get(
        f"/followup/tasks/{task.id}?form=reschedule&back=my_day", headers=htmx(f"task-{task.id}")
    ).get_data(as_text=True)
    assert (
        part.lstrip().startswith("<li") and 'name="reason"' in part and 'name="result"' not in part
    )
    assert 'name="back" value="my_day"' in part
    page = client.get(f"/followup/tasks/{task.id}?form=complete&back=evil").get_data(as_text=True)
    assert "<html" in page and 'name="result"' in page and 'value="mine"' in page
    assert client.get(f"/followup/tasks/{task.id}?form=complete").status_code == 200
    other = app_client_login(client, "colleague")
    assert other.get(f"/followup/tasks/{task.id}?form=complete").status_code == 404


def app_client_login(client, username: str):
    fresh = client.application.test_client()
    fresh.login(username)
    return fresh


def test_done_in_place_returns_the_item_alone(client, world, task):
    client.login("sales")
    response = client.post(
        f"/followup/tasks/{task.id}/complete",
        data={"result": "已寄感谢信", "outcome": "reached", "back": "my_day"},
        headers=htmx(f"task-{task.id}"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith("<li") and "is-done" in html and "已寄感谢信" in html
    assert response.headers["HX-Trigger"] == "task-changed"
    assert reload(task.id).done_at is not None


def test_done_without_script_goes_back_where_the_form_was(client, world, task):
    client.login("sales")
    response = client.post(
        f"/followup/tasks/{task.id}/complete",
        data={"result": "已寄感谢信", "outcome": "reached", "back": "card"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{world.own_card.id}")


def test_a_result_left_empty_comes_back_next_to_the_field_and_saves_nothing(client, world, task):
    client.login("sales")
    response = client.post(
        f"/followup/tasks/{task.id}/complete",
        data={"result": " ", "outcome": "reached"},
        headers=htmx(f"task-{task.id}"),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in html
    assert f'id="t{task.id}-result-error"' in html
    assert '<form class="task-form"' in html  # the form stays open with its message
    assert reload(task.id).done_at is None


def test_a_move_without_a_reason_or_into_the_past_is_refused_as_a_page(client, world, task):
    client.login("sales")
    past = (local_today() - timedelta(days=2)).isoformat()
    response = client.post(
        f"/followup/tasks/{task.id}/reschedule", data={"due_on": past, "reason": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in html  # without script: the task's page
    assert f'id="t{task.id}-reason-error"' in html and f'id="t{task.id}-due-error"' in html
    assert reload(task.id).reschedules == 0


def test_another_stores_task_is_not_found(client, world, task):
    client.login("bsales")
    response = client.post(
        f"/followup/tasks/{task.id}/complete", data={"result": "好", "outcome": "reached"}
    )
    assert response.status_code == 404
    assert reload(task.id).done_at is None


def test_the_card_shows_its_tasks_and_the_referral_button(client, world, task):
    client.login("sales")
    html = client.get(f"/customers/{world.own_card.id}").get_data(as_text=True)
    assert 'id="card-tasks"' in html and f'id="task-{task.id}"' in html
    assert f"/customers/new?referred_by={world.own_card.id}" in html
    form = client.get(f"/customers/new?referred_by={world.own_card.id}").get_data(as_text=True)
    assert f'name="referred_by" value="{world.own_card.id}"' in form
    assert world.own_card.name in form


def test_the_manager_sees_the_stores_overdue_tasks(client, world, task):
    client.login("manager")
    html = client.get("/followup/overdue").get_data(as_text=True)
    assert "逾期跟进" in html and f'id="task-{task.id}"' in html
    part = client.get("/followup/overdue", headers=htmx("overdue-tasks")).get_data(as_text=True)
    assert "<html" not in part and f'id="task-{task.id}"' in part
    mine = client.get("/followup/", headers=htmx("task-list")).get_data(as_text=True)
    assert "<html" not in mine and "未来7天没有跟进任务" in mine  # the task is the salesperson's


def test_the_service_advisor_hands_a_card_over_and_then_reads_it_without_prices(
    app, client, world, task
):
    card = world.own_card
    card.budget = 150000
    db.session.commit()
    client.login("service")
    page = client.get("/followup/service").get_data(as_text=True)
    assert "等待首次保养的车主" in page and card.name in page
    assert client.get(f"/customers/{card.id}").status_code == 404  # not handed yet

    future = (local_today() + timedelta(days=1)).isoformat()
    refused = client.post(
        f"/followup/cards/{card.id}/first-maintenance", data={"maintained_on": future}
    )
    assert refused.status_code == 422
    assert "首次保养日期不能晚于今天" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).handed_to_service_at is None

    done = client.post(
        f"/followup/cards/{card.id}/first-maintenance",
        data={"maintained_on": local_today().isoformat()},
    )
    assert done.status_code == 303
    assert reload(task.id).owner_id == world.users["service_advisor"].id
    html = client.get(f"/customers/{card.id}").get_data(as_text=True)
    assert card.mobile in html and "150,000" not in html and "¥" not in html
    assert 'id="consult-panel"' not in html and "记录联系" in html

    salesperson = app.test_client()
    salesperson.login(world.users["salesperson"].username)
    read = salesperson.get(f"/customers/{card.id}").get_data(as_text=True)
    assert "只读" in read and f"/customers/{card.id}/edit" not in read
    refused = salesperson.post(
        f"/customers/{card.id}/contacts", data={"kind": "phone_out", "note": "你好"}
    )
    assert refused.status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpTask)) == 1


def test_my_day_shows_the_first_tasks_and_links_to_the_rest(client, world):
    from webapp.home.services import MY_DAY_TASKS

    for n in range(MY_DAY_TASKS + 1):
        db.session.add(
            FollowUpTask(
                store_id=world.store_a.id,
                card_id=world.own_card.id,
                owner_id=world.users["salesperson"].id,
                kind="quarterly",
                due_at=due_moment(local_today() - timedelta(days=n)),
                source=f"many:{n}",
            )
        )
    db.session.commit()
    client.login("sales")
    html = client.get("/my-day").get_data(as_text=True)
    section = html.split('id="my-tasks"')[1].split("</section>")[0]
    assert section.count('class="task-row') == MY_DAY_TASKS
    assert 'href="/followup/"' in section and "我的全部跟进" in section
