"""The template helpers made cheap for speed still give the right text: remembered URLs,
per-request translations that follow a switched language, and dates in Asia/Shanghai."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from flask import Flask, render_template_string
from flask_babel import force_locale, refresh

from tests.conftest import base_config
from webapp import create_app
from webapp.i18n import local_date, local_datetime


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
