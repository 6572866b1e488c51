"""Rules of steps ③ ④: answers fill the A card, versions, the confirmed summary, the
walkaround, comparison sheets, and the display-car setup checklist."""

from __future__ import annotations

from datetime import datetime, time
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from tests.consult.conftest import answers, png_bytes
from webapp.blobs import read_blob
from webapp.consult import services
from webapp.consult.models import (
    DisplayCarCheck,
    NeedsAnalysis,
    Questionnaire,
    WalkaroundRecord,
)
from webapp.customers.models import CardEvent, CustomerCard
from webapp.errors import NotFound, PermissionDenied, ValidationError
from webapp.extensions import db
from webapp.timeutil import SHANGHAI, local_today


def events(card, kind):
    return list(
        db.session.scalars(
            sa.select(CardEvent).where(CardEvent.card_id == card.id, CardEvent.kind == kind)
        )
    )


def test_answers_fill_the_a_card_and_keep_the_rest_with_the_analysis(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    analysis = services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    db.session.expire_all()
    card = db.session.get(CustomerCard, card.id)
    assert card.model_id == showroom.model.id
    assert card.usage == "上下班通勤、家庭出行"
    assert card.budget == Decimal("200000.00")
    assert card.payment == "loan"
    assert card.trade_in is True
    assert card.current_car == "老捷达"
    assert card.competitors == "雅阁"
    assert card.decision_makers == "本人、配偶"
    assert card.family == "夫妻和一个孩子" and card.hobbies == "钓鱼"
    stored = db.session.get(NeedsAnalysis, analysis.id)
    # Only the questions without a card field are kept on the analysis: no copy of the card.
    assert card.occupation == "中学教师" and card.address == "朝阳区望京"
    assert stored.answers == {
        "priorities": ["安全", "省油"],
        "main_driver": "本人",
        "colour": "白色",
        "visit_purpose": "初次看车",
        "companions": ["配偶", "朋友"],
        "purchase_purpose": "换购",
    }
    assert stored.questionnaire_id == showroom.questionnaire.id
    assert events(card, "updated")


def test_a_stale_card_version_is_refused_and_nothing_is_saved(world, showroom):
    card = world.own_card
    stale = card.version
    card.hobbies = "网球"
    db.session.commit()  # someone else edited the card meanwhile
    with pytest.raises(ValidationError) as raised:
        services.needs.save_answers(world.users["salesperson"], card.id, answers(showroom), stale)
    assert "version" in raised.value.errors
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).hobbies == "网球"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedsAnalysis)) == 0


def test_bad_answers_come_back_by_question_and_nothing_is_saved(world, showroom):
    card = world.own_card
    bad = answers(showroom, budget="很多", usage=["开飞机"], planned_purchase_date="2020-01-01")
    with pytest.raises(ValidationError) as raised:
        services.needs.save_answers(world.users["salesperson"], card.id, bad, card.version)
    assert set(raised.value.errors) == {"budget", "usage"}
    # A date in the past is the card's own rule: its message comes back on the question.
    with pytest.raises(ValidationError) as raised:
        services.needs.save_answers(
            world.users["salesperson"],
            card.id,
            answers(showroom, planned_purchase_date="2020-01-01"),
            card.version,
        )
    assert "planned_purchase_date" in raised.value.errors
    db.session.expire_all()
    assert db.session.get(CustomerCard, card.id).budget is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(NeedsAnalysis)) == 0


