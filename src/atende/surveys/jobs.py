"""Job handlers of the surveys area (registered in ``jobs.registry``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from atende.db.base import utcnow
from atende.jobs.registry import JobContext, handler
from atende.settings import Settings
from atende.surveys import service


def public_url(settings: Settings) -> str:
    """Where customers open the survey links: ``ATENDE_PUBLIC_URL``, else ``ATENDE_BASE_URL``."""
    return settings.public_url or settings.base_url


@handler(service.AFTER_CLOSE_JOB)
def after_close(ctx: JobContext, payload: dict[str, Any]) -> None:
    """A ticket's surveys are due (the delay after its close or resolution has passed)."""
    with ctx.transaction() as session:
        service.send_after_close(
            session,
            ticket_id=int(payload["ticket_id"]),
            trigger=str(payload.get("trigger", "closed")),
            moment=datetime.fromisoformat(str(payload["moment"])),
            now=utcnow(),
            secret_key=ctx.settings.resolved_secret_key,
            public_url=public_url(ctx.settings),
        )


@handler("survey.request")
def survey_request(ctx: JobContext, payload: dict[str, Any]) -> None:
    """The job closes queued before surveys existed (``{"ticket_id", "closed_at"}``): still
    queued after an upgrade, they send the survey as a close does today."""
    after_close(
        ctx,
        {
            "ticket_id": payload["ticket_id"],
            "trigger": "closed",
            "moment": payload.get("closed_at") or utcnow().isoformat(),
        },
    )
