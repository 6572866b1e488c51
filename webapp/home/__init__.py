"""Role-based home pages: my day, store today, today's arrivals."""

from webapp.home.views import bp

__all__ = ["bp"]
