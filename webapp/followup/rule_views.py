"""The store's follow-up rules and settings page, for the sales manager and the admin: each
rule's days, repeat, owner, message and switch, one empty row to add the store's own rule,
and the settings (days before an overdue task goes to the manager, the thank-you letter's
text). The rules live in webapp.followup.rules; this page reads and posts them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.errors import ValidationError
from webapp.followup import bp
from webapp.followup import rules as svc
from webapp.followup.letters import DEFAULT_LETTER
from webapp.htmx import htmx_redirect, render_page_or_fragment

ROW_FIELDS = frozenset(
    {"code", "trigger", "offset_days", "repeat_days", "owner_role", "message", "active", "is_new"}
)
_ROW_FIELD = re.compile(r"^rows-(\d{1,3})-([a-z_]{2,12})$")
SETTING_FIELDS = ("escalate_after_days", "letter_body")


def _rule_row(rule: svc.Rule, index: int) -> dict[str, Any]:
    """A saved rule as the form shows it."""
    return {
        "index": index,
        "code": rule.code,
        "trigger": rule.trigger,
        "offset_days": str(rule.offset_days),
        "repeat_days": "" if rule.repeat_days is None else str(rule.repeat_days),
        "owner_role": rule.owner_role,
        "message": rule.message,
        "active": rule.active,
        "is_new": False,
        "standard": rule.code in svc.DEFAULT_CODES,
    }


def _new_row(index: int) -> dict[str, Any]:
    """The empty row that adds the store's own rule (ignored while its code is empty)."""
    return {
        "index": index,
        "code": "",
        "trigger": "",
        "offset_days": "",
        "repeat_days": "",
        "owner_role": "salesperson",
        "message": "",
        "active": True,
        "is_new": True,
        "standard": False,
    }


def _saved_rows(store_id: int) -> list[dict[str, Any]]:
    rows = [_rule_row(rule, n) for n, rule in enumerate(svc.rules_for(store_id))]
    if len(rows) < svc.MAX_RULES:
        rows.append(_new_row(len(rows)))
    return rows


def _posted_rows(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """The form's rows (`rows-<n>-<field>`) in order of n, as posted, each with its n."""
    found: dict[int, dict[str, Any]] = {}
    for key in form:
        match = _ROW_FIELD.match(key)
        if match and match.group(2) in ROW_FIELDS:
            found.setdefault(int(match.group(1)), {})[match.group(2)] = form.get(key, "")
    rows = []
    for index in sorted(found):
        raw = found[index]
        is_new = raw.get("is_new") == "1"
        code = str(raw.get("code") or "").strip()
        rows.append(
            {
                "index": index,
                "code": code,
                "trigger": raw.get("trigger", ""),
                "offset_days": raw.get("offset_days", ""),
                "repeat_days": raw.get("repeat_days", ""),
                "owner_role": raw.get("owner_role", ""),
                "message": raw.get("message", ""),
                "active": raw.get("active") in ("1", "on", "y", "true"),
                "is_new": is_new,
                "standard": not is_new and code in svc.DEFAULT_CODES,
            }
        )
    return rows


def _page(
    status: int = 200,
    block: str = "rules_form",
    *,
    rows: list[dict[str, Any]] | None = None,
    row_errors: Mapping[int, Mapping[str, str]] | None = None,
    rules_error: str = "",
    settings: Mapping[str, Any] | None = None,
    setting_errors: Mapping[str, str] | None = None,
) -> Response:
    store_id = current_user.store_id
    if settings is None:
        saved = svc.setting_for(store_id)
        settings = {
            "escalate_after_days": str(saved.escalate_after_days),
            "letter_body": saved.letter_body,
        }
    return render_page_or_fragment(
        "followup/rules.html",
        block,
        status=status,
        rows=rows if rows is not None else _saved_rows(store_id),
        row_errors=row_errors or {},
        rules_error=rules_error,
        settings=settings,
        setting_errors=setting_errors or {},
        default_letter=DEFAULT_LETTER,
        limits={
            "offset": svc.MAX_OFFSET,
            "repeat": (svc.MIN_REPEAT, svc.MAX_REPEAT),
            "message": svc.MESSAGE_LIMIT,
            "letter": svc.LETTER_LIMIT,
            "escalate": svc.ESCALATE_RANGE,
        },
    )


@bp.get("/rules")
@login_required
def rules() -> Response:
    """The store's rules (the standard ones until the store saves its own) and settings.
    403 but for the sales manager and the admin."""
    require_role(current_user, *svc.EDIT_ROLES)
    return _page()


@bp.post("/rules")
@login_required
def save_rules() -> Response:
    """Save the whole set of rules (`rules_form`); the empty new row is left out. On an
    error (422) the form comes back as posted with each message next to its field and
    nothing is saved. 403 but for the sales manager and the admin."""
    require_role(current_user, *svc.EDIT_ROLES)
    posted = _posted_rows(request.form)
    sent = [row for row in posted if not (row["is_new"] and not row["code"])]
    try:
        svc.save_rules(current_user, sent)
    except ValidationError as exc:
        # The service numbers the rows it was given; the page numbers the rows it showed.
        by_row = exc.errors.get("rows") or {}
        row_errors = {
            sent[n]["index"]: errors
            for n, errors in by_row.items()  # type: ignore[union-attr]
            if isinstance(n, int) and n < len(sent)
        }
        rules_error = exc.errors.get("rules", "")
        return _page(
            422,
            "rules_form",
            rows=posted,
            row_errors=row_errors,
            rules_error=rules_error if isinstance(rules_error, str) else "",
        )
    flash(_("The follow-up rules are saved."), "success")
    return htmx_redirect(url_for("followup.rules"))


@bp.post("/rules/settings")
@login_required
def save_settings() -> Response:
    """Save the escalation days and the letter's text (`settings_form`); on an error (422)
    the form comes back as posted with the messages. 403 but for the manager and admin."""
    require_role(current_user, *svc.EDIT_ROLES)
    raw = {name: request.form.get(name, "") for name in SETTING_FIELDS}
    try:
        svc.save_setting(current_user, raw)
    except ValidationError as exc:
        return _page(422, "settings_form", settings=raw, setting_errors=exc.errors)
    flash(_("The follow-up settings are saved."), "success")
    return htmx_redirect(url_for("followup.rules") + "#settings-form")
