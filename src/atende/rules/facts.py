"""What a rule sees: the stored rules parsed, a ticket's facts (with the business-time ones),
the message an event is about, template values and readable names."""

from __future__ import annotations

import html
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from atende.calendars import service as calendar_service
from atende.db import cache as db_cache
from atende.domain import rules as rules_domain
from atende.domain.businesstime import BusinessCalendar, always_open
from atende.domain.errors import DomainError
from atende.domain.rules.describe import Names
from atende.domain.rules.schema import Transfer
from atende.domain.rules.vocabulary import ActionType, Event
from atende.domain.text import looks_like_html
from atende.rules import models, repository
from atende.tickets import facts as tickets_facts
from atende.tickets import service as ticket_service
from atende.tickets.models import Message, Ticket

log = logging.getLogger("atende.rules")

DEFAULT_TIMEZONE: Final = "America/Sao_Paulo"
"""The zone of the always-open calendar used when no calendar exists at all."""

# --------------------------------------------------------------------------------------------
# Stored rules -> domain rules (parsed once per content)
# --------------------------------------------------------------------------------------------

_parsed: OrderedDict[str, rules_domain.Rule] = OrderedDict()
_parsed_lock = threading.Lock()


def stored_json(row: models.Rule) -> dict[str, Any]:
    return {
        "name": row.name,
        "active": row.active,
        "position": row.position,
        "event": row.event,
        "conditions": row.conditions or {},
        "actions": row.actions or [],
        "time": row.time,
    }


def domain_rule(row: models.Rule) -> rules_domain.Rule:
    """The checked domain form of a stored rule (cached by id and content)."""
    raw = stored_json(row)
    key = f"{row.id}:" + json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    with _parsed_lock:
        found = _parsed.get(key)
        if found is not None:
            return found
    parsed = rules_domain.parse_rule(raw, rule_id=row.id)
    with _parsed_lock:
        _parsed[key] = parsed
        while len(_parsed) > 1024:
            _parsed.popitem(last=False)
    return parsed


def _usable(rows: Iterable[models.Rule]) -> list[rules_domain.Rule]:
    out = []
    for row in rows:
        try:
            out.append(domain_rule(row))
        except DomainError as exc:  # saved before a vocabulary change: skip it, loudly
            log.warning(
                "rule %s (%s) is not valid any more and is skipped: %s",
                row.id,
                row.name,
                exc.message,
            )
    return out


def active_rules(session: Session, event: str | None = None) -> list[rules_domain.Rule]:
    """The usable active rules (of ``event``), a per-process copy while no rule changes."""
    rules = db_cache.get(
        session, ("rules", event), lambda: tuple(_usable(repository.active_rules(session, event)))
    )
    return list(rules)


# --------------------------------------------------------------------------------------------
# Facts
# --------------------------------------------------------------------------------------------


def calendar_for(session: Session, ticket: Ticket) -> BusinessCalendar:
    """The ticket's SLA policy's calendar; else the default (first) calendar; else always open.

    The policy comes from the ticket's SLA row (usually in the session: the settle loop just
    evaluated it); which calendar each policy uses and which calendar is the default are
    per-process copies (atende/db/cache.py: policies and calendars are watched tables)."""
    policy_id = repository.ticket_policy_id(session, ticket.id)
    calendars = db_cache.get(
        session, "rules: policy calendars", lambda: repository.policy_calendar_ids(session)
    )
    default = calendar_service.default_calendar_id(session)
    for calendar_id in (calendars.get(policy_id) if policy_id is not None else None, default):
        if calendar_id is not None:
            cal = calendar_service.business_calendar_by_id(session, calendar_id)
            if cal is not None:
                return cal
    return always_open(DEFAULT_TIMEZONE)


def business_hours_in_status(cal: BusinessCalendar, ticket: Ticket, now: datetime) -> float | None:
    start = ticket.status_changed_at or ticket.created_at
    if start is None:
        return None
    if start >= now:
        return 0.0
    try:
        return cal.business_seconds_between(start, now) / 3600
    except DomainError:  # outside the calendar's range (1970-2100)
        return None


