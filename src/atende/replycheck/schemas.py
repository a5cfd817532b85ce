"""The reply check's request and answer bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from atende.customers.schemas import Strict
from atende.domain.replycheck import MAX_BODY, MAX_ITEMS, MAX_PHRASE, MAX_SUGGESTION
from atende.i18n import N_


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError(N_("must not contain NUL characters"))
    return value


class ReplyCheckIn(BaseModel):
    """A draft of a public reply. Not stripped: the offsets of the answer are into ``body``
    exactly as sent."""

    model_config = ConfigDict(extra="forbid")

    body: Annotated[str, Field(min_length=1, max_length=MAX_BODY), AfterValidator(_storable)]


class FindingOut(BaseModel):
    kind: Literal["gerund", "promise", "closing_question"]
    phrase: str = Field(description="the words at fault: ``body[start:end]`` (empty for a "
                        "missing closing question)")  # fmt: skip
    start: int = Field(description="character offset into the body")
    end: int
    suggestion: str = Field(description="in Portuguese; for a gerund, a drop-in rewrite")


class ReplyCheckOut(BaseModel):
    findings: list[FindingOut]


class ListItem(Strict):
    phrase: Annotated[str, Field(min_length=1, max_length=MAX_PHRASE)]
    suggestion: Annotated[str, Field(max_length=MAX_SUGGESTION)] = ""


class ListIn(Strict):
    items: list[ListItem] = Field(max_length=MAX_ITEMS)


class ListOut(BaseModel):
    name: str
    description: str
    items: list[ListItem]
    updated_at: datetime | None
    updated_by_user_id: int | None


class ListChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    list_name: str
    actor_user_id: int | None
    actor_label: str
    before: list[dict[str, Any]]
    after: list[dict[str, Any]]
    created_at: datetime


class WarnedByKind(BaseModel):
    gerund: int
    promise: int
    closing_question: int


class WarnedAgentRow(BaseModel):
    agent_id: int | None
    replies: int = Field(description="public replies the agent sent in the period")
    warned: int = Field(description="of them, sent despite the reply check's findings")
    warned_percent: float | None
    by_kind: WarnedByKind = Field(description="warned replies with at least one such finding")


class WarnedFinding(BaseModel):
    kind: str | None
    phrase: str | None
    suggestion: str | None


class WarnedReply(BaseModel):
    message_id: int
    ticket_id: int
    ticket_number: int
    subject: str
    agent_id: int | None
    at: datetime
    findings: list[WarnedFinding]


class WarnedReport(BaseModel):
    rows: list[WarnedAgentRow]
    items: list[WarnedReply] = Field(description="the warned replies, newest first (limit)")
