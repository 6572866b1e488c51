"""Sensitive personal information (PIPL): licence copies and signatures shown to permitted
roles only, every view logged, consent withdrawal and the retention purge."""

from webapp.privacy.views import bp

__all__ = ["bp"]
