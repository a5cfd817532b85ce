"""Ticket use cases: create (and import history), reply, note, change, assign, transfer.

One use case, one transaction: each function flushes and never commits. Authorization is checked
here: a ticket the actor may not read answers NotFound, exactly like a missing id. Every change
writes a TicketEvent (who, when, before, after); every use case that changes a ticket ends with
``_after_change`` (the SLA engine's hook). Split, merge and follow-up live in ``links.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.customers import service as customer_service
from atende.customers.models import Contact
from atende.domain import lifecycle
from atende.domain.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from atende.routing import service as routing_service
from atende.tickets import repository
from atende.tickets.models import Message, Ticket, TicketEvent, TicketType
from atende.tickets.schemas import TicketIn
from atende.tickets.timeline import (
    add_entries,
    clean_body,
    new_event,
    new_message,
    record_event,
    record_message,
)

# Type names always accepted; admins add more as TicketType rows (an inactive row refuses it).
DEFAULT_TYPES = ("question", "incident", "problem", "request", "cancellation", "task")
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_IMPORT_FIELDS = ("created_at", "status", "resolved_at", "closed_at", "messages", "external_id")
_CONTACT_FORBIDDEN = (
    "queue_id",
    "assignee_id",
    "contact_id",
    "requester",
    "organization_id",
    "tags",
    "custom_fields",
)
PATCH_FIELDS = frozenset(
    {
        "subject",
        "status",
        "priority",
        "type",
        "queue_id",
        "assignee_id",
        "organization_id",
        "tags",
        "custom_fields",
        "chat_ended_at",
        "reason",
    }
)


# --- the SLA hook -------------------------------------------------------------------------


def _after_change(
    session: Session,
    ticket: Ticket,
    now: datetime,
    *,
    touch: bool = True,
    event: str | None = None,
    message: Message | None = None,
) -> None:
    """Runs at the end of every use case that changes ``ticket`` (create and import included).

    The SLA engine re-evaluates the ticket's clocks; a warning or breach it finds escalates and
    fires the ``sla_warning`` / ``sla_breach`` rules; the auto-close instant follows the status;
    then the automation rules of ``event`` run (``None``: no rules, e.g. for an import or an
    internal note). ``now`` is the real current time (for an import too, whose history lies in
    the past; ``touch=False`` then keeps ``updated_at`` at the end of that history).
    """
    from atende.sla import service as sla_service  # sla imports tickets: resolve at call time
    from atende.tickets import autoclose

    if touch and (ticket.updated_at is None or now > ticket.updated_at):
        ticket.updated_at = now
    if ticket.status_changed_at is None:
        ticket.status_changed_at = ticket.created_at or now
    session.flush()
    signals = sla_service.reevaluate(session, ticket=ticket, now=now)
    autoclose.schedule(session, ticket, now=now)
    react(session, ticket, now=now, event=event, message=message, signals=signals)


def changed(session: Session, ticket: Ticket, *, now: datetime, event: str | None) -> None:
    """For other areas' use cases that change a ticket (routing): the same after-change hook."""
    _after_change(session, ticket, now, event=event)


def react(
    session: Session,
    ticket: Ticket,
    *,
    now: datetime,
    event: str | None,
    message: Message | None = None,
    signals: Sequence[Any] = (),
) -> None:
    """Escalations for SLA ``signals``, then the automation rules of ``event`` and the signals."""
    from atende.rules import engine as rules_engine
    from atende.sla import escalation
    from atende.sla import service as sla_service

    fired: list[Any] = []
    pending = list(signals)
    for _ in range(len(lifecycle.STATUSES)):  # bounded: a raise can only go up to urgent
        if not pending:
            break
        bumped = False
        for signal in pending:
            bumped = escalation.escalate(session, ticket, signal, now=now) or bumped
            fired.append(signal)
        pending = []
        if bumped:  # a policy may depend on the priority: the clocks follow at once
            session.flush()
            pending = sla_service.reevaluate(session, ticket=ticket, now=now)
    _tell_followers(session, ticket, now=now, event=event, message=message)
    if event is not None:
        rules_engine.run(session, ticket=ticket, event=event, now=now, message=message)
    for sla_event in dict.fromkeys(signal.event for signal in fired):  # once per event
        rules_engine.run(session, ticket=ticket, event=sla_event, now=now)


