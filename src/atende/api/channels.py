"""``/api/v1/channels`` (admins: WhatsApp and Telegram channels), a ticket's conversation on
them (``/tickets/{id}/messaging``, templates outside WhatsApp's 24-hour window) and the phone
log (``/calls``). docs/channels.md."""

from __future__ import annotations

from fastapi import APIRouter, Response

from atende.api.deps import AppSettings, CurrentActor, DbSession, Now
from atende.api.types import PathId
from atende.channels import messaging_config, messaging_templates
from atende.channels.messaging_out import STATE_LABELS
from atende.channels.messaging_schemas import (
    CallIn,
    CallOut,
    ChannelIn,
    ChannelMessageOut,
    ChannelOut,
    ChannelPatch,
    MessagingStateOut,
    NewCallIn,
    SummaryIn,
    TemplateOut,
    TemplateSendIn,
)
from atende.channels.models import ChannelMessage, PhoneCall
from atende.workflows import messaging

router = APIRouter(tags=["channels"])


@router.post("/channels", response_model=ChannelOut, status_code=201)
def create_channel(
    body: ChannelIn, session: DbSession, actor: CurrentActor, settings: AppSettings, now: Now
) -> ChannelOut:
    """Connect a WhatsApp number or a Telegram bot (admins). The answer's ``webhook_url`` is
    where the provider must call; a Telegram channel registers it itself (``setWebhook``).
    Secrets are stored encrypted or hashed and never shown back."""
    channel = messaging_config.create(
        session, actor=actor, data=body.model_dump(), settings=settings, now=now
    )
    return ChannelOut(**messaging_config.view(channel, settings))


@router.get("/channels", response_model=list[ChannelOut])
def list_channels(
    session: DbSession, actor: CurrentActor, settings: AppSettings
) -> list[ChannelOut]:
    return [
        ChannelOut(**messaging_config.view(c, settings))
        for c in messaging_config.list_all(session, actor=actor)
    ]


