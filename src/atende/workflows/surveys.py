"""Surveys as the edges and the worker call them: the customer's answer (then the settle loop:
the rating is on the ticket's timeline and stream), and the worker's sweeps of relationship NPS
campaigns and their reminders (each item in its own transaction)."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from atende.db.engine import transaction
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


def campaigns_due(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Run the relationship NPS campaigns whose round has come; returns how many were asked."""
    with transaction(sessions) as session:
        ids = repository.due_campaign_ids(session, now=now)
    asked = 0
    for campaign_id in ids:
        try:
            with transaction(sessions) as session:
                asked += campaigns.run_if_due(
                    session, campaign_id, now=now, secret_key=settings.resolved_secret_key,
                    public_url=public_url(settings),
                )  # fmt: skip
        except Exception:
            log.exception("survey campaign %s failed; it stays due", campaign_id)
    return asked


def reminders_due(sessions: sessionmaker[Session], now: datetime, *, settings: Settings) -> int:
    """Send the one reminder of the unanswered campaign surveys whose time has come."""
    with transaction(sessions) as session:
        ids = repository.due_reminder_ids(session, now=now, limit=REMINDER_LIMIT)
    sent = 0
    for invitation_id in ids:
        try:
            with transaction(sessions) as session:
                sent += campaigns.remind_if_due(
                    session, invitation_id, now=now, secret_key=settings.resolved_secret_key,
                    public_url=public_url(settings),
                )  # fmt: skip
        except Exception:
            log.exception("survey reminder %s failed; it stays due", invitation_id)
    return sent
