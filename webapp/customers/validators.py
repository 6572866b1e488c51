"""Format rules of the real world: mainland mobile numbers."""

from __future__ import annotations

import re

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalise_mobile(raw: str) -> str:
    """Strip spaces, dashes and a +86/0086 prefix; the result may still be invalid."""
    digits = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086"):
        if digits.startswith(prefix):
            digits = digits[len(prefix) :]
    return digits


def is_valid_mobile(mobile: str) -> bool:
    """Mainland mobile: 11 digits starting with 1 and a network digit 3-9."""
    return bool(_MOBILE.match(mobile))
