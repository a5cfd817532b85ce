"""What the WhatsApp and Telegram channel routes, the ticket's channel state and the phone log
take and answer. Secrets go in, never out: an answer says only which are set."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from atende.domain import messaging
from atende.i18n import N_

UNNUMBERED = N_("the template's parameters must be numbered {{1}}, {{2}} … without gaps")

Name = Annotated[str, Field(min_length=1, max_length=120)]
Secret = Annotated[str, Field(min_length=1, max_length=2000)]
ShortSecret = Annotated[str, Field(min_length=8, max_length=200)]
BotToken = Annotated[str, Field(pattern=r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$")]
PhoneNumberId = Annotated[str, Field(pattern=r"^[0-9]{1,64}$")]
WabaId = Annotated[str, Field(pattern=r"^([0-9]{1,64})?$")]
#: a published front-door flow's key (``/chat/flows``); "" takes the bot off the channel
FlowKey = Annotated[str, Field(pattern=r"^([a-z0-9][a-z0-9_-]{0,79})?$")]


class TemplateIn(BaseModel):
    """An approved WhatsApp template agents may send outside the 24-hour window: its name at
    Meta, its language, and its body as approved (``{{1}}`` … for the parameters)."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    language: Annotated[str, Field(pattern=r"^[a-z]{2,3}(_[A-Z]{2})?$")] = "pt_BR"
    body: Annotated[str, Field(min_length=1, max_length=1024)]

    @field_validator("body")
    @classmethod
    def _numbered(cls, value: str) -> str:
        try:
            messaging.template_parameters(value)
        except ValueError:
            raise ValueError(UNNUMBERED) from None  # said as a 422 on the field
        return value


Templates = Annotated[list[TemplateIn], Field(max_length=100)]


class WhatsAppChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["whatsapp"]
    name: Name
    phone_number_id: PhoneNumberId
    access_token: Secret
    app_secret: ShortSecret
    verify_token: ShortSecret
    templates: Templates = []
    waba_id: WabaId = ""
    bot_flow_key: FlowKey = ""
    active: bool = True


class TelegramChannelIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Literal["telegram"]
    name: Name
    bot_token: BotToken
    bot_flow_key: FlowKey = ""
    active: bool = True


ChannelIn = Annotated[WhatsAppChannelIn | TelegramChannelIn, Field(discriminator="kind")]


class ChannelPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    phone_number_id: PhoneNumberId | None = None
    access_token: Secret | None = None
    app_secret: ShortSecret | None = None
    verify_token: ShortSecret | None = None
    bot_token: BotToken | None = None
    templates: Templates | None = None
    waba_id: WabaId | None = None
    bot_flow_key: FlowKey | None = None
    active: bool | None = None


class TemplateOut(BaseModel):
    """A WhatsApp template: typed by an admin, or read from Meta (``status``: APPROVED,
    PENDING, REJECTED, PAUSED …; ``gone``: removed at Meta since). Only approved ``pt_BR``
    ones still at Meta are offered outside the window."""

    name: str
    language: str
    body: str
    parameters: int
    category: str = ""
    status: str = "APPROVED"
    gone: bool = False
    synced: bool = False


class ChannelOut(BaseModel):
    id: int
    kind: str
    name: str
    webhook_url: str
    phone_number_id: str
    waba_id: str
    bot_flow_key: str | None
    templates: list[TemplateOut]
    templates_synced_at: datetime | None
    active: bool
    secrets_set: list[str]
    last_error: str
    created_at: datetime
    updated_at: datetime


class ChannelMessageOut(BaseModel):
    """A WhatsApp or Telegram message of the ticket; going out, its delivery state
    (``state_label`` in Portuguese) and, failed, the provider's code and the reason."""

    id: int
    kind: str
    direction: str
    message_id: int | None
    provider_id: str
    state: str
    state_label: str
    reason: str
    error_code: str
    template: str | None
    created_at: datetime
    sent_at: datetime | None


class MessagingStateOut(BaseModel):
    """A ticket's conversation on WhatsApp or Telegram: the 24-hour window (WhatsApp), the
    templates usable outside it, and the messages with their delivery state."""

    channel_id: int | None
    kind: str | None
    window_open: bool
    window_closes_at: datetime | None
    blocked: bool
    templates: list[TemplateOut]
    messages: list[ChannelMessageOut]


class TemplateSendIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template: Annotated[str, Field(pattern=r"^[a-z0-9_]{1,512}$")]
    parameters: Annotated[list[Annotated[str, Field(min_length=1, max_length=1000)]], Field(
        max_length=20
    )] = []  # fmt: skip


class CallIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    direction: Literal["in", "out"]
    number: Annotated[str, Field(min_length=3, max_length=30)]
    duration_seconds: Annotated[int, Field(ge=0, le=86400)]
    summary: Annotated[str, Field(min_length=1, max_length=5000)]


class NewCallIn(CallIn):
    subject: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    contact_id: int | None = None


class SummaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    via: Literal["email", "whatsapp"]


class CallOut(BaseModel):
    id: int
    ticket_id: int
    direction: str
    number: str
    duration_seconds: int
    summary: str
    agent_user_id: int | None
    summary_message_id: int | None
    summary_via: str
    created_at: datetime
