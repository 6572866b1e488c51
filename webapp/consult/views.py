"""Views of needs analysis and presentation at the display car (steps ③ ④): the
questionnaire 附表七 on a card, the walkaround, comparison sheets, the catalogue hand-over and
test-drive invitation, the admins' editors, and the display-car setup checklist (展车设置)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, make_response, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.access import require_role
from webapp.blobs import BlobMissing, read_blob
from webapp.consult import services
from webapp.consult.models import POSITIONS
from webapp.customers.services import budget_range_amounts
from webapp.errors import ValidationError
from webapp.htmx import htmx_redirect, is_fragment_request, render_page_or_fragment, see_other
from webapp.inputs import parse_id

bp = Blueprint("consult", __name__, url_prefix="/consult")


@bp.context_processor
def _can_flags() -> dict[str, bool]:
    """The can_* flags of the consult pages' admin and manager controls."""
    roles = current_user.roles if current_user.is_authenticated else frozenset()
    return {
        "can_edit_sheets": not roles.isdisjoint(services.common.ADMIN_ROLES),
        "can_manage_display_cars": not roles.isdisjoint(services.display_cars.DISPLAY_MANAGE_ROLES),
    }


def _int_form(name: str) -> int | None:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        return None


def _int_arg(name: str) -> int | None:
    """An id from the query string (`?model=3`); anything but an id is a 404."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    value = parse_id(raw)
    if value is None:
        abort(404)
    return value


def _zh() -> bool:
    from flask_babel import get_locale

    return str(get_locale()).startswith("zh")


# ---------------------------------------------------------------------------------------
# Needs analysis 附表七


def _needs_page(card_id: int, status: int = 200, block: str = "needs_form", **extra: Any):
    page = services.needs.needs_page(current_user, card_id)
    summary = services.needs.summary_lines(page.card, page.analysis, _zh()) if page.analysis else []
    context = {
        "page": page,
        "card": page.card,
        "values": extra.pop("values", page.values),
        "errors": extra.pop("errors", {}),
        "summary": summary,
        "model_options": [(m.id, m.name_zh if _zh() else m.name_en) for m in page.models],
        "rec_values": {
            "model_id": (page.analysis and page.analysis.recommended_model_id)
            or page.card.model_id
            or ""
        },
        "rec_errors": {},
        "budget_amounts": budget_range_amounts(),
        **extra,
    }
    return render_page_or_fragment("consult/needs.html", block, status=status, **context)


@bp.route("/cards/<int:card_id>/needs", methods=["GET", "POST"])
@login_required
def needs(card_id: int) -> Response:
    """The questionnaire on a card (`needs_form`); saving fills the A card and shows the
    summary to confirm. Errors come back next to their question (422); a card changed
    meanwhile is refused with a message. Raises NotFound / PermissionDenied like the card."""
    if request.method == "GET":
        return _needs_page(card_id)
    page = services.needs.needs_page(current_user, card_id)
    posted: dict[str, Any] = {}
    for item in page.questionnaire.items:
        if item["type"] == "multi":
            posted[item["key"]] = request.form.getlist(item["key"])
        else:
            posted[item["key"]] = request.form.get(item["key"], "")
        if item.get("field") == "budget":
            range_key = services.needs.range_key(item)
            posted[range_key] = request.form.get(range_key, "")
    try:
        services.needs.save_answers(current_user, card_id, posted, _int_form("version"))
    except ValidationError as exc:
        return _needs_page(card_id, status=422, values=posted, errors=exc.errors)
    if not is_fragment_request():
        return see_other(url_for("consult.needs", card_id=card_id, _anchor="needs-summary"))
    # The form and the summary both change: swap them together, not the whole page (a
    # page swapped over itself makes Chromium report inline-style CSP violations).
    response = _needs_page(card_id, block="needs")
    response.headers["HX-Retarget"] = "#needs"
    response.headers["HX-Reswap"] = "outerHTML show:#needs-summary:top"
    response.headers["HX-Trigger"] = "needs-saved"
    return response


@bp.post("/needs/<int:analysis_id>/confirm")
@login_required
def confirm(analysis_id: int) -> Response:
    """The customer confirms the summary on screen; the time is recorded (`needs_summary`).
    Raises NotFound / PermissionDenied like the card."""
    analysis = services.needs.confirm_summary(current_user, analysis_id, _zh())
    if not is_fragment_request():
        return see_other(
            url_for("consult.needs", card_id=analysis.card_id, _anchor="needs-summary")
        )
    response = _needs_page(analysis.card_id, block="needs_summary")
    response.headers["HX-Trigger"] = "needs-confirmed"
    return response


@bp.post("/needs/<int:analysis_id>/recommend")
@login_required
def recommend(analysis_id: int) -> Response:
    """Record the recommended model (`needs_summary`); errors next to the field (422).
    Raises NotFound / PermissionDenied like the card."""
    values = {k: request.form.get(k, "") for k in ("model_id", "recommendation_note")}
    try:
        analysis = services.needs.recommend_model(
            current_user, analysis_id, values["model_id"], values["recommendation_note"]
        )
    except ValidationError as exc:
        card_id = services.needs.get_scoped_analysis_card(current_user, analysis_id)
        return _needs_page(
            card_id, status=422, block="needs_summary", rec_values=values, rec_errors=exc.errors
        )
    if not is_fragment_request():
        return see_other(
            url_for("consult.needs", card_id=analysis.card_id, _anchor="needs-summary")
        )
    response = _needs_page(analysis.card_id, block="needs_summary")
    response.headers["HX-Trigger"] = "model-recommended"
    return response


# ---------------------------------------------------------------------------------------
# Walkaround 六方位


def _walkaround(card_id: int, model_id: Any = None, status: int = 200) -> Response:
    page = services.walkaround.walkaround_page(current_user, card_id, model_id)
    return render_page_or_fragment(
        "consult/walkaround.html", "walkaround", status=status, page=page, card=page.card
    )


@bp.get("/cards/<int:card_id>/walkaround")
@login_required
def walkaround(card_id: int) -> Response:
    """The six positions of a model with FAB points tied to the customer's needs
    (`walkaround`); `?model=` picks another model. Raises NotFound / PermissionDenied."""
    return _walkaround(card_id, _int_arg("model"))


@bp.post("/cards/<int:card_id>/walkaround/<int:model_id>/tick")
@login_required
def tick(card_id: int, model_id: int) -> Response:
    """Tick (or untick, `done=0`) a position as presented; the fragment is the refreshed
    walkaround. Raises NotFound / PermissionDenied like the card."""
    try:
        services.walkaround.tick_position(
            current_user,
            card_id,
            model_id,
            request.form.get("position", ""),
            request.form.get("done", "1") != "0",
        )
    except ValidationError:
        return _walkaround(card_id, model_id, status=422)
    if not is_fragment_request():
        return see_other(url_for("consult.walkaround", card_id=card_id, model=model_id))
    response = _walkaround(card_id, model_id)
    response.headers["HX-Trigger"] = "walkaround-ticked"
    return response


# ---------------------------------------------------------------------------------------
# Competitor comparison on a card, the card's consult panel, hand-over and invitation


@bp.get("/cards/<int:card_id>/compare")
@login_required
def compare(card_id: int) -> Response:
    """The comparison sheet for the competitor the customer named (`comparison`); `?sheet=`
    opens another. Raises NotFound / PermissionDenied like the card."""
    page = services.comparison.compare_page(current_user, card_id, _int_arg("sheet"))
    return render_page_or_fragment(
        "consult/compare.html",
        "comparison",
        page=page,
        card=page.card,
        facts=services.comparison.facts(page.chosen) if page.chosen else [],
    )


def _panel(card_id: int, status: int = 200, **extra: Any) -> Response:
    info = services.panel.card_consult(current_user, card_id)
    context = {"info": info, "card": info.card, "panel_values": {}, "panel_errors": {}, **extra}
    return render_page_or_fragment(
        "consult/card_panel.html", "consult_panel", status=status, **context
    )


@bp.get("/cards/<int:card_id>/panel")
@login_required
def card_panel(card_id: int) -> Response:
    """Steps ③ ④ on the A card (`consult_panel`): analysis state, recommended model, the
    competitor's sheet, hand-over and invitation. Raises NotFound / PermissionDenied."""
    return _panel(card_id)


