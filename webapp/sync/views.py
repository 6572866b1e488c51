"""Sync endpoints: POST /sync/push, PUT /sync/blobs/<sha256>, GET /sync/pull, quarantine."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sync", __name__, url_prefix="/sync")
