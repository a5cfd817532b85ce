"""Chat use cases as the edges call them (docs/chat.md): the chat area's command, the
front-door bot's step when the chat is with the bot, the tickets commands it leads to, then
the settle loop. One transaction; the edge commits.

The bot (``domain/chatbot.py``) answers as the system (its messages are never an agent's
reply, so they never count as a first response) and routes by transferring the ticket to a
queue. A bot that fails hands the chat to the flow's default queue (else the widget's) with an
internal note saying why.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.auth import access
from atende.auth.actor import SYSTEM, Actor
from atende.chat import guidance, service
from atende.chat import repository as chat_repository
from atende.chat.models import Chat, ChatVisitor, ChatWidget
from atende.domain import chatbot
from atende.domain.errors import DomainError, NotFound, PermissionDenied
from atende.i18n import DEFAULT_TIMEZONE, notice
from atende.jobs import outbox
from atende.notifications import repository as notify_repository
from atende.notifications import service as notify_service
from atende.tickets import repository as ticket_repository
from atende.tickets.commands import change
from atende.tickets.commands import message as messages
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket
from atende.workflows.settle import Settler

log = logging.getLogger("atende.chat")

TYPING_EVERY_SECONDS = 3  # a side's typing signal is written at most this often
_typing_seen: dict[tuple[int, str, str], datetime] = {}  # per process: a throttle, not a record


def start(
    session: Session,
    *,
    widget: ChatWidget,
    visitor: ChatVisitor,
    name: str,
    email: str | None,
    phone: str | None,
    subject: str | None,
    now: datetime,
    limits: service.Limits = service.Limits(),
) -> Chat:
    """A visitor starts a chat (or finds the one still going on)."""
    flow = None
    if widget.bot_flow_key:
        flow = chat_repository.published_flow(session, widget.bot_flow_key)
    chat, changes = service.start_chat(
        session,
        widget=widget,
        visitor=visitor,
        name=name,
        email=email,
        phone=phone,
        subject=subject,
        bot=flow is not None,
        now=now,
        limits=limits,
    )
    if not changes:
        return chat
    settler = Settler(session, now=now)
    settler(changes)
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    if widget.greeting:
        _say(session, settler, chat, widget.greeting, now)
    if flow is not None:
        chat.bot_flow_id = flow.id
        _run_bot(session, settler, chat, widget, now, text=None)
    settler.stream.chat("chat_state", ticket, state=chat.state)
    return chat


def visitor_says(
    session: Session,
    *,
    widget: ChatWidget,
    visitor: ChatVisitor,
    body: str,
    client_id: str,
    attachment_ids: list[int],
    now: datetime,
) -> tuple[Message, bool]:
    """The visitor's message (once per client id); the bot answers while the chat is its."""
    actor = service.visitor_actor(session, visitor)
    chat = service.visitor_chat(session, visitor, for_update=True)
    message, created, changes = service.visitor_message(
        session,
        chat=chat,
        actor=actor,
        body=body,
        client_id=client_id,
        attachment_ids=attachment_ids,
        now=now,
    )
    if not created:
        return message, False
    settler = Settler(session, now=now)
    settler(changes)
    if chat.state == "bot":
        before = chat.state
        _run_bot(session, settler, chat, widget, now, text=message.body_text or "")
        if chat.state != before:
            ticket = chat_repository.ticket(session, chat.ticket_id)
            assert ticket is not None
            settler.stream.chat("chat_state", ticket, state=chat.state)
    return message, True


def _say(session: Session, settler: Settler, chat: Chat, text: str, now: datetime) -> None:
    _, changes = service.bot_say(session, chat=chat, text=text, now=now)
    settler(changes)


def _run_bot(
    session: Session,
    settler: Settler,
    chat: Chat,
    widget: ChatWidget,
    now: datetime,
    *,
    text: str | None,
) -> None:
    flow_row = chat_repository.flow(session, chat.bot_flow_id) if chat.bot_flow_id else None
    if flow_row is None:
        chat.state = "waiting"
        return
    flow = flow_row.definition
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    plan = None
    if ticket.requester_id is not None:
        plan = chat_repository.plan_of_contact(session, ticket.requester_id)
    facts = chatbot.Facts(plan=plan)
    try:
        with session.begin_nested():
            if text is None:
                outcome = chatbot.start(flow, facts)
            else:
                state = chatbot.State(chat.bot_node, chat.bot_retries, dict(chat.bot_vars or {}))
                outcome = chatbot.step(flow, state, text, facts)
            for reply in outcome.replies:
                _say(session, settler, chat, reply, now)
            chat.bot_node = outcome.state.node
            chat.bot_retries = outcome.state.retries
            chat.bot_vars = dict(outcome.state.vars)
            if outcome.route is not None:
                _hand_off(session, settler, chat, widget, outcome.route, now)
    except Exception as exc:  # a bot error never strands the visitor: a person takes over
        log.exception("chat %s: the bot failed; handing over", chat.id)
        _bot_failed(session, settler, chat, widget, flow, now, reason=str(exc)[:200])


