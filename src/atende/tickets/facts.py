"""The facts a condition sees about a ticket (SLA policies and automation rules match on them):
``ticket.*``, ``organization.*``, ``contact.*`` and custom fields, as one flat dict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from atende.domain import conditions as cond
from atende.domain.billing import system_blocked
from atende.tickets import repository
from atende.tickets.models import Ticket


def ticket_facts(
    session: Session, ticket: Ticket, *, now: datetime, tags: Sequence[str] | None = None
) -> dict[str, Any]:
    """The flat facts a condition sees (``ticket.*``, ``organization.*``, ``contact.*``, ...);
    ``tags``: the ticket's tags when the caller knows them (read otherwise)."""
    related = repository.facts_of(session, ticket, tags=tags)
    facts: dict[str, Any] = {
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "ticket.type": ticket.type,
        "ticket.channel": ticket.channel,
        "ticket.queue": related["queue"],
        "ticket.queue_id": ticket.queue_id,
        "ticket.tags": related["tags"],
        "ticket.subject": ticket.subject,
        "ticket.assignee_id": ticket.assignee_id,
        "ticket.created_at": ticket.created_at,
    }
    org = related["org"]
    if org is not None:
        facts.update(
            {
                "organization.name": org.name,
                "organization.plan": related["plan"],
                "organization.key_account": org.key_account,
                "organization.stores": org.stores,
                "organization.delinquent": org.delinquent,
                "organization.system_blocked": system_blocked(
                    delinquent=org.delinquent,
                    overdue_since=org.overdue_since,
                    today=now.astimezone(UTC).date(),
                ),
            }
        )
    contact = related["contact"]
    if contact is not None:
        facts.update(
            {
                "contact.email": contact.email,
                "contact.role": contact.role,
                "contact.name": contact.name,
            }
        )
    for key, value in (ticket.custom_fields or {}).items():
        facts[f"{cond.CUSTOM_FIELD_PREFIX}{key}"] = value
    return facts
