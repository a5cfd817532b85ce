"""What an SLA evaluation announces: a warning or a breach, once per target cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SlaSignal:
    """A warning or breach that this evaluation announced (first time only)."""

    event: str  # "sla_warning" | "sla_breach" (the automation rules' event names)
    kind: str  # first_response | next_response | resolution
    label: str  # "first response", "next response #2", ...
    cycle: int
    policy_id: int
    due_at: datetime | None
    at: datetime
    skipped_warning: bool = False
    """A breach first seen by a re-evaluation, its warning never announced: the one escalation
    of the target also carries the warning's priority raise (``sla/escalation.py``)."""
