"""Views of the inbox, push settings and subscriptions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("push", __name__, url_prefix="/inbox")
