"""The chat area's commands: widgets (admins, audited), visitors and their signed sessions,
chats and their messages. Commands change rows and return what the settle loop must hear
(``tickets.events.Changed``); ``workflows/chat.py`` calls them and settles.

A visitor is a browser that keeps a random token (the iframe's ``localStorage``); the server
keeps only its SHA-256 and hands back a session signed with the secret key (``itsdangerous``),
which every visitor request carries. A visitor acts on their own chats only, as a contact
actor without an organization (so a visitor's session never reads another ticket).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from atende.audit import record as audit
from atende.auth import access
from atende.auth.actor import SYSTEM, Actor
from atende.calendars import service as calendar_service
from atende.chat import repository
from atende.chat.models import BotRun, Chat, ChatVisitor, ChatWidget
from atende.customers import service as customer_service
from atende.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from atende.i18n import N_
from atende.tickets import repository as ticket_repository
from atende.tickets.commands import create
from atende.tickets.commands import message as messages
from atende.tickets.events import Changed
from atende.tickets.models import Message, Ticket
from atende.tickets.schemas import TicketIn
from atende.tickets.timeline import record_event

SESSION_SALT = "atende.chat.visitor"
SESSION_MAX_AGE = 30 * 24 * 3600  # a visitor's signed session lasts 30 days
BOT = Actor(user_id=None, role="system", name="Assistente virtual")
OTHER_BOT_CHANNELS = ("whatsapp", "telegram")  # where the bot runs besides the widget
WIDGET_FIELDS = (
    "name",
    "color",
    "text_color",
    "greeting",
    "calendar_id",
    "queue_id",
    "allowed_origins",
    "prechat",
    "bot_flow_key",
    "inactivity_minutes",
    "active",
)


class SessionInvalid(DomainError):
    status = 401
    code = "chat_session_invalid"


# --- widgets (admins) -------------------------------------------------------------------------


def _check_widget(session: Session, values: dict[str, Any]) -> None:
    if values.get("calendar_id") is not None and not calendar_service.calendar_exists(
        session, values["calendar_id"]
    ):
        raise ValidationFailed(
            "calendar {calendar_id} does not exist",
            field="calendar_id",
            calendar_id=values["calendar_id"],
        )
    if (
        values.get("queue_id") is not None
        and ticket_repository.queue(session, values["queue_id"]) is None
    ):
        raise ValidationFailed(
            "queue {queue_id} does not exist", field="queue_id", queue_id=values["queue_id"]
        )
    key = values.get("bot_flow_key")
    if key and repository.published_flow(session, key) is None:
        raise ValidationFailed("no published bot flow {key!r}", field="bot_flow_key", key=key)


def create_widget(
    session: Session, *, actor: Actor, data: dict[str, Any], now: datetime
) -> ChatWidget:
    access.ensure_admin(actor)
    _check_widget(session, data)
    widget = ChatWidget(key=secrets.token_urlsafe(12), created_at=now, updated_at=now)
    for name in WIDGET_FIELDS:
        if name in data:
            setattr(widget, name, data[name])
    session.add(widget)
    session.flush()
    audit.created(session, actor, widget, at=now)
    return widget


def update_widget(
    session: Session, *, actor: Actor, widget_id: int, changes: dict[str, Any], now: datetime
) -> ChatWidget:
    widget = get_widget(session, actor=actor, widget_id=widget_id)
    for name in (
        "name",
        "color",
        "text_color",
        "prechat",
        "allowed_origins",
        "active",
        "inactivity_minutes",
        "greeting",
    ):
        if name in changes and changes[name] is None:
            raise ValidationFailed("{name} cannot be null", field=name, name=name)
    _check_widget(session, changes)
    before = audit.snapshot(widget)
    for name in WIDGET_FIELDS:
        if name in changes:
            setattr(widget, name, changes[name])
    widget.updated_at = now
    session.flush()
    audit.updated(session, actor, widget, before, at=now)
    return widget


def get_widget(session: Session, *, actor: Actor, widget_id: int) -> ChatWidget:
    access.ensure_admin(actor)
    widget = repository.widget(session, widget_id)
    if widget is None:
        raise NotFound("chat widget {widget_id} not found", widget_id=widget_id)
    return widget


def list_widgets(session: Session, *, actor: Actor) -> list[ChatWidget]:
    access.ensure_admin(actor)
    return list(repository.widgets(session))


def public_widget(session: Session, key: str) -> ChatWidget:
    """The active widget of a ``data-widget`` key (404 otherwise, for anyone)."""
    widget = repository.widget_by_key(session, key[:40])
    if widget is None or not widget.active:
        raise NotFound("chat widget not found")
    return widget


def hours(session: Session, widget: ChatWidget, now: datetime) -> tuple[bool, datetime | None]:
    """Whether the team is in (the widget's calendar), and when it is back if not."""
    if widget.calendar_id is None:
        return True, None
    cal = calendar_service.business_calendar_by_id(session, widget.calendar_id)
    if cal is None or cal.is_open(now):
        return True, None
    try:
        return False, cal.next_open(now)
    except DomainError:
        return False, None


def origin_allowed(widget: ChatWidget, origin: str | None) -> bool:
    """An embedding page's origin the widget accepts (none listed: any)."""
    allowed = [o.rstrip("/").lower() for o in widget.allowed_origins or []]
    if not allowed:
        return True
    return origin is not None and origin.rstrip("/").lower() in allowed


# --- visitors ---------------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=SESSION_SALT)


@dataclass(frozen=True)
class Limits:
    """How much one client may start (settings ``ATENDE_CHAT_*``): new visitors per client
    address, and chats per visitor, within ``window_seconds``."""

    new_visitors_per_address: int = 120
    starts_per_visitor: int = 10
    window_seconds: int = 600


def _over(count: int, limit: int, window: int, message: str) -> None:
    if count >= limit:
        raise TooManyRequests(message, retry_after=window, minutes=max(1, window // 60))


def open_session(
    session: Session,
    *,
    widget: ChatWidget,
    token: str,
    secret_key: str,
    now: datetime,
    address: str | None = None,
    limits: Limits = Limits(),
) -> tuple[ChatVisitor, str]:
    """The visitor of ``token`` (made on first use: at most ``limits.new_visitors_per_address``
    new ones per client address in the window, then 429) and a signed session for them."""
    digest = _hash(token)
    visitor = repository.visitor_by_token_hash(session, digest)
    if visitor is not None and visitor.widget_id != widget.id:
        raise NotFound("chat widget not found")  # a token belongs to one widget
    if visitor is None:
        if address:
            since = now - timedelta(seconds=limits.window_seconds)
            _over(
                repository.new_visitors_from(session, address, since=since),
                limits.new_visitors_per_address, limits.window_seconds,
                N_("too many new chats from your address; try again in {minutes} minutes"),
            )  # fmt: skip
        visitor = ChatVisitor(
            widget_id=widget.id, token_hash=digest, created_at=now, last_seen_at=now,
            created_from=(address or None) and address[:64],
        )  # fmt: skip
        try:
            with session.begin_nested():
                session.add(visitor)
                session.flush()
        except IntegrityError:  # the same token at the same moment
            visitor = repository.visitor_by_token_hash(session, digest)
            if visitor is None:
                raise
    else:
        visitor.last_seen_at = now
    signed = _serializer(secret_key).dumps({"v": visitor.id, "w": widget.id})
    return visitor, signed


def visitor_of_session(
    session: Session, *, widget: ChatWidget, signed: str, secret_key: str
) -> ChatVisitor:
    """The visitor a signed session names (401 when it is forged, expired or another
    widget's)."""
    try:
        data = _serializer(secret_key).loads(signed[:500], max_age=SESSION_MAX_AGE)
    except SignatureExpired as exc:
        raise SessionInvalid("the chat session expired: start it again") from exc
    except BadSignature as exc:
        raise SessionInvalid("the chat session is not valid: start it again") from exc
    if not isinstance(data, dict) or data.get("w") != widget.id:
        raise SessionInvalid("the chat session is not valid for this widget")
    visitor = repository.visitor(session, int(data.get("v") or 0))
    if visitor is None:
        raise SessionInvalid("the chat session is not valid: start it again")
    return visitor


def visitor_actor(session: Session, visitor: ChatVisitor) -> Actor:
    """A visitor acts as their contact, without an organization: only their own tickets."""
    if visitor.contact_id is None:
        raise Conflict("start a chat first (name and e-mail or phone)")
    contact = repository.contact(session, visitor.contact_id)
    name = contact.name if contact is not None else "Visitante"
    return Actor(user_id=None, role="contact", name=name, contact_id=visitor.contact_id)


# --- chats ------------------------------------------------------------------------------------


def current_chat(session: Session, visitor: ChatVisitor) -> Chat | None:
    """The visitor's last chat (ended or not): what a returning visitor sees."""
    return repository.last_chat_of_visitor(session, visitor.id)


def visitor_chat(session: Session, visitor: ChatVisitor, *, for_update: bool = False) -> Chat:
    chat = repository.last_chat_of_visitor(session, visitor.id, for_update=for_update)
    if chat is None:
        raise NotFound("no chat yet: start one")
    return chat


def start_chat(
    session: Session,
    *,
    widget: ChatWidget,
    visitor: ChatVisitor,
    name: str,
    email: str | None,
    phone: str | None,
    subject: str | None,
    bot: bool,
    now: datetime,
    limits: Limits = Limits(),
) -> tuple[Chat, list[Changed]]:
    """A new chat and its ticket (channel ``chat``), linked to the contact's other open
    tickets; the visitor's chat still going on when they start again is returned as it is.
    A visitor starts at most ``limits.starts_per_visitor`` chats in the window (then 429)."""
    existing = repository.last_chat_of_visitor(session, visitor.id)
    if existing is not None and existing.state != "ended":
        return existing, []
    since = now - timedelta(seconds=limits.window_seconds)
    _over(
        repository.chats_started_by(session, visitor.id, since=since),
        limits.starts_per_visitor, limits.window_seconds,
        N_("too many chats started from this browser; try again in {minutes} minutes"),
    )  # fmt: skip
    if widget.prechat == "email" and not email:
        raise ValidationFailed("this chat asks for your e-mail", field="email")
    if widget.prechat == "phone" and not phone:
        raise ValidationFailed("this chat asks for your phone", field="phone")
    if not email and not phone:
        raise ValidationFailed("give an e-mail or a phone", field="email")
    contact = customer_service.find_or_create_contact(session, name=name, email=email, phone=phone)
    visitor.contact_id = contact.id
    data = TicketIn(
        subject=(subject or f"Chat com {name}")[:200],
        channel="chat",
        contact_id=contact.id,
        queue_id=widget.queue_id,
        tags=["chat"],
    )
    ticket, changes = create.create_ticket(session, actor=SYSTEM, data=data, now=now)
    if bot:  # nobody is handed a chat the bot is still sorting (the hand-off dispatches)
        changes = [replace(c, dispatch=False) for c in changes]
    related = repository.open_tickets_of_contact(session, contact.id, besides=ticket.id)
    chat = Chat(
        ticket_id=ticket.id,
        widget_id=widget.id,
        visitor_id=visitor.id,
        state="bot" if bot else "waiting",
        started_at=now,
        last_activity_at=now,
        related_ticket_ids=related,
        bot_vars={},
        ended_by="",
        bot_retries=0,
    )
    session.add(chat)
    detail = f"Chat iniciado pelo widget {widget.name}"
    if related:
        detail += "; outros tickets abertos do contato: " + ", ".join(f"#{t}" for t in related)
    record_event(
        session,
        ticket,
        actor=SYSTEM,
        kind="chat_started",
        at=now,
        after={"widget_id": widget.id, "related": related},
        detail=detail,
        public=False,
    )
    session.flush()
    return chat, changes


def visitor_message(
    session: Session,
    *,
    chat: Chat,
    actor: Actor,
    body: str,
    client_id: str,
    attachment_ids: list[int],
    now: datetime,
) -> tuple[Message, bool, list[Changed]]:
    """The visitor's message, once per ``client_id`` (a retry answers the first one; second
    value False). A message on an ended chat is refused: start a new one."""
    found = repository.client_message(session, chat.id, client_id)
    if found is not None:
        return found, False, []
    if chat.state == "ended":
        raise Conflict("this chat has ended: start a new one", field="body")
    message, changes = messages.add_message(
        session,
        actor=actor,
        ticket_id=chat.ticket_id,
        body=body,
        public=True,
        now=now,
        attachment_ids=attachment_ids,
    )
    try:
        with session.begin_nested():
            repository.add_client_message(session, chat.id, client_id, message.id)
    except IntegrityError as exc:  # the same client id at the same moment: the other won
        raise Conflict("this message is being sent already", field="client_id") from exc
    chat.last_activity_at = now
    return message, True, changes


def bot_say(
    session: Session, *, chat: Chat, text: str, now: datetime
) -> tuple[Message, list[Changed]]:
    """A message of the bot: public, by the system (never an agent's reply for the SLA)."""
    return messages.add_message(
        session,
        actor=BOT,
        ticket_id=chat.ticket_id,
        body=text,
        public=True,
        now=now,
        author="system",
    )


def start_bot_run(
    session: Session, *, ticket_id: int, channel: str, flow_id: int, now: datetime
) -> BotRun:
    """The bot starts on a ticket of another channel (a new WhatsApp or Telegram
    conversation), on the flow version given (kept for the whole conversation)."""
    run = BotRun(
        ticket_id=ticket_id, channel=channel, bot_flow_id=flow_id, state="bot", bot_node=None,
        bot_retries=0, bot_vars={}, started_at=now, ended_by="",
    )  # fmt: skip
    session.add(run)
    session.flush()
    return run


def mark_read(chat: Chat, *, by_visitor: bool, message_id: int) -> bool:
    """Move the read mark forward (never back); True when it moved."""
    attr = "visitor_read_message_id" if by_visitor else "agent_read_message_id"
    current = getattr(chat, attr) or 0
    if message_id <= current:
        return False
    setattr(chat, attr, message_id)
    return True


def end(chat: Chat, *, by: str, now: datetime) -> bool:
    """End the chat (the ticket's ``chat_ended_at`` is set by the workflow); False when it had
    ended already."""
    if chat.state == "ended":
        return False
    chat.state = "ended"
    chat.ended_at = now
    chat.ended_by = by
    chat.bot_node = None
    return True


def on_ticket_change(session: Session, change: Changed, *, now: datetime) -> None:
    """The settle loop tells every change of a ticket: on a ``chat`` ticket, or a WhatsApp or
    Telegram one the bot answers (a :class:`BotRun`), a human's action (an agent's reply, an
    assignment, a status change by a person) ends the bot; an agent's public reply makes the
    chat active."""
    ticket = change.ticket
    if ticket.channel not in ("chat", *OTHER_BOT_CHANNELS):
        return
    human_reply = (
        change.event == "message_sent"
        and change.message is not None
        and change.message.author_user_id is not None
    )
    # while the bot talks the ticket is new and nobody has it: an assignment, or a status a
    # person (or a rule) set, is someone else's action
    assigned = change.event == "ticket_updated" and (
        ticket.assignee_id is not None or ticket.status != "new"
    )
    if not (human_reply or assigned):
        return
    if ticket.channel in OTHER_BOT_CHANNELS:
        run = repository.bot_run_of_ticket(session, ticket.id)
        if run is not None and run.state == "bot":
            run.state, run.bot_node, run.ended_at, run.ended_by = "waiting", None, now, "agent"
        return
    chat = repository.chat_of_ticket(session, ticket.id)
    if chat is None or chat.state == "ended":
        return
    if chat.state == "bot":
        chat.state = "waiting"
        chat.bot_node = None
    if human_reply and chat.state == "waiting":
        chat.state = "active"
        chat.answered_at = chat.answered_at or now
    chat.last_activity_at = now


def view(chat: Chat, ticket: Ticket | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": chat.id,
        "ticket_id": chat.ticket_id,
        "widget_id": chat.widget_id,
        "state": chat.state,
        "started_at": chat.started_at,
        "answered_at": chat.answered_at,
        "ended_at": chat.ended_at,
        "ended_by": chat.ended_by or None,
        "related_ticket_ids": list(chat.related_ticket_ids or []),
        "visitor_read_message_id": chat.visitor_read_message_id,
        "agent_read_message_id": chat.agent_read_message_id,
    }
    if ticket is not None:
        out.update(
            number=ticket.number,
            subject=ticket.subject,
            queue_id=ticket.queue_id,
            assignee_id=ticket.assignee_id,
        )
    return out


def widget_view(widget: ChatWidget) -> dict[str, Any]:
    return {
        name: getattr(widget, name)
        for name in ("id", "key", *WIDGET_FIELDS, "created_at", "updated_at")
    }


def transcript_mail(session: Session, chat: Chat) -> dict[str, Any] | None:
    """The e-mail of the chat's transcript to the visitor (None: no e-mail known)."""
    ticket = repository.ticket(session, chat.ticket_id)
    contact = (
        repository.contact(session, ticket.requester_id)
        if ticket is not None and ticket.requester_id
        else None
    )
    if ticket is None or contact is None or not contact.email:
        return None
    lines = []
    for m in repository.public_messages(session, ticket.id):
        who = {"contact": contact.name or "Você", "agent": "Atendente"}.get(
            m.author_kind, "Assistente virtual"
        )
        lines.append(f"[{m.created_at:%d/%m/%Y %H:%M} UTC] {who}: {m.body_text}")
    text = (
        f"Olá, {contact.name}!\n\nSegue a conversa do chat #{ticket.number}:\n\n"
        + "\n".join(lines)
        + "\n\nObrigado pelo contato."
    )
    return {
        "to": [contact.email],
        "subject": f"Conversa do chat #{ticket.number}",
        "text": text,
        "html": None,
        "reply_to": None,
    }
