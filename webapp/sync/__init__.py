"""Offline sync: the outbox push, pull and blob endpoints, merge rules and receipts."""

from webapp.sync.views import bp

__all__ = ["bp"]
