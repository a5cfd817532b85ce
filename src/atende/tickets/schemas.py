from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    field_validator,
    model_validator,
)

from atende.customers.schemas import Strict
from atende.i18n import N_
from atende.replycheck.schemas import ReplyCheckOut
from atende.types import Id


def _storable(value: str) -> str:
    """Refuse what no database column can hold (NUL characters)."""
    if "\x00" in value:
        raise ValueError(N_("must not contain NUL characters"))
    return value


Storable = AfterValidator(_storable)
_EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 12, 31, tzinfo=UTC)


def _instant(value: datetime) -> datetime:
    """An aware instant from 1970 through 2100, in UTC (far dates would overflow)."""
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(N_("must lie between 1970-01-01 and 2100-12-31"))
    return value.astimezone(UTC)


Instant = Annotated[AwareDatetime, AfterValidator(_instant)]
Status = Literal[
    "new", "open", "pending_customer", "pending_internal", "scheduled", "resolved", "closed"
]
Priority = Literal["low", "normal", "high", "urgent"]
Channel = Literal["chat", "email", "phone", "whatsapp", "telegram", "teams", "portal", "api"]
Subject = Annotated[str, Field(min_length=1, max_length=300), Storable]
Body = Annotated[str, Field(min_length=1, max_length=200_000), Storable]
Tag = Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[^\s,\x00]+$")]
TypeName = Annotated[str, Field(min_length=1, max_length=60), Storable]
Reason = Annotated[str, Field(min_length=1, max_length=5000), Storable]


class RequesterIn(Strict):
    name: Annotated[str, Field(max_length=200), Storable] | None = None
    email: EmailStr | None = None
    phone: Annotated[str, Field(max_length=32), Storable] | None = None

    @model_validator(mode="after")
    def _one_key(self) -> RequesterIn:
        if not self.email and not self.phone:
            raise ValueError(N_("requester needs an email or a phone"))
        return self


class ImportedMessage(Strict):
    author: Literal["contact", "agent"]
    agent_id: Id | None = None
    body: Body
    public: bool = True
    created_at: Instant


class TicketIn(Strict):
    subject: Subject
    body: Body | None = None
    channel: Channel = "api"
    priority: Priority = "normal"
    type: TypeName | None = None
    queue_id: Id | None = None
    assignee_id: Id | None = None
    contact_id: Id | None = None
    requester: RequesterIn | None = None
    organization_id: Id | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=50)
    custom_fields: dict[str, Any] = Field(default_factory=dict, max_length=100)
    # history, for imports by admins
    external_id: Annotated[str, Field(min_length=1, max_length=200), Storable] | None = None
    created_at: Instant | None = None
    status: Status | None = None
    resolved_at: Instant | None = None
    closed_at: Instant | None = None
    chat_ended_at: Instant | None = None
    messages: list[ImportedMessage] | None = Field(default=None, max_length=5000)

    @model_validator(mode="after")
    def _requester(self) -> TicketIn:
        if self.contact_id is not None and self.requester is not None:
            raise ValueError(N_("give the requester as contact_id or requester, not both"))
        return self

    @property
    def is_import(self) -> bool:
        return any(
            v is not None
            for v in (
                self.created_at,
                self.status,
                self.resolved_at,
                self.closed_at,
                self.messages,
                self.external_id,
            )
        )


class TicketPatch(Strict):
    subject: Subject | None = None
    status: Status | None = None
    priority: Priority | None = None
    type: TypeName | None = None
    queue_id: Id | None = None
    assignee_id: Id | None = None
    organization_id: Id | None = None
    tags: list[Tag] | None = Field(default=None, max_length=50)
    custom_fields: dict[str, Any] | None = Field(default=None, max_length=100)
    chat_ended_at: Instant | None = None
    reason: Reason | None = Field(
        default=None,
        description="why; with a queue change it becomes an internal note (POST .../transfer "
        "requires it)",
    )


class MessageIn(Strict):
    body: Body
    public: bool = True
    author: Literal["agent", "contact"] = Field(
        default="agent",
        description="staff may record a message received from the requester (e.g. by phone)",
    )
    attachment_ids: list[Id] = Field(default_factory=list, max_length=50)


class RetentionIn(Strict):
    """Seed 004: what was offered to keep a customer who asks to cancel, and their answer."""

    offer: Annotated[str, Field(min_length=3, max_length=1000), Storable]
    outcome: Literal["accepted", "declined"]


class TransferIn(Strict):
    queue_id: Id
    reason: Reason
    assignee_id: Id | None = None
    retention: RetentionIn | None = Field(
        default=None,
        description="the retention attempt, recorded with the transfer (a person's transfer of "
        "a cancellation request needs one, here or recorded before)",
    )


class AssignIn(Strict):
    assignee_id: Id | None


class SplitIn(Strict):
    message_ids: list[Id] = Field(min_length=1, max_length=1000)
    subject: Subject


class MergeIn(Strict):
    into_ticket_id: Id


class FollowUpIn(Strict):
    subject: Subject | None = None
    body: Body


class SlaTargetOut(BaseModel):
    state: Literal["running", "paused", "met", "breached"]
    due_at: datetime | None
    warning_at: datetime | None
    met_at: datetime | None
    breached_at: datetime | None
    business_seconds_used: int


