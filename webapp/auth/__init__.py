"""Authentication: login, server-side sessions, passwords, language choice."""

from webapp.auth.views import bp

__all__ = ["bp"]