@bp.post("/cards/<int:card_id>/catalogue")
@login_required
def catalogue(card_id: int) -> Response:
    """Record the catalogue hand-over on the timeline; the fragment is the panel.
    Raises NotFound / PermissionDenied like the card."""
    values = {"catalogue_note": request.form.get("catalogue_note", "")}
    try:
        services.panel.record_catalogue(current_user, card_id, values["catalogue_note"])
    except ValidationError as exc:
        return _panel(card_id, status=422, panel_values=values, panel_errors=exc.errors)
    if not is_fragment_request():
        return see_other(url_for("customers.card", card_id=card_id))
    response = _panel(card_id, handed_over=True)
    response.headers["HX-Trigger"] = "catalogue-given"
    return response


@bp.post("/cards/<int:card_id>/invite")
@login_required
def invite(card_id: int) -> Response:
    """Record the test-drive invitation on the timeline, then open the booking form.
    Raises NotFound / PermissionDenied like the card."""
    values = {"invite_note": request.form.get("invite_note", "")}
    try:
        services.panel.record_invitation(current_user, card_id, values["invite_note"])
    except ValidationError as exc:
        return _panel(card_id, status=422, panel_values=values, panel_errors=exc.errors)
    return htmx_redirect(url_for("testdrive.new_booking", card_id=card_id))


