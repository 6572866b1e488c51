"""The template helpers made cheap for speed still give the right text: remembered URLs,
per-request translations that follow a switched language, dates in Asia/Shanghai, the one
label look-up over every area's tables, and the `local` filter's choice of column."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, refresh

from tests.conftest import base_config
from webapp import create_app, labels
from webapp.i18n import local_date, local_datetime, short_day


@pytest.fixture
def plain_app() -> Flask:
    return create_app(base_config("sqlite://"))


def test_remembered_urls_equal_flask_url_for(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        template = (
            "{{ url_for('customers.card', card_id=7) }}|{{ url_for('customers.card', card_id=8) }}"
            "|{{ url_for('customers.box', month='2026-11') }}|{{ url_for('home.my_day') }}"
        )
        first = render_template_string(template)
        second = render_template_string(template)
    assert first == second == "/customers/7|/customers/8|/customers/box?month=2026-11|/my-day"


def test_remembered_urls_follow_the_script_root(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        assert render_template_string("{{ url_for('home.my_day') }}") == "/my-day"
    with plain_app.test_request_context("/", base_url="http://showroom.lan/app/"):
        assert render_template_string("{{ url_for('home.my_day') }}") == "/app/my-day"


def test_external_and_unhashable_urls_are_built_by_flask(plain_app: Flask) -> None:
    with plain_app.test_request_context("/", base_url="http://showroom.lan/"):
        assert (
            render_template_string("{{ url_for('home.my_day', _external=True) }}")
            == "http://showroom.lan/my-day"
        )
        assert (
            render_template_string("{{ url_for('customers.box', tag=['a', 'b']) }}")
            == "/customers/box?tag=a&amp;tag=b"
        )


def test_blueprint_relative_urls_are_kept_apart_per_blueprint(plain_app: Flask) -> None:
    with plain_app.test_request_context("/customers/new"):
        assert render_template_string("{{ url_for('.new') }}") == "/customers/new"
    with plain_app.test_request_context("/testdrive/bookings"):
        assert render_template_string("{{ url_for('.bookings') }}") == "/testdrive/bookings"


def test_template_text_follows_a_forced_and_a_refreshed_language(plain_app: Flask) -> None:
    template = "{{ _('My day') }}"
    with plain_app.test_request_context("/"):
        assert render_template_string(template) == "我的一天"
        with force_locale("en"):
            assert render_template_string(template) == "My day"
        assert render_template_string(template) == "我的一天"
        from flask import session

        session["locale"] = "en"
        refresh()
        assert render_template_string(template) == "My day"


def test_placeholders_in_template_text_are_escaped(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"), force_locale("en"):
        text = render_template_string("{{ _('Hello %(name)s', name='<b>') }}")
    assert "&lt;b&gt;" in text  # placeholders are still escaped


def test_dates_and_times_show_in_shanghai_time() -> None:
    moment = datetime(2026, 11, 27, 16, 30, tzinfo=UTC)  # 00:30 the next day in Shanghai
    assert local_datetime(moment) == "2026-11-28 00:30"
    assert local_datetime(moment, "time") == "00:30"
    assert local_datetime(moment.replace(tzinfo=None)) == "2026-11-28 00:30"  # naive is UTC
    assert local_date(moment) == "2026-11-28"
    assert local_date(date(2026, 1, 5)) == "2026-01-05"
    assert local_datetime(None) == local_date(None) == "—"


def test_stored_code_labels_follow_a_forced_language(plain_app: Flask) -> None:
    template = "{{ label('booking_status', 'cancelled') }}|{{ L.booking_status.cancelled }}"
    with plain_app.test_request_context("/"):
        chinese = render_template_string(template)
        with force_locale("en"):
            assert render_template_string(template) == "Cancelled|Cancelled"
        assert render_template_string(template) == chinese
    assert chinese != "Cancelled|Cancelled" and "|" in chinese


def test_every_area_table_is_read_through_one_label_lookup(plain_app: Flask) -> None:
    template = (
        "{{ label('stage', 'lost') }}|{{ label('role', 'greeter') }}"
        "|{{ label('visit_kind', 'walk_in') }}|{{ label('position', 'rear') }}"
        "|{{ label('car_status', 'ready') }}|{{ label('notice_title', 'arrival') }}"
        "|{{ L.result.ordered }}|{{ label('event', 'walkaround') }}"
    )
    with plain_app.test_request_context("/"), force_locale("en"):
        text = render_template_string(template)
    assert text == (
        "Lost|Greeter|Walk-in|Rear|Ready|Customer arrived|Ordered|Six-position walkaround"
    )


def test_label_tables_are_the_areas_tables_from_the_list(plain_app: Flask) -> None:
    declared: set[str] = set()
    for name in labels.AREAS:
        tables = importlib.import_module(name).TABLES
        declared |= set(tables() if callable(tables) else tables)
    with plain_app.test_request_context("/"):
        assert set(labels.labels_for("en")) == declared


def test_a_table_declared_by_two_areas_is_refused() -> None:
    first = {"stage": {"lost": "Lost"}}
    with pytest.raises(ValueError, match=r"'stage' is declared by webapp\.a and webapp\.b"):
        labels.merge([("webapp.a", first), ("webapp.b", {"stage": {}})])
    assert labels.merge([("webapp.a", first), ("webapp.b", lambda: {"grade": {}})]).keys() == {
        "stage",
        "grade",
    }


def test_an_unknown_code_or_table_reads_as_the_code(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        assert labels.label("stage", "unheard_of") == "unheard_of"
        assert labels.label("no_such_table", 7) == "7"


@dataclass
class _Row:
    model_zh: str | None
    model_en: str | None


def test_local_filter_picks_the_column_of_the_language(plain_app: Flask) -> None:
    template = (
        "{{ row|local('model') }}|{{ row|local('model', other=true) }}|{{ item|local('label') }}"
    )
    context = {
        "row": _Row(model_zh="卡罗拉", model_en="Corolla"),
        "item": {"label_zh": "油量", "label_en": "Fuel"},
    }
    with plain_app.test_request_context("/"):
        assert render_template_string(template, **context) == "卡罗拉|Corolla|油量"
        with force_locale("en"):
            assert render_template_string(template, **context) == "Corolla|卡罗拉|Fuel"


def test_local_filter_falls_back_to_chinese_and_shows_nothing_for_none(plain_app: Flask) -> None:
    template = (
        "[{{ row|local('model') }}]|[{{ row|local('model', other=true) }}]"
        "|[{{ none|local('name') }}]"
    )
    with plain_app.test_request_context("/"), force_locale("en"):
        assert render_template_string(template, row=_Row("凯美瑞", "")) == "[凯美瑞]|[凯美瑞]|[]"
        assert render_template_string(template, row=_Row(None, None)) == "[]|[]|[]"


def test_local_filter_without_the_page_context_reads_the_request_language(
    plain_app: Flask,
) -> None:
    # As in a macro imported without context: no `current_locale` from the context processor.
    bare = plain_app.jinja_env.from_string("{{ row|local('model') }}")
    row = _Row(model_zh="卡罗拉", model_en="Corolla")
    with plain_app.test_request_context("/"):
        assert bare.render(row=row) == "卡罗拉"
        with force_locale("en"):
            assert bare.render(row=row) == "Corolla"


def test_a_short_day_names_the_year_only_when_it_is_not_this_years():
    today = date(2026, 12, 6)
    assert short_day(date(2026, 12, 8), today, zh=True) == "12月8日"
    assert short_day(date(2027, 1, 5), today, zh=True) == "2027年1月5日"
    assert short_day(date(2026, 12, 8), today, zh=False) == "Dec 8"
    assert short_day(date(2025, 3, 1), today, zh=False) == "Mar 1, 2025"


def test_labels_read_as_attributes_without_a_failed_lookup_and_keep_the_dict_methods(
    plain_app: Flask,
) -> None:
    texts = labels.Labels({"card_url": "/customers/", "items": "a table called items", "2x": "y"})
    assert texts.card_url == texts["card_url"] == "/customers/"
    assert "card_url" in vars(texts)  # an instance attribute: Jinja's getattr finds it at once
    assert callable(texts.items) and texts["items"] == "a table called items"
    assert "2x" not in vars(texts) and texts["2x"] == "y"
    with plain_app.test_request_context("/"), force_locale("en"):
        tables = labels.labels_for("en")
        assert "task_ui" in vars(tables) and "overdue" in vars(tables.task_ui)
        assert render_template_string("{{ L.task_ui.overdue }}|{{ L.title.get('zz', '-') }}") == (
            "Overdue|-"
        )
