"""The front-door bot on WhatsApp and Telegram (#18): the channel's published flow answers a
new conversation, as it does on the website widget (``workflows/bot.py`` drives the one
engine, ``domain/chatbot.py``).

A customer's message that opens a conversation (a new ticket, or a follow-up of a closed one)
on a channel with a flow starts a bot run on the ticket; each later message, a tapped button
(a WhatsApp reply button or list row, a Telegram inline keyboard's button: its id answers the
menu it belongs to) or a typed number moves the flow. The bot's replies are the system's public
messages on the ticket, each sent on the channel through the outbox like an agent's reply, a
menu with its options as buttons and always as numbered text. The hand-off transfers the
ticket to the flow's queue and tells the queue; any person's action ends the bot
(``chat.service.on_ticket_change``). The bot answers only inside WhatsApp's 24-hour window
(it always is open right after the customer wrote; an item ingested later than that hands the
ticket over instead). Never on e-mail.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from atende.channels import messaging_out
from atende.channels.models import MessagingChannel
from atende.chat import repository as chat_repository
from atende.chat import service as chat_service
from atende.chat.models import BotFlow, BotRun
from atende.domain import chatbot
from atende.tickets.commands import message as messages
from atende.tickets.models import Message, Ticket
from atende.workflows import bot
from atende.workflows.settle import Settler

WINDOW_CLOSED_NOTE = (
    "O assistente virtual não respondeu: a mensagem do cliente foi lida depois de fechada a "
    "janela de 24 horas do WhatsApp. Responda com um modelo aprovado."
)


def flow_of(session: Session, channel: MessagingChannel) -> BotFlow | None:
    """The published flow that answers the channel's new conversations (None: no bot)."""
    if not channel.bot_flow_key:
        return None
    return chat_repository.published_flow(session, channel.bot_flow_key)


def on_received(
    session: Session,
    *,
    channel: MessagingChannel,
    ticket: Ticket,
    message: Message,
    flow: BotFlow | None,
    choice: str,
    now: datetime,
) -> None:
    """A customer's message, written and settled: ``flow`` (a new conversation on a channel
    with a bot) starts the bot; a run still with the bot answers; else nothing."""
    if flow is not None:
        run = chat_service.start_bot_run(
            session, ticket_id=ticket.id, channel=channel.kind, flow_id=flow.id, now=now
        )
    elif channel.bot_flow_key:
        found = chat_repository.bot_run_of_ticket(session, ticket.id)
        if found is None or found.state != "bot":
            return
        run = found
    else:
        return
    settler = Settler(session, now=now)
    talk = messaging_out.conversation(session, ticket)

    def say(text: str, choices: tuple[chatbot.Choice, ...]) -> None:
        said, changes = messages.add_message(
            session, actor=chat_service.BOT, ticket_id=ticket.id, body=text, public=True,
            now=now, author="system",
        )  # fmt: skip
        settler(changes)
        buttons = [{"id": c.id, "title": c.label} for c in choices]
        messaging_out.queue(session, ticket, said, now=now, talk=talk, buttons=buttons)

    turn = bot.Turn(
        session=session, settler=settler, ticket_id=ticket.id, say=say, fallback_queue_id=None,
        notify_key=f"bot_waiting:{run.id}", now=now,
    )  # fmt: skip
    if not talk.window_open(now):
        definition = flow.definition if flow is not None else _definition(session, run)
        bot.failed(turn, run, definition, reason="", note=WINDOW_CLOSED_NOTE)
        _ended(run, "window", now)
        return
    text = message.body_text or ""
    bot.run(turn, run, text=text, choice=choice or None)
    _ended(run, "route", now)


def _definition(session: Session, run: BotRun) -> dict[str, object]:
    found = chat_repository.flow(session, run.bot_flow_id) if run.bot_flow_id else None
    return found.definition if found is not None else {}


def _ended(run: BotRun, by: str, now: datetime) -> None:
    if run.state == "waiting" and not run.ended_by:
        run.ended_at, run.ended_by = now, by
