"""Surveys and digests as the edges and the worker call them: the customer's answer (then the
settle loop: the rating is on the ticket's timeline and stream), and the worker's sweeps of
relationship NPS campaigns, their reminders and the supervisors' weekly report digests (each
item in its own transaction)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
from atende.reports import digest
from atende.settings import Settings
from atende.surveys import campaigns, repository, service
from atende.surveys.jobs import public_url
from atende.surveys.models import SurveyInvitation
from atende.workflows.settle import settle

log = logging.getLogger("atende.surveys")
REMINDER_LIMIT = 500


def answer(
    session: Session,
    *,
    token: str,
    secret_key: str,
    score: int | None,
    reason: str,
    comment: str,
    now: datetime,
) -> SurveyInvitation:
    invitation, changes = service.answer(
        session, token=token, secret_key=secret_key, score=score, reason=reason,
        comment=comment, now=now,
    )  # fmt: skip
    if changes:
        settle(session, changes, now=now)
    return invitation


def _each(
    sessions: sessionmaker[Session],
    ids: Sequence[int],
    what: str,
    handle: Callable[[Session, int], int | bool],
) -> int:
    """``handle`` each item in its own transaction; a failure is logged and the item stays
    due for the next sweep. Returns the sum of what the handles counted."""
    total = 0
    for item_id in ids:
        try:
            with transaction(sessions) as session:
                total += int(handle(session, item_id))
        except Exception:
            log.exception("%s %s failed; it stays due", what, item_id)
    return total


def campaigns_due(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Run the relationship NPS campaigns whose round has come; returns how many were asked."""
    with transaction(sessions) as session:
        ids = repository.due_campaign_ids(session, now=now)
    secret, url = settings.resolved_secret_key, public_url(settings)
    return _each(
        sessions, ids, "survey campaign",
        lambda session, campaign_id: campaigns.run_if_due(
            session, campaign_id, now=now, secret_key=secret, public_url=url
        ),
    )  # fmt: skip


def reminders_due(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Send the one reminder of the unanswered campaign surveys whose time has come."""
    with transaction(sessions) as session:
        ids = repository.due_reminder_ids(session, now=now, limit=REMINDER_LIMIT)
    secret, url = settings.resolved_secret_key, public_url(settings)
    return _each(
        sessions, ids, "survey reminder",
        lambda session, invitation_id: campaigns.remind_if_due(
            session, invitation_id, now=now, secret_key=secret, public_url=url
        ),
    )  # fmt: skip


def digests_due(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Send the weekly report digests whose Monday morning has come (reports/digest.py)."""
    with transaction(sessions) as session:
        ids = digest.due_user_ids(session, now=now)
    url = public_url(settings)
    return _each(
        sessions, ids, "weekly digest of user",
        lambda session, user_id: digest.send_if_due(session, user_id, now=now, public_url=url),
    )  # fmt: skip