class TicketSlaOut(BaseModel):
    """The ``sla`` member of ``GET /api/v1/tickets/{id}``."""

    policy_id: int | None
    policy_name: str | None
    targets: dict[Literal["first_response", "next_response", "resolution"], SlaTargetOut]
    private_targets: (
        dict[Literal["first_response", "next_response", "resolution"], SlaTargetOut] | None
    ) = Field(
        default=None,
        description="the policy's stricter internal targets: staff only (null for contacts)",
    )


class TicketOut(BaseModel):
    id: int
    number: int
    display_number: str
    subject: str
    status: str
    priority: str
    type: str | None
    channel: str
    requester_id: int | None
    organization_id: int | None
    queue_id: int | None
    assignee_id: int | None
    tags: list[str]
    custom_fields: dict[str, Any]
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    auto_close_at: datetime | None = Field(
        default=None,
        description="when a resolved ticket closes itself if the customer does not answer "
        "(its SLA policy's auto_close_business_hours on the policy's calendar); null when "
        "no close is scheduled",
    )
    chat_ended_at: datetime | None
    split_from_id: int | None
    merged_into_id: int | None
    follow_up_of_id: int | None
    on_call: bool = Field(
        default=False, description="created outside its queue's hours (reviewed weekly)"
    )
    on_call_reviewed_at: datetime | None = Field(
        default=None, description="when a supervisor marked the on-call ticket reviewed"
    )
    on_call_reviewed_by_id: int | None = Field(default=None, description="who marked it")
    sla: TicketSlaOut | None = Field(
        default=None, description="SLA clocks; omitted from lists; contacts see public ones"
    )


class MessageOut(BaseModel):
    id: int
    ticket_id: int
    author_kind: str
    author_user_id: int | None
    author_contact_id: int | None
    public: bool
    body_html: str
    body_text: str
    created_at: datetime
    attachment_ids: list[int] = []
    reply_check: ReplyCheckOut | None = Field(
        default=None,
        description="a public reply an agent sent: the reply check's findings on ``body_text`` "
        "(sent despite them when any); staff only, null otherwise",
    )


class TimelineEntry(BaseModel):
    entry: Literal["message", "event"]
    id: int
    position: int
    created_at: datetime
    # message fields
    author_kind: str | None = None
    author_user_id: int | None = None
    author_contact_id: int | None = None
    public: bool | None = None
    body_html: str | None = None
    body_text: str | None = None
    reply_check: ReplyCheckOut | None = None  # staff only (see MessageOut)
    # event fields
    kind: str | None = None
    actor_user_id: int | None = None
    actor: str | None = None
    before: Any = None
    after: Any = None
    detail: str | None = None
    text: str | None = Field(
        default=None,
        description="the event told as a sentence in the reader's language and time zone",
    )


class ImportLineError(BaseModel):
    line: int
    field: str | None = None
    message: str


class ImportResult(BaseModel):
    """What a bulk import did: lines with errors are reported and skipped (see importing.py)."""

    lines: int = 0
    created: int = 0
    skipped: int = Field(default=0, description="lines whose external_id was already imported")
    failed: int = 0
    ticket_ids: list[int] = Field(default_factory=list)
    errors: list[ImportLineError] = Field(default_factory=list)


class TicketTypeIn(Strict):
    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9_\-]+$")]
    label: Annotated[str, Field(max_length=120), Storable] = ""
    active: bool = True


class TicketTypePatch(Strict):
    label: Annotated[str, Field(max_length=120), Storable] | None = None
    active: bool | None = None


class TicketTypeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    name: str = Field(description="what tickets carry in `type` (fixed)")
    label: str = Field(description="what people read (admins relabel it)")
    active: bool
    builtin: bool = Field(default=False, description="one of the types every install has")


class ForwardedOut(BaseModel):
    """A ticket the caller sent on (or follows) that is still open in another department."""

    ticket: TicketOut
    following_since: datetime
    reason: str = Field(description="why the caller follows it (e.g. transferred, opened)")
    open_for_seconds: int = Field(description="since the ticket was opened")
    away_for_seconds: int = Field(description="since the caller began following it")


class NonClientIn(Strict):
    """Seed 002 item 30: someone who is not a client or partner, taken as fields, not as free
    text: name, phone, e-mail, segment and the request."""

    name: Annotated[str, Field(min_length=2, max_length=200), Storable]
    phone: Annotated[str, Field(min_length=8, max_length=32), Storable]
    email: EmailStr
    segment: Annotated[str, Field(min_length=2, max_length=80), Storable] = Field(
        description="the business segment, e.g. Varejo, Restaurante, Farmácia"
    )
    request: Annotated[str, Field(min_length=3, max_length=5000), Storable]
    purpose: Literal["comercial", "suporte", "outro"] = Field(
        default="comercial",
        description="comercial: a demonstration or a plan; suporte: paid support (seed 002 "
        "item 31: charged before it starts); outro: anything else",
    )
    channel: Channel = "phone"

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        digits = "".join(c for c in value if c.isdigit())
        if not 10 <= len(digits) <= 13:
            raise ValueError(N_("a phone number with the area code (10 to 13 digits)"))
        return value