def test_the_confirmed_summary_is_recorded_with_its_time_and_on_the_timeline(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    analysis = services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    confirmed = services.needs.confirm_summary(sales, analysis.id, zh=True)
    assert confirmed.confirmed_at is not None
    assert "上下班通勤" in confirmed.summary and "亚洲龙" in confirmed.summary
    first = confirmed.confirmed_at
    services.needs.confirm_summary(sales, analysis.id)  # a double tap keeps the first time
    assert db.session.get(NeedsAnalysis, analysis.id).confirmed_at == first
    [event] = events(card, "needs_confirmed")
    assert "钓鱼" in event.note


def test_a_model_is_recommended_only_after_confirmation_and_goes_on_the_timeline(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    analysis = services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    with pytest.raises(ValidationError) as raised:
        services.needs.recommend_model(sales, analysis.id, showroom.model.id, "")
    assert "model_id" in raised.value.errors
    services.needs.confirm_summary(sales, analysis.id)
    with pytest.raises(ValidationError):
        services.needs.recommend_model(sales, analysis.id, "999999", "")
    services.needs.recommend_model(sales, analysis.id, showroom.other_model.id, "要四驱")
    stored = db.session.get(NeedsAnalysis, analysis.id)
    assert stored.recommended_model_id == showroom.other_model.id
    assert stored.recommended_at is not None
    [event] = events(card, "model_recommended")
    assert event.data["model"] == "荣放" and event.note == "要四驱"


def test_after_a_confirmed_summary_new_answers_start_a_new_analysis(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    first = services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    again = services.needs.save_answers(
        sales, card.id, answers(showroom, colour="红"), card.version
    )
    assert again.id == first.id  # not confirmed yet: the same analysis is updated
    services.needs.confirm_summary(sales, first.id)
    db.session.expire_all()
    card = db.session.get(CustomerCard, card.id)
    later = services.needs.save_answers(
        sales, card.id, answers(showroom, colour="黑"), card.version
    )
    assert later.id != first.id
    assert db.session.get(NeedsAnalysis, first.id).answers["colour"] == "红"


def test_another_stores_or_colleagues_card_is_not_found(world, showroom):
    sales = world.users["salesperson"]
    for card in (world.colleague_card, world.other_store_card):
        with pytest.raises(NotFound):
            services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    with pytest.raises(PermissionDenied):
        services.needs.needs_page(world.users["greeter"], world.own_card.id)


def test_questionnaire_edits_make_versions_and_old_analyses_keep_theirs(world, showroom):
    admin = world.users["admin"]
    sales = world.users["salesperson"]
    card = world.own_card
    old = services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    text = services.questionnaire.questions_text(showroom.questionnaire.items)
    text += "\nparking | 是否有固定车位 | Own parking space? | yesno"
    v2 = services.questionnaire.save_questionnaire(admin, text)
    assert v2.version == 2 and v2.current
    # Unchanged: no version 3.
    assert services.questionnaire.save_questionnaire(admin, text).id == v2.id
    versions = services.questionnaire.questionnaire_versions(admin)
    assert [v.version for v in versions] == [2, 1]
    assert not db.session.get(Questionnaire, showroom.questionnaire.id).current
    assert db.session.get(NeedsAnalysis, old.id).questionnaire_id == showroom.questionnaire.id
    with pytest.raises(PermissionDenied):
        services.questionnaire.save_questionnaire(sales, text)


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("usage | 用途 | Usage | number | | usage", "text, choice or multi"),
        ("x | 预算 | Budget | text | | budget", "number"),
        ("x | 甲 | A | choice | 只有一个", "at least two"),
        ("x | 甲 | A | text | | salary", "not a field"),
        ("Bad Key | 甲 | A", "lower-case"),
    ],
)
def test_a_bad_questionnaire_line_is_named(world, showroom, line, problem):
    with force_locale("en"), pytest.raises(ValidationError) as raised:
        services.questionnaire.save_questionnaire(world.users["admin"], line)
    assert problem in raised.value.errors["items"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Questionnaire)) == 1


