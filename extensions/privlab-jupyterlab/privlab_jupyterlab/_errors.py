"""The three ways a request can fail on purpose; the handlers turn them into HTTP codes."""

from __future__ import annotations

__all__ = ["Forbidden", "Invalid", "NotFound"]


class NotFound(LookupError):
    """The dataset, release or file asked for does not exist (HTTP 404)."""


class Invalid(ValueError):
    """The request cannot be served as asked (HTTP 400)."""


class Forbidden(PermissionError):
    """The request reaches outside what the server may show (HTTP 403)."""
