"""Views of steps ③ ④: full pages and htmx fragments, errors next to the field, scoping."""

from __future__ import annotations

import io

import sqlalchemy as sa

from tests.consult.conftest import answers, png_bytes
from tests.helpers import assert_fragment, assert_full_page
from webapp.consult import services
from webapp.consult.models import DisplayCarCheck, NeedsAnalysis, WalkaroundRecord
from webapp.customers.models import CardEvent, CustomerCard
from webapp.extensions import db


def login(app, username: str):
    """A fresh client logged in as `username` (one client, one user)."""
    other = app.test_client()
    assert other.login(username).status_code == 303
    return other


def hx(target: str) -> dict[str, str]:
    return {"HX-Request": "true", "HX-Target": target}


def test_needs_page_and_form_fragment(client, world, showroom):
    client.login("sales")
    url = f"/consult/cards/{world.own_card.id}/needs"
    page = assert_full_page(client.get(url))
    assert "附表七" in page and 'id="needs-form"' in page and 'id="needs-summary"' in page
    assert_fragment(client.get(url, headers=hx("needs-form")), "needs-form")


def test_saving_answers_fills_the_card_then_the_customer_confirms(client, world, showroom):
    client.login("sales")
    card = world.own_card
    url = f"/consult/cards/{card.id}/needs"
    response = client.post(url, data={**answers(showroom), "version": card.version})
    assert response.status_code == 303 and response.headers["Location"].endswith("#needs-summary")
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).usage == "上下班通勤、家庭出行"
    analysis = db.session.scalar(sa.select(NeedsAnalysis))
    page = assert_full_page(client.get(url))
    assert "夫妻和一个孩子" in page and 'id="confirm-summary"' in page
    fragment = client.post(f"/consult/needs/{analysis.id}/confirm", headers=hx("needs-summary"))
    html = assert_fragment(fragment, "needs-summary")
    assert fragment.headers["HX-Trigger"] == "needs-confirmed"
    assert 'id="confirm-summary"' not in html
    assert db.session.get(NeedsAnalysis, analysis.id).confirmed_at is not None
    recommend = client.post(
        f"/consult/needs/{analysis.id}/recommend",
        data={"model_id": showroom.model.id, "recommendation_note": "安静省油"},
        headers=hx("needs-summary"),
    )
    assert "/walkaround" in assert_fragment(recommend, "needs-summary")
    again = client.post(
        url,
        data={
            **answers(showroom, colour="黑"),
            "version": db.session.get(CustomerCard, card.id).version,
        },
        headers=hx("needs-form"),
    )
    assert_fragment(again, "needs")
    assert again.headers["HX-Retarget"] == "#needs"
    full = client.post(f"/consult/needs/{analysis.id}/confirm")
    assert full.status_code == 303


def test_bad_answers_come_back_next_to_the_question(client, world, showroom):
    from tests.conftest import field_errors

    client.login("sales")
    card = world.own_card
    url = f"/consult/cards/{card.id}/needs"
    response = client.post(
        url,
        data={**answers(showroom, budget="很多"), "version": card.version},
        headers=hx("needs-form"),
    )
    html = assert_fragment(response, "needs-form", status=422)
    assert "budget" in field_errors(html)
    stale = client.post(url, data={**answers(showroom), "version": card.version + 5})
    assert stale.status_code == 422 and "f-version-error" in stale.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedsAnalysis)) == 0


def test_recommend_error_is_shown_in_the_summary(client, world, showroom):
    client.login("sales")
    card = world.own_card
    analysis = services.needs.save_answers(
        world.users["salesperson"], card.id, answers(showroom), card.version
    )
    response = client.post(
        f"/consult/needs/{analysis.id}/recommend",
        data={"model_id": ""},
        headers=hx("needs-summary"),
    )
    assert_fragment(response, "needs-summary", status=422)


