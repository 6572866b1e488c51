"""Templates compiled with their blocks joined where called, and their output escaped to
plain strings, render the same text as Jinja's own."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from jinja2 import DictLoader, Environment, Undefined
from jinja2_fragments import render_block
from markupsafe import Markup, escape

from webapp.templating import JoinedBlocks, output_escape

TEMPLATES = {
    "base.html": (
        "<html>{% block head %}<title>{% block title %}t{% endblock %}</title>{% endblock %}"
        "<body>{% block content %}base{% endblock %}{% include 'part.html' %}</body></html>"
    ),
    "part.html": "<p>{{ who }}</p>",
    "page.html": (
        "{% extends 'base.html' %}"
        "{% block title %}{{ super() }}+{{ who }}{% endblock %}"
        "{% block content %}<ul>{% for n in items %}"
        "{% block row scoped %}<li>{{ n }}{% if n is even %}&amp;{{ who }}{% endif %}</li>"
        "{% endblock %}{% endfor %}</ul>"
        "{% set captured %}{% block inner %}[{{ items|length }}]{% endblock %}{% endset %}"
        "{{ captured }}{% endblock %}"
    ),
    "dynamic.html": (
        "{% if wrapped %}{% extends 'base.html' %}{% endif %}"
        "{% block content %}<b>{{ who }}</b>{% endblock %}"
    ),
    # Every place Jinja writes output: macros and their callers, set and filter blocks, a
    # switch of autoescape (volatile), safe values and undefined ones.
    "output.html": (
        "{% macro cell(v) %}<td>{{ v }}</td>{% if caller %}{{ caller() }}{% endif %}{% endmacro %}"
        "{{ cell(who) }}{% call cell(n) %}<i>{{ who }}</i>{% endcall %}"
        "{% set kept %}<s>{{ who }}</s>{% endset %}{{ kept }}|{{ kept|length }}"
        "{% filter upper %}{{ who }}&{{ n }}{% endfilter %}"
        "{% autoescape false %}{{ who }}{% endautoescape %}"
        "{% autoescape flag %}{{ who }}{% endautoescape %}"
        "{{ safe }}{{ who|safe }}{{ who ~ n }}{{ missing_value }}{{ none }}{{ flag }}"
        "{{ amount }}{{ day }}{{ n * 2.5 }}"
    ),
}


def _environment(joined: bool) -> Environment:
    env = Environment(loader=DictLoader(TEMPLATES), autoescape=True)
    if joined:
        env.code_generator_class = JoinedBlocks
    return env


@pytest.mark.parametrize(
    ("name", "context"),
    [
        ("page.html", {"who": "<王>", "items": [1, 2, 3]}),
        ("page.html", {"who": "x", "items": []}),
        ("dynamic.html", {"who": "a&b", "wrapped": True}),
        ("dynamic.html", {"who": "a&b", "wrapped": False}),
    ],
)
def test_joined_blocks_render_the_same_page_as_jinja(name, context):
    expected = _environment(joined=False).get_template(name).render(context)
    assert _environment(joined=True).get_template(name).render(context) == expected


@pytest.mark.parametrize("who", ['<王 & "李" \'s>', "plain", ""])
@pytest.mark.parametrize("flag", [True, False])
def test_every_kind_of_output_renders_as_jinja_writes_it(who, flag):
    context = {
        "who": who,
        "n": 7,
        "flag": flag,
        "safe": Markup("<b>ok</b>"),
        "none": None,
        "amount": Decimal("12.50"),
        "day": date(2026, 12, 7),
    }
    expected = _environment(joined=False).get_template("output.html").render(context)
    assert _environment(joined=True).get_template("output.html").render(context) == expected


class _Html:
    def __html__(self) -> str:
        return "<em>trusted</em>"

    def __str__(self) -> str:
        return "<not used>"


class _Text(str):
    """A str subclass: escaped as its text, like MarkupSafe does."""


@pytest.mark.parametrize(
    "value",
    [
        "<a href='x'>&\"</a>",
        "王小明",
        "",
        0,
        -42,
        True,
        None,
        3.5,
        Decimal("1.10"),
        date(2026, 1, 2),
        Markup("<b>&amp;</b>"),
        _Html(),
        _Text("<i>"),
        Undefined(),
        ["<x>"],
    ],
)
def test_output_escape_is_markupsafes_escape_as_a_string(value):
    escaped = output_escape(value)
    assert escaped == str(escape(value))
    assert type(escaped) is str or isinstance(escaped, Markup)


def test_a_fragment_of_joined_blocks_is_the_same_as_jinjas():
    context = {"who": "w", "items": [2, 4]}
    stock, joined = _environment(joined=False), _environment(joined=True)
    for block in ("content", "row", "inner"):
        expected = render_block(stock, "page.html", block, **context, n=7)
        assert render_block(joined, "page.html", block, **context, n=7) == expected


def test_the_apps_templates_hand_no_piece_up_one_by_one(app):
    env = app.jinja_env
    for name in ("base.html", "pdca/hot.html", "pdca/audit.html", "home/my_day.html"):
        source, _, _ = env.loader.get_source(env, name)
        compiled = env.compile(source, name, raw=True)
        assert "yield from context.blocks" not in compiled
        assert "yield from parent_template" not in compiled
        assert "yield environment.concat(" in compiled
        assert "_output_escape(" in compiled
        assert " escape(" not in compiled