def _hand_off(
    session: Session,
    settler: Settler,
    chat: Chat,
    widget: ChatWidget,
    route: chatbot.Route,
    now: datetime,
) -> None:
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    queue = chat_repository.queue_by_name(session, route.queue)
    if queue is None:
        raise NotFound(
            "the bot routes to a queue that does not exist: {queue!r}", queue=route.queue
        )
    reason = "Assistente virtual: " + (route.reason or f"encaminhado para {queue.name}")
    if route.intake:
        vars_ = dict(chat.bot_vars or {})
        fields = {
            "nao_cliente": True,
            "segmento": vars_.get("segment", ""),
            "solicitacao": vars_.get("purpose", "comercial"),
        }
        changes: list[Changed]
        _, changes = change.update_ticket(
            session,
            actor=SYSTEM,
            ticket_id=ticket.id,
            changes={"custom_fields": {**(ticket.custom_fields or {}), **fields}},
            now=now,
        )
        settler(changes)
        lines = [f"{k}: {v}" for k, v in sorted(vars_.items())]
        note = "Dados coletados pelo assistente virtual:\n" + "\n".join(lines)
        _, changes = messages.add_message(
            session, actor=SYSTEM, ticket_id=ticket.id, body=note, public=False, now=now
        )
        settler(changes)
    chat.state = "waiting"
    chat.bot_node = None
    if ticket.queue_id != queue.id:
        _, changes = change.transfer(
            session, actor=SYSTEM, ticket_id=ticket.id, queue_id=queue.id, reason=reason, now=now
        )
        settler(changes)
    elif ticket.assignee_id is None:
        settler.dispatch([queue.id])  # an auto-assign queue hands the chat out now
    _announce(session, settler, chat, ticket, now)


def _announce(
    session: Session, settler: Settler, chat: Chat, ticket: Ticket, now: datetime
) -> None:
    """A chat reaches the team: the delinquency guidance as an internal note (seed 004), and,
    while nobody has it, a notification to each member of its queue."""
    today = now.astimezone(ZoneInfo(DEFAULT_TIMEZONE)).date()  # billing days are the team's
    guide = guidance.for_ticket(session, ticket, today=today)
    if guide is not None:
        _, changes = messages.add_message(
            session, actor=SYSTEM, ticket_id=ticket.id, body=guide.note(), public=False, now=now
        )
        settler(changes)
    if ticket.assignee_id is not None or ticket.queue_id is None:
        return  # the assignee is told by the assignment
    queue = chat_repository.queue_by_id(session, ticket.queue_id)
    members = notify_repository.active_staff(
        session, chat_repository.queue_member_ids(session, ticket.queue_id)
    )
    notify_service.notify(
        session, users=members, kind="chat_waiting",
        key=f"chat_waiting:{chat.id}:{chat.started_at.isoformat()}",
        text=notice(
            "A chat waits in {queue}: #{number} {subject}",
            queue=queue.name if queue is not None else "—", number=ticket.number,
            subject=ticket.subject,
        ),
        ticket_id=ticket.id, now=now,
    )  # fmt: skip


def _bot_failed(
    session: Session,
    settler: Settler,
    chat: Chat,
    widget: ChatWidget,
    flow: dict[str, Any],
    now: datetime,
    *,
    reason: str,
) -> None:
    chat.state = "waiting"
    chat.bot_node = None
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    note = f"O assistente virtual falhou ({reason}); o chat foi passado para a fila padrão."
    _, changes = messages.add_message(
        session, actor=SYSTEM, ticket_id=ticket.id, body=note, public=False, now=now
    )
    settler(changes)
    default = flow.get("default_queue") if isinstance(flow, dict) else None
    queue = chat_repository.queue_by_name(session, default) if isinstance(default, str) else None
    queue_id = queue.id if queue is not None else widget.queue_id
    if queue_id is not None and ticket.queue_id != queue_id:
        _, changes = change.transfer(
            session,
            actor=SYSTEM,
            ticket_id=ticket.id,
            queue_id=queue_id,
            reason="Falha do assistente virtual",
            now=now,
        )
        settler(changes)
    _announce(session, settler, chat, ticket, now)


# --- signals: typing, read marks -----------------------------------------------------------


def typing(session: Session, *, chat: Chat, side: str, name: str, now: datetime) -> bool:
    """Someone types: a ``chat_typing`` event, at most once per side every few seconds
    (False: throttled)."""
    key = (chat.id, chat.started_at.isoformat(), side)
    last = _typing_seen.get(key)
    if chat.state == "ended" or (
        last is not None and (now - last).total_seconds() < TYPING_EVERY_SECONDS
    ):
        return False
    if len(_typing_seen) > 10_000:
        _typing_seen.clear()
    _typing_seen[key] = now
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    Settler(session, now=now).stream.chat("chat_typing", ticket, side=side, name=name)
    return True


