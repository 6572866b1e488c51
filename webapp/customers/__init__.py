"""Customers: the A-C card (附表六), its timeline, search and the card box."""

from webapp.customers.views import bp

__all__ = ["bp"]
