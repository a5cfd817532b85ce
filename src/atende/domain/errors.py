"""Typed errors raised by the pure core.

Each carries an HTTP-ish ``status`` and a stable ``code`` so that the edge (API, web, CLI) can
render it without knowing the domain. The domain itself never imports a web framework.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping


class DomainError(Exception):
    """A rule of the domain refused the input or the operation."""

    status: int = 422
    code: str = "invalid"

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        text = fill(message, params)
        super().__init__(text)
        self.template = message
        self.params = params
        self.message = text
        self.field = field

    def text(self, gettext: Callable[[str], str]) -> str:
        """The message in a reader's language: ``gettext`` translates the template, the
        parameters fill it in (a catalog that lacks the template gives the English)."""
        return fill(gettext(self.template), self.params) if self.template else self.message


def fill(template: str, params: Mapping[str, object]) -> str:
    """``template`` with its ``{name}`` fields filled in; a template without parameters is
    taken as written (its braces are text), and a translation that names a parameter the
    message does not carry falls back to showing the template rather than failing."""
    if not params:
        return template
    try:
        return template.format_map(params)
    except (KeyError, IndexError, ValueError):
        return template


class ValidationFailed(DomainError):
    """The input has the right shape but breaks a rule (422)."""

    status = 422
    code = "validation_failed"


class NotFound(DomainError):
    """The thing does not exist, or the actor may not see it (both answer 404)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The operation is not allowed in the current state (409)."""

    status = 409
    code = "conflict"


class PermissionDenied(DomainError):
    """The actor can see the thing but may not do this to it (403)."""

    status = 403
    code = "forbidden"


class TooManyRequests(DomainError):
    """Too many of something from one client in a window (429, with ``Retry-After``)."""

    status = 429
    code = "too_many_requests"

    def __init__(
        self, message: str, *, retry_after: int, field: str | None = None, **params: object
    ) -> None:
        super().__init__(message, field=field, **params)
        self.retry_after = retry_after
