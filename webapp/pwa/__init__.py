"""Progressive web app plumbing: manifest, service worker, offline page."""

from webapp.pwa.views import bp

__all__ = ["bp"]
