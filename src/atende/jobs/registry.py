"""Job handlers by kind: what the worker runs for a claimed job.

A handler is ``fn(ctx, payload) -> None``. It runs outside any transaction of the worker; for
database work it opens its own with ``ctx.transaction()``. Delivery is at least once: a handler
may run again for the same job after a crash, so every outgoing effect carries ``ctx.key`` (the
job's idempotency key) for the receiver to de-duplicate (e-mail ``Message-ID``, webhook
``Idempotency-Key`` header, ...). Raising retries the job with backoff; raising
:class:`PermanentFailure` parks it as dead at once (retrying cannot help).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
from atende.settings import Settings


class PermanentFailure(Exception):
    """A job that can never succeed as it stands (bad address, refused destination, 4xx)."""


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    sessions: sessionmaker[Session]
    job_id: int
    kind: str
    key: str
    """The job's idempotency key (stable across retries): send it with every outgoing effect."""
    attempt: int
    """1 on the first run."""

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.sessions) as session:
            yield session


Handler = Callable[[JobContext, dict[str, Any]], None]
_HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register ``fn`` as the handler of jobs of ``kind``."""

    def register(fn: Handler) -> Handler:
        if kind in _HANDLERS and _HANDLERS[kind] is not fn:
            raise RuntimeError(f"two handlers for job kind {kind!r}")
        _HANDLERS[kind] = fn
        return fn

    return register


def get(kind: str) -> Handler | None:
    load_handlers()
    return _HANDLERS.get(kind)


def kinds() -> list[str]:
    load_handlers()
    return sorted(_HANDLERS)


_LOADED = False


def load_handlers() -> None:
    """Import the modules that register handlers (once)."""
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    import importlib

    for module in _HANDLER_MODULES:
        importlib.import_module(module)


_HANDLER_MODULES: tuple[str, ...] = (
    "atende.workflows.jobs",
    "atende.autoclose.service",
    "atende.notifications.jobs",
    "atende.surveys.jobs",
    "atende.notify.email",
    "atende.notify.webhook",
    "atende.notify.telegram",
    "atende.channels.email_out",
    "atende.workflows.messaging_jobs",
    "atende.channels.media",
    "atende.workflows.visits",
)
