"""The store's follow-up rules and settings page: for the sales manager and the admin; a row
edited is saved and read back by rules_for; a bad value is named next to its field and
nothing is saved; the empty new row adds nothing until it has a code; the settings'
escalation days and letter text."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import World, field_errors
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.test_chinese_pages import ALLOWED, english_words
from webapp.extensions import db
from webapp.followup.models import FollowUpRule, FollowUpSetting
from webapp.followup.rules import DEFAULT_RULES, rules_for, setting_for

PAGE = "/followup/rules"
SETTINGS = "/followup/rules/settings"


def login(app, world: World, role: str = "sales_manager"):
    client = app.test_client()
    assert client.login(world.users[role].username).status_code == 303
    return client


def form_of(html: str) -> dict[str, str]:
    """The rules form's fields as the page fills them (a browser's submit, checked boxes only)."""
    form = html[
        html.index('id="rules-form"') : html.index("</form>", html.index('id="rules-form"'))
    ]
    data: dict[str, str] = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or name.group(1) == "csrf_token":
            continue
        if 'type="checkbox"' in tag and " checked" not in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    for select in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', select[1])
        first = re.search(r'<option value="([^"]*)"', select[1])
        data[select[0]] = (chosen or first).group(1)  # type: ignore[union-attr]
    return data


def row_index(data: dict[str, str], code: str) -> int:
    for key, value in data.items():
        if key.endswith("-code") and value == code:
            return int(key.split("-")[1])
    raise KeyError(code)


def row_error(html: str, index: int, field: str) -> str | None:
    found = re.search(rf'id="f-rows-{index}-{field}-error">([^<]+)<', html)
    return found.group(1) if found else None


def rule_rows() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(FollowUpRule)) or 0


def test_page_renders_in_chinese_for_the_manager(app, world):
    html = assert_full_page(login(app, world).get(PAGE))
    assert 'lang="zh-Hans"' in html
    assert "跟踪规则" in html
    assert english_words(html, ALLOWED) == set()
    data = form_of(html)
    # Every standard rule, and one empty row for the store's own.
    assert [data[f"rows-{n}-code"] for n in range(len(DEFAULT_RULES))] == [
        rule.code for rule in DEFAULT_RULES
    ]
    new = len(DEFAULT_RULES)
    assert data[f"rows-{new}-code"] == "" and data[f"rows-{new}-is_new"] == "1"
    assert 'id="settings-form"' in html and "{交车日期}" in html


@pytest.mark.parametrize("role", ["salesperson", "greeter", "service_advisor", "finance"])
def test_other_roles_are_refused(app, world, role):
    client = login(app, world, role)
    assert client.get(PAGE).status_code == 403
    assert client.post(PAGE, data={"rows-0-code": "thank_you"}).status_code == 403
    assert client.post(SETTINGS, data={"escalate_after_days": "5"}).status_code == 403
    assert rule_rows() == 0


def test_admin_may_edit(app, world):
    assert login(app, world, "admin").get(PAGE).status_code == 200


def test_editing_an_offset_saves_and_rules_for_reads_it(app, world):
    client = login(app, world)
    data = form_of(client.get(PAGE).get_data(as_text=True))
    n = row_index(data, "free_inspection")
    data[f"rows-{n}-offset_days"] = "45"
    response = client.post(PAGE, data=data)
    assert response.status_code == 303 and response.headers["Location"].endswith(PAGE)
    rules = {rule.code: rule for rule in rules_for(world.store_a.id)}
    assert rules["free_inspection"].offset_days == 45
    assert [rule.code for rule in rules_for(world.store_a.id)] == [r.code for r in DEFAULT_RULES]
    assert rule_rows() == len(DEFAULT_RULES)  # the empty new row added nothing
    assert rules_for(world.store_b.id) == list(DEFAULT_RULES)
    page = client.get(PAGE).get_data(as_text=True)
    assert "跟踪规则已保存" in page
    assert form_of(page)[f"rows-{n}-offset_days"] == "45"


def test_switching_off_and_adding_a_rule_of_the_store(app, world):
    client = login(app, world)
    data = form_of(client.get(PAGE).get_data(as_text=True))
    quarterly = row_index(data, "quarterly")
    del data[f"rows-{quarterly}-active"]
    new = len(DEFAULT_RULES)
    data.update(
        {
            f"rows-{new}-code": "birthday",
            f"rows-{new}-trigger": "delivery",
            f"rows-{new}-offset_days": "365",
            f"rows-{new}-repeat_days": "365",
            f"rows-{new}-owner_role": "salesperson",
            f"rows-{new}-message": "生日问候",
            f"rows-{new}-active": "1",
        }
    )
    assert client.post(PAGE, data=data).status_code == 303
    rules = {rule.code: rule for rule in rules_for(world.store_a.id)}
    assert rules["quarterly"].active is False
    assert rules["birthday"].repeat_days == 365 and rules["birthday"].message == "生日问候"
    page = client.get(PAGE).get_data(as_text=True)
    assert "生日问候" in page and 'value="birthday"' in page


@pytest.mark.parametrize("bad", ["-1", "9999", "abc"])
def test_a_bad_offset_is_named_next_to_its_field_and_nothing_is_saved(app, world, bad):
    client = login(app, world)
    data = form_of(client.get(PAGE).get_data(as_text=True))
    n = row_index(data, "thank_you")
    data[f"rows-{n}-offset_days"] = bad
    data[f"rows-{n}-message"] = "改过的内容"
    response = client.post(PAGE, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    message = row_error(html, n, "offset_days")
    assert message and "730" in message
    assert f'id="f-rows-{n}-offset_days" name="rows-{n}-offset_days" aria-invalid="true"' in html
    # The page comes back as posted.
    assert f'value="{bad}"' in html and 'value="改过的内容"' in html
    assert sum(1 for k in ("offset_days",) for i in range(10) if row_error(html, i, k)) == 1
    assert rules_for(world.store_a.id) == list(DEFAULT_RULES)
    assert rule_rows() == 0


def test_errors_of_the_new_row_are_next_to_its_fields(app, world):
    client = login(app, world)
    data = form_of(client.get(PAGE).get_data(as_text=True))
    new = len(DEFAULT_RULES)
    data[f"rows-{new}-code"] = "Bad Code"
    data[f"rows-{new}-repeat_days"] = "3"
    html = client.post(PAGE, data=data).get_data(as_text=True)
    assert row_error(html, new, "code")
    assert row_error(html, new, "trigger")
    assert row_error(html, new, "repeat_days")
    assert 'value="Bad Code"' in html
    assert rule_rows() == 0


def test_the_rules_form_as_a_fragment(app, world):
    client = login(app, world)
    data = form_of(client.get(PAGE).get_data(as_text=True))
    data["rows-0-offset_days"] = "abc"
    response = client.post(PAGE, data=data, headers={**HX, "HX-Target": "rules-form"})
    html = assert_fragment(response, "rules-form", status=422)
    assert row_error(html, 0, "offset_days")
    data["rows-0-offset_days"] = "1"
    response = client.post(PAGE, data=data, headers={**HX, "HX-Target": "rules-form"})
    assert response.headers["HX-Location"].endswith(PAGE)
    assert rules_for(world.store_a.id)[0].offset_days == 1


def settings_post(client: Any, **fields: str):
    return client.post(SETTINGS, data={"escalate_after_days": "3", "letter_body": "", **fields})


def test_settings_escalate_days(app, world):
    client = login(app, world)
    response = settings_post(client, escalate_after_days="0", letter_body="保留的文字")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "30" in field_errors(html)["escalate_after_days"]
    assert "保留的文字" in html  # as posted
    assert db.session.get(FollowUpSetting, world.store_a.id) is None
    response = settings_post(client, escalate_after_days="5")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(PAGE + "#settings-form")
    assert setting_for(world.store_a.id).escalate_after_days == 5
    assert setting_for(world.store_b.id).escalate_after_days == 3
    html = client.get(PAGE).get_data(as_text=True)
    assert "跟踪设置已保存" in html and 'value="5"' in html


def test_settings_letter_body_is_saved(app, world):
    client = login(app, world)
    body = "尊敬的{称谓}：\r\n\r\n感谢您选择{经销店}。{ 注意 }"
    assert settings_post(client, letter_body=body).status_code == 303
    assert (
        setting_for(world.store_a.id).letter_body
        == "尊敬的{称谓}：\n\n感谢您选择{经销店}。{ 注意 }"
    )
    html = client.get(PAGE).get_data(as_text=True)
    assert "感谢您选择{经销店}。{ 注意 }" in html


def test_settings_form_as_a_fragment(app, world):
    client = login(app, world)
    response = client.post(
        SETTINGS,
        data={"escalate_after_days": "x", "letter_body": ""},
        headers={**HX, "HX-Target": "settings-form"},
    )
    html = assert_fragment(response, "settings-form", status=422)
    assert "escalate_after_days" in field_errors(html)