def _tell_followers(
    session: Session, ticket: Ticket, *, now: datetime, event: str | None, message: Message | None
) -> None:
    from atende.routing import service as routing_service

    if event == "message_sent" and message is not None:
        routing_service.notify_followers(
            session, ticket, event="follower_reply", author_user_id=message.author_user_id,
            now=now, key=f"reply:{message.id}",
            text=f"Ticket #{ticket.number} {ticket.subject!r}: new reply to the customer",
        )  # fmt: skip
    elif event == "ticket_updated" and ticket.status == "resolved" and ticket.resolved_at:
        routing_service.notify_followers(
            session, ticket, event="follower_resolved", author_user_id=None, now=now,
            key=f"resolved:{ticket.id}:{ticket.resolved_at.isoformat()}",
            text=f"Ticket #{ticket.number} {ticket.subject!r} was resolved: confirm with the "
            "customer",
        )  # fmt: skip


# --- reading ------------------------------------------------------------------------------


def get_ticket(session: Session, *, actor: Actor, ticket_id: int) -> Ticket:
    ticket = repository.get_readable(session, actor, ticket_id)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found")
    return ticket


def _writable(
    session: Session, actor: Actor, ticket_id: int, *, field: str | None = None
) -> Ticket:
    """The ticket, locked for this transaction, if the actor may read it."""
    ticket = repository.get_readable(session, actor, ticket_id, for_update=True)
    if ticket is None:
        raise NotFound(f"ticket {ticket_id} not found", field=field)
    return ticket


def lock(session: Session, ticket: Ticket) -> Ticket:
    """``ticket`` locked for this transaction (another area writes on its timeline)."""
    locked = repository.ticket_by_id(session, ticket.id, for_update=True)
    assert locked is not None
    return locked


def timeline(session: Session, *, actor: Actor, ticket_id: int) -> list[Message | TicketEvent]:
    """Every message and event of the ticket in order (a contact sees only the public ones)."""
    ticket = get_ticket(session, actor=actor, ticket_id=ticket_id)
    public_only = not actor.is_staff
    entries: list[Message | TicketEvent] = [
        *repository.messages_of(session, ticket.id, public_only=public_only),
        *repository.events_of(session, ticket.id, public_only=public_only),
    ]
    entries.sort(key=lambda e: (e.created_at, e.position))
    return entries


def tags_of(session: Session, tickets: Sequence[Ticket]) -> dict[int, list[str]]:
    return repository.tags_by_ticket(session, (t.id for t in tickets))


def ticket_view(ticket: Ticket, tags: list[str]) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "display_number": f"#{ticket.number}",
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "type": ticket.type,
        "channel": ticket.channel,
        "requester_id": ticket.requester_id,
        "organization_id": ticket.organization_id,
        "queue_id": ticket.queue_id,
        "assignee_id": ticket.assignee_id,
        "tags": tags,
        "custom_fields": ticket.custom_fields or {},
        "external_id": ticket.external_id,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "chat_ended_at": ticket.chat_ended_at,
        "split_from_id": ticket.split_from_id,
        "merged_into_id": ticket.merged_into_id,
        "follow_up_of_id": ticket.follow_up_of_id,
        "on_call": bool(ticket.on_call),
    }


# --- shared checks ------------------------------------------------------------------------


def normalise_tags(tags: Sequence[str]) -> list[str]:
    """Lower-case, without repeats, sorted; refuses a tag that lower-casing made too long."""
    out = sorted({t.strip().lower() for t in tags if t.strip()})
    for tag in out:
        if len(tag) > 60:
            raise ValidationFailed(
                f"tag {tag[:20]!r}... is longer than 60 characters", field="tags"
            )
    return out


