"""Domain exceptions raised by services, and the handlers that turn them into responses."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError


class DomainError(Exception):
    """Base of the errors services raise; views map them to HTTP statuses."""


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it exists (other store)."""


class PermissionDenied(DomainError):
    """The actor's role does not allow this action on a record it may see."""


class ValidationError(DomainError):
    """Input breaks a rule; `errors` maps field names to translated messages."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def register_error_handlers(app: Flask) -> None:
    """Render friendly, translated error pages instead of Werkzeug's defaults."""

    def page(status: int, title: str, message: str):
        return render_template("errors/error.html", title=title, message=message), status

    @app.errorhandler(NotFound)
    @app.errorhandler(404)
    def not_found(_e):
        return page(404, _("Not found"), _("This page or record does not exist."))

    @app.errorhandler(PermissionDenied)
    @app.errorhandler(403)
    def forbidden(_e):
        return page(403, _("Not allowed"), _("Your role does not allow this."))

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return page(400, _("Page expired"), _("The form expired. Reload the page and try again."))

    @app.errorhandler(405)
    def method_not_allowed(_e):
        return page(405, _("Not allowed"), _("This action is not available here."))

    @app.errorhandler(413)
    def too_large(_e):
        return page(413, _("Too large"), _("The upload is too large."))

    @app.errorhandler(429)
    def too_many(_e):
        return page(429, _("Too many attempts"), _("Too many attempts. Wait a few minutes."))

    @app.errorhandler(500)
    def server_error(_e):
        return page(500, _("Something went wrong"), _("Please try again. Nothing was saved."))