def test_walkaround_puts_the_points_for_the_customers_needs_first(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    services.needs.save_answers(sales, card.id, answers(showroom), card.version)
    page = services.walkaround.walkaround_page(sales, card.id)
    assert page.model.id == showroom.model.id
    assert {"economy", "safety", "space"} <= page.needs
    position, points, ticked = page.positions[0]
    assert position == "front45" and ticked is None
    assert [p.point.feature for p in points] == ["智行安全", "大气造型"]
    assert points[0].matches == ["safety"] and points[1].matches == []


def test_ticking_all_six_positions_records_the_walkaround_once(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    model_id = showroom.model.id
    services.walkaround.tick_position(sales, card.id, model_id, "front45", True)
    services.walkaround.tick_position(sales, card.id, model_id, "rear", True)
    services.walkaround.tick_position(sales, card.id, model_id, "rear", False)
    record = db.session.scalar(sa.select(WalkaroundRecord))
    assert set(record.positions) == {"front45"}
    for position in ("driver_side", "rear", "passenger_side", "engine_bay", "interior"):
        services.walkaround.tick_position(sales, card.id, model_id, position, True)
    record = db.session.scalar(sa.select(WalkaroundRecord))
    assert record.completed_at is not None and len(record.positions) == 6
    [event] = events(card, "walkaround")
    assert event.data["model"] == "亚洲龙"
    with pytest.raises(ValidationError):
        services.walkaround.tick_position(sales, card.id, model_id, "roof", True)
    with pytest.raises(NotFound):
        services.walkaround.tick_position(sales, world.colleague_card.id, model_id, "rear", True)


def test_the_sheet_for_the_named_competitor_is_offered(world, showroom):
    card = world.own_card
    card.model_id = showroom.model.id
    card.competitors = "还在看本田雅阁"
    db.session.commit()
    page = services.comparison.compare_page(world.users["salesperson"], card.id)
    assert [s.id for s in page.offered] == [showroom.sheet.id]
    assert page.chosen.id == showroom.sheet.id
    card.competitors = "比亚迪汉"
    db.session.commit()
    page = services.comparison.compare_page(world.users["salesperson"], card.id)
    assert page.offered == [] and page.others == [showroom.sheet]


def test_only_an_admin_edits_a_comparison_sheet_and_a_stale_edit_is_refused(world, showroom):
    data = {
        "model_id": str(showroom.model.id),
        "competitor": "本田雅阁 Honda Accord",
        "ours_version": "2.5L 双擎 豪华版",
        "theirs_version": "雅阁 e:HEV",
        "source": "厂家官网配置表",
        "as_of": "2025-10-01",
        "aliases": "雅阁, Accord",
        "rows": "隔音 | 双层玻璃 | 单层\n油耗（WLTC） | 4.5L | 5.0L | 工信部公告",
    }
    for role in ("salesperson", "sales_manager"):
        with pytest.raises(PermissionDenied):
            services.comparison.save_sheet(
                world.users[role], showroom.sheet.id, data, showroom.sheet.version
            )
    version = showroom.sheet.version
    saved = services.comparison.save_sheet(world.users["admin"], showroom.sheet.id, data, version)
    assert len(saved.rows) == 2 and saved.version == version + 1
    with pytest.raises(ValidationError) as raised:
        services.comparison.save_sheet(world.users["admin"], showroom.sheet.id, data, version)
    assert "version" in raised.value.errors
    with pytest.raises(ValidationError) as raised:
        # The same model and competitor.
        services.comparison.save_sheet(world.users["admin"], None, data)
    assert "competitor" in raised.value.errors
    with pytest.raises(ValidationError) as raised:
        services.comparison.save_sheet(world.users["admin"], None, {**data, "rows": "只有一列"})
    assert "rows" in raised.value.errors


def test_catalogue_hand_over_and_invitation_are_on_the_timeline(world, showroom):
    card = world.own_card
    sales = world.users["salesperson"]
    services.panel.record_catalogue(sales, card.id, "圈出双擎和安全配置")
    services.panel.record_invitation(sales, card.id, "")
    assert events(card, "catalogue_given")[0].note == "圈出双擎和安全配置"
    assert len(events(card, "test_drive_invited")) == 1
    with pytest.raises(PermissionDenied):
        services.panel.record_catalogue(world.users["greeter"], card.id, "")


def test_display_checklist_with_a_failed_item_and_its_photo(world, showroom):
    sales = world.users["salesperson"]
    car = showroom.car
    keys = set(services.display_cars.items_for(car))
    assert "sunshade_open" in keys and len(keys) == 17
    assert "sunshade_open" not in services.display_cars.items_for(showroom.plain_car)
    ok = keys - {"tyres_dressed"}
    check = services.display_cars.save_check(
        sales,
        car.id,
        ok,
        {"tyres_dressed": "右后轮未上光"},
        {"tyres_dressed": (png_bytes(), "image/png")},
    )
    assert not check.ready
    item = check.items["tyres_dressed"]
    assert item["ok"] is False and item["note"] == "右后轮未上光"
    data, mime = read_blob(services.display_cars.check_photo(sales, check.id, "tyres_dressed"))
    assert mime == "image/png" and data.startswith(b"\x89PNG")
    with pytest.raises(NotFound):
        services.display_cars.check_photo(
            world.users["other_salesperson"], check.id, "tyres_dressed"
        )
    with pytest.raises(NotFound):
        services.display_cars.check_photo(sales, check.id, "clean")  # no photo on a passed item


def test_a_photo_on_a_passed_item_or_a_bad_file_saves_nothing(world, showroom):
    sales = world.users["salesperson"]
    keys = set(services.display_cars.items_for(showroom.car))
    with pytest.raises(ValidationError) as raised:
        services.display_cars.save_check(
            sales, showroom.car.id, keys, {}, {"clean": (png_bytes(), "image/png")}
        )
    assert "photo_clean" in raised.value.errors
    with pytest.raises(ValidationError) as raised:
        services.display_cars.save_check(
            sales, showroom.car.id, keys - {"clean"}, {}, {"clean": (b"<svg/>", "image/svg+xml")}
        )
    assert "photo_clean" in raised.value.errors
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DisplayCarCheck)) == 0


