"""The history of an imported ticket: validated, then written in time order."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.customers.models import Contact
from atende.domain import lifecycle
from atende.domain.errors import ValidationFailed
from atende.tickets import repository
from atende.tickets.models import Ticket
from atende.tickets.schemas import TicketIn
from atende.tickets.service import (
    EARLIEST,
    set_status,
)
from atende.tickets.timeline import (
    clean_body,
    record_event,
    record_message,
)

# --- import history -----------------------------------------------------------------------


class HistoryPlan:
    """The validated history of an imported ticket, ready to be written in time order."""

    def __init__(
        self,
        *,
        status: str,
        resolved_at: datetime | None,
        closed_at: datetime | None,
        chat_ended_at: datetime | None,
        messages: list[tuple[Any, str, str]],
        last_activity: datetime,
        agent_names: dict[int, str] | None = None,
    ) -> None:
        self.status = status
        self.resolved_at = resolved_at
        self.closed_at = closed_at
        self.chat_ended_at = chat_ended_at
        self.messages = messages  # (ImportedMessage, safe_html, text)
        self.last_activity = last_activity
        self.agent_names = agent_names or {}  # the agents named by the messages' agent_id


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def plan_history(
    session: Session, data: TicketIn, *, created_at: datetime, now: datetime
) -> HistoryPlan:
    status = data.status or "new"
    messages = list(data.messages or [])
    resolved_at, closed_at = _utc(data.resolved_at), _utc(data.closed_at)
    chat_ended_at = _utc(data.chat_ended_at)
    problems = lifecycle.history_problems(
        created_at=created_at,
        status=status,
        resolved_at=resolved_at,
        closed_at=closed_at,
        chat_ended_at=chat_ended_at,
        messages=[
            lifecycle.HistoryMessage(m.author, m.public, m.created_at.astimezone(UTC))
            for m in messages
        ],
        now=now,
        earliest=EARLIEST,
    )
    if problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise ValidationFailed(
            "{field_name} {text}{more}",
            field=first.field,
            field_name=first.field,
            text=first.message,
            more=more,
        )
    for index, m in enumerate(messages):
        if m.author == "contact" and m.agent_id is not None:
            raise ValidationFailed(
                "agent_id is only for agent messages", field=f"messages[{index}].agent_id"
            )
    agent_ids = {m.agent_id for m in messages if m.agent_id is not None}
    known = repository.staff_user_names(session, agent_ids)
    for index, m in enumerate(messages):
        if m.agent_id is not None and m.agent_id not in known:
            raise ValidationFailed(
                "user {agent_id} is not an agent",
                field=f"messages[{index}].agent_id",
                agent_id=m.agent_id,
            )
    cleaned = [
        (m, *clean_body(m.body, field=f"messages[{index}].body"))
        for index, m in enumerate(messages)
    ]
    last_activity = max([created_at, *(m.created_at.astimezone(UTC) for m in messages)])
    if status in ("resolved", "closed") and resolved_at is None:
        resolved_at = min(closed_at, last_activity) if closed_at is not None else last_activity
    if status == "closed" and closed_at is None:
        closed_at = max(last_activity, resolved_at or created_at)
    return HistoryPlan(
        status=status,
        resolved_at=resolved_at,
        closed_at=closed_at,
        chat_ended_at=chat_ended_at,
        messages=cleaned,
        last_activity=last_activity,
        agent_names=known,
    )


def replay_history(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    plan: HistoryPlan,
    requester: Contact | None,
) -> None:
    """Write the imported messages and the status changes they imply, at their own times."""
    steps: list[tuple[datetime, int, Any]] = []
    for order, (m, safe_html, text) in enumerate(plan.messages):
        steps.append((m.created_at.astimezone(UTC), order, ("message", m, safe_html, text)))
    n = len(steps)
    if plan.resolved_at is not None:
        steps.append((plan.resolved_at, n, ("status", "resolved")))
    if plan.closed_at is not None:
        steps.append((plan.closed_at, n + 1, ("status", "closed")))
    if plan.status not in ("new", "resolved", "closed"):
        steps.append((plan.last_activity, n + 2, ("status", plan.status)))
    steps.sort(key=lambda s: (s[0], s[1]))
    label = f"{actor.label} (import)"
    for at, _, step in steps:
        if step[0] == "message":
            _, m, safe_html, text = step
            if m.author == "agent":
                record_message(
                    session,
                    ticket,
                    author_kind="agent",
                    author_user_id=m.agent_id,
                    body_html=safe_html,
                    body_text=text,
                    public=m.public,
                    at=at,
                    channel=ticket.channel if m.public else None,
                )
                if m.public:
                    if ticket.first_response_at is None:
                        ticket.first_response_at = at
                    if ticket.status == "new" and plan.status != "new":
                        set_status(
                            session,
                            ticket,
                            "open",
                            actor=actor,
                            at=at,
                            actor_user_id=m.agent_id,
                            actor_label=(
                                f"{plan.agent_names[m.agent_id]} (import)"
                                if m.agent_id in plan.agent_names
                                else label
                            ),
                            detail="first public reply",
                        )
            else:
                record_message(
                    session,
                    ticket,
                    author_kind="contact",
                    author_contact_id=requester.id if requester is not None else None,
                    body_html=safe_html,
                    body_text=text,
                    public=m.public,
                    at=at,
                    channel=ticket.channel,
                )
                ticket.last_contact_message_at = at
        else:
            target = step[1]
            if ticket.status == target:
                continue
            if ticket.status == "resolved" and target != "closed":
                continue
            ticket.status, before = target, ticket.status
            ticket.status_changed_at = at
            record_event(
                session,
                ticket,
                actor=actor,
                kind="status",
                at=at,
                before=before,
                after=target,
                detail="imported",
                actor_label=label,
            )
    ticket.resolved_at = plan.resolved_at
    ticket.closed_at = plan.closed_at
    ticket.chat_ended_at = plan.chat_ended_at
    ticket.status = plan.status
    ticket.updated_at = max(
        [ticket.created_at, plan.last_activity]
        + [t for t in (plan.resolved_at, plan.closed_at, plan.chat_ended_at) if t is not None]
    )
