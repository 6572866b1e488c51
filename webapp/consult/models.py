"""Models of needs analysis and presentation (steps ③ ④)."""

from __future__ import annotations
