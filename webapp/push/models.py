"""Models of push subscriptions, the notification outbox and the inbox."""

from __future__ import annotations
