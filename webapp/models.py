"""Imports every area's models so Alembic and the app see the whole schema."""

from webapp.auth.models import Role, User, UserRole, UserSession
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, GradeRule
from webapp.org.models import DealerGroup, Store

__all__ = [
    "CardEvent",
    "Colour",
    "CustomerCard",
    "DealerGroup",
    "GradeRule",
    "Role",
    "Sfx",
    "Store",
    "User",
    "UserRole",
    "UserSession",
    "VehicleModel",
]