# ---------------------------------------------------------------------------------------
# Admins: questionnaire, comparison sheets, walkaround points


@bp.get("/questionnaire")
@login_required
def questionnaire() -> Response:
    """Every version of 附表七 (admins). Raises PermissionDenied."""
    versions = services.questionnaire.questionnaire_versions(current_user)
    return render_page_or_fragment("consult/questionnaire.html", "questionnaire", versions=versions)


@bp.route("/questionnaire/edit", methods=["GET", "POST"])
@login_required
def edit_questionnaire() -> Response:
    """Edit the questions, one a line; saving makes a new version (`questionnaire_form`).
    Raises PermissionDenied."""
    require_role(current_user, *services.common.ADMIN_ROLES)
    current = services.questionnaire.current_questionnaire()
    if request.method == "GET":
        text = services.questionnaire.questions_text(current.items) if current else ""
        return render_page_or_fragment(
            "consult/edit_questionnaire.html",
            "questionnaire_form",
            current=current,
            values={"items": text},
            errors={},
        )
    text = request.form.get("items", "")
    try:
        saved = services.questionnaire.save_questionnaire(current_user, text)
    except ValidationError as exc:
        return render_page_or_fragment(
            "consult/edit_questionnaire.html",
            "questionnaire_form",
            status=422,
            current=current,
            values={"items": text},
            errors=exc.errors,
        )
    flash(_("Saved as version %(n)d.", n=saved.version), "success")
    return htmx_redirect(url_for("consult.questionnaire"))


@bp.get("/comparisons")
@login_required
def sheets() -> Response:
    """Every comparison sheet by model (salespeople read, admins edit). Raises
    PermissionDenied."""
    rows = services.comparison.comparison_sheets(current_user)
    return render_page_or_fragment("consult/sheets.html", "sheets", rows=rows)


SHEET_FIELDS = services.comparison.SHEET_TEXT_FIELDS


def _model_options() -> list[tuple[int, str]]:
    from webapp.customers.services import model_choices

    zh = _zh()
    return [(m.id, m.name_zh if zh else m.name_en) for m in model_choices()]


def _sheet_form(template: str, status: int = 200, **context: Any) -> Response:
    return render_page_or_fragment(
        template, "sheet_form", status=status, model_options=_model_options(), **context
    )


@bp.route("/comparisons/new", methods=["GET", "POST"])
@login_required
def new_sheet() -> Response:
    """A new comparison sheet (`sheet_form`, admins). Raises PermissionDenied."""
    require_role(current_user, *services.common.ADMIN_ROLES)
    if request.method == "GET":
        return _sheet_form("consult/new_sheet.html", values={}, errors={})
    values = {k: request.form.get(k, "") for k in SHEET_FIELDS}
    try:
        services.comparison.save_sheet(current_user, None, values)
    except ValidationError as exc:
        return _sheet_form("consult/new_sheet.html", 422, values=values, errors=exc.errors)
    flash(_("Comparison sheet saved."), "success")
    return htmx_redirect(url_for("consult.sheets"))