def check_type(session: Session, name: str | None) -> None:
    if name is None:
        return
    row = repository.ticket_type_by_name(session, name)
    if row is not None and row.active:
        return
    if row is None and name in DEFAULT_TYPES:
        return
    known = sorted(
        {*DEFAULT_TYPES, *(t.name for t in repository.ticket_types(session) if t.active)}
        - ({row.name} if row is not None else set())
    )
    raise ValidationFailed(f"unknown ticket type {name!r}; known: {', '.join(known)}", field="type")


def check_queue(session: Session, queue_id: int | None, *, field: str = "queue_id") -> None:
    if queue_id is not None and not repository.queue_exists(session, queue_id):
        raise ValidationFailed(f"queue {queue_id} does not exist", field=field)


def check_assignee(session: Session, user_id: int | None, *, field: str = "assignee_id") -> None:
    if user_id is not None and repository.staff_user(session, user_id) is None:
        raise ValidationFailed(f"user {user_id} is not an active agent", field=field)


def check_organization(session: Session, org_id: int | None) -> None:
    if org_id is not None and not repository.organization_exists(session, org_id):
        raise ValidationFailed(f"organization {org_id} does not exist", field="organization_id")


def check_instant(value: datetime | None, *, field: str, now: datetime) -> None:
    if value is None:
        return
    if value < EARLIEST or value > now:
        raise ValidationFailed("must lie between 1970 and now", field=field)


def _ensure_not_closed(ticket: Ticket) -> None:
    if ticket.status == "closed":
        raise lifecycle.InvalidTransition(
            f"ticket #{ticket.number} is closed, and closed is final: "
            f"open a follow-up ticket (POST /api/v1/tickets/{ticket.id}/follow-up)",
            field="status",
        )


def _ensure_staff(actor: Actor, what: str) -> None:
    if not actor.is_staff:
        raise PermissionDenied(f"only staff may {what}")


def _set_status(
    session: Session,
    ticket: Ticket,
    target: str,
    *,
    actor: Actor,
    at: datetime,
    detail: str = "",
    actor_user_id: int | None = None,
) -> None:
    """Move to ``target`` (checked), stamp resolved/closed times, write the event."""
    if ticket.status == target:
        return
    lifecycle.ensure_transition(ticket.status, target)
    before = ticket.status
    ticket.resolved_at, ticket.closed_at = lifecycle.timestamps_for_status(
        before, target, now=at, resolved_at=ticket.resolved_at, closed_at=ticket.closed_at
    )
    ticket.status = target
    ticket.status_changed_at = at
    if target == "closed":
        _survey_hook(session, ticket, at=at)
    record_event(
        session,
        ticket,
        actor=actor,
        kind="status",
        at=at,
        before=before,
        after=target,
        detail=detail,
        actor_user_id=actor_user_id,
    )


def _survey_hook(session: Session, ticket: Ticket, *, at: datetime) -> None:
    """A closed ticket owes its requester a satisfaction survey: queue the job (once)."""
    from atende.jobs import outbox

    if ticket.requester_id is None or ticket.merged_into_id is not None:
        return
    session.flush()  # the ticket needs its id
    outbox.enqueue(
        session,
        "survey.request",
        idempotency_key=f"survey:{ticket.id}",
        ticket_id=ticket.id,
        closed_at=at.isoformat(),
    )


# --- create -------------------------------------------------------------------------------


def _requester(session: Session, actor: Actor, data: TicketIn) -> Contact | None:
    if actor.is_contact:
        if actor.contact_id is None:
            raise PermissionDenied("this account is not linked to a contact")
        return repository.contact(session, actor.contact_id)
    if data.contact_id is not None:
        found = repository.contact(session, data.contact_id)
        if found is None:
            raise ValidationFailed(f"contact {data.contact_id} does not exist", field="contact_id")
        return found
    if data.requester is not None:
        r = data.requester
        email = str(r.email) if r.email else None
        try:
            # A savepoint: two requests creating the same new requester at once must not fail;
            # the loser of the race finds the winner's contact.
            with session.begin_nested():
                return customer_service.find_or_create_contact(
                    session, name=r.name, email=email, phone=r.phone
                )
        except IntegrityError:
            return customer_service.find_or_create_contact(
                session, name=r.name, email=email, phone=r.phone
            )
    return None


