"""Outgoing notifications: the durable-job handlers that talk to the outside world.

Each module registers one job kind with :func:`atende.jobs.registry.handler`; a use case
enqueues the job in its own transaction (``outbox.enqueue(session, "notify.email", ...)``) and
the worker runs the handler after commit, at least once:

- :mod:`atende.notify.email` — ``notify.email``: SMTP, ``Message-ID`` derived from the job key.
- :mod:`atende.notify.webhook` — ``notify.webhook``: signed JSON POST (``sign`` / ``verify``),
  ``check_destination`` for validating a URL when a rule is saved.
- :mod:`atende.notify.telegram` — ``notify.telegram``: Bot API ``sendMessage``.
- :mod:`atende.notify.netguard` — the SSRF guard (an httpx transport that checks the address it
  connects to).
- :mod:`atende.notify.errors` — :class:`TransientFailure` (retry, optional ``retry_after``).

Every effect carries the job's idempotency key so receivers can drop duplicates. Configuration,
payloads, the signature scheme and the retry rules: ``docs/notifications.md``.
"""
