"""The delivery pages: scheduling from the contract, the preparation list, the board, the
VIP arrival, the handover and the farewell."""

from __future__ import annotations

from webapp.delivery import bp  # noqa: F401
