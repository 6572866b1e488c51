"""The admin edits the three delivery checklists (preparation, 附表十四, 附表十五) as versioned
item lists: one item a line, `key | 中文 | English | part | required`; a bad line is named next
to the field and nothing is saved; unchanged items make no new version; a new version becomes
current while old ticks keep the version they were made against; other roles get 403."""

# ruff: noqa: F811 - the fixtures imported from day_fixtures are used as arguments

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.conftest import field_errors
from tests.delivery.day_fixtures import (  # noqa: F401
    catalogue,
    make_contract,
    make_delivery,
)
from tests.helpers import HX, assert_fragment, assert_full_page
from tests.test_chinese_pages import ALLOWED, english_words
from webapp.delivery import checklists as lists
from webapp.delivery import services as svc
from webapp.delivery.models import DeliveryChecklist, DeliveryEntry, DeliveryPrep
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.timeutil import SHANGHAI

EDIT = "/delivery/checklists/{kind}/edit"


def form_headers() -> dict[str, str]:
    return {**HX, "HX-Target": "list-form"}


def versions(kind: str) -> list[tuple[int, bool]]:
    stmt = (
        sa.select(DeliveryChecklist.version, DeliveryChecklist.current)
        .where(DeliveryChecklist.kind == kind)
        .order_by(DeliveryChecklist.version)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def current_text(kind: str) -> str:
    return lists.items_text(lists.current_checklists()[kind].items)


# --- the editor's text ------------------------------------------------------------------------


def test_items_text_reads_back_as_the_same_items_for_every_list(app):
    for kind, items in lists.DEFAULT_ITEMS.items():
        assert lists.parse_items(kind, lists.items_text(items)) == items


def test_a_line_reads_part_and_required(app):
    items = lists.parse_items(
        "preparation",
        "\n  pds_done | PDS已完成 | PDS done | before | required\n\nmats | 脚垫 | Mats | day\n",
    )
    assert items == [
        {
            "key": "pds_done",
            "label_zh": "PDS已完成",
            "label_en": "PDS done",
            "type": "tick",
            "required": True,
            "part": "before",
        },
        {
            "key": "mats",
            "label_zh": "脚垫",
            "label_en": "Mats",
            "type": "tick",
            "required": False,
            "part": "day",
        },
    ]
    assert lists.parse_items("preparation", "mats | 脚垫 | Mats | day | 必填")[0]["required"]


@pytest.mark.parametrize(
    "text",
    [
        "ok | 好 | OK | day\nmats | 脚垫 | Mats | exterior",  # a part of another list
        "ok | 好 | OK | day\nmats | 脚垫 | Mats |",  # no part
        "ok | 好 | OK | day\nMats | 脚垫 | Mats | day",  # a bad key
        "ok | 好 | OK | day\nok | 脚垫 | Mats | day",  # the key twice
        "ok | 好 | OK | day\nmats |  | Mats | day",  # no Chinese label
        "ok | 好 | OK | day\nmats | 脚垫 | Mats | day | yes",  # a wrong last column
        "ok | 好 | OK | day\nmats | 脚垫 | Mats | day | required | more",  # a sixth column
        "ok | 好 | OK | day\nmats",  # too few columns
    ],
)
def test_a_bad_line_is_named_in_the_error(app, text):
    with pytest.raises(ValidationError) as caught:
        lists.parse_items("preparation", text)
    message = caught.value.errors["items"]
    assert "2" in message  # the second line


def test_an_empty_list_and_a_list_of_61_items_are_refused(app):
    with pytest.raises(ValidationError):
        lists.parse_items("handover", " \n\n")
    text = "\n".join(f"item_{n} | 项目{n} | Item {n} | interior" for n in range(61))
    with pytest.raises(ValidationError):
        lists.parse_items("handover", text)
    assert len(lists.parse_items("handover", text.rsplit("\n", 1)[0])) == 60


# --- versions ----------------------------------------------------------------------------------


def test_saving_changed_items_makes_the_next_version_current(world):
    admin = world.users["admin"]
    text = current_text("process") + "\ncoffee | 奉上咖啡 | Coffee served | ceremony"
    saved = lists.save_list(admin, "process", text)
    assert (saved.version, saved.current, saved.created_by_id) == (2, True, admin.id)
    assert saved.items[-1]["key"] == "coffee"
    assert versions("process") == [(1, False), (2, True)]
    assert versions("handover") == [(1, True)]  # the other lists are untouched
    assert lists.current_list(admin, "process").id == saved.id


def test_saving_the_same_items_makes_no_new_version(world):
    admin = world.users["admin"]
    first = lists.current_list(admin, "handover")
    again = lists.save_list(admin, "handover", current_text("handover") + "\n\n")
    assert again.id == first.id
    assert versions("handover") == [(1, True)]


def test_a_bad_line_saves_nothing(world):
    admin = world.users["admin"]
    lists.current_list(admin, "preparation")
    with pytest.raises(ValidationError):
        lists.save_list(
            admin, "preparation", current_text("preparation") + "\nx | 某 | X | nowhere"
        )
    assert versions("preparation") == [(1, True)]


def test_old_ticks_keep_the_version_they_were_made_against(world, make_delivery):
    sales, admin = world.users["salesperson"], world.users["admin"]
    delivery = make_delivery()
    entry = svc.tick(sales, delivery.id, "pds_done", True)
    old_id = entry.checklist_id
    saved = lists.save_list(
        admin, "preparation", current_text("preparation") + "\nmats | 铺好脚垫 | Mats laid | day"
    )
    assert saved.id != old_id
    assert db.session.get(DeliveryEntry, entry.id).checklist_id == old_id
    state = svc.preparation_state(delivery)
    assert [i.key for i in state.items][-1] == "mats"
    assert next(i for i in state.items if i.key == "pds_done").done
    assert svc.tick(sales, delivery.id, "mats", True).checklist_id == saved.id


def test_a_new_preparation_list_recounts_the_open_deliveries_for_the_board(world, make_delivery):
    sales, admin = world.users["salesperson"], world.users["admin"]
    delivery = make_delivery()
    for item in svc.preparation_state(delivery).items:
        svc.tick(sales, delivery.id, item.key, True)
    prep = db.session.get(DeliveryPrep, delivery.id)
    assert prep.done == prep.item_count == 12
    saved = lists.save_list(
        admin, "preparation", current_text("preparation") + "\nmats | 铺好脚垫 | Mats laid | day"
    )
    db.session.expire_all()
    prep = db.session.get(DeliveryPrep, delivery.id)
    assert (prep.done, prep.item_count, prep.checklist_id) == (12, 13, saved.id)
    [row] = [r for r in svc.board(sales).today if r.id == delivery.id] or [
        r for r in svc.board_day(sales, delivery.scheduled_at.astimezone(SHANGHAI).date())
    ]
    assert (row.done, row.total) == (12, 13)


def test_only_the_admin_edits_and_an_unknown_list_is_not_found(world):
    for role in ("salesperson", "sales_manager", "service_advisor", "greeter"):
        with pytest.raises(PermissionDenied):
            lists.save_list(world.users[role], "process", "a | 甲 | A | fees")
        with pytest.raises(PermissionDenied):
            lists.list_versions(world.users[role])
    with pytest.raises(NotFound):
        lists.current_list(world.users["admin"], "lunch")


# --- pages -------------------------------------------------------------------------------------


def test_lists_page_shows_the_three_lists_in_full_and_as_a_fragment(client, world):
    client.login("admin")
    html = assert_full_page(client.get("/delivery/checklists"))
    assert "交车检查表" in html
    for kind in ("preparation", "process", "handover"):
        assert EDIT.format(kind=kind) in html
    assert "附表十四" in html and "附表十五" in html
    assert "PDS已完成" in html
    fragment = client.get("/delivery/checklists", headers={**HX, "HX-Target": "lists"})
    assert_fragment(fragment, "lists")


def test_edit_page_full_fragment_error_and_save(client, world):
    client.login("admin")
    path = EDIT.format(kind="process")
    form = assert_full_page(client.get(path))
    assert "order_fees | 用《新车订购单》说明各项购车费用 |" in form
    assert_fragment(client.get(path, headers=form_headers()), "list-form")
    bad_text = current_text("process") + "\ncoffee | 咖啡 | Coffee | lunch"
    bad = client.post(path, data={"items": bad_text}, headers=form_headers())
    errors = field_errors(assert_fragment(bad, "list-form", status=422))
    line = len(bad_text.splitlines())
    assert str(line) in errors["items"]
    assert "coffee | 咖啡 | Coffee | lunch" in bad.get_data(as_text=True)  # the text is kept
    assert versions("process") == [(1, True)]
    good = current_text("process") + "\ncoffee | 咖啡 | Coffee | ceremony"
    saved = client.post(path, data={"items": good})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith("/delivery/checklists")
    assert versions("process") == [(1, False), (2, True)]
    again = client.post(path, data={"items": good}, headers=form_headers())
    assert again.status_code == 200 and again.headers["HX-Location"].endswith(
        "/delivery/checklists"
    )
    assert versions("process") == [(1, False), (2, True)]
    assert "仍为第 2 版" in client.get("/delivery/checklists").get_data(as_text=True)
    assert client.get(EDIT.format(kind="lunch")).status_code == 404


def test_other_roles_get_403(client, world):
    client.login("manager")
    assert client.get("/delivery/checklists").status_code == 403
    assert client.get(EDIT.format(kind="process")).status_code == 403
    posted = client.post(EDIT.format(kind="process"), data={"items": "a | 甲 | A | fees"})
    assert posted.status_code == 403
    assert versions("process") == []


def test_the_pages_read_in_chinese(client, world):
    client.login("admin")
    for path in ("/delivery/checklists", EDIT.format(kind="handover")):
        html = assert_full_page(client.get(path))
        assert not english_words(html, ALLOWED | {"pds"}), path


def test_the_test_drive_subnav_links_to_the_delivery_lists(client, world):
    client.login("admin")
    html = client.get("/testdrive/templates").get_data(as_text=True)
    assert 'href="/delivery/checklists"' in html
