"""Views of sensitive records: the licence copy and the signed agreement, logged and no-store."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