def test_walkaround_page_fragment_and_tick(client, world, showroom):
    client.login("sales")
    card = world.own_card
    url = f"/consult/cards/{card.id}/walkaround?model={showroom.model.id}"
    page = assert_full_page(client.get(url))
    assert "智行安全" in page and "F" in page
    assert_fragment(client.get(url, headers=hx("walkaround")), "walkaround")
    tick = f"/consult/cards/{card.id}/walkaround/{showroom.model.id}/tick"
    response = client.post(tick, data={"position": "rear", "done": "1"}, headers=hx("walkaround"))
    html = assert_fragment(response, "walkaround")
    assert response.headers["HX-Trigger"] == "walkaround-ticked"
    assert 'aria-pressed="true"' in html
    assert client.post(tick, data={"position": "front45"}).status_code == 303
    assert set(db.session.scalar(sa.select(WalkaroundRecord)).positions) == {"rear", "front45"}
    assert client.post(tick, data={"position": "roof"}).status_code == 422
    assert client.get(f"/consult/cards/{card.id}/walkaround?model=x").status_code == 404


def test_compare_page_and_fragment_offer_the_named_competitor(client, world, showroom):
    card = world.own_card
    card.model_id = showroom.model.id
    card.competitors = "雅阁"
    db.session.commit()
    client.login("sales")
    url = f"/consult/cards/{card.id}/compare"
    page = assert_full_page(client.get(url))
    assert "双层玻璃" in page and "本田雅阁" in page
    html = assert_fragment(
        client.get(f"{url}?sheet={showroom.sheet.id}", headers=hx("comparison")), "comparison"
    )
    assert "双层玻璃" in html


def test_card_shows_the_entry_points_and_the_panel_fragment(client, world, showroom):
    client.login("sales")
    card = world.own_card
    page = assert_full_page(client.get(f"/customers/{card.id}"))
    for path in ("needs", "walkaround", "compare", "panel"):
        assert f"/consult/cards/{card.id}/{path}" in page
    assert_full_page(client.get(f"/consult/cards/{card.id}/panel"))
    html = assert_fragment(
        client.get(f"/consult/cards/{card.id}/panel", headers=hx("consult-panel")), "consult-panel"
    )
    assert (
        f"/consult/cards/{card.id}/catalogue" in html and f"/consult/cards/{card.id}/invite" in html
    )
    # The card page writes the same panel at once (its forms usable, its state loading), so
    # nothing below it moves when the state is swapped in.
    panel = page.split('id="consult-panel"', 1)[1].split("</section>", 1)[0]
    assert f'hx-get="/consult/cards/{card.id}/panel" hx-trigger="load"' in panel
    assert "consult-state is-loading" in panel
    assert (
        f"/consult/cards/{card.id}/catalogue" in panel
        and f"/consult/cards/{card.id}/invite" in panel
    )
    assert 'hx-trigger="load"' not in html and "is-loading" not in html


def test_catalogue_and_invitation_are_recorded_and_shown_on_the_timeline(client, world, showroom):
    client.login("sales")
    card = world.own_card
    response = client.post(
        f"/consult/cards/{card.id}/catalogue",
        data={"catalogue_note": "圈出安全配置"},
        headers=hx("consult-panel"),
    )
    assert_fragment(response, "consult-panel")
    assert response.headers["HX-Trigger"] == "catalogue-given"
    assert client.post(f"/consult/cards/{card.id}/catalogue", data={}).status_code == 303
    too_long = client.post(
        f"/consult/cards/{card.id}/catalogue", data={"catalogue_note": "x" * 600}
    )
    assert too_long.status_code == 422
    invite = client.post(f"/consult/cards/{card.id}/invite", data={})
    assert invite.status_code == 303 and f"card_id={card.id}" in invite.headers["Location"]
    kinds = set(db.session.scalars(sa.select(CardEvent.kind).where(CardEvent.card_id == card.id)))
    assert {"catalogue_given", "test_drive_invited"} <= kinds
    page = client.get(f"/customers/{card.id}").get_data(as_text=True)
    assert "圈出安全配置" in page


