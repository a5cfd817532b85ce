"""Surveys after a close (CSAT, and transactional NPS where enabled), and the customer's answer.

1. The settle loop calls :func:`after_change` when a ticket is resolved or closed: by the
   settings' trigger (``closed`` by default, or ``resolved``) it queues the ``surveys.after_close``
   job, due after the settings' delay, once per trigger instant.
2. The job (:func:`send_after_close`) checks the ticket is still where it was (a ticket
   reopened after its resolution cancels the survey), then per survey kind who may be asked: a
   requester with an e-mail, not staff, not at an internal domain, not surveyed within the
   cooldown, a ticket neither merged nor spam. It writes one invitation per survey (with the
   ticket's assignee at that moment, who keeps the rating) and the e-mail as an outbox job.
3. The customer opens the link (:func:`open_link`: the page, a score only pre-selected), and
   confirms (:func:`answer`): recorded once, before the invitation expires, on the ticket's
   timeline.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.customers.models import Contact
from atende.domain import surveys as rules
from atende.domain.errors import NotFound, ValidationFailed
from atende.jobs import outbox
from atende.surveys import config, mail, repository, tokens
from atende.surveys.models import SurveyInvitation, SurveySettings
from atende.tickets import repository as ticket_repository
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.tickets.timeline import record_event

SURVEY_ACTOR = Actor(user_id=None, role="system", name="Satisfaction survey")
AFTER_CLOSE_JOB = "surveys.after_close"
SPAM_TAGS = frozenset({"spam"})
REASONS = ("slow", "not_solved", "unclear", "impolite", "transfers", "other")
"""Why a low score: codes; the page shows them in the visitor's language (web/surveys.py)."""
MAX_COMMENT = 2000


class LinkInvalid(Exception):
    """Forged, altered or unknown token."""


class LinkExpired(Exception):
    pass


class LinkAnswered(Exception):
    pass


@dataclass(frozen=True)
class Opened:
    invitation: SurveyInvitation
    ticket_number: int | None
    ticket_subject: str | None


# --- 1. scheduling -------------------------------------------------------------------------------


def after_change(session: Session, ticket: Ticket, *, event: str | None, now: datetime) -> None:
    """A settle step: a ticket just resolved or closed owes its requester a survey (queued once
    per trigger instant, due after the delay). Reads nothing for other changes."""
    if event != "ticket_updated" or ticket.status not in ("resolved", "closed"):
        return
    if ticket.merged_into_id is not None or ticket.requester_id is None:
        return
    settings = config.current(session)
    if not (settings.csat_enabled or settings.nps_enabled):
        return
    if settings.csat_trigger == "closed":
        moment = ticket.closed_at if ticket.status == "closed" else None
    else:
        moment = ticket.resolved_at
    if moment is None:
        return
    outbox.enqueue(
        session,
        AFTER_CLOSE_JOB,
        run_at=moment + timedelta(minutes=settings.delay_minutes),
        idempotency_key=f"survey:{ticket.id}:{settings.csat_trigger}:{moment.isoformat()}",
        ticket_id=ticket.id,
        trigger=settings.csat_trigger,
        moment=moment.isoformat(),
    )


# --- 2. sending ----------------------------------------------------------------------------------


def send_after_close(
    session: Session,
    *,
    ticket_id: int,
    trigger: str,
    moment: datetime,
    now: datetime,
    secret_key: str,
    public_url: str,
) -> list[SurveyInvitation]:
    """The job's work: the surveys a closed ticket's requester gets (none when the ticket
    reopened since the trigger, or nobody may be asked: said on the ticket's timeline)."""
    ticket = ticket_repository.ticket_by_id(session, ticket_id, for_update=True)
    if ticket is None:
        return []
    if repository.has_invitation(session, ticket_id=ticket.id, kind="csat") or (
        repository.has_invitation(session, ticket_id=ticket.id, kind="nps")
    ):
        return []  # a re-run of the job: sent already
    if trigger == "resolved" and (
        ticket.status not in ("resolved", "closed") or ticket.resolved_at != moment
    ):
        _note(session, ticket, "survey_cancelled", "the ticket reopened before it was sent", now)
        return []
    settings = config.current(session)
    kinds = []
    if settings.csat_enabled:
        kinds.append("csat")
    org = (
        repository.organization(session, ticket.organization_id)
        if ticket.organization_id is not None
        else None
    )
    if config.nps_applies(
        settings,
        organization_id=ticket.organization_id,
        plan_id=org.plan_id if org is not None else None,
    ):
        kinds.append("nps")
    sent = []
    for kind in kinds:
        contact, why = _who(session, settings, ticket, kind, now)
        if contact is None:
            _note(
                session, ticket, "survey_skipped", f"{kind} survey not sent: {SKIP_REASONS[why]}",
                now, after={"kind": kind, "why": why},
            )  # fmt: skip
            continue
        invitation = invite(
            session, kind=kind, source="ticket", contact=contact, ticket=ticket,
            expiry_days=settings.expiry_days, now=now, secret_key=secret_key,
            public_url=public_url,
        )  # fmt: skip
        sent.append(invitation)
    return sent