@router.get("/channels/{channel_id}", response_model=ChannelOut)
def get_channel(
    channel_id: PathId, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> ChannelOut:
    channel = messaging_config.get(session, actor=actor, channel_id=channel_id)
    return ChannelOut(**messaging_config.view(channel, settings))


@router.patch("/channels/{channel_id}", response_model=ChannelOut)
def update_channel(
    channel_id: PathId,
    body: ChannelPatch,
    session: DbSession,
    actor: CurrentActor,
    settings: AppSettings,
    now: Now,
) -> ChannelOut:
    """Change a channel (a new ``bot_token`` registers the webhook again)."""
    channel = messaging_config.update(
        session, actor=actor, channel_id=channel_id,
        changes=body.model_dump(exclude_unset=True, exclude_none=True), settings=settings,
        now=now,
    )  # fmt: skip
    return ChannelOut(**messaging_config.view(channel, settings))


@router.post("/channels/{channel_id}/templates/sync", response_model=ChannelOut)
def sync_templates(
    channel_id: PathId, session: DbSession, actor: CurrentActor, settings: AppSettings, now: Now
) -> ChannelOut:
    """Read the WhatsApp Business Account's templates from Meta (admins; the channel needs its
    ``waba_id``): name, language, category, status and the body's parameters. Templates Meta
    no longer lists are kept, marked ``gone``; only approved ``pt_BR`` ones are offered to
    agents. Meta's refusal is said in Portuguese (422) and changes nothing."""
    channel = messaging_templates.sync(
        session, actor=actor, channel_id=channel_id, settings=settings, now=now
    )
    return ChannelOut(**messaging_config.view(channel, settings))


@router.delete("/channels/{channel_id}", status_code=204)
def delete_channel(
    channel_id: PathId, session: DbSession, actor: CurrentActor, settings: AppSettings, now: Now
) -> Response:
    messaging_config.delete(session, actor=actor, channel_id=channel_id, settings=settings, now=now)
    return Response(status_code=204)


def _message_out(row: ChannelMessage) -> ChannelMessageOut:
    return ChannelMessageOut(
        id=row.id, kind=row.kind, direction=row.direction, message_id=row.message_id,
        provider_id=row.provider_id, state=row.state,
        state_label=STATE_LABELS.get(row.state, row.state), reason=row.reason,
        error_code=row.error_code, template=str(row.template["name"]) if row.template else None,
        created_at=row.created_at, sent_at=row.sent_at,
    )  # fmt: skip


@router.get("/tickets/{ticket_id}/messaging", response_model=MessagingStateOut)
def ticket_messaging(
    ticket_id: PathId, session: DbSession, actor: CurrentActor, now: Now
) -> MessagingStateOut:
    """The ticket's WhatsApp or Telegram conversation (staff): whether WhatsApp's 24-hour
    window is open and until when, the approved templates for outside it, and each message
    in and out with its delivery state (queued, sent, delivered, read, failed with the
    reason)."""
    state = messaging.conversation_state(session, actor=actor, ticket_id=ticket_id, now=now)
    channel = state.talk.channel
    return MessagingStateOut(
        channel_id=channel.id if channel else None, kind=channel.kind if channel else None,
        window_open=state.window_open, window_closes_at=state.talk.closes_at,
        blocked=state.talk.blocked, templates=[TemplateOut(**t) for t in state.templates],
        messages=[_message_out(m) for m in state.messages],
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/whatsapp-template", response_model=ChannelMessageOut,
             status_code=201)  # fmt: skip
def send_whatsapp_template(
    ticket_id: PathId, body: TemplateSendIn, session: DbSession, actor: CurrentActor, now: Now
) -> ChannelMessageOut:
    """Send an approved template (the only message WhatsApp delivers outside the 24-hour
    window); its text, with the parameters in place, becomes a public reply."""
    message = messaging.send_template(
        session, actor=actor, ticket_id=ticket_id, name=body.template,
        parameters=body.parameters, now=now,
    )  # fmt: skip
    state = messaging.conversation_state(session, actor=actor, ticket_id=ticket_id, now=now)
    [row] = [m for m in state.messages if m.message_id == message.id and m.direction == "out"]
    return _message_out(row)


def _call_out(call: PhoneCall) -> CallOut:
    return CallOut(
        id=call.id, ticket_id=call.ticket_id, direction=call.direction, number=call.number,
        duration_seconds=call.duration_seconds, summary=call.summary,
        agent_user_id=call.agent_user_id, summary_message_id=call.summary_message_id,
        summary_via=call.summary_via, created_at=call.created_at,
    )  # fmt: skip


@router.post("/tickets/{ticket_id}/calls", response_model=CallOut, status_code=201)
def log_call(
    ticket_id: PathId, body: CallIn, session: DbSession, actor: CurrentActor, now: Now
) -> CallOut:
    """Log a phone call on the ticket (staff): direction, number, duration, summary."""
    call = messaging.log_call(
        session, actor=actor, ticket_id=ticket_id, data=body.model_dump(), now=now
    )
    return _call_out(call)


@router.get("/tickets/{ticket_id}/calls", response_model=list[CallOut])
def list_calls(ticket_id: PathId, session: DbSession, actor: CurrentActor) -> list[CallOut]:
    return [_call_out(c) for c in messaging.calls(session, actor=actor, ticket_id=ticket_id)]


@router.post("/calls", response_model=CallOut, status_code=201)
def new_call(body: NewCallIn, session: DbSession, actor: CurrentActor, now: Now) -> CallOut:
    """Log a call that opens a new ticket on channel ``phone`` (its requester: ``contact_id``,
    else the contact with that number, a Brazilian mobile with or without the ninth digit,
    else a new contact)."""
    return _call_out(messaging.new_call(session, actor=actor, data=body.model_dump(), now=now))


@router.post("/tickets/{ticket_id}/calls/{call_id}/send-summary", response_model=CallOut)
def send_call_summary(
    ticket_id: PathId,
    call_id: PathId,
    body: SummaryIn,
    session: DbSession,
    actor: CurrentActor,
    now: Now,
) -> CallOut:
    """Send the call's summary to the customer in writing (``via``: email or whatsapp), as a
    public message; the timeline shows that it was sent (409 if it was already)."""
    call = messaging.send_summary(
        session, actor=actor, ticket_id=ticket_id, call_id=call_id, via=body.via, now=now
    )
    return _call_out(call)
