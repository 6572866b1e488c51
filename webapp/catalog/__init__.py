"""Catalog: managed by admins."""

from webapp.catalog.views import bp

__all__ = ["bp"]
