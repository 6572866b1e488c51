"""Views of reception: the greeter's arrival register, the roster, the register and exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reception", __name__, url_prefix="/reception")
