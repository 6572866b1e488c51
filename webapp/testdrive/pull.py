"""What the test-drive tablet downloads to keep offline (the pull section
"testdrive.packets", registered in webapp.testdrive.offline): today's and tomorrow's
bookings the salesperson sells, their cars, routes and customers, and the current checklist
templates, each as the JSON the packet page reads."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from webapp.access import store_clause
from webapp.auth.models import User
from webapp.customers.models import CustomerCard
from webapp.extensions import db
from webapp.testdrive.models import (
    ChecklistTemplate,
    TestDriveBooking,
    TestDriveCar,
    TestDriveRoute,
)
from webapp.timeutil import local_day_bounds, local_today


def pull_packets(actor: User, since: datetime | None) -> dict[str, list[Any]]:
    """What the tablet keeps offline for the packet: the bookings of today and tomorrow the
    actor sells, their cars, routes and customers (no mobile, no ID numbers), and the
    current checklist templates; with `since`, only rows changed since then.

    A booking's packet belongs to its salesperson (and the store's managers, on the page):
    a colleague named only as the driver sees the booking on their day, but gets neither
    the packet nor the customer's data here, and their entries for it are refused.
    """
    start, _end = local_day_bounds(local_today())
    end = start + timedelta(days=2)
    bookings = list(
        db.session.scalars(
            sa.select(TestDriveBooking)
            .where(
                store_clause(TestDriveBooking, actor),
                TestDriveBooking.owner_id == actor.id,
                TestDriveBooking.starts_at >= start,
                TestDriveBooking.starts_at < end,
            )
            .order_by(TestDriveBooking.starts_at)
        ).unique()
    )

    def changed(row: Any, column: str = "updated_at") -> bool:
        return since is None or getattr(row, column) >= since

    cars = {b.car.id: b.car for b in bookings}
    routes = {b.route.id: b.route for b in bookings}
    cards = {b.card.id: b.card for b in bookings}
    templates = list(
        db.session.scalars(
            sa.select(ChecklistTemplate)
            .where(ChecklistTemplate.current.is_(True))
            .order_by(ChecklistTemplate.kind)
        )
    )
    return {
        "bookings": [_booking_json(b) for b in bookings if changed(b)],
        "cars": [_car_json(c) for c in cars.values() if changed(c)],
        "routes": [_route_json(r) for r in routes.values() if changed(r)],
        "customers": [_card_json(c) for c in cards.values() if changed(c)],
        "templates": [
            {"id": t.id, "kind": t.kind, "version": t.version, "items": t.items}
            for t in templates
            if changed(t, "created_at")
        ],
    }


def _iso(value: Any) -> Any:
    return value.isoformat() if hasattr(value, "isoformat") else value


def _booking_json(b: TestDriveBooking) -> dict[str, Any]:
    return {
        "id": b.id,
        "card_id": b.card_id,
        "owner_id": b.owner_id,
        "driver_id": b.driver_id,
        "car_id": b.car_id,
        "route_id": b.route_id,
        "starts_at": _iso(b.starts_at),
        "ends_at": _iso(b.ends_at),
        "status": b.status,
        "version": b.version,
    }


def _car_json(c: TestDriveCar) -> dict[str, Any]:
    return {
        "id": c.id,
        "plate": c.plate,
        "model_id": c.model_id,
        "model": c.model.name_zh if c.model else "",
        "transmission": c.transmission,
        "fuel_eighths": c.fuel_eighths,
        "mileage_km": c.mileage_km,
        "insurance_expires": _iso(c.insurance_expires),
        "registration_expires": _iso(c.registration_expires),
    }


def _route_json(r: TestDriveRoute) -> dict[str, Any]:
    return {
        "id": r.id,
        "name": r.name,
        "duration_min": r.duration_min,
        "distance_km": r.distance_km,
        "map_sha256": r.map_sha256,
        "swap_point": r.swap_point,
        "demo_points": r.demo_points,
        "welcome_text": r.welcome_text,
    }


def _card_json(c: CustomerCard) -> dict[str, Any]:
    """The card fields the packet shows; never the mobile or any ID number."""
    return {
        "id": c.id,
        "name": c.name,
        "title": c.title,
        "grade": c.grade,
        "stage": c.stage,
        "version": c.version,
        "model_id": c.model_id,
        "planned_purchase_date": _iso(c.planned_purchase_date),
        "usage": c.usage,
        "budget": None if c.budget is None else format(c.budget, "f"),
        "payment": c.payment,
        "current_car": c.current_car,
        "trade_in": c.trade_in,
        "competitors": c.competitors,
        "decision_makers": c.decision_makers,
        "family": c.family,
        "hobbies": c.hobbies,
    }
