"""Pydantic shapes of the rules, canned replies and dry-run API.

Only the outer shape is checked here; the domain (:mod:`atende.domain.rules`) checks each
action's ``value``, the conditions and the templates, naming the path (``actions[1].value``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict
from atende.domain.rules.vocabulary import MAX_ACTIONS, MAX_BUSINESS_HOURS, MAX_TEMPLATE_LENGTH
from atende.types import Id

RuleName = Annotated[str, Field(min_length=1, max_length=120)]
Position = Annotated[int, Field(ge=0, le=1_000_000)]
Conditions = Annotated[dict[str, Any], Field(max_length=10)]
EventName = Literal[
    "ticket_created",
    "ticket_updated",
    "message_received",
    "message_sent",
    "sla_warning",
    "sla_breach",
    "time_based",
]
ActionTypeName = Literal[
    "set_queue",
    "set_priority",
    "set_status",
    "set_type",
    "add_tags",
    "remove_tags",
    "set_tags",
    "set_assignee",
    "add_note",
    "send_canned_reply",
    "notify_email",
    "notify_webhook",
    "notify_telegram",
    "transfer",
]
TimeStatus = Literal["new", "open", "pending_customer", "pending_internal", "scheduled", "resolved"]


class ActionIn(Strict):
    type: ActionTypeName
    value: Any = Field(
        default=None,
        description="set_queue: queue id; set_priority/set_status/set_type: text; "
        "add_tags/remove_tags/set_tags: list of tags; set_assignee: user id or null; "
        "add_note: template; send_canned_reply: canned reply id; transfer: "
        '{"queue_id", "reason"}; notify_email: {"to": [e-mails] or "assignee"/"supervisors"/'
        '"requester", "subject"?, "text"?}; notify_webhook: {"url", "secret"?}; '
        'notify_telegram: {"chat_id", "text"}',
    )


Actions = Annotated[list[ActionIn], Field(min_length=1, max_length=MAX_ACTIONS)]


class TimeIn(Strict):
    status: TimeStatus
    business_hours: Annotated[int, Field(ge=1, le=MAX_BUSINESS_HOURS)]


class RuleIn(Strict):
    name: RuleName
    active: bool = True
    position: Position | None = Field(
        default=None, description="order of evaluation; default: after the last rule"
    )
    event: EventName
    conditions: Conditions = Field(default_factory=dict)
    actions: Actions
    time: TimeIn | None = Field(
        default=None,
        description="time_based rules only: fire once when the ticket has been "
        "this many business hours in this status",
    )


class RulePatch(Strict):
    name: RuleName | None = None
    active: bool | None = None
    position: Position | None = None
    event: EventName | None = None
    conditions: Conditions | None = None
    actions: Actions | None = None
    time: TimeIn | None = None


class RuleOut(BaseModel):
    id: int
    name: str
    active: bool
    position: int
    event: str
    conditions: dict[str, Any]
    conditions_text: str
    actions: list[dict[str, Any]]
    time: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


class DryRunIn(Strict):
    ticket_id: Id
    event: EventName | None = Field(
        default=None, description="the event to simulate; default: every event that has rules"
    )
    message_id: Id | None = Field(
        default=None,
        description="the message the event is about (default: for ticket_created the first "
        "message, for message_received / message_sent the latest one of the contact / agent)",
    )
    rule: RuleIn | None = Field(
        default=None,
        description="a draft rule to try: added to the active rules, or replacing the rule of "
        "the same name; nothing is saved",
    )


class DryRunCheck(BaseModel):
    """One of a rule's conditions judged on its own against the ticket's facts."""

    field: str
    op: str
    value: Any
    fact: Any = Field(description="the ticket's value of the field (null: not set)")
    holds: bool
    depth: int = Field(description="1: a condition of the rule's root group; 2: nested")
    group: Literal["all", "any"] = Field(description="the kind of group it sits in")


class DryRunEffect(BaseModel):
    """One thing a matching rule would do, as data (``planned`` says it in English)."""

    kind: Literal["change", "note", "action", "skipped"]
    field: str | None = Field(default=None, description="change: the ticket's field")
    value: Any = Field(default=None, description="change: its new value")
    index: int | None = Field(default=None, description="action / skipped: the action's number")
    why: str | None = Field(
        default=None, description="note: why a change is left out; skipped: closed, same_queue"
    )


class DryRunStep(BaseModel):
    depth: int
    event: str
    rule_id: int | None
    rule_name: str | None
    matched: bool
    explanation: str
    planned: list[str]
    skipped: str | None
    checks: list[DryRunCheck]
    effects: list[DryRunEffect]


class DryRunEvent(BaseModel):
    event: str
    message_id: int | None
    steps: list[DryRunStep]


class DryRunOut(BaseModel):
    ticket_id: int
    at: datetime
    facts: dict[str, Any]
    runs: list[DryRunEvent]


CannedName = Annotated[str, Field(min_length=1, max_length=120)]
CannedBody = Annotated[str, Field(min_length=1, max_length=MAX_TEMPLATE_LENGTH)]


class CannedReplyIn(Strict):
    name: CannedName
    body: CannedBody


class CannedReplyPatch(Strict):
    name: CannedName | None = None
    body: CannedBody | None = None


class CannedReplyOut(BaseModel):
    id: int
    name: str
    body: str
    variables: list[str]
    created_at: datetime
    updated_at: datetime


class CannedReplyRendered(BaseModel):
    canned_reply_id: int
    ticket_id: int
    body: str
