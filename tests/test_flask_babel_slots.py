"""The private per-request state of Flask-Babel that webapp/i18n.py relies on for speed.

`translations()` keeps the request's catalogue in `g._flask_babel.babel_translations` and
`locale_name()` reads `g._flask_babel.babel_locale` (and keeps its string beside it): the
public `get_translations()` and `get_locale()` cost three times as much per call. That is
safe only while Flask-Babel keeps its state there, resets the translations slot in
`force_locale()` and `refresh()`, and does not read that slot itself. pyproject.toml pins
Flask-Babel to the versions these tests were run against; a new version must pass them.
"""

from __future__ import annotations

import flask_babel
import pytest
from babel import Locale
from babel.support import NullTranslations, Translations
from flask import Flask, g, session

from tests.conftest import base_config
from webapp import create_app
from webapp.i18n import locale_name, translations


@pytest.fixture
def plain_app() -> Flask:
    return create_app(base_config("sqlite://"))


def test_flask_babel_keeps_its_request_state_in_g(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        assert flask_babel._get_current_context() is g._flask_babel


def test_the_chosen_locale_is_kept_in_the_slot_locale_name_reads(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        chosen = flask_babel.get_locale()
        assert g._flask_babel.babel_locale is chosen
        assert locale_name() == str(chosen) == "zh_Hans_CN"


def test_force_locale_empties_the_translations_slot_and_restores_it(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        chinese = translations()
        assert g._flask_babel.babel_translations is chinese
        with flask_babel.force_locale("en"):
            assert g._flask_babel.babel_translations is None
            assert g._flask_babel.babel_locale == Locale("en")
            assert locale_name() == "en"
            assert translations().ugettext("My day") == "My day"
        assert g._flask_babel.babel_translations is chinese
        assert locale_name() == "zh_Hans_CN"
        assert translations().ugettext("My day") == "我的一天"


def test_refresh_drops_the_locale_and_translations_slots(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        translations()
        locale_name()
        session["locale"] = "en"
        flask_babel.refresh()
        assert not hasattr(g._flask_babel, "babel_translations")
        assert not hasattr(g._flask_babel, "babel_locale")
        assert locale_name() == "en"
        assert translations().ugettext("My day") == "My day"


def test_flask_babel_does_not_read_the_slots_written_here(plain_app: Flask) -> None:
    with plain_app.test_request_context("/"):
        flask_babel.get_locale()
        g._flask_babel.babel_translations = NullTranslations()
        g._flask_babel.babel_locale_name = (object(), "en")
        assert flask_babel.gettext("My day") == "我的一天"
        assert isinstance(flask_babel.get_translations(), Translations)
