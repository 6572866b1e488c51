"""Assertions about what htmx receives: a full page or only a named block."""

from __future__ import annotations

import re

HX = {"HX-Request": "true", "HX-Target": "main"}
BOOSTED = {"HX-Request": "true", "HX-Boosted": "true"}


def is_fragment(response) -> bool:
    body = response.get_data(as_text=True)
    return "<html" not in body and "HX-Request" in response.headers.get("Vary", "")


def is_full_page(response) -> bool:
    body = response.get_data(as_text=True)
    return "<html" in body and "HX-Request" in response.headers.get("Vary", "")


def assert_fragment(response, element_id: str, status: int = 200) -> str:
    """The response is only the named block: its root element carries `element_id`."""
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert is_fragment(response)
    first_tag = re.search(r"<[a-z]+[^>]*>", html).group(0)
    assert f'id="{element_id}"' in first_tag
    return html


def assert_full_page(response, status: int = 200) -> str:
    html = response.get_data(as_text=True)
    assert response.status_code == status
    assert is_full_page(response)
    # The CSP forbids inline styles, inline handlers and inline scripts.
    assert " style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert not re.search(r"<script(?![^>]*\ssrc=)", html)
    return html