def test_other_store_and_colleague_cards_are_not_found(app, client, world, showroom):
    client.login("sales")
    for card in (world.colleague_card, world.other_store_card):
        for path in ("needs", "walkaround", "compare", "panel"):
            assert client.get(f"/consult/cards/{card.id}/{path}").status_code == 404
        assert client.post(f"/consult/cards/{card.id}/catalogue", data={}).status_code == 404
    client = login(app, "greeter")
    assert client.get(f"/consult/cards/{world.own_card.id}/needs").status_code == 403


def test_questionnaire_pages_and_editor(app, client, world, showroom):
    client.login("admin")
    assert "附表七" in assert_full_page(client.get("/consult/questionnaire"))
    assert_fragment(
        client.get("/consult/questionnaire", headers=hx("questionnaire")), "questionnaire"
    )
    assert_full_page(client.get("/consult/questionnaire/edit"))
    assert_fragment(
        client.get("/consult/questionnaire/edit", headers=hx("questionnaire-form")),
        "questionnaire-form",
    )
    bad = client.post(
        "/consult/questionnaire/edit", data={"items": "x | 甲"}, headers=hx("questionnaire-form")
    )
    assert_fragment(bad, "questionnaire-form", status=422)
    text = (
        services.questionnaire.questions_text(showroom.questionnaire.items)
        + "\nparking | 车位 | Parking | yesno"
    )
    saved = client.post("/consult/questionnaire/edit", data={"items": text})
    assert saved.status_code == 303
    assert services.questionnaire.current_questionnaire().version == 2
    client = login(app, "sales")
    assert client.get("/consult/questionnaire/edit").status_code == 403


def test_comparison_sheet_pages_and_admin_edit(app, client, world, showroom):
    client.login("sales")
    assert "本田雅阁" in assert_full_page(client.get("/consult/comparisons"))
    assert client.get(f"/consult/comparisons/{showroom.sheet.id}/edit").status_code == 403
    client = login(app, "admin")
    assert_fragment(client.get("/consult/comparisons", headers=hx("sheets")), "sheets")
    assert_full_page(client.get("/consult/comparisons/new"))
    assert_fragment(client.get("/consult/comparisons/new", headers=hx("sheet-form")), "sheet-form")
    bad = client.post("/consult/comparisons/new", data={"competitor": ""}, headers=hx("sheet-form"))
    assert_fragment(bad, "sheet-form", status=422)
    url = f"/consult/comparisons/{showroom.sheet.id}/edit"
    assert_full_page(client.get(url))
    assert_fragment(client.get(url, headers=hx("sheet-form")), "sheet-form")
    data = {
        "model_id": showroom.model.id,
        "competitor": "本田雅阁 Honda Accord",
        "ours_version": "2.5L 双擎 豪华版",
        "theirs_version": "雅阁 e:HEV",
        "source": "厂家官网配置表",
        "as_of": "2025-10-01",
        "aliases": "雅阁",
        "rows": "轴距 | 2870 mm | 2830 mm",
        "version": showroom.sheet.version,
    }
    assert client.post(url, data=data).status_code == 303
    assert client.post(url, data=data).status_code == 422  # the version moved on


def test_walkaround_points_editor(client, world, showroom):
    client.login("admin")
    assert_full_page(client.get("/consult/walkarounds"))
    assert_fragment(
        client.get("/consult/walkarounds", headers=hx("walkaround-models")), "walkaround-models"
    )
    url = f"/consult/walkarounds/{showroom.model.id}/edit"
    assert "智行安全" in assert_full_page(client.get(url))
    assert_fragment(client.get(url, headers=hx("points-form")), "points-form")
    bad = client.post(url, data={"points": "roof | a | b | c"}, headers=hx("points-form"))
    assert_fragment(bad, "points-form", status=422)
    ok = client.post(url, data={"points": "rear | 大后备箱 | 能装 | 出游方便 | space"})
    assert ok.status_code == 303
    page = services.walkaround.walkaround_page(
        world.users["salesperson"], world.own_card.id, showroom.model.id
    )
    assert [len(points) for _p, points, _t in page.positions] == [0, 0, 1, 0, 0, 0]


