"""Failed-login counters kept in Flask-Limiter's storage (memory, or Redis shared by workers).

Flask-Limiter's decorators test a limit before the view runs, so an address limit there would
refuse correct credentials too. These counters are tested where the login rules need them,
before or after the password check: see auth.services.log_in.
"""

from __future__ import annotations

from enum import Enum

from flask import current_app
from limits import RateLimitItem, parse

from webapp.extensions import limiter


class Counter(Enum):
    """A counter of failed logins: its storage scope and the setting that holds its limit."""

    ACCOUNT = ("login-account", "LOGIN_LIMIT_ACCOUNT")  # per account name, known or not
    ADDRESS = ("login-address", "LOGIN_LIMIT_ADDRESS")  # per address, wrong passwords of accounts
    UNKNOWN = ("login-unknown", "LOGIN_LIMIT_UNKNOWN")  # per address, names with no account

    @property
    def scope(self) -> str:
        return self.value[0]

    @property
    def setting(self) -> str:
        return self.value[1]


def _limit(counter: Counter) -> RateLimitItem:
    return parse(current_app.config[counter.setting])


def _identifiers(counter: Counter, key: str) -> tuple[str, ...]:
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    return (prefix, counter.scope, key) if prefix else (counter.scope, key)


def allows(counter: Counter, key: str) -> bool:
    """Whether one more failure for `key` stays within the counter's limit.

    Always True when rate limiting is switched off (`RATELIMIT_ENABLED=False`).
    """
    if not limiter.enabled:
        return True
    return limiter.limiter.test(_limit(counter), *_identifiers(counter, key))


def count(counter: Counter, key: str) -> None:
    """Count one failure for `key`."""
    if limiter.enabled:
        limiter.limiter.hit(_limit(counter), *_identifiers(counter, key))
