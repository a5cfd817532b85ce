from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    attempts: int
    run_at: datetime
    created_at: datetime
    finished_at: datetime | None
    last_error: str
    ticket_id: int | None
    idempotency_key: str | None
    locked_by: str | None
    locked_until: datetime | None
    payload: dict[str, Any]


class JobCounts(BaseModel):
    queued: int
    running: int
    done: int
    dead: int
