"""The front-door bot's turn, on any channel it runs on: the website chat (``workflows/chat.py``)
and WhatsApp and Telegram (``workflows/messaging_bot.py``). One driver of the one engine
(``domain/chatbot.py``): it reads the flow version the conversation started with, steps it,
has the channel say each reply (a menu with its options, which a channel may show as buttons),
and hands the ticket to a queue when the flow routes it.

The hand-off: a non-client's answers (``intake``) become custom fields; whatever the bot
collected is an internal note; the ticket is transferred to the queue (or handed out there in
an auto-assign queue); the delinquency guidance is noted (seed 004); while nobody has it, the
queue's members are told. A bot that fails hands the ticket to the flow's default queue (else
``fallback_queue_id``) with an internal note saying why. The bot's messages are the system's,
never an agent's reply: bot time never counts as a first response.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.chat import guidance
from atende.chat import repository as chat_repository
from atende.domain import chatbot
from atende.domain.errors import NotFound
from atende.i18n import DEFAULT_TIMEZONE, notice
from atende.notifications import repository as notify_repository
from atende.notifications import service as notify_service
from atende.tickets.commands import change
from atende.tickets.commands import message as messages
from atende.tickets.events import Changed
from atende.tickets.models import Ticket
from atende.workflows.settle import Settler

log = logging.getLogger("atende.bot")

#: say(text, choices): one reply of the bot; ``choices`` are the options of the menu the reply
#: shows (empty for any other reply)
Say = Callable[[str, tuple[chatbot.Choice, ...]], None]


class Conversation(Protocol):
    """Where a conversation is in its flow (a chat, a bot run on WhatsApp or Telegram)."""

    state: str
    bot_flow_id: int | None
    bot_node: str | None
    bot_retries: int
    bot_vars: dict[str, Any]


@dataclass(frozen=True)
class Turn:
    """One turn of the bot: the transaction's settle loop, the ticket, how the channel says a
    reply, the queue a failure falls back to, and the key of the hand-off's notification."""

    session: Session
    settler: Settler
    ticket_id: int
    say: Say
    fallback_queue_id: int | None
    notify_key: str
    now: datetime


def run(turn: Turn, talk: Conversation, *, text: str | None, choice: str | None = None) -> None:
    """The bot's answer to ``text`` (None: the conversation's start); ``choice``: the id of a
    tapped button (it answers the menu it belongs to; an old menu's button reads as its text)."""
    session = turn.session
    flow_row = chat_repository.flow(session, talk.bot_flow_id) if talk.bot_flow_id else None
    if flow_row is None:
        talk.state = "waiting"
        return
    flow = flow_row.definition
    ticket = chat_repository.ticket(session, turn.ticket_id)
    assert ticket is not None
    plan = None
    if ticket.requester_id is not None:
        plan = chat_repository.plan_of_contact(session, ticket.requester_id)
    facts = chatbot.Facts(plan=plan)
    try:
        with session.begin_nested():
            state = chatbot.State(talk.bot_node, talk.bot_retries, dict(talk.bot_vars or {}))
            if text is None:
                outcome = chatbot.start(flow, facts)
            else:
                picked = chatbot.chosen(flow, state, choice) if choice else None
                outcome = chatbot.step(flow, state, picked or text, facts)
            menu = chatbot.choices(flow, outcome.state)
            last = len(outcome.replies) - 1
            for i, reply in enumerate(outcome.replies):
                turn.say(reply, menu if i == last else ())
            talk.bot_node = outcome.state.node
            talk.bot_retries = outcome.state.retries
            talk.bot_vars = dict(outcome.state.vars)
            if outcome.route is not None:
                _hand_off(turn, talk, outcome.route)
    except Exception as exc:  # a bot error never strands the customer: a person takes over
        log.exception("ticket %s: the bot failed; handing over", turn.ticket_id)
        failed(turn, talk, flow, reason=str(exc)[:200])


def _hand_off(turn: Turn, talk: Conversation, route: chatbot.Route) -> None:
    session, settler, now = turn.session, turn.settler, turn.now
    ticket = chat_repository.ticket(session, turn.ticket_id)
    assert ticket is not None
    queue = chat_repository.queue_by_name(session, route.queue)
    if queue is None:
        raise NotFound(
            "the bot routes to a queue that does not exist: {queue!r}", queue=route.queue
        )
    reason = "Assistente virtual: " + (route.reason or f"encaminhado para {queue.name}")
    vars_ = dict(talk.bot_vars or {})
    if route.intake:
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
    if vars_:
        lines = [f"{k}: {v}" for k, v in sorted(vars_.items())]
        note = "Dados coletados pelo assistente virtual:\n" + "\n".join(lines)
        _, changes = messages.add_message(
            session, actor=SYSTEM, ticket_id=ticket.id, body=note, public=False, now=now
        )
        settler(changes)
    talk.state = "waiting"
    talk.bot_node = None
    if ticket.queue_id != queue.id:
        _, changes = change.transfer(
            session, actor=SYSTEM, ticket_id=ticket.id, queue_id=queue.id, reason=reason, now=now
        )
        settler(changes)
    elif ticket.assignee_id is None:
        settler.dispatch([queue.id])  # an auto-assign queue hands the ticket out now
    announce(turn, ticket)


def announce(turn: Turn, ticket: Ticket) -> None:
    """A conversation reaches the team: the delinquency guidance as an internal note (seed
    004), and, while nobody has it, a notification to each member of its queue."""
    session, settler, now = turn.session, turn.settler, turn.now
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
        session, users=members, kind="chat_waiting", key=turn.notify_key,
        text=notice(
            "A chat waits in {queue}: #{number} {subject}",
            queue=queue.name if queue is not None else "—", number=ticket.number,
            subject=ticket.subject,
        ),
        ticket_id=ticket.id, now=now,
    )  # fmt: skip


def failed(turn: Turn, talk: Conversation, flow: Any, *, reason: str, note: str = "") -> None:
    """The bot cannot go on: the ticket goes to the flow's default queue (else the fallback)
    with an internal note saying why, and the queue is told."""
    session, settler, now = turn.session, turn.settler, turn.now
    talk.state = "waiting"
    talk.bot_node = None
    ticket = chat_repository.ticket(session, turn.ticket_id)
    assert ticket is not None
    note = note or (
        f"O assistente virtual falhou ({reason}); o atendimento foi passado para a fila padrão."
    )
    _, changes = messages.add_message(
        session, actor=SYSTEM, ticket_id=ticket.id, body=note, public=False, now=now
    )
    settler(changes)
    default = flow.get("default_queue") if isinstance(flow, dict) else None
    queue = chat_repository.queue_by_name(session, default) if isinstance(default, str) else None
    queue_id = queue.id if queue is not None else turn.fallback_queue_id
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
    announce(turn, ticket)
