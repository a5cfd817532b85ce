"""The seeds' clocks, configured through the API, reproduce the manuals' examples.

Readings of the manuals (the targets are business minutes on the policy's calendar):

* Seed 000 (chat desk): 08:00-21:00 every day, weekends and holidays included; first response
  30 min; the resolution clock starts when the chat ends (e-mail: at the start of the
  conversation). The manual gives no resolution target: 48 business hours (2880 min) is used here
  only to show the start rule.
* Seed 001 (Special Service, key accounts): Mon-Fri 08:30-12:00 and 13:30-18:00, national
  holidays closed. "First response within 24 h of opening" and "solution within 48 h" are read as
  one and two *business days*: 480 and 960 business minutes (8 open hours a day). Counting 24 h as
  1440 business minutes would give three working days, a promise the manual does not make; 24
  wall-clock hours would count nights and weekends, which the issue rules out ("counted only in
  the hours the team works"). A ticket opened at 10:00 on a Tuesday is thus due at 10:00 on
  Wednesday, exactly 24 h later, as the manual says.
* Seed 003 (vendor SLA): 1 h response for high-priority customers, business hours stop the clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.sla import clocks as sla_clocks
from atende.sla import views as sla_views
from tests.sla.helpers import (
    EVERY_DAY_HOURS,
    SPLIT_HOURS,
    TicketBuilder,
    events,
    make_calendar,
    make_org,
    make_policy,
    utc,
)

SP = ZoneInfo("America/Sao_Paulo")


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def api_due(admin: Any, cal: int, start: datetime, minutes: int) -> str:
    r = admin.get(f"/api/v1/calendars/{cal}/due?start={quote(start.isoformat())}&minutes={minutes}")
    assert r.status_code == 200, r.text
    return str(r.json()["due_at"])


def seed_000(admin: Any) -> tuple[int, dict[str, Any]]:
    cal = make_calendar(
        admin,
        "Atendimento 08-21 todos os dias",
        weekly_hours=EVERY_DAY_HOURS,
        holidays={"country": "BR", "categories": ["public"]},
        open_on_holidays=True,
    )
    policy = make_policy(
        admin,
        "Atendimento STILINGUE",
        cal,
        first_response_minutes=30,
        resolution_minutes=2880,
        chat_resolution_starts_at_chat_end=True,
        public=True,
    )
    return cal, policy


def seed_001(admin: Any) -> tuple[int, dict[str, Any]]:
    cal = make_calendar(
        admin,
        "Special Service",
        weekly_hours=SPLIT_HOURS,
        holidays={"country": "BR", "categories": ["public"]},
    )
    policy = make_policy(
        admin,
        "Special Service",
        cal,
        position=0,
        conditions={
            "any": [
                {"field": "organization.key_account", "op": "eq", "value": True},
                {"field": "organization.stores", "op": "gt", "value": 15},
            ]
        },
        first_response_minutes=480,
        resolution_minutes=960,
    )
    return cal, policy


def test_seed_000_chat_opened_at_20_50_on_a_holiday(admin: Any, db: Session) -> None:
    cal, _ = seed_000(admin)
    christmas = sp(2026, 12, 25, 20, 50)  # a national holiday; the desk works anyway
    assert api_due(admin, cal, christmas, 30) == "2026-12-26T08:20:00-03:00"

    t = TicketBuilder(db, christmas, channel="chat")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=christmas)
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["policy_name"] == "Atendimento STILINGUE"
    assert view["targets"]["first_response"]["due_at"] == utc(sp(2026, 12, 26, 8, 20))
    # The chat is still open: the resolution clock waits for its end.
    res = view["targets"]["resolution"]
    assert res["state"] == "paused" and res["due_at"] is None

    # The agent answers at 08:05 the next morning: 15 min before due.
    t.agent_reply(sp(2026, 12, 26, 8, 5))
    t.ticket.chat_ended_at = utc(sp(2026, 12, 26, 8, 40))
    db.flush()
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 12, 26, 8, 40))
    assert ("sla_met", "first response met 15 min before due") in events(db, t.ticket)
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["business_seconds_used"] == 15 * 60  # 10 + 5
    # 2880 business minutes from the chat's end at 08:40: 13 h a day, holidays included.
    res = view["targets"]["resolution"]
    assert res["state"] == "running"
    assert res["due_at"] == utc(sp(2026, 12, 29, 17, 40))


def test_seed_000_email_resolution_starts_with_the_conversation(admin: Any, db: Session) -> None:
    seed_000(admin)
    t = TicketBuilder(db, sp(2026, 3, 7, 21, 30), channel="email")  # a Saturday, after hours
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 7, 21, 30))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["due_at"] == utc(sp(2026, 3, 8, 8, 30))
    assert view["targets"]["resolution"]["due_at"] == utc(sp(2026, 3, 11, 17, 0))


def test_seed_001_key_account_friday_evening_before_a_national_holiday(
    admin: Any, db: Session
) -> None:
    cal, _ = seed_001(admin)
    friday = sp(2026, 9, 4, 19, 0)  # Monday 7 September is Independence Day
    # Nothing counts until Tuesday 08:30; 480 business minutes fill Tuesday: due at 18:00,
    # the closing time (not Wednesday's opening).
    assert api_due(admin, cal, friday, 480) == "2026-09-08T18:00:00-03:00"
    assert api_due(admin, cal, friday, 960) == "2026-09-09T18:00:00-03:00"

    org = make_org(db, "Franqueadora X", key_account=True, stores=0)
    t = TicketBuilder(db, friday, organization=org, channel="whatsapp")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=friday)
    assert events(db, t.ticket)[0] == (
        "sla_policy",
        "SLA policy Special Service applied: organization.key_account = true",
    )
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["due_at"] == utc(sp(2026, 9, 8, 18, 0))
    assert view["targets"]["first_response"]["warning_at"] == utc(sp(2026, 9, 8, 16, 24))
    assert view["targets"]["resolution"]["due_at"] == utc(sp(2026, 9, 9, 18, 0))
    assert utc(t.ticket.next_sla_deadline) == utc(sp(2026, 9, 8, 16, 24))

    # On the holiday Monday nothing has been used.
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 9, 7, 15, 0))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["business_seconds_used"] == 0


def test_seed_001_the_24h_reading_on_an_ordinary_day(admin: Any, db: Session) -> None:
    cal, _ = seed_001(admin)
    assert api_due(admin, cal, sp(2026, 3, 3, 10, 0), 480) == "2026-03-04T10:00:00-03:00"
    org = make_org(db, "Rede Y", stores=16)
    t = TicketBuilder(db, sp(2026, 3, 3, 10, 0), organization=org)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 10, 0))
    assert events(db, t.ticket)[0][1] == (
        "SLA policy Special Service applied: organization.stores > 15"
    )
    small = make_org(db, "Loja Z", stores=15)
    u = TicketBuilder(db, sp(2026, 3, 3, 10, 0), organization=small)
    sla_clocks.reevaluate(db, ticket=u.ticket, now=sp(2026, 3, 3, 10, 0))
    assert events(db, u.ticket) == [("sla_policy", "no SLA policy matches")]


def test_seed_003_reply_straddling_the_lunch_break(admin: Any, db: Session) -> None:
    seed_001(admin)  # key accounts first
    cal = make_calendar(admin, "Comercial", weekly_hours=SPLIT_HOURS)
    make_policy(
        admin,
        "Alta prioridade",
        cal,
        conditions={"all": [{"field": "ticket.priority", "op": "in", "value": ["high", "urgent"]}]},
        first_response_minutes=60,
        resolution_minutes=1440,
    )
    t = TicketBuilder(db, sp(2026, 3, 3, 11, 30), priority="high")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 11, 30))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["policy_name"] == "Alta prioridade"
    # 30 minutes before lunch, 30 after it.
    assert view["targets"]["first_response"]["due_at"] == utc(sp(2026, 3, 3, 14, 0))
    t.agent_reply(sp(2026, 3, 3, 13, 55))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 13, 55))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    fr = view["targets"]["first_response"]
    assert fr["state"] == "met"
    assert fr["business_seconds_used"] == 55 * 60  # 30 + 25: lunch did not count
    assert events(db, t.ticket)[-1] == ("sla_met", "first response met 5 min before due")
