"""Step ⑤ 试乘试驾: cars, routes, bookings and the offline test-drive packet.

`views` holds the back office (cars, routes, bookings, schedule, templates); `packet` holds
the offline-capable packet page. Both attach their routes to the one blueprint.
"""

from flask import Blueprint

bp = Blueprint("testdrive", __name__, url_prefix="/testdrive")

from webapp.testdrive import packet, views  # noqa: E402, F401  (routes register on bp)

__all__ = ["bp"]