@dataclass
class Opening:
    """A new ticket as its creation starts: checked, built, its first timeline entries made
    (the ``created`` event, the opening message), nothing added to a session yet."""

    ticket: Ticket
    requester: Contact | None
    tags: list[str]
    entries: list[Message | TicketEvent]
    opening_message: Message | None
    contact_message_at: datetime | None  # when the requester wrote the opening message
    plan: _HistoryPlan | None


def open_ticket(session: Session, *, actor: Actor, data: TicketIn, now: datetime) -> Opening:
    """Check a creation and build its ticket and first entries (reads only, except a new
    ``requester`` contact, which is created). Shared by `create_ticket` and the quick path."""
    if not (actor.is_staff or actor.is_contact):
        raise PermissionDenied("this account may not create tickets")
    if data.is_import and not actor.is_admin:
        field = next(f for f in _IMPORT_FIELDS if getattr(data, f) is not None)
        raise PermissionDenied("only an admin may import tickets with history", field=field)
    if actor.is_contact:
        for name in _CONTACT_FORBIDDEN:
            if name in data.model_fields_set and getattr(data, name) not in (None, [], {}):
                raise PermissionDenied(f"a contact may not set {name}", field=name)
    requester = _requester(session, actor, data)
    organization_id = data.organization_id
    if organization_id is None and requester is not None:
        organization_id = requester.organization_id
    check_organization(session, organization_id)
    check_queue(session, data.queue_id)
    check_assignee(session, data.assignee_id)
    check_type(session, data.type)
    if data.external_id is not None:
        existing = repository.ticket_id_by_external_id(session, data.external_id)
        if existing is not None:
            raise Conflict(
                f"external_id {data.external_id!r} was already imported as ticket #{existing}",
                field="external_id",
            )
    opening = clean_body(data.body) if data.body is not None else None
    tags = normalise_tags(data.tags)
    created_at = data.created_at.astimezone(UTC) if data.created_at is not None else now

    ticket = Ticket(
        subject=data.subject,
        external_id=data.external_id,
        status="new",
        priority=data.priority,
        type=data.type,
        channel=data.channel,
        requester_id=requester.id if requester is not None else None,
        organization_id=organization_id,
        queue_id=data.queue_id,
        assignee_id=data.assignee_id,
        custom_fields=dict(data.custom_fields),
        created_at=created_at,
        updated_at=created_at,
        status_changed_at=created_at,
        timeline_count=0,
    )
    plan = None
    if data.is_import:
        plan = _history_plan(session, data, created_at=created_at, now=now)
    elif data.chat_ended_at is not None:
        check_instant(data.chat_ended_at, field="chat_ended_at", now=now)
        ticket.chat_ended_at = data.chat_ended_at
    entries: list[Message | TicketEvent] = [
        new_event(
            ticket,
            actor=actor,
            kind="created",
            at=created_at,
            after={
                "status": "new",
                "priority": ticket.priority,
                "type": ticket.type,
                "channel": ticket.channel,
                "queue_id": ticket.queue_id,
                "assignee_id": ticket.assignee_id,
                "tags": tags,
            },
            detail="imported" if data.is_import else "",
        )
    ]
    message = None
    contact_message_at = None
    if opening is not None:
        if requester is not None:
            message = new_message(
                ticket,
                author_kind="contact",
                author_contact_id=requester.id,
                author_user_id=actor.user_id if actor.is_contact else None,
                body_html=opening[0],
                body_text=opening[1],
                public=True,
                at=created_at,
                channel=ticket.channel,
            )
            ticket.last_contact_message_at = contact_message_at = created_at
        else:
            message = new_message(
                ticket,
                author_kind="agent" if actor.user_id is not None else "system",
                author_user_id=actor.user_id,
                body_html=opening[0],
                body_text=opening[1],
                public=True,
                at=created_at,
                channel=ticket.channel,
            )
        entries.append(message)
    return Opening(ticket, requester, tags, entries, message, contact_message_at, plan)


