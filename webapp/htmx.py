"""The only code that reads HX-* request headers: full page or named-block fragment."""

from __future__ import annotations

from typing import Any

from flask import Response, make_response, redirect, render_template
from htmx_flask import request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """Any request made by htmx (fragment, boosted or history restore)."""
    return bool(request.htmx)


def is_fragment_request() -> bool:
    """A real htmx request for one element: not boosted, not a history restore, with a target.

    Boosted and history-restore requests replace the whole body, so they need the full page.
    So does the navigation htmx makes after an `HX-Location` answer: it targets <body>, which
    has no id, so it carries no HX-Target. Every fragment swap in this app targets an element
    with an id.
    """
    hx = request.htmx
    return bool(hx) and not hx.boosted and not hx.history_restore_request and bool(hx.target)


def render_page_or_fragment(
    template: str, block: str, status: int = 200, **context: Any
) -> Response:
    """Render the named block for an htmx fragment request, otherwise the whole page.

    The server chooses the block; no request parameter can pick another one.
    """
    if is_fragment_request():
        body = render_block(template, block, **context)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def fragment_or_redirect(
    location: str, template: str, block: str, trigger: str | None = None, **context: Any
) -> Response:
    """After a successful POST: the updated fragment plus an event, or a 303 redirect."""
    if is_fragment_request():
        response = render_page_or_fragment(template, block, **context)
        if trigger:
            response.headers["HX-Trigger"] = trigger
        return response
    return see_other(location)


def see_other(location: str) -> Response:
    """303 to `location` after a POST, marked as varying with HX-Request."""
    response = redirect(location, code=303)
    response.vary.add("HX-Request")
    return response


def htmx_redirect(location: str) -> Response:
    """Redirect that works for plain forms (303) and htmx forms (HX-Location keeps boosting)."""
    if not is_htmx():
        return see_other(location)
    response = make_response("", 200)
    response.headers["HX-Location"] = location
    response.vary.add("HX-Request")
    return response
