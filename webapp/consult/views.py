"""Views of needs analysis and presentation at the display car."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("consult", __name__, url_prefix="/consult")
