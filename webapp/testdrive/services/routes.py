"""Test-drive routes (附表八 欢迎参加试乘试驾活动) of step ⑤: the models a route suits, its
length, swap point, demonstration points and welcome text, and its map image (checked,
re-encoded and kept in the blob store).

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from PIL import Image, ImageOps
from sqlalchemy.orm import selectinload

from webapp.access import require_role, scoped
from webapp.auth.models import Role, User
from webapp.blobs import BlobError, BlobMissing, read_blob, store_blob
from webapp.catalog.models import VehicleModel
from webapp.errors import NotFound, ValidationError
from webapp.extensions import db
from webapp.inputs import parse_id, text_errors, text_problem_in
from webapp.testdrive.models import TestDriveRoute
from webapp.testdrive.services.cars import MANAGE_ROLES, MAX_ROUTE_MINUTES
from webapp.testdrive.services.parsing import read_int, read_text

ROUTE_VIEW_ROLES = (*MANAGE_ROLES, Role.SALESPERSON)

MAP_MAX_BYTES = 8 * 1024 * 1024
MAP_MAX_PIXELS = 40_000_000
MAP_MAX_EDGE = 1920  # the blob store's long edge
MAP_STORE_BYTES = 2 * 1024 * 1024  # what the blob store accepts
MAP_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg"}
# The form fields that take text and show their own error (checked before strip() or a
# normalisation could drop a control character silently).
ROUTE_TEXT_FIELDS = (
    "name",
    "model_ids",  # one value, or a list: see _clean_route
    "duration_min",
    "distance_km",
    "swap_point",
    "demo_points",
    "welcome_text",
)


def list_routes(actor: User) -> list[TestDriveRoute]:
    """The store's routes with the models they suit. Raises PermissionDenied."""
    require_role(actor, *ROUTE_VIEW_ROLES)
    stmt = scoped(
        sa.select(TestDriveRoute).options(selectinload(TestDriveRoute.models)),
        TestDriveRoute,
        actor,
    )
    if not actor.has_role(*MANAGE_ROLES):
        stmt = stmt.where(TestDriveRoute.active)
    return list(
        db.session.scalars(stmt.order_by(TestDriveRoute.active.desc(), TestDriveRoute.name))
    )


def get_route(actor: User, route_id: int, *roles: Role) -> TestDriveRoute:
    """A route of the actor's store. Raises PermissionDenied (role) before NotFound (scope)."""
    require_role(actor, *(roles or MANAGE_ROLES))
    stmt = scoped(
        sa.select(TestDriveRoute)
        .options(selectinload(TestDriveRoute.models))
        .where(TestDriveRoute.id == route_id),
        TestDriveRoute,
        actor,
    )
    route = db.session.scalar(stmt)
    if route is None:
        raise NotFound()
    return route


def route_map_of(actor: User, route_id: int) -> tuple[bytes, str]:
    """The route map image (bytes, MIME) for any staff of the route's store. Raises NotFound."""
    stmt = scoped(
        sa.select(TestDriveRoute.map_sha256).where(TestDriveRoute.id == route_id),
        TestDriveRoute,
        actor,
    )
    sha = db.session.scalar(stmt)
    if not sha:
        raise NotFound()
    try:
        return read_blob(sha)
    except BlobMissing:
        raise NotFound() from None


def prepare_route_map(data: bytes) -> tuple[bytes, str]:
    """Check an uploaded route map and re-encode it (PNG or JPEG only, EXIF dropped).

    Raises ValidationError on "map" for anything that is not a sane PNG or JPEG: wrong
    magic bytes, SVG, oversize, a pixel bomb or a truncated file.
    """
    if len(data) > MAP_MAX_BYTES:
        raise ValidationError({"map": _("The map is too large: at most 8 MB.")})
    if not (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")):
        raise ValidationError({"map": _("Upload the map as a PNG or JPEG image.")})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in MAP_FORMATS:
                raise ValidationError({"map": _("Upload the map as a PNG or JPEG image.")})
            if image.width * image.height > MAP_MAX_PIXELS:
                raise ValidationError({"map": _("The map image has too many pixels.")})
            image.load()
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError({"map": _("The map image has too many pixels.")}) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            {"map": _("The image could not be read. Try another file.")}
        ) from None
    fmt = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAP_MAX_EDGE, MAP_MAX_EDGE))
    if fmt == "PNG":
        if image.mode not in ("RGB", "RGBA", "L", "P"):
            image = image.convert("RGBA")
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        if out.tell() <= MAP_STORE_BYTES:
            return out.getvalue(), MAP_FORMATS["PNG"]
    # A photo-like map stays small as JPEG; lower the quality until the store takes it.
    rgb = image.convert("RGB")
    for quality in (85, 70, 55):
        out = io.BytesIO()
        rgb.save(out, format="JPEG", quality=quality, optimize=True)
        if out.tell() <= MAP_STORE_BYTES:
            break
    return out.getvalue(), MAP_FORMATS["JPEG"]


