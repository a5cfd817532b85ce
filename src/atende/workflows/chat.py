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

from sqlalchemy.orm import Session

from atende.auth import access
from atende.auth.actor import SYSTEM, Actor
from atende.chat import repository as chat_repository
from atende.chat import service
from atende.chat.models import Chat, ChatVisitor, ChatWidget
from atende.domain.errors import DomainError, NotFound, PermissionDenied
from atende.jobs import outbox
from atende.tickets import repository as ticket_repository
from atende.tickets.commands import change
from atende.tickets.models import Message
from atende.workflows import bot
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


def _turn(
    session: Session, settler: Settler, chat: Chat, widget: ChatWidget, now: datetime
) -> bot.Turn:
    return bot.Turn(
        session=session, settler=settler, ticket_id=chat.ticket_id,
        say=lambda text, _choices: _say(session, settler, chat, text, now),
        fallback_queue_id=widget.queue_id,
        notify_key=f"chat_waiting:{chat.id}:{chat.started_at.isoformat()}", now=now,
    )  # fmt: skip


def _run_bot(
    session: Session,
    settler: Settler,
    chat: Chat,
    widget: ChatWidget,
    now: datetime,
    *,
    text: str | None,
) -> None:
    """The bot's turn on the widget (``workflows/bot.py``: the one driver of the engine); the
    widget shows a menu as its numbered text."""
    bot.run(_turn(session, settler, chat, widget, now), chat, text=text)


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