def create_ticket(session: Session, *, actor: Actor, data: TicketIn, now: datetime) -> Ticket:
    """A new ticket; with history fields (admins only) an imported one that lived that history.

    The opening ``body`` is the requester's message (a contact message when there is a
    requester, else the creating agent's); it never counts as a first response.
    """
    opened = open_ticket(session, actor=actor, data=data, now=now)
    ticket = opened.ticket
    session.add(ticket)
    add_entries(session, ticket, opened.entries)
    if opened.plan is not None:
        _replay_history(session, ticket, actor=actor, plan=opened.plan, requester=opened.requester)
    # its line order and on-call flag go in with the row (no UPDATE after the INSERT)
    routing_service.on_created(session, ticket, now=now)
    # One flush writes the ticket with its timeline (the entries are tied to the new row).
    if data.external_id is None:
        session.flush()
    else:
        try:
            with session.begin_nested():
                session.flush()
        except IntegrityError as exc:  # imported at the same moment by another request
            raise Conflict(
                f"external_id {data.external_id!r} was already imported", field="external_id"
            ) from exc
    repository.set_tags(session, ticket, opened.tags, new=True)
    if not data.is_import:  # its first SLA evaluation needs no reads (nothing stored yet)
        repository.mark_fresh(session, ticket.id, contact_message_at=opened.contact_message_at)
    if ticket.assignee_id is not None and not data.is_import:
        routing_service.on_assignee_changed(
            session, ticket, actor=actor, before=None, after=ticket.assignee_id, now=now
        )
    # An imported ticket keeps updated_at where its history ended.
    _after_change(
        session,
        ticket,
        now,
        touch=not data.is_import,
        event=None if data.is_import else "ticket_created",
    )
    if not data.is_import:
        routing_service.after_change(session, ticket, now=now)
    return ticket


# --- import history -----------------------------------------------------------------------


class _HistoryPlan:
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
    ) -> None:
        self.status = status
        self.resolved_at = resolved_at
        self.closed_at = closed_at
        self.chat_ended_at = chat_ended_at
        self.messages = messages  # (ImportedMessage, safe_html, text)
        self.last_activity = last_activity


