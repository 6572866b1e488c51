"""Models of reception (step ②)."""

from __future__ import annotations
