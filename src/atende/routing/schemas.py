from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class LineEntry(BaseModel):
    position: int
    ticket_id: int
    subject: str
    channel: str
    priority_class: int
    sla_due_at: datetime | None
    queue_entered_at: datetime | None
    sent_back_to_front: bool


class WaitStats(BaseModel):
    queue_id: int
    start: datetime
    end: datetime
    assignments: int
    average_wait_seconds: float | None
    longest_wait_seconds: int | None


class Followers(BaseModel):
    ticket_id: int
    user_ids: list[int]