def read(session: Session, *, chat: Chat, side: str, message_id: int, now: datetime) -> bool:
    """The visitor (or the agents) read up to ``message_id``: a ``chat_read`` event."""
    if not service.mark_read(chat, by_visitor=side == "visitor", message_id=message_id):
        return False
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    Settler(session, now=now).stream.chat("chat_read", ticket, side=side, message_id=message_id)
    return True


# --- the agent's side ----------------------------------------------------------------------


def staff_chat(session: Session, actor: Actor, ticket_id: int) -> Chat:
    """The chat of a ticket ``actor`` (staff: 403 otherwise) may read, locked (404 otherwise)."""
    access.ensure_staff(actor)
    if ticket_repository.get_readable(session, actor, ticket_id) is None:
        raise NotFound("chat of ticket {ticket_id} not found", ticket_id=ticket_id)
    from_ticket = chat_repository.chat_of_ticket(session, ticket_id, for_update=True)
    if from_ticket is None:
        raise NotFound("ticket {ticket_id} is not a chat", ticket_id=ticket_id)
    return from_ticket


def take(session: Session, *, actor: Actor, ticket_id: int, now: datetime) -> Chat:
    """An agent takes a waiting chat (assigned to them; the bot, if still talking, stops)."""
    if actor.user_id is None or not actor.is_staff:
        raise PermissionDenied("only an agent takes a chat")
    _, changes = change.assign(
        session, actor=actor, ticket_id=ticket_id, assignee_id=actor.user_id, now=now
    )
    chat = staff_chat(session, actor, ticket_id)
    settler = Settler(session, now=now)
    settler(changes)
    ticket = chat_repository.ticket(session, ticket_id)
    assert ticket is not None
    settler.stream.chat("chat_state", ticket, state=chat.state)
    return chat


def transfer(
    session: Session, *, actor: Actor, ticket_id: int, queue_id: int, reason: str, now: datetime
) -> Chat:
    """Pass the chat to another queue, with the reason (an internal note); it waits there."""
    _, changes = change.transfer(
        session, actor=actor, ticket_id=ticket_id, queue_id=queue_id, reason=reason, now=now
    )
    chat = staff_chat(session, actor, ticket_id)
    settler = Settler(session, now=now)
    settler(changes)
    if chat.state != "ended":
        chat.state = "waiting"
        chat.bot_node = None
    ticket = chat_repository.ticket(session, ticket_id)
    assert ticket is not None
    settler.stream.chat("chat_state", ticket, state=chat.state)
    return chat


def end(
    session: Session,
    *,
    actor: Actor,
    chat: Chat,
    by: str,
    now: datetime,
    send_transcript: bool = False,
) -> Chat:
    """End the chat: by an agent, by the visitor or by the inactivity sweep. The ticket's
    ``chat_ended_at`` is set (its resolution clock may start then: seed 000); with
    ``send_transcript`` the transcript goes to the visitor's e-mail after commit (outbox)."""
    if not service.end(chat, by=by, now=now):
        return chat
    who = actor if by == "agent" else SYSTEM
    _, changes = change.update_ticket(
        session, actor=who, ticket_id=chat.ticket_id, changes={"chat_ended_at": now}, now=now
    )
    settler = Settler(session, now=now)
    settler(changes)
    ticket = chat_repository.ticket(session, chat.ticket_id)
    assert ticket is not None
    settler.stream.chat("chat_state", ticket, state="ended", ended_by=by)
    if send_transcript:
        mail = service.transcript_mail(session, chat)
        if mail is not None:
            outbox.enqueue(
                session,
                "notify.email",
                idempotency_key=f"chat-transcript:{chat.id}",
                ticket_id=ticket.id,
                **mail,
            )
    return chat


def end_by_agent(
    session: Session, *, actor: Actor, ticket_id: int, send_transcript: bool, now: datetime
) -> Chat:
    chat = staff_chat(session, actor, ticket_id)
    return end(
        session, actor=actor, chat=chat, by="agent", now=now, send_transcript=send_transcript
    )


def end_idle(session: Session, *, chat_id: int, now: datetime) -> bool:
    """The worker's sweep: a chat idle past its widget's time ends (by ``timeout``)."""
    chat = chat_repository.chat(session, chat_id, for_update=True)
    if chat is None or chat.state == "ended":
        return False
    try:
        end(session, actor=SYSTEM, chat=chat, by="timeout", now=now)
    except DomainError:
        log.exception("chat %s: could not end it after inactivity", chat_id)
        return False
    return True
