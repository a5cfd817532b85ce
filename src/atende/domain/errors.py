"""Typed errors raised by the pure core.

Each carries an HTTP-ish ``status`` and a stable ``code`` so that the edge (API, web, CLI) can
render it without knowing the domain. The domain itself never imports a web framework.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the domain refused the input or the operation."""

    status: int = 422
    code: str = "invalid"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


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
