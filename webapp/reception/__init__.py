"""Step ② 顾客接待: duty roster and rotation, the visitor/caller register (附表五), arrivals."""

from webapp.reception.views import bp

__all__ = ["bp"]