SKIP_REASONS = {
    "merged": "merged ticket",
    "spam": "spam",
    "no_requester": "no requester",
    "no_email": "the requester has no e-mail address",
    "staff": "the requester is staff",
    "internal_domain": "internal domain",
    "cooldown": "surveyed within the cooldown",
}


def _who(
    session: Session, settings: SurveySettings, ticket: Ticket, kind: str, now: datetime
) -> tuple[Contact | None, str]:
    """The requester when they may be asked, else None and why (a key of SKIP_REASONS)."""
    if ticket.merged_into_id is not None:
        return None, "merged"
    tags = ticket_repository.tags_by_ticket(session, [ticket.id]).get(ticket.id, [])
    if SPAM_TAGS & {t.lower() for t in tags}:
        return None, "spam"
    if ticket.requester_id is None:
        return None, "no_requester"
    contact = repository.contact(session, ticket.requester_id)
    if contact is None or not contact.email:
        return None, "no_email"
    if repository.is_staff_contact(session, contact.id) or repository.is_staff_email(
        session, contact.email
    ):
        return None, "staff"
    if rules.is_internal(contact.email, settings.internal_domains):
        return None, "internal_domain"
    cooldown = settings.csat_cooldown_days if kind == "csat" else settings.nps_cooldown_days
    last = repository.last_sent_at(session, contact_id=contact.id, kind=kind, source="ticket")
    if cooldown and last is not None and last > now - timedelta(days=cooldown):
        return None, "cooldown"
    return contact, ""


def invite(
    session: Session,
    *,
    kind: str,
    source: str,
    contact: Contact,
    ticket: Ticket | None,
    expiry_days: int,
    now: datetime,
    secret_key: str,
    public_url: str,
    campaign_id: int | None = None,
    campaign_round: int | None = None,
    reminder_days: int | None = None,
) -> SurveyInvitation:
    """Write one invitation and queue its e-mail (sent after commit)."""
    invitation = SurveyInvitation(
        kind=kind,
        source=source,
        ticket_id=ticket.id if ticket is not None else None,
        campaign_id=campaign_id,
        campaign_round=campaign_round,
        contact_id=contact.id,
        organization_id=(ticket.organization_id if ticket is not None else None)
        or contact.organization_id,
        agent_id=ticket.assignee_id if ticket is not None else None,
        queue_id=ticket.queue_id if ticket is not None else None,
        channel="email",
        token_sha256=secrets.token_hex(32),  # replaced by the real token's once the id is known
        sent_at=now,
        expires_at=now + timedelta(days=expiry_days),
        reminder_due_at=now + timedelta(days=reminder_days) if reminder_days else None,
        reason="",
        comment="",
    )
    session.add(invitation)
    session.flush()
    token = tokens.new_token(secret_key, invitation.id)
    invitation.token_sha256 = tokens.digest(token)
    enqueue_mail(session, invitation, contact, ticket, token=token, public_url=public_url)
    if ticket is not None:
        record_event(
            session, ticket, actor=SURVEY_ACTOR, kind="survey_sent", at=now,
            after={"kind": kind, "agent_id": invitation.agent_id}, public=False,
            detail=f"{kind} survey sent to the customer",
        )  # fmt: skip
    return invitation


def enqueue_mail(
    session: Session,
    invitation: SurveyInvitation,
    contact: Contact,
    ticket: Ticket | None,
    *,
    token: str,
    public_url: str,
    reminder: bool = False,
) -> None:
    days = max(1, (invitation.expires_at - invitation.sent_at).days)
    payload = mail.message(
        kind=invitation.kind, to=contact.email or "", name=contact.name, public_url=public_url,
        token=token, ticket_number=ticket.number if ticket is not None else None,
        ticket_subject=ticket.subject if ticket is not None else None, expires_days=days,
        reminder=reminder,
    )  # fmt: skip
    outbox.enqueue(
        session,
        "notify.email",
        idempotency_key=f"survey-mail:{invitation.id}:{'reminder' if reminder else 'first'}",
        **payload,
    )


def _note(
    session: Session,
    ticket: Ticket,
    kind: str,
    detail: str,
    now: datetime,
    *,
    after: dict[str, Any] | None = None,
) -> None:
    record_event(
        session, ticket, actor=SURVEY_ACTOR, kind=kind, at=now, detail=detail, after=after,
        public=False,
    )  # fmt: skip


