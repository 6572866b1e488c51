"""The test-drive packet: the offline-capable page used in the car."""

from __future__ import annotations

from webapp.testdrive import bp  # noqa: F401