@bp.route("/comparisons/<int:sheet_id>/edit", methods=["GET", "POST"])
@login_required
def edit_sheet(sheet_id: int) -> Response:
    """Edit a comparison sheet (`sheet_form`, admins); a stale version is refused.
    Raises PermissionDenied, NotFound."""
    sheet = services.comparison.get_sheet(current_user, sheet_id, *services.common.ADMIN_ROLES)
    if request.method == "GET":
        values = {
            "model_id": sheet.model_id,
            "competitor": sheet.competitor,
            "ours_version": sheet.ours_version,
            "theirs_version": sheet.theirs_version,
            "aliases": ", ".join(sheet.aliases or []),
            "source": sheet.source,
            "as_of": sheet.as_of.isoformat() if sheet.as_of else "",
            "rows": services.comparison.rows_text(sheet.rows),
            "version": sheet.version,
        }
        return _sheet_form("consult/edit_sheet.html", sheet=sheet, values=values, errors={})
    values: dict[str, Any] = {k: request.form.get(k, "") for k in SHEET_FIELDS}
    version = _int_form("version")
    values["version"] = version
    try:
        services.comparison.save_sheet(current_user, sheet_id, values, version)
    except ValidationError as exc:
        return _sheet_form(
            "consult/edit_sheet.html", 422, sheet=sheet, values=values, errors=exc.errors
        )
    flash(_("Comparison sheet saved."), "success")
    return htmx_redirect(url_for("consult.sheets"))


@bp.get("/walkarounds")
@login_required
def walkaround_models() -> Response:
    """The models with their number of FAB points (admins). Raises PermissionDenied."""
    rows = services.walkaround.walkaround_models(current_user)
    return render_page_or_fragment("consult/walkarounds.html", "walkaround_models", rows=rows)


@bp.route("/walkarounds/<int:model_id>/edit", methods=["GET", "POST"])
@login_required
def edit_points(model_id: int) -> Response:
    """Edit a model's FAB points, one a line (`points_form`, admins).
    Raises PermissionDenied, NotFound."""
    model, points = services.walkaround.model_points(current_user, model_id)
    context = {"model": model, "positions": POSITIONS}
    if request.method == "GET":
        return render_page_or_fragment(
            "consult/edit_points.html",
            "points_form",
            values={"points": services.walkaround.points_text(points)},
            errors={},
            **context,
        )
    text = request.form.get("points", "")
    try:
        services.walkaround.save_points(current_user, model_id, text)
    except ValidationError as exc:
        return render_page_or_fragment(
            "consult/edit_points.html",
            "points_form",
            status=422,
            values={"points": text},
            errors=exc.errors,
            **context,
        )
    flash(_("FAB points saved."), "success")
    return htmx_redirect(url_for("consult.walkaround_models"))


# ---------------------------------------------------------------------------------------
# Display cars 展车设置


@bp.get("/display-cars")
@login_required
def display_cars() -> Response:
    """Today's display cars with their setup state; not ready after opening is red
    (`display_cars`). Raises PermissionDenied."""
    rows = services.display_cars.display_board(current_user)
    return render_page_or_fragment(
        "consult/display_cars.html",
        "display_cars",
        rows=rows,
        opens_at=services.display_cars.opening_time(),
        errors={},
    )


@bp.route("/display-cars/new", methods=["GET", "POST"])
@login_required
def new_display_car() -> Response:
    """Add a display car (`display_car_form`, manager and admin). Raises PermissionDenied."""
    require_role(current_user, *services.display_cars.DISPLAY_MANAGE_ROLES)
    if request.method == "GET":
        return render_page_or_fragment(
            "consult/new_display_car.html",
            "display_car_form",
            values={},
            errors={},
            model_options=_model_options(),
        )
    values = {k: request.form.get(k, "") for k in ("model_id", "colour", "position", "sunroof")}
    try:
        services.display_cars.create_display_car(current_user, values)
    except ValidationError as exc:
        return render_page_or_fragment(
            "consult/new_display_car.html",
            "display_car_form",
            status=422,
            values=values,
            errors=exc.errors,
            model_options=_model_options(),
        )
    flash(_("Display car added."), "success")
    return htmx_redirect(url_for("consult.display_cars"))


