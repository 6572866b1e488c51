"""Admin: managed by admins."""

from webapp.admin.views import bp

__all__ = ["bp"]
