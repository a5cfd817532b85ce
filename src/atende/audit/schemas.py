"""Pydantic shapes of the audit trail API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

from atende.audit.record import ENTITY_TYPES

EntityType = Literal[
    "absence",
    "api_token",
    "bot_flow",
    "calendar",
    "canned_reply",
    "contact",
    "mailbox",
    "messaging_channel",
    "chat_widget",
    "organization",
    "pause_reason",
    "plan",
    "queue",
    "rule",
    "saved_view",
    "sla_policy",
    "survey_campaign",
    "survey_settings",
    "ticket_type",
    "user",
    "webhook",
]
Action = Literal["created", "updated", "deleted", "revoked"]


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: int
    at: datetime
    actor_id: int | None = Field(description="null: the system (a rule, the CLI, the demo)")
    actor_name: str
    actor_role: str
    action: str
    entity_type: str
    entity_id: int
    entity_label: str = Field(description="the record's name when it changed")
    changes: dict[str, Any] = Field(
        description='{field: {"before": x, "after": y}}: changed fields only; a secret reads '
        '{"before": null, "after": "alterado"}'
    )


if set(get_args(EntityType)) != set(ENTITY_TYPES.values()):  # pragma: no cover
    raise RuntimeError("audit.schemas.EntityType is out of date with audit.record.ENTITY_TYPES")
