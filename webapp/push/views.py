"""Views of the inbox, push settings and subscriptions.

The inbox is for every member of staff and shows only the acting user's own notices. The
nav badge polls GET /inbox/count (htmx, every few seconds on the LAN): the live update that
works whether or not a push service is reachable. The subscription endpoints speak JSON to
static/js/push.js: 401 JSON without a session (never a redirect), 422 JSON on bad input.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.api import api_login_required, json_response
from webapp.errors import ValidationError
from webapp.htmx import fragment_or_redirect, htmx_redirect, render_page_or_fragment
from webapp.inputs import page_number
from webapp.push import services
from webapp.push.keys import public_key

bp = Blueprint("push", __name__, url_prefix="/inbox")


def _inbox_context() -> dict[str, Any]:
    page = services.inbox(current_user, page_number(request.args.get("page")))
    return {"page": page, "unread": services.unread_count(current_user)}


@bp.get("/")
@login_required
def inbox():
    """The acting user's notices, newest first; the list (`inbox_list`) is the fragment."""
    return render_page_or_fragment("push/inbox.html", "inbox_list", **_inbox_context())


@bp.get("/count")
@api_login_required
def count():
    """The unread badge (`inbox_count`), polled by the nav. When the count differs from the
    one the page shows (`shown`, absent on the first poll), the response triggers
    `inbox-changed` so an open inbox list reloads itself, and when it grew, the newest
    notice's title comes along as a toast (out of band). Without a session: 401, which
    htmx does not swap in (a login page must not land inside the badge)."""
    unread = services.unread_count(current_user)
    shown = request.args.get("shown", "")
    # A notice that came since the last poll shows its title on the open page (a toast):
    # "交车贵宾到店" reaches a colleague's screen without a reload or a push subscription.
    news = None
    if shown.isdigit() and unread > int(shown):
        news = services.newest_unread_title(current_user)
    response = render_page_or_fragment(
        "push/count.html",
        "inbox_count",
        unread=unread,
        news=news,
        poll_seconds=current_app.config.get("INBOX_POLL_SECONDS", 3),
    )
    # The first poll of a page (no `shown`) also triggers: a notice that came between
    # rendering the page and this poll must not be missed by an open inbox list.
    if request.args.get("shown") != str(unread):
        response.headers["HX-Trigger"] = "inbox-changed"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one notice read and open its page. Raises NotFound for another user's notice."""
    row = services.mark_read(current_user, notification_id)
    return htmx_redirect(row.url)


@bp.post("/read-all")
@login_required
def read_all():
    """Mark every notice of the acting user read; the list comes back as the fragment."""
    services.mark_all_read(current_user)
    return fragment_or_redirect(
        url_for("push.inbox"),
        "push/inbox.html",
        "inbox_list",
        trigger="inbox-changed",
        **_inbox_context(),
    )


@bp.get("/settings")
@login_required
def settings():
    """Push on/off for this device; static/js/push.js explains when the browser cannot."""
    return render_page_or_fragment("push/settings.html", "push_settings", public_key=public_key())


@bp.post("/subscriptions")
@api_login_required
def save_subscription():
    """Save or re-save this device's subscription (JSON from push.js). 422 JSON on bad input,
    an endpoint that is not a public push service, or one held by another account."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return json_response(
            422, error="invalid", errors={"endpoint": _("The request was not JSON.")}
        )
    try:
        subscription = services.save_subscription(
            current_user, data, request.headers.get("User-Agent", "")
        )
    except ValidationError as exc:
        return json_response(422, error="invalid", errors=exc.errors)
    return json_response(200, ok=True, id=subscription.id)


@bp.post("/subscriptions/delete")
@api_login_required
def delete_subscription():
    """Forget this device's subscription (push turned off here). Always 200 when logged in."""
    data = request.get_json(silent=True)
    endpoint = data.get("endpoint", "") if isinstance(data, dict) else ""
    deleted = services.delete_subscription(current_user, str(endpoint))
    return json_response(200, ok=True, deleted=deleted)


@bp.app_template_global("push_public_key")
def _push_public_key() -> str | None:
    """For the nav: the applicationServerKey push.js re-subscribes with (None: no key yet)."""
    return public_key()