def test_manager_check_and_roles(world, showroom):
    sales = world.users["salesperson"]
    check = services.display_cars.save_check(
        sales, showroom.car.id, set(services.display_cars.items_for(showroom.car)), {}, {}
    )
    assert check.ready
    with pytest.raises(PermissionDenied):
        services.display_cars.manager_check(sales, check.id, "")
    with pytest.raises(NotFound):
        services.display_cars.manager_check(world.users["other_manager"], check.id, "")
    services.display_cars.manager_check(world.users["sales_manager"], check.id, "好")
    stored = db.session.get(DisplayCarCheck, check.id)
    assert stored.manager_checked_at is not None and stored.manager_note == "好"
    # Saving the checklist again asks for the manager's check again.
    services.display_cars.save_check(
        sales, showroom.car.id, set(services.display_cars.items_for(showroom.car)), {}, {}
    )
    assert db.session.get(DisplayCarCheck, check.id).manager_checked_at is None
    with pytest.raises(PermissionDenied):
        services.display_cars.save_check(world.users["greeter"], showroom.car.id, set(), {}, {})


def test_display_cars_today_shows_state_and_red_after_opening(app, world, showroom):
    sales = world.users["salesperson"]
    keys = set(services.display_cars.items_for(showroom.car))
    services.display_cars.save_check(sales, showroom.car.id, keys - {"music"}, {}, {})
    today = local_today()
    before = datetime.combine(today, time(8, 30), SHANGHAI)
    after = datetime.combine(today, time(9, 30), SHANGHAI)
    rows = {
        r.car.id: r
        for r in services.display_cars.display_cars_today(world.users["sales_manager"], before)
    }
    assert set(rows) == {showroom.car.id, showroom.plain_car.id}  # not the other store's
    failed = rows[showroom.car.id]
    assert failed.checked and not failed.ready and failed.failed_items == ["music"]
    assert failed.checked_by == sales.display_name and not failed.manager_checked
    assert not failed.late and not rows[showroom.plain_car.id].late
    rows = {
        r.car.id: r for r in services.display_cars.display_cars_today(world.users["greeter"], after)
    }
    assert rows[showroom.car.id].late and rows[showroom.plain_car.id].late
    app.config["STORE_OPENS_AT"] = "10:00"
    rows = services.display_cars.display_cars_today(world.users["sales_manager"], after)
    assert not any(r.late for r in rows)
    services.display_cars.save_check(
        sales,
        showroom.plain_car.id,
        set(services.display_cars.items_for(showroom.plain_car)),
        {},
        {},
    )
    app.config["STORE_OPENS_AT"] = "09:00"
    rows = {
        r.car.id: r
        for r in services.display_cars.display_cars_today(world.users["sales_manager"], after)
    }
    assert rows[showroom.plain_car.id].ready and not rows[showroom.plain_car.id].late


def test_demo_seed_is_idempotent(app, world):
    from webapp.catalog.models import VehicleModel
    from webapp.consult.demo import seed_demo
    from webapp.consult.models import ComparisonSheet, DisplayCar

    for code in ("COROLLA", "RAV4", "AVALON", "CCROSS"):
        db.session.add(VehicleModel(code=code, name_zh=code, name_en=code))
    db.session.commit()
    users = {
        "admin": world.users["admin"],
        "sales1": world.users["salesperson"],
        "manager": world.users["sales_manager"],
    }
    assert "display cars" in seed_demo(world.store_a, users)
    assert "nothing changed" in seed_demo(world.store_a, users)
    rows = services.display_cars.display_cars_today(world.users["sales_manager"])
    assert len(rows) == 4
    assert sum(r.ready for r in rows) == 2 and sum(r.checked for r in rows) == 3
    assert [r.failed_items for r in rows if r.checked and not r.ready] == [["tyres_dressed"]]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ComparisonSheet)) >= 8
    assert db.session.scalar(sa.select(sa.func.count()).select_from(DisplayCar)) == 4
