"""Replies sent despite the reply check's warnings (seed 002: no "gerundismo", no promise one
cannot keep, always ask whether a doubt remains): per agent, how many public replies they
sent in the period and how many carried findings, by kind; and the list of those replies,
newest first, for a supervisor to read. Read through ``messages.reply_warned`` (indexed with
``created_at``), never by parsing every reply.

Reach as in the other reports: an agent their own replies, a supervisor the replies on the
tickets of their queues (everyone's when they belong to none), an admin everyone's.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain.errors import PermissionDenied, ValidationFailed
from atende.queues.models import QueueMember
from atende.tickets.models import Message, Ticket

KINDS = ("gerund", "promise", "closing_question")
MAX_ITEMS = 500


@dataclass
class AgentRow:
    agent_id: int | None
    replies: int = 0
    warned: int = 0
    by_kind: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))

    @property
    def warned_percent(self) -> float | None:
        return round(100.0 * self.warned / self.replies, 2) if self.replies else None


def _reach(session: Session, actor: Actor) -> tuple[int | None, tuple[int, ...] | None]:
    """(only this agent's replies, only the tickets of these queues); None: no limit."""
    if not actor.is_staff:
        raise PermissionDenied("only staff may read reports")
    if actor.role == "agent":
        return (actor.user_id if actor.user_id is not None else -1), None
    if actor.role == "supervisor" and actor.user_id is not None:
        queues = tuple(
            session.scalars(
                select(QueueMember.queue_id).where(QueueMember.user_id == actor.user_id)
            )
        )
        return None, queues or None
    return None, None


def report(
    session: Session,
    *,
    actor: Actor,
    start: datetime,
    end: datetime,
    agent_id: int | None = None,
    limit: int = 100,
) -> dict[str, Any]:
    """``{"rows": [per agent], "items": [the warned replies, newest first]}``."""
    if end <= start:
        raise ValidationFailed("to must come after from", field="to")
    own, queues = _reach(session, actor)
    conds: list[Any] = [
        Message.reply_warned.is_not(None),
        Message.created_at >= start,
        Message.created_at < end,
    ]
    if own is not None:
        conds.append(Message.author_user_id == own)
    if agent_id is not None:
        conds.append(Message.author_user_id == agent_id)
    if queues is not None:
        conds.append(Ticket.queue_id.in_(queues))
    counted = (
        select(Message.author_user_id, Message.reply_warned, func.count())
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(*conds)
        .group_by(Message.author_user_id, Message.reply_warned)
    )
    rows: dict[int | None, AgentRow] = {}
    for author, warned, count in session.execute(counted):
        row = rows.setdefault(author, AgentRow(author))
        row.replies += int(count)
        if warned:
            row.warned += int(count)
    listed = session.execute(
        select(Message, Ticket.id, Ticket.subject)  # a ticket's number is its id
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(*conds, Message.reply_warned.is_(True))
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(min(max(limit, 1), MAX_ITEMS))
    ).all()
    kinds_seen: dict[int | None, Counter[str]] = defaultdict(Counter)
    warned_checks = session.execute(
        select(Message.author_user_id, Message.reply_check)
        .join(Ticket, Ticket.id == Message.ticket_id)
        .where(*conds, Message.reply_warned.is_(True))
    )  # the warned replies only: a few of all the replies
    for author, check in warned_checks:
        kinds_seen[author].update(_kinds(check))
    for author, seen in kinds_seen.items():
        if author in rows:
            rows[author].by_kind.update({k: seen.get(k, 0) for k in KINDS})
    items = [
        {
            "message_id": m.id,
            "ticket_id": m.ticket_id,
            "ticket_number": number,
            "subject": subject,
            "agent_id": m.author_user_id,
            "at": m.created_at,
            "findings": [
                {
                    "kind": f.get("kind"),
                    "phrase": f.get("phrase"),
                    "suggestion": f.get("suggestion"),
                }
                for f in (m.reply_check or {}).get("findings", [])
            ],
        }
        for m, number, subject in listed
    ]
    ordered = sorted(rows.values(), key=lambda r: (-(r.warned_percent or 0), r.agent_id or 0))
    return {
        "rows": [
            {
                "agent_id": r.agent_id,
                "replies": r.replies,
                "warned": r.warned,
                "warned_percent": r.warned_percent,
                "by_kind": r.by_kind,
            }
            for r in ordered
        ],
        "items": items,
    }


def _kinds(check: dict[str, Any] | None) -> set[str]:
    """The kinds of finding of one reply (a reply with two gerunds counts once as gerund)."""
    findings = (check or {}).get("findings", [])
    return {str(f.get("kind")) for f in findings if isinstance(f, dict)}
