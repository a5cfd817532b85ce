"""Pydantic shapes of the SLA policy API and of a ticket's SLA view."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from atende.customers.schemas import Strict
from atende.domain.sla import MAX_TARGET_MINUTES
from atende.tickets.schemas import SlaTargetOut, TicketSlaOut  # noqa: F401 (re-exported)
from atende.types import Id

PolicyName = Annotated[str, Field(min_length=1, max_length=120)]
Minutes = Annotated[int, Field(gt=0, le=MAX_TARGET_MINUTES)]
Position = Annotated[int, Field(ge=0, le=1_000_000)]
Percent = Annotated[int, Field(ge=1, le=100)]
PauseStatus = Literal["pending_customer", "pending_internal", "scheduled"]
PauseStatuses = Annotated[list[PauseStatus], Field(max_length=2)]
Conditions = Annotated[dict[str, Any], Field(max_length=10)]


def _default_pause() -> list[PauseStatus]:
    return ["pending_customer"]


NotifyWho = Literal["assignee", "supervisors"]


def _everyone() -> list[NotifyWho]:
    return ["assignee", "supervisors"]


class EscalationStep(Strict):
    """What happens when a target of the policy reaches its warning or is breached."""

    raise_priority: bool = Field(
        default=False, description="raise the ticket's priority one step (low → … → urgent)"
    )
    notify: Annotated[list[NotifyWho], Field(max_length=2)] = Field(
        default_factory=_everyone,
        description="who is notified (in-app, and by e-mail when SMTP is configured); "
        "supervisors: the queue's supervisor members, else every active supervisor",
    )


def _warning_step() -> EscalationStep:
    return EscalationStep(raise_priority=True)


class Escalation(Strict):
    warning: EscalationStep = Field(default_factory=_warning_step)
    breach: EscalationStep = Field(default_factory=EscalationStep)


AutoCloseHours = Annotated[int, Field(ge=1, le=24 * 365)]


class TargetClock(Strict):
    """What a target's minutes count: business time on a calendar, or every minute (24x7)."""

    clock: Literal["calendar", "24x7"] = Field(
        default="calendar",
        description="calendar: business minutes on calendar_id (default: the policy's "
        "calendar); 24x7: every minute counts, weekends and holidays included (seed 001's "
        "'7 dias' after opening)",
    )
    calendar_id: Id | None = Field(
        default=None, description="the target's own calendar (only with clock 'calendar')"
    )


class TargetClocks(Strict):
    """Per target, the clock it counts on; a target not named counts on the policy's calendar.
    Pauses (``pause_statuses``) and resolved spells stop every clock alike."""

    first_response: TargetClock | None = None
    next_response: TargetClock | None = None
    resolution: TargetClock | None = None


class PrivateTargets(Strict):
    """The staff's own, stricter targets (business minutes on the same clocks as the public
    ones): each has its own clock, warning and breach, and contacts never see them."""

    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None


class SlaPolicyIn(Strict):
    name: PolicyName
    position: Position | None = Field(
        default=None, description="order of evaluation; default: after the last policy"
    )
    calendar_id: Id
    conditions: Conditions = Field(default_factory=dict)
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warning_percent: Percent = 80
    pause_statuses: PauseStatuses = Field(default_factory=_default_pause)
    chat_resolution_starts_at_chat_end: bool = False
    public: bool = False
    escalation: Escalation = Field(default_factory=Escalation)
    auto_close_business_hours: AutoCloseHours | None = Field(
        default=None,
        description="business hours a resolved ticket waits for a contact reply before it "
        "closes itself; default 48",
    )
    target_clocks: TargetClocks = Field(
        default_factory=TargetClocks,
        description="a target's own clock: its own calendar or 24x7 (default: the policy's "
        "calendar)",
    )
    private_targets: PrivateTargets = Field(
        default_factory=PrivateTargets,
        description="stricter internal targets, staff only (each shorter than the public one)",
    )


class SlaPolicyPatch(Strict):
    name: PolicyName | None = None
    position: Position | None = None
    calendar_id: Id | None = None
    conditions: Conditions | None = None
    first_response_minutes: Minutes | None = None
    next_response_minutes: Minutes | None = None
    resolution_minutes: Minutes | None = None
    warning_percent: Percent | None = None
    pause_statuses: PauseStatuses | None = None
    chat_resolution_starts_at_chat_end: bool | None = None
    public: bool | None = None
    escalation: Escalation | None = None
    auto_close_business_hours: AutoCloseHours | None = None
    target_clocks: TargetClocks | None = Field(
        default=None, description="replaces every target's clock; {} puts all on the calendar"
    )
    private_targets: PrivateTargets | None = Field(
        default=None, description="replaces the private targets; {} removes them"
    )


class SlaPolicyOut(BaseModel):
    id: int
    name: str
    position: int
    calendar_id: int
    conditions: dict[str, Any]
    conditions_text: str
    first_response_minutes: int | None
    next_response_minutes: int | None
    resolution_minutes: int | None
    warning_percent: int
    pause_statuses: list[str]
    chat_resolution_starts_at_chat_end: bool
    public: bool
    escalation: Escalation
    auto_close_business_hours: int
    target_clocks: dict[str, TargetClock] = Field(
        description="the clock of each target the policy sets (calendar_id null: the policy's)"
    )
    private_targets: dict[str, int | None] = Field(
        description="the staff's stricter targets (minutes; null: none)"
    )
    created_at: datetime
    updated_at: datetime


class BreachReasonIn(Strict):
    kind: Literal[
        "first_response",
        "next_response",
        "resolution",
        "private_first_response",
        "private_next_response",
        "private_resolution",
    ]
    category: Literal[
        "waiting_other_department",
        "many_exchanges",
        "wrong_first_solution",
        "customer_unreachable",
        "other",
    ]
    note: Annotated[str, Field(max_length=2000)] = ""


class BreachReasonOut(BaseModel):
    id: int
    ticket_id: int
    kind: str
    cycle: int
    category: str
    note: str
    user_id: int | None
    created_at: datetime
