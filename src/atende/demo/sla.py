"""The demo's business calendars and SLA policies, from the seeds.

* Seed 000: service 08:00-21:00 every day, weekends and holidays included; first response in
  30 minutes; for chats the resolution clock starts when the chat ends; auto-close after 48
  business hours.
* Seed 001: the Special Service for key accounts works Mon-Fri 08:30-12:00 and 13:30-18:00 with
  national and São Paulo holidays closed (on call outside); first response within 24 h, read as
  one business day (480 business minutes), and "até 7 dias para resolver os chamados após a data
  de abertura": 7 calendar days on a 24x7 clock (the manual's 48 h solution is its goal, the 7
  days the limit the SLA enforces).
* Seed 003: high-priority customers get 1 h / 24 h (Prime here), escalation when a case risks
  breaching (the default escalation of every policy: raise the priority, notify).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from atende.auth.actor import SYSTEM
from atende.calendars import service as calendar_service
from atende.sla import policies as sla_policies

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
EVERY_DAY = "Atendimento 08h-21h (todos os dias)"
OFFICE = "Comercial SP (seg-sex, almoço 12h-13h30)"


def load(session: Session, *, now: datetime) -> dict[str, int]:
    """Create the calendars and policies; returns calendar ids by name."""
    every_day = calendar_service.create_calendar(
        session,
        actor=SYSTEM,
        now=now,
        data={
            "name": EVERY_DAY,
            "timezone": "America/Sao_Paulo",
            "weekly_hours": {d: [["08:00", "21:00"]] for d in DAYS},
            "holidays": None,
        },
    )
    office = calendar_service.create_calendar(
        session,
        actor=SYSTEM,
        now=now,
        data={
            "name": OFFICE,
            "timezone": "America/Sao_Paulo",
            "weekly_hours": {
                **{d: [["08:30", "12:00"], ["13:30", "18:00"]] for d in DAYS[:5]},
                "saturday": [],
                "sunday": [],
            },
            "holidays": {"country": "BR", "subdivision": "SP", "categories": ["public"]},
        },
    )
    policies = (
        {
            "name": "Special Service (clientes chave)",
            "calendar_id": office.id,
            "conditions": {"field": "organization.key_account", "op": "eq", "value": True},
            "first_response_minutes": 480,
            "resolution_minutes": 7 * 24 * 60,
            "target_clocks": {"resolution": {"clock": "24x7"}},
            "public": True,
            "auto_close_business_hours": 48,
        },
        {
            "name": "Prime",
            "calendar_id": every_day.id,
            "conditions": {"field": "organization.plan", "op": "in", "value": ["Prime"]},
            "first_response_minutes": 30,
            "next_response_minutes": 60,
            "resolution_minutes": 1440,
            "chat_resolution_starts_at_chat_end": True,
            "public": True,
        },
        {
            "name": "Padrão",
            "calendar_id": every_day.id,
            "conditions": {},
            "first_response_minutes": 30,
            "next_response_minutes": 120,
            "resolution_minutes": 2880,
            "chat_resolution_starts_at_chat_end": True,
            "public": True,
        },
    )
    for data in policies:
        values = {"pause_statuses": ["pending_customer"], "warning_percent": 80, **data}
        sla_policies.create_policy(session, actor=SYSTEM, data=values, now=now)
    return {EVERY_DAY: every_day.id, OFFICE: office.id}