def store_route_map(data: bytes, mime: str, store_id: int, actor: User) -> str:
    """Put a prepared route map into the blob store (purpose route_map, not sensitive).

    Returns its content address. The blob store commits the blob row itself. Raises
    ValidationError on "map" when the store refuses the image.
    """
    try:
        blob = store_blob(data, mime, "route_map", store_id, actor)
    except BlobError as exc:
        raise ValidationError({"map": str(exc.message)}) from None
    return blob.sha256


def parse_demo_points(text: str, errors: dict[str, str]) -> list[dict[str, str]]:
    """One point a line, "where | what to show"; a line without "|" is what to show."""
    points = []
    for line in (text or "").splitlines():
        line = line.strip()
        if not line:
            continue
        where, sep, show = line.partition("|")
        where, show = (where.strip(), show.strip()) if sep else ("", where.strip())
        if not show or len(where) > 100 or len(show) > 200:
            errors["demo_points"] = _(
                "One point a line: where | what to show (at most 100 and 200 characters)."
            )
            break
        points.append({"at": where, "show": show})
    if len(points) > 20:
        errors["demo_points"] = _("At most %(n)d demonstration points.", n=20)
    return points


def demo_points_text(points: list[dict[str, str]]) -> str:
    """The demonstration points back as the form's text."""
    return "\n".join(
        f"{p.get('at', '')} | {p.get('show', '')}" if p.get("at") else p.get("show", "")
        for p in points
    )


def _clean_route(data: dict[str, Any], route: TestDriveRoute | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["name"] = read_text(data, "name", 50, errors)
    if not out["name"] and "name" not in errors:
        errors["name"] = _("Enter the route's name.")
    raw_ids = data.get("model_ids") or []
    ids = {parse_id(v) for v in (raw_ids if isinstance(raw_ids, list | tuple) else [raw_ids])}
    ids.discard(None)
    models = []
    if ids:
        models = list(
            db.session.scalars(
                sa.select(VehicleModel).where(VehicleModel.id.in_(ids), VehicleModel.active)
            )
        )
    if not ids:
        errors["model_ids"] = _("Choose the models this route suits.")
    elif len(models) != len(ids):
        errors["model_ids"] = _("Choose models from the catalogue.")
    out["models"] = models
    out["duration_min"] = read_int(data, "duration_min", errors, 5, MAX_ROUTE_MINUTES)
    out["distance_km"] = read_int(data, "distance_km", errors, 1, 300, required=False)
    out["swap_point"] = read_text(data, "swap_point", 200, errors)
    if not out["swap_point"] and "swap_point" not in errors:
        errors["swap_point"] = _("Describe the safe point where driver and customer swap.")
    out["demo_points"] = parse_demo_points(data.get("demo_points") or "", errors)
    if not out["demo_points"] and "demo_points" not in errors:
        errors["demo_points"] = _("Add at least one demonstration point.")
    out["welcome_text"] = read_text(data, "welcome_text", 2000, errors)
    out["active"] = bool(data.get("active")) if route is not None else True
    errors.update(text_errors(data, ROUTE_TEXT_FIELDS))
    if isinstance(raw_ids, list | tuple) and (problem := text_problem_in(raw_ids)):
        errors["model_ids"] = problem
    if errors:
        raise ValidationError(errors)
    return out


def _map_from_upload(upload: bytes | None) -> tuple[bytes, str] | None:
    return prepare_route_map(upload) if upload else None


def create_route(actor: User, data: dict[str, Any], map_upload: bytes | None) -> TestDriveRoute:
    """Plan a route for the actor's store, with its map when one is uploaded.

    Raises PermissionDenied, ValidationError (fields and "map": nothing is saved).
    """
    require_role(actor, *MANAGE_ROLES)
    errors: dict[str, str] = {}
    try:
        clean = _clean_route(data, None)
    except ValidationError as exc:
        errors.update(exc.errors)
    prepared = None
    try:
        prepared = _map_from_upload(map_upload)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    # The blob store commits its own row (after writing the file), so it goes first: a
    # failure there leaves no route behind.
    sha = store_route_map(*prepared, actor.store_id, actor) if prepared is not None else None
    route = TestDriveRoute(store_id=actor.store_id, map_sha256=sha, **clean)
    db.session.add(route)
    db.session.commit()
    return route


def update_route(
    actor: User, route_id: int, data: dict[str, Any], map_upload: bytes | None
) -> TestDriveRoute:
    """Edit a route; a new map replaces the old one.

    Raises NotFound, PermissionDenied, ValidationError (nothing saved).
    """
    route = get_route(actor, route_id)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = _clean_route(data, route)
    except ValidationError as exc:
        errors.update(exc.errors)
    prepared = None
    try:
        prepared = _map_from_upload(map_upload)
    except ValidationError as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if prepared is not None:
        route.map_sha256 = store_route_map(*prepared, route.store_id, actor)
    for key, value in clean.items():
        setattr(route, key, value)
    db.session.commit()
    return route


def route_suits(route: TestDriveRoute, model_id: int) -> bool:
    """Whether the route is planned for this model."""
    return any(m.id == model_id for m in route.models)