# --- 3. the customer's answer --------------------------------------------------------------------


def _find(
    session: Session, token: str, *, secret_key: str, for_update: bool = False
) -> SurveyInvitation:
    try:
        invitation_id = tokens.invitation_id(secret_key, token)
    except tokens.InvalidToken:
        raise LinkInvalid from None
    found = repository.invitation_by_hash(session, tokens.digest(token), for_update=for_update)
    if found is None or found.id != invitation_id:
        raise LinkInvalid
    return found


def _ticket_of(session: Session, invitation: SurveyInvitation) -> Ticket | None:
    if invitation.ticket_id is None:
        return None
    return ticket_repository.ticket_by_id(session, invitation.ticket_id)


def open_link(session: Session, *, token: str, secret_key: str, now: datetime) -> Opened:
    """The survey a link opens (its first opening noted); never records a score."""
    invitation = _find(session, token, secret_key=secret_key)
    if invitation.answered_at is not None:
        raise LinkAnswered
    if now >= invitation.expires_at:
        raise LinkExpired
    if invitation.first_click_at is None:
        invitation.first_click_at = now
    ticket = _ticket_of(session, invitation)
    return Opened(
        invitation,
        ticket.number if ticket is not None else None,
        ticket.subject if ticket is not None else None,
    )


def answer(
    session: Session,
    *,
    token: str,
    secret_key: str,
    score: int | None,
    reason: str,
    comment: str,
    now: datetime,
) -> tuple[SurveyInvitation, list[Changed]]:
    """Record the customer's confirmed answer (once, before expiry)."""
    invitation = _find(session, token, secret_key=secret_key, for_update=True)
    if invitation.answered_at is not None:
        raise LinkAnswered
    if now >= invitation.expires_at:
        raise LinkExpired
    if score is None:
        raise ValidationFailed("choose a score", field="score")
    try:
        rules.check_score(invitation.kind, score)
    except rules.ScoreOutOfScale as exc:
        raise ValidationFailed(str(exc), field="score") from None
    reason = reason.strip()
    if reason and reason not in REASONS:
        raise ValidationFailed(
            "must be one of {reasons}", field="reason", reasons=", ".join(REASONS)
        )
    if not rules.asks_why(invitation.kind, score):
        reason = ""
    invitation.score = score
    invitation.reason = reason
    invitation.comment = comment.strip()[:MAX_COMMENT]
    invitation.answered_at = now
    if invitation.first_click_at is None:
        invitation.first_click_at = now
    ticket = _ticket_of(session, invitation)
    if ticket is None:
        return invitation, []
    record_event(
        session, ticket, actor=SURVEY_ACTOR, kind="survey_answered", at=now, public=False,
        after={"kind": invitation.kind, "score": score, "reason": reason,
               "agent_id": invitation.agent_id},
        detail=invitation.comment,
    )  # fmt: skip
    return invitation, [Changed(ticket, None, touch=False)]


def view(invitation: SurveyInvitation, *, names: dict[int, str], now: datetime) -> dict[str, Any]:
    """An invitation as the API shows it (never its token)."""
    if invitation.answered_at is not None:
        status = "answered"
    elif now >= invitation.expires_at:
        status = "expired"
    else:
        status = "sent"
    return {
        "id": invitation.id,
        "kind": invitation.kind,
        "source": invitation.source,
        "status": status,
        "ticket_id": invitation.ticket_id,
        "contact_id": invitation.contact_id,
        "agent": (
            {"id": invitation.agent_id, "name": names.get(invitation.agent_id)}
            if invitation.agent_id is not None
            else None
        ),
        "sent_at": invitation.sent_at,
        "expires_at": invitation.expires_at,
        "opened_at": invitation.first_click_at,
        "answered_at": invitation.answered_at,
        "score": invitation.score,
        "reason": invitation.reason or None,
        "comment": invitation.comment or None,
    }


def of_ticket(
    session: Session, *, actor: Actor, ticket_id: int, now: datetime
) -> list[dict[str, Any]]:
    """The surveys of a ticket the actor may read: staff all, a customer only their own."""
    ticket = ticket_repository.get_readable(session, actor, ticket_id)
    if ticket is None:
        raise NotFound("no ticket {ticket_id}", ticket_id=ticket_id)
    if actor.is_staff:
        found = repository.invitations_of_ticket(session, ticket.id)
    elif actor.contact_id is not None:
        found = repository.invitations_of_ticket(session, ticket.id, contact_id=actor.contact_id)
    else:
        found = []
    names = repository.user_names(session, [i.agent_id for i in found if i.agent_id])
    return [view(i, names=names, now=now) for i in found]