def test_display_cars_page_fragment_and_manager_check(app, client, world, showroom):
    client.login("sales")
    page = assert_full_page(client.get("/consult/display-cars"))
    assert "1号" in page and "B1" not in page
    assert_fragment(client.get("/consult/display-cars", headers=hx("display-cars")), "display-cars")
    check = services.display_cars.save_check(
        world.users["salesperson"],
        showroom.car.id,
        set(services.display_cars.items_for(showroom.car)),
        {},
        {},
    )
    assert client.post(f"/consult/display-cars/checks/{check.id}/manager").status_code == 403
    client = login(app, "manager")
    response = client.post(
        f"/consult/display-cars/checks/{check.id}/manager", headers=hx("display-cars")
    )
    assert_fragment(response, "display-cars")
    assert db.session.get(DisplayCarCheck, check.id).manager_checked_at is not None
    client = login(app, "bmanager")
    assert client.post(f"/consult/display-cars/checks/{check.id}/manager").status_code == 404
    client = login(app, "greeter")
    assert client.get("/consult/display-cars").status_code == 403


def test_display_check_form_with_failed_item_and_photo(app, client, world, showroom):
    client.login("sales")
    url = f"/consult/display-cars/{showroom.car.id}/check"
    page = assert_full_page(client.get(url))
    assert page.count('name="ok"') == 17
    assert_fragment(client.get(url, headers=hx("check-form")), "check-form")
    keys = [k for k in services.display_cars.items_for(showroom.car) if k != "clean"]
    data = {
        "ok": keys,
        "note_clean": "前挡有手印",
        "photo_clean": (io.BytesIO(png_bytes()), "clean.png", "image/png"),
    }
    response = client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    check = db.session.scalar(sa.select(DisplayCarCheck))
    assert not check.ready and check.items["clean"]["photo"]
    photo = client.get(f"/consult/display-cars/checks/{check.id}/photos/clean")
    assert photo.status_code == 200 and photo.mimetype == "image/png"
    assert "no-store" in photo.headers["Cache-Control"]
    bad = client.post(
        url,
        data={"ok": keys, "photo_clean": (io.BytesIO(b"<svg></svg>"), "x.svg", "image/svg+xml")},
        content_type="multipart/form-data",
        headers=hx("check-form"),
    )
    assert_fragment(bad, "check-form", status=422)
    client = login(app, "bsales")
    assert client.get(f"/consult/display-cars/checks/{check.id}/photos/clean").status_code == 404
    assert client.get(f"/consult/display-cars/{showroom.car.id}/check").status_code == 404


def test_new_display_car_form(app, client, world, showroom):
    client.login("manager")
    assert_full_page(client.get("/consult/display-cars/new"))
    assert_fragment(
        client.get("/consult/display-cars/new", headers=hx("display-car-form")), "display-car-form"
    )
    bad = client.post(
        "/consult/display-cars/new", data={"colour": ""}, headers=hx("display-car-form")
    )
    assert_fragment(bad, "display-car-form", status=422)
    ok = client.post(
        "/consult/display-cars/new",
        data={"model_id": showroom.model.id, "colour": "红", "position": "3号", "sunroof": "1"},
    )
    assert ok.status_code == 303
    client = login(app, "sales")
    assert client.get("/consult/display-cars/new").status_code == 403


def test_a_card_problem_outside_the_questionnaire_is_shown_with_a_way_to_fix_it(
    client, world, showroom
):
    card = world.own_card
    card.source = "legacy"  # stored by an older version; the card's own rules refuse it now
    db.session.commit()
    client.login("sales")
    response = client.post(
        f"/consult/cards/{card.id}/needs",
        data={**answers(showroom), "version": card.version},
        headers=hx("needs-form"),
    )
    html = assert_fragment(response, "needs-form", status=422)
    assert f"/customers/{card.id}/edit" in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedsAnalysis)) == 0
