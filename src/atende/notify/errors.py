"""Failures of a delivery, as the job worker sees them.

:class:`atende.jobs.registry.PermanentFailure` parks a job dead; any other exception retries it
with backoff. :class:`TransientFailure` is the retrying kind raised here: its message is safe to
store and log (no secrets), and ``retry_after`` carries a delay the remote side asked for
(Telegram's ``parameters.retry_after``, an HTTP ``Retry-After``) for a worker that honours it.
"""

from __future__ import annotations


class TransientFailure(Exception):
    """A delivery that may succeed later: retry the job (not before ``retry_after`` seconds)."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
