"""Templates compiled with their blocks joined where called render the same text."""

from __future__ import annotations

import pytest
from jinja2 import DictLoader, Environment
from jinja2_fragments import render_block

from webapp.templating import JoinedBlocks

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