def _utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def _history_plan(
    session: Session, data: TicketIn, *, created_at: datetime, now: datetime
) -> _HistoryPlan:
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
        raise ValidationFailed(f"{first.field} {first.message}{more}", field=first.field)
    for index, m in enumerate(messages):
        if m.author == "contact" and m.agent_id is not None:
            raise ValidationFailed(
                "agent_id is only for agent messages", field=f"messages[{index}].agent_id"
            )
    agent_ids = {m.agent_id for m in messages if m.agent_id is not None}
    known = repository.staff_user_ids(session, agent_ids)
    for index, m in enumerate(messages):
        if m.agent_id is not None and m.agent_id not in known:
            raise ValidationFailed(
                f"user {m.agent_id} is not an agent", field=f"messages[{index}].agent_id"
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
    return _HistoryPlan(
        status=status,
        resolved_at=resolved_at,
        closed_at=closed_at,
        chat_ended_at=chat_ended_at,
        messages=cleaned,
        last_activity=last_activity,
    )


def _replay_history(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    plan: _HistoryPlan,
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
                        _set_status(
                            session,
                            ticket,
                            "open",
                            actor=actor,
                            at=at,
                            actor_user_id=m.agent_id,
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


# --- messages -----------------------------------------------------------------------------


def add_message(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    body: str,
    public: bool,
    now: datetime,
    author: str | None = None,
    attachment_ids: Sequence[int] = (),
) -> Message:
    """A public reply (``public=True``) or an internal note (``public=False``).

    Contacts write public messages only. Staff may record a message from the requester
    (``author="contact"``, e.g. a phone call). The first public agent reply sets
    ``first_response_at`` and takes a new ticket into ``open``; a contact message reopens a
    resolved ticket (or one waiting on the customer). A contact's message on a closed ticket opens
    a follow-up ticket and lands there (on a merged ticket it goes to the ticket merged into);
    staff cannot write on a closed ticket (409).
    """
    ticket = _writable(session, actor, ticket_id)
    if actor.is_contact:
        if not public:
            raise PermissionDenied("a contact can only send public messages", field="public")
        kind = "contact"
    elif actor.is_staff:
        kind = author or ("agent" if actor.user_id is not None else "system")
        if kind not in ("agent", "contact", "system"):
            raise ValidationFailed(f"unknown author {kind!r}", field="author")
        if kind == "contact" and not public:
            raise ValidationFailed("a message from the contact is public", field="public")
    else:
        raise NotFound(f"ticket {ticket_id} not found")
    safe_html, text = clean_body(body)
    if kind == "contact":
        hops = 0
        while ticket.merged_into_id is not None and hops < 20:
            target = repository.ticket_by_id(session, ticket.merged_into_id, for_update=True)
            if target is None:
                break
            ticket, hops = target, hops + 1
        if ticket.status == "closed":
            from atende.tickets import links

            follow_up = links.open_follow_up(
                session, actor=actor, source=ticket, subject=None, now=now
            )
            message = _write_message(
                session, follow_up, actor=actor, kind=kind, html=safe_html, text=text,
                public=True, now=now,
            )  # fmt: skip
            _bind_attachments(session, actor, ticket.id, message, attachment_ids)
            _after_change(session, follow_up, now, event="message_received", message=message)
            return message
    _ensure_not_closed(ticket)
    message = _write_message(
        session, ticket, actor=actor, kind=kind, html=safe_html, text=text, public=public, now=now
    )
    _bind_attachments(session, actor, ticket.id, message, attachment_ids)
    event = None
    if kind == "contact":
        event = "message_received"
    elif public and kind == "agent":
        event = "message_sent"
    _after_change(session, ticket, now, event=event, message=message)
    return message


def _write_message(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    kind: str,
    html: str,
    text: str,
    public: bool,
    now: datetime,
) -> Message:
    if kind == "contact":
        contact_id = actor.contact_id if actor.is_contact else ticket.requester_id
        message = record_message(
            session,
            ticket,
            author_kind="contact",
            author_contact_id=contact_id,
            author_user_id=actor.user_id if actor.is_contact else None,
            body_html=html,
            body_text=text,
            public=True,
            at=now,
            channel=ticket.channel,
        )
        ticket.last_contact_message_at = now
        target = lifecycle.status_after_contact_message(ticket.status)
        _set_status(session, ticket, target, actor=actor, at=now, detail="the contact replied")
        return message
    message = record_message(
        session,
        ticket,
        author_kind=kind,
        author_user_id=actor.user_id,
        body_html=html,
        body_text=text,
        public=public,
        at=now,
        channel=ticket.channel if public else None,
    )
    if public and kind == "agent":
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        target = lifecycle.status_after_agent_reply(ticket.status)
        _set_status(session, ticket, target, actor=actor, at=now, detail="first public reply")
    return message


def _bind_attachments(
    session: Session,
    actor: Actor,
    ticket_id: int,
    message: Message,
    attachment_ids: Sequence[int],
) -> None:
    """Tie uploaded attachments to ``message``.

    Only attachments the author may already read can be bound (a contact: public ones), and
    binding never changes an attachment's visibility: an internal attachment on a public message,
    or a public one on an internal note, is refused (upload it with the message's visibility).
    An id the author may not read is refused exactly like a missing one.
    """
    if not attachment_ids:
        return
    session.flush()
    found = repository.attachments_for_message(
        session, ticket_id, attachment_ids, public_only=not actor.is_staff
    )
    missing = sorted(set(attachment_ids) - {a.id for a in found})
    if missing:
        raise ValidationFailed(
            f"attachments {missing} are not unbound attachments of this ticket",
            field="attachment_ids",
        )
    wrong = sorted(a.id for a in found if a.public != message.public)
    if wrong:
        if message.public:
            detail = f"attachments {wrong} are internal and cannot go on a public message"
        else:
            detail = f"attachments {wrong} are public and cannot go on an internal note"
        raise ValidationFailed(detail, field="attachment_ids")
    for attachment in found:
        attachment.message_id = message.id
        attachment.ticket_id = message.ticket_id


# --- changes ------------------------------------------------------------------------------


def update_ticket(
    session: Session, *, actor: Actor, ticket_id: int, changes: dict[str, Any], now: datetime
) -> Ticket:
    """Change status, priority, type, queue_id, assignee_id, tags (and subject, organization_id,
    custom_fields, chat_ended_at). All is checked before anything changes; each change writes its
    event. A queue change with a ``reason`` also writes it as an internal note. A contact may only
    reopen a resolved ticket (``status: open``)."""
    ticket = _writable(session, actor, ticket_id)
    unknown = sorted(set(changes) - PATCH_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown field {unknown[0]!r}", field=unknown[0])
    for name in ("subject", "status", "priority", "tags", "custom_fields"):
        if name in changes and changes[name] is None:
            raise ValidationFailed(f"{name} cannot be null", field=name)
    reason = changes.get("reason")
    current_tags = repository.tags_by_ticket(session, [ticket.id])[ticket.id]
    wanted = {k: v for k, v in changes.items() if k != "reason"}
    if "tags" in wanted:
        wanted["tags"] = normalise_tags(wanted["tags"])
    effective = {
        k: v
        for k, v in wanted.items()
        if (current_tags if k == "tags" else getattr(ticket, k)) != v
    }
    if actor.is_contact:
        for name, value in effective.items():
            if name != "status" or value != "open" or ticket.status != "resolved":
                raise PermissionDenied(
                    "a contact may only reopen a resolved ticket (status: open)", field=name
                )
    elif not actor.is_staff:
        raise NotFound(f"ticket {ticket_id} not found")
    if not effective:
        return ticket
    _ensure_not_closed(ticket)
    if "status" in effective:
        lifecycle.ensure_transition(ticket.status, effective["status"])
    if "type" in effective:
        check_type(session, effective["type"])
    if "queue_id" in effective:
        check_queue(session, effective["queue_id"])
    if "assignee_id" in effective:
        check_assignee(session, effective["assignee_id"])
    if "organization_id" in effective:
        check_organization(session, effective["organization_id"])
    if "chat_ended_at" in effective:
        check_instant(effective["chat_ended_at"], field="chat_ended_at", now=now)

    simple = {
        "subject": "subject",
        "priority": "priority",
        "type": "type",
        "assignee_id": "assignee",
        "organization_id": "organization",
        "custom_fields": "custom_fields",
        "chat_ended_at": "chat_ended",
    }
    freed: list[int] = []
    for name, kind in simple.items():
        if name in effective:
            before = getattr(ticket, name)
            after = effective[name]
            if name == "assignee_id":
                routing_service.on_assignee_changed(
                    session, ticket, actor=actor, before=before, after=after, now=now
                )
                if before is not None:
                    freed.append(before)
            setattr(ticket, name, after)
            if name == "organization_id":
                routing_service.on_organization_changed(session, ticket)
            record_event(
                session,
                ticket,
                actor=actor,
                kind=kind,
                at=now,
                before=before.isoformat() if isinstance(before, datetime) else before,
                after=after.isoformat() if isinstance(after, datetime) else after,
            )
    if "queue_id" in effective:
        _move_to_queue(session, ticket, actor=actor, queue_id=effective["queue_id"], reason=reason,
                       now=now)  # fmt: skip
    if "tags" in effective:
        repository.set_tags(session, ticket, effective["tags"])
        record_event(
            session, ticket, actor=actor, kind="tags", at=now, before=current_tags,
            after=effective["tags"],
        )  # fmt: skip
    if "status" in effective:
        _set_status(session, ticket, effective["status"], actor=actor, at=now, detail=reason or "")
        if ticket.status in ("resolved", "closed") and ticket.assignee_id is not None:
            freed.append(ticket.assignee_id)
    _after_change(session, ticket, now, event="ticket_updated")
    routing_service.after_change(session, ticket, now=now, freed_user_ids=freed)
    return ticket


def _move_to_queue(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    queue_id: int | None,
    reason: str | None,
    now: datetime,
) -> None:
    before = ticket.queue_id
    ticket.queue_id = queue_id
    routing_service.on_queue_changed(ticket, now=now)
    record_event(
        session, ticket, actor=actor, kind="queue", at=now, before=before, after=queue_id,
        detail=reason or "",
    )  # fmt: skip
    if reason:
        html, text = clean_body(reason, field="reason")
        record_message(
            session,
            ticket,
            author_kind="agent" if actor.user_id is not None else "system",
            author_user_id=actor.user_id,
            body_html=html,
            body_text=text,
            public=False,
            at=now,
        )


def transfer(
    session: Session,
    *,
    actor: Actor,
    ticket_id: int,
    queue_id: int,
    reason: str,
    now: datetime,
    assignee_id: int | None = None,
) -> Ticket:
    """Send the ticket to another queue; the reason (required) becomes an internal note."""
    _ensure_staff(actor, "transfer tickets")
    if not reason or not reason.strip():
        raise ValidationFailed("a transfer needs a reason", field="reason")
    ticket = _writable(session, actor, ticket_id)
    _ensure_not_closed(ticket)
    check_queue(session, queue_id)
    check_assignee(session, assignee_id)
    if queue_id == ticket.queue_id:
        raise ValidationFailed(f"the ticket is already in queue {queue_id}", field="queue_id")
    freed: list[int] = []
    _move_to_queue(session, ticket, actor=actor, queue_id=queue_id, reason=reason, now=now)
    if assignee_id != ticket.assignee_id:
        before = ticket.assignee_id
        routing_service.on_assignee_changed(
            session, ticket, actor=actor, before=None, after=assignee_id, now=now
        )
        if before is not None:
            freed.append(before)
        ticket.assignee_id = assignee_id
        record_event(
            session, ticket, actor=actor, kind="assignee", at=now, before=before, after=assignee_id
        )
    if actor.user_id is not None:  # the transferring agent follows the case to its resolution
        routing_service.follow(
            session, ticket, user_id=actor.user_id, reason=f"transferred: {reason}"[:200], now=now
        )
    _after_change(session, ticket, now, event="ticket_updated")
    routing_service.after_change(session, ticket, now=now, freed_user_ids=freed)
    return ticket


def assign(
    session: Session, *, actor: Actor, ticket_id: int, assignee_id: int | None, now: datetime
) -> Ticket:
    _ensure_staff(actor, "assign tickets")
    return update_ticket(
        session, actor=actor, ticket_id=ticket_id, changes={"assignee_id": assignee_id}, now=now
    )


# --- ticket types -------------------------------------------------------------------------


def list_ticket_types(session: Session, *, actor: Actor) -> list[TicketType]:
    """The configured types, plus the built-in ones not configured (as unsaved rows, id 0)."""
    _ensure_staff(actor, "list ticket types")
    rows = list(repository.ticket_types(session))
    names = {t.name for t in rows}
    builtin = [TicketType(id=0, name=n, label=n, active=True) for n in DEFAULT_TYPES]
    return sorted(rows + [t for t in builtin if t.name not in names], key=lambda t: t.name)


def create_ticket_type(session: Session, *, actor: Actor, data: dict[str, Any]) -> TicketType:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may configure ticket types")
    if repository.ticket_type_by_name(session, data["name"]) is not None:
        raise Conflict(f"ticket type {data['name']!r} already exists", field="name")
    row = TicketType(**data)
    session.add(row)
    session.flush()
    return row


def update_ticket_type(
    session: Session, *, actor: Actor, type_id: int, changes: dict[str, Any]
) -> TicketType:
    if not actor.is_admin:
        raise PermissionDenied("only an admin may configure ticket types")
    row = repository.ticket_type(session, type_id)
    if row is None:
        raise NotFound(f"ticket type {type_id} not found")
    for key, value in changes.items():
        if value is None:
            raise ValidationFailed(f"{key} cannot be null", field=key)
        setattr(row, key, value)
    session.flush()
    return row
