"""Views of the test-drive back office: cars, routes, bookings, the keeper's schedule."""

from __future__ import annotations

from webapp.testdrive import bp  # noqa: F401
