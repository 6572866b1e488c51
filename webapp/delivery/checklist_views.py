"""The two forms the customer signs at the car, 附表十四 and 附表十五: the tablet page (it
works offline through the outbox) and the Chinese print."""

from __future__ import annotations

from webapp.delivery import bp  # noqa: F401
