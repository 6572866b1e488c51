"""The test-drive packet: the offline-capable page used in the car, and its route map.

The page is read-only HTML: every entry made on it goes through the tablet's outbox
(static/js/outbox.js) to `POST /sync/push`. The service worker keeps the page and its map for
offline use, so both answer plain GETs with no query parameters.
"""

from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user, login_required

from webapp.testdrive import bp
from webapp.testdrive import packet_services as services
from webapp.testdrive.validators import licence_covers


@bp.get("/bookings/<int:booking_id>/packet")
@login_required
def packet(booking_id: int) -> str:
    """试乘试驾资料包: welcome sheet, car papers, customer, checklists and feedback form.

    Raises NotFound (404) for a booking outside the actor's scope and PermissionDenied (403)
    for roles without packet work (greeter).
    """
    data = services.get_packet(current_user, booking_id)
    car = data.booking.car
    return render_template(
        "testdrive/packet.html",
        p=data,
        booking=data.booking,
        car=car,
        route=data.booking.route,
        card=data.booking.card,
        templates=data.templates,
        kinds=services.CHECKLIST_ORDER,
        grades=services.GRADES,
        licence_classes=[
            (cls, licence_covers(cls, car.transmission))
            for cls in ("C1", "C2", "B1", "B2", "A1", "A2")
        ],
    )


@bp.get("/bookings/<int:booking_id>/packet/map")
@login_required
def packet_map(booking_id: int) -> Response:
    """The route map image of the booking's route (not personal data; cached for offline).

    Raises NotFound (404) without a map or outside the actor's scope, PermissionDenied (403)
    as the packet.
    """
    data, mime = services.route_map(current_user, booking_id)
    response = Response(data, mimetype=mime)
    response.headers["Cache-Control"] = "private, no-cache"
    return response