def ticket_facts(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    needs: Iterable[str] = (),
    tags: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The facts a rule sees: the SLA facts, plus the business-time facts when ``needs`` names
    them (they cost a calendar computation); ``tags``: the ticket's tags when known."""
    facts = tickets_facts.ticket_facts(session, ticket, now=now, tags=tags)
    if rules_domain.BUSINESS_FACTS & set(needs):
        cal = calendar_for(session, ticket)
        try:
            facts["ticket.in_business_hours"] = cal.is_open(now)
        except DomainError:
            facts["ticket.in_business_hours"] = None
        facts["ticket.business_hours_in_status"] = business_hours_in_status(cal, ticket, now)
    return facts


def message_facts(ticket: Ticket, message: Message | None) -> dict[str, Any]:
    if message is None:
        return {}
    return {
        "message.text": message.body_text,
        "message.channel": message.channel or ticket.channel,
        "message.author": message.author_kind,
    }


def event_message(
    session: Session, ticket: Ticket, event: str, message: Message | None
) -> Message | None:
    """The message an event is about: the one given, else for ``ticket_created`` the first
    message, for ``message_received`` / ``message_sent`` the latest of the contact / an agent."""
    if message is not None or event not in rules_domain.MESSAGE_EVENTS:
        return message
    if event == Event.TICKET_CREATED:
        return repository.first_message(session, ticket.id)
    kind = "contact" if event == Event.MESSAGE_RECEIVED else "agent"
    return repository.latest_message(session, ticket.id, author_kind=kind)


def field_facts(
    session: Session, ticket: Ticket, *, tags: Sequence[str] | None = None
) -> dict[str, Any]:
    """Just what deciding a rule's ticket changes needs (cheaper than the full facts);
    ``tags``: the ticket's tags when known (read otherwise)."""
    return {
        "ticket.status": ticket.status,
        "ticket.queue_id": ticket.queue_id,
        "ticket.priority": ticket.priority,
        "ticket.type": ticket.type,
        "ticket.assignee_id": ticket.assignee_id,
        "ticket.tags": (
            list(tags) if tags is not None else ticket_service.tags_of(session, [ticket])[ticket.id]
        ),
    }


def names_for(session: Session, actions: Sequence[rules_domain.Action]) -> Names:
    queues: set[int] = set()
    users: set[int] = set()
    canned: set[int] = set()
    for action in actions:
        v = action.value
        if action.type is ActionType.SET_QUEUE and isinstance(v, int):
            queues.add(v)
        elif isinstance(v, Transfer):
            queues.add(v.queue_id)
        elif action.type is ActionType.SET_ASSIGNEE and isinstance(v, int):
            users.add(v)
        elif action.type is ActionType.SEND_CANNED_REPLY and isinstance(v, int):
            canned.add(v)
    return Names(
        queues=repository.queue_names(session, queues),
        users=repository.user_names(session, users),
        canned_replies=repository.canned_reply_names(session, canned),
    )


def template_values(session: Session, ticket: Ticket) -> dict[str, Any]:
    """The values of :data:`atende.domain.rules.TEMPLATE_VARIABLES` for ``ticket``."""
    ctx = repository.template_context(session, ticket)
    contact = ctx["contact"]
    contact_name = contact.name if contact is not None else None
    assignee = ctx["assignee"]
    return {
        "ticket.number": ticket.number,
        "ticket.subject": ticket.subject,
        "ticket.status": ticket.status,
        "ticket.priority": ticket.priority,
        "ticket.type": ticket.type,
        "ticket.channel": ticket.channel,
        "ticket.queue": ctx["queue"],
        "contact.name": contact_name,
        "contact.first_name": _first_name(contact_name),
        "contact.email": contact.email if contact is not None else None,
        "organization.name": ctx["organization"],
        "organization.plan": ctx["plan"],
        "assignee.name": assignee,
        "assignee.first_name": _first_name(assignee),
    }


def _first_name(name: str | None) -> str | None:
    if not name or not name.strip():
        return None
    return name.strip().split()[0]


def render_body(template: rules_domain.Template, values: Mapping[str, Any]) -> str:
    """A message body, always as HTML: values are HTML-escaped into an HTML template; a
    plain-text template is rendered, then escaped as a whole with its line breaks kept, so a
    value (a subject, a contact's name) can never turn into markup such as a link."""
    if looks_like_html(template.source):
        return rules_domain.render(template, values, escape=html.escape)
    text = rules_domain.render(template, values, escape=None)
    return "<p>" + html.escape(text).replace("\n", "<br>") + "</p>"


def render_preview(template: rules_domain.Template, values: Mapping[str, Any]) -> str:
    """A canned reply filled in for an agent to review and edit before sending: as written
    (values escaped only inside an HTML template)."""
    escape = html.escape if looks_like_html(template.source) else None
    return rules_domain.render(template, values, escape=escape)
