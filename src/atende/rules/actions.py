"""Carrying out a matching rule's actions, through the tickets commands and the outbox.

Field changes go through ``update_ticket`` (one update per rule), transfers through
``transfer``, notes and canned replies through ``add_message``; what each command changed is
handed to the settle loop at once (``settle``); notifications are durable jobs
(``notify.email`` / ``notify.webhook`` / ``notify.telegram``) whose idempotency key is fixed by
the rule, the ticket, the event occurrence and the action's index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.domain import rules as rules_domain
from atende.domain.errors import NotFound
from atende.domain.rules.describe import Names
from atende.domain.rules.judge import Verdict
from atende.domain.rules.plan import Single, Update
from atende.domain.rules.schema import EmailNotice, Note, TelegramNotice, Transfer, Webhook
from atende.domain.rules.vocabulary import ActionType
from atende.jobs import outbox
from atende.rules import repository
from atende.rules.facts import field_facts, render_body, template_values
from atende.tickets import service as ticket_service
from atende.tickets.commands import change, message
from atende.tickets.events import Settle
from atende.tickets.models import Ticket


def rule_actor(name: str) -> Actor:
    """Who a rule's changes are by, on the timeline: ``rule: <name>``."""
    return Actor(user_id=None, role="system", name=f"rule: {name}")


def carry_out(
    session: Session,
    rule: rules_domain.Rule,
    ticket: Ticket,
    *,
    event: str,
    now: datetime,
    verdict: Verdict,
    instance: str,
    names: Names,
    done: list[str],
    settle: Settle,
    tags: Sequence[str] | None = None,
) -> None:
    """Carry out the rule's actions in order (``tags``: the ticket's tags when known, until an
    action changes the ticket)."""
    actor = rule_actor(rule.name)
    for op in rules_domain.operations(rule.actions):
        known, tags = tags, None  # from here on, an action may change the ticket
        if isinstance(op, Update):
            current = field_facts(session, ticket, tags=known)
            changes, notes = rules_domain.effective_changes(op, current)
            done.extend(rules_domain.describe_changes(changes, names) + notes)
            if changes:
                _, changed = change.update_ticket(
                    session, actor=actor, ticket_id=ticket.id, changes=changes, now=now
                )
                settle(changed)
            continue
        _single(
            session,
            rule,
            ticket,
            op,
            event=event,
            now=now,
            verdict=verdict,
            instance=instance,
            names=names,
            done=done,
            actor=actor,
            settle=settle,
        )


def _single(
    session: Session,
    rule: rules_domain.Rule,
    ticket: Ticket,
    op: Single,
    *,
    event: str,
    now: datetime,
    verdict: Verdict,
    instance: str,
    names: Names,
    done: list[str],
    actor: Actor,
    settle: Settle,
) -> None:
    action = op.action
    value = action.value
    closed = ticket.status == "closed"
    job_key = f"rule:{rule.id}:t{ticket.id}:{event}:{instance}:a{op.index}"[:200]
    if isinstance(value, Transfer):
        if closed:
            done.append("no transfer: the ticket is closed")
        elif value.queue_id == ticket.queue_id:
            queue = names.queues.get(value.queue_id, f"queue {value.queue_id}")
            done.append(f"no transfer: already in {queue}")
        else:
            reason = rules_domain.render(value.reason, template_values(session, ticket))
            _, changed = change.transfer(
                session,
                actor=actor,
                ticket_id=ticket.id,
                queue_id=value.queue_id,
                reason=reason,
                now=now,
            )
            settle(changed)
            done.append(rules_domain.describe_action(action, names))
        return
    if isinstance(value, Note) or action.type is ActionType.SEND_CANNED_REPLY:
        if closed:
            done.append(f"no {action.type.value}: the ticket is closed")
            return
        if isinstance(value, Note):
            body = render_body(value.text, template_values(session, ticket))
            public = False
        else:
            assert isinstance(value, int)
            reply = repository.canned_reply(session, value)
            if reply is None:
                raise NotFound("canned reply {value} does not exist any more", value=value)
            template = rules_domain.parse_template(reply.body, field="body")
            body = render_body(template, template_values(session, ticket))
            public = True
        _, changed = message.add_message(
            session, actor=actor, ticket_id=ticket.id, body=body, public=public, now=now
        )
        settle(changed)
        done.append(rules_domain.describe_action(action, names))
        return
    if isinstance(value, EmailNotice):
        to = _recipients(session, ticket, value.to)
        if not to:
            done.append(f"no e-mail: nobody to send to ({', '.join(value.to)})")
            return
        values = template_values(session, ticket)
        subject = (
            rules_domain.render(value.subject, values)
            if value.subject is not None
            else f"[Atende] #{ticket.number} {ticket.subject}"
        )
        text = (
            rules_domain.render(value.text, values)
            if value.text is not None
            else _default_text(rule, ticket, event, verdict)
        )
        outbox.enqueue(
            session,
            "notify.email",
            idempotency_key=job_key,
            to=to,
            subject=" ".join(subject.split())[:300],
            text=text,
        )
        done.append(f"e-mail queued to {', '.join(to)}")
        return
    if isinstance(value, Webhook):
        outbox.enqueue(
            session,
            "notify.webhook",
            idempotency_key=job_key,
            url=value.url,
            event=event,
            data=_webhook_data(session, rule, ticket, event=event, now=now, verdict=verdict),
            secret=value.secret,
        )
        done.append(rules_domain.describe_action(action, names) + " (queued)")
        return
    assert isinstance(value, TelegramNotice)
    text = rules_domain.render(value.text, template_values(session, ticket))
    outbox.enqueue(
        session, "notify.telegram", idempotency_key=job_key, chat_id=value.chat_id, text=text
    )
    done.append(rules_domain.describe_action(action, names) + " (queued)")


def _recipients(session: Session, ticket: Ticket, to: Sequence[str]) -> list[str]:
    out: list[str] = []
    for item in to:
        if item == "assignee":
            email = repository.active_staff_email(session, ticket.assignee_id)
            out.extend([email] if email else [])
        elif item == "supervisors":
            out.extend(repository.supervisor_emails(session, ticket.queue_id))
        elif item == "requester":
            contact = repository.template_context(session, ticket)["contact"]
            if contact is not None and contact.email:
                out.append(contact.email)
        else:
            out.append(item)
    return list(dict.fromkeys(e.lower() for e in out))


def _default_text(rule: rules_domain.Rule, ticket: Ticket, event: str, verdict: Verdict) -> str:
    return (
        f'Rule "{rule.name}" ran on ticket #{ticket.number} ({ticket.subject}) '
        f"after {event}: {verdict.explanation}"
    )


def _webhook_data(
    session: Session,
    rule: rules_domain.Rule,
    ticket: Ticket,
    *,
    event: str,
    now: datetime,
    verdict: Verdict,
) -> dict[str, Any]:

    view = ticket_service.ticket_view(ticket, ticket_service.tags_of(session, [ticket])[ticket.id])
    snapshot = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in view.items()}
    return {
        "ticket": snapshot,
        "rule": {"id": rule.id, "name": rule.name},
        "event": event,
        "matched": verdict.explanation,
        "at": now.astimezone(UTC).isoformat(),
    }
