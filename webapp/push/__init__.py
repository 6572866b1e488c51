"""Push notices and the in-app inbox: push is a hint, the inbox is the truth."""

from webapp.push.views import bp

__all__ = ["bp"]