def _check_form(car_id: int, status: int = 200, **extra: Any) -> Response:
    car = services.display_cars.get_display_car(current_user, car_id)
    check = services.display_cars.todays_check(car)
    items = services.display_cars.items_for(car)
    if "values" not in extra:
        # Nothing is ticked until someone ticks it: without a check today, no item is ok.
        extra["values"] = {
            "ok": {k for k in items if check and (check.items.get(k) or {}).get("ok")},
            "notes": {k: (check.items.get(k) or {}).get("note", "") for k in items}
            if check
            else {},
        }
    return render_page_or_fragment(
        "consult/check.html",
        "check_form",
        status=status,
        car=car,
        check=check,
        items=items,
        errors=extra.pop("errors", {}),
        **extra,
    )


@bp.route("/display-cars/<int:car_id>/check", methods=["GET", "POST"])
@login_required
def display_check(car_id: int) -> Response:
    """Today's setup checklist of a display car (`check_form`): an item is right only when
    ticked, a note and an optional photo on a failed item. Raises NotFound /
    PermissionDenied."""
    if request.method == "GET":
        return _check_form(car_id)
    ok = set(request.form.getlist("ok"))
    notes = {
        key.removeprefix("note_"): value
        for key, value in request.form.items()
        if key.startswith("note_")
    }
    photos: dict[str, tuple[bytes, str]] = {}
    for key, upload in request.files.items():
        if key.startswith("photo_") and upload and upload.filename:
            photos[key.removeprefix("photo_")] = (upload.read(), upload.mimetype or "")
    try:
        services.display_cars.save_check(current_user, car_id, ok, notes, photos)
    except ValidationError as exc:
        return _check_form(car_id, status=422, errors=exc.errors, values={"ok": ok, "notes": notes})
    flash(_("Display-car checklist saved."), "success")
    return htmx_redirect(url_for("consult.display_cars"))


@bp.post("/display-cars/<int:car_id>/all-ok")
@login_required
def display_all_ok(car_id: int) -> Response:
    """Record "All OK" (全部合格): every item right in one action, with who took it. The
    confirming button posts `confirm=yes`; without it the form comes back with a message
    (422). Raises NotFound / PermissionDenied."""
    try:
        services.display_cars.mark_all_ok(
            current_user, car_id, request.form.get("confirm") == "yes"
        )
    except ValidationError as exc:
        return _check_form(car_id, status=422, errors=exc.errors)
    flash(_("Every item recorded as right, by you."), "success")
    return htmx_redirect(url_for("consult.display_cars"))


@bp.post("/display-cars/checks/<int:check_id>/manager")
@login_required
def manager_check(check_id: int) -> Response:
    """The manager's check of a display car's checklist; the fragment is the refreshed
    list. Raises NotFound (other store) / PermissionDenied (not a manager)."""
    try:
        services.display_cars.manager_check(
            current_user, check_id, request.form.get("manager_note", "")
        )
    except ValidationError as exc:
        rows = services.display_cars.display_board(current_user)
        return render_page_or_fragment(
            "consult/display_cars.html",
            "display_cars",
            status=422,
            rows=rows,
            opens_at=services.display_cars.opening_time(),
            errors=exc.errors,
        )
    if not is_fragment_request():
        return see_other(url_for("consult.display_cars"))
    rows = services.display_cars.display_board(current_user)
    response = render_page_or_fragment(
        "consult/display_cars.html",
        "display_cars",
        rows=rows,
        opens_at=services.display_cars.opening_time(),
        errors={},
    )
    response.headers["HX-Trigger"] = "display-car-checked"
    return response


@bp.get("/display-cars/checks/<int:check_id>/photos/<key>")
@login_required
def check_photo(check_id: int, key: str) -> Response:
    """The photo of a failed item, for staff of the same store only; never cached by a
    shared cache. Raises NotFound / PermissionDenied."""
    sha256 = services.display_cars.check_photo(current_user, check_id, key)
    try:
        data, mime = read_blob(sha256)
    except BlobMissing:
        abort(404)
    response = make_response(data)
    response.mimetype = mime
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
