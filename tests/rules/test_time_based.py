"""time_based rules: fire once per status period when the ticket has been N business hours in a
status (on its SLA policy's calendar, else the default calendar), found by an indexed sweep."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from atende.rules import engine
from atende.rules.models import RuleFiring
from atende.workflows.settle import Settler
from tests.rules.conftest import T0, World, run_rules

SP = ZoneInfo("America/Sao_Paulo")


def sweep_time_based(db: Session, *, now: datetime, limit: int = 500) -> int:
    """The worker's time-rules sweep, in the test's transaction."""
    settle = Settler(db, now=now)
    return engine.sweep_time_based(db, now=now, cascade=settle.cascade, settle=settle, limit=limit)


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def reminder(world: World, hours: int = 12, **extra: Any) -> Any:
    return world.rule(
        name=extra.pop("name", "lembrete"),
        event="time_based",
        time={"status": "pending_customer", "business_hours": hours},
        actions=extra.pop(
            "actions",
            [
                {"type": "add_tags", "value": ["lembrete"]},
                {"type": "notify_email", "value": {"to": ["requester"]}},
            ],
        ),
        **extra,
    )


def waiting_ticket(world: World, at: datetime = T0) -> Any:
    ticket = world.ticket(now=at, contact_id=world.contact().id)
    world.update(ticket, now=at, status="pending_customer")
    return ticket


def test_fires_once_when_the_business_hours_are_reached(world: World) -> None:
    world.calendar()  # Mon-Fri 08:00-18:00: the default calendar
    reminder(world)
    ticket = waiting_ticket(world)  # Tuesday 10:00
    assert ticket.status_changed_at == T0
    # 12 wall hours later only 8 business hours have passed (Tue 10-18)
    assert sweep_time_based(world.db, now=sp(2026, 3, 3, 22, 0)) == 0
    assert sweep_time_based(world.db, now=sp(2026, 3, 4, 11, 59)) == 0
    assert world.tags(ticket) == []
    assert sweep_time_based(world.db, now=sp(2026, 3, 4, 12, 0)) == 1
    assert world.tags(ticket) == ["lembrete"]
    [summary] = world.events(ticket, "rule")
    assert summary.after["event"] == "time_based"
    assert summary.after["matched"] == "pending_customer for 12 business hours (≥ 12)"
    [job] = world.jobs("notify.email")
    assert "time_based:s2026-03-03T13:00:00+00:00" in (job.idempotency_key or "")
    # never twice in one status period
    assert sweep_time_based(world.db, now=sp(2026, 3, 9, 12, 0)) == 0
    run_rules(world.db, ticket, "time_based", sp(2026, 3, 9, 12, 0))
    assert len(world.events(ticket, "rule")) == 1
    # a new period (the customer answered, the agent is waiting again) fires again
    world.update(ticket, now=sp(2026, 3, 4, 13, 0), status="open")
    world.update(ticket, now=sp(2026, 3, 4, 13, 0), status="pending_customer")
    assert sweep_time_based(world.db, now=sp(2026, 3, 5, 13, 0)) == 0  # 10 h
    assert sweep_time_based(world.db, now=sp(2026, 3, 6, 10, 0)) == 1  # 17 h
    assert len(world.events(ticket, "rule")) == 2
    assert len(world.jobs("notify.email")) == 2


def test_the_ticket_s_policy_calendar_counts(world: World, admin: Any) -> None:
    from tests.sla.helpers import EVERY_DAY_HOURS, make_calendar, make_policy

    world.calendar()  # the default, Mon-Fri 08:00-18:00 (not used: the policy's wins)
    cal = make_calendar(admin, "Todo dia", weekly_hours=EVERY_DAY_HOURS)  # 08:00-21:00
    make_policy(admin, "Chat", cal, first_response_minutes=30)
    reminder(world)
    waiting_ticket(world)  # Tuesday 10:00: 11 h on Tuesday, then 08:00 Wednesday
    assert sweep_time_based(world.db, now=sp(2026, 3, 4, 8, 59)) == 0
    assert sweep_time_based(world.db, now=sp(2026, 3, 4, 9, 0)) == 1


def test_without_any_calendar_hours_are_wall_hours(world: World) -> None:
    reminder(world, hours=5)
    ticket = waiting_ticket(world)
    assert sweep_time_based(world.db, now=sp(2026, 3, 3, 14, 59)) == 0
    assert sweep_time_based(world.db, now=sp(2026, 3, 3, 15, 0)) == 1
    assert world.tags(ticket) == ["lembrete"]


def test_conditions_are_decided_once_per_period(world: World) -> None:
    rule = reminder(
        world,
        hours=1,
        conditions={"all": [{"field": "ticket.tags", "op": "contains", "value": "vip"}]},
    )
    ticket = waiting_ticket(world)
    assert sweep_time_based(world.db, now=sp(2026, 3, 3, 12, 0)) == 0
    [firing] = world.db.scalars(select(RuleFiring).where(RuleFiring.rule_id == rule.id))
    assert (firing.ticket_id, firing.matched, firing.status_changed_at) == (ticket.id, False, T0)
    assert world.events(ticket, "rule") == []
    # a tag added later in the same period does not make it fire: it was decided
    world.update(ticket, now=sp(2026, 3, 3, 12, 30), tags=["vip"])
    assert sweep_time_based(world.db, now=sp(2026, 3, 3, 13, 0)) == 0


def test_only_the_rule_s_status_counts(world: World) -> None:
    reminder(world, hours=1)
    ticket = world.ticket(contact_id=world.contact().id)
    world.update(ticket, status="pending_internal")
    assert sweep_time_based(world.db, now=sp(2026, 3, 10, 12, 0)) == 0
    assert world.db.scalars(select(RuleFiring)).all() == []


def test_a_sweep_is_bounded_by_its_limit(world: World) -> None:
    reminder(world, hours=1)
    tickets = [waiting_ticket(world) for _ in range(3)]
    later = sp(2026, 3, 3, 12, 0)
    assert sweep_time_based(world.db, now=later, limit=2) == 2
    assert sweep_time_based(world.db, now=later, limit=2) == 1
    assert sweep_time_based(world.db, now=later, limit=2) == 0
    assert all(world.tags(t) == ["lembrete"] for t in tickets)


def test_a_time_based_rule_can_close_and_its_cascade_runs(world: World) -> None:
    """The seed's auto-close as a rule: resolved for N business hours -> closed; the
    ticket_updated rules then see the closed ticket."""
    world.rule(
        name="encerrar",
        event="time_based",
        time={"status": "resolved", "business_hours": 48},
        actions=[{"type": "set_status", "value": "closed"}],
    )
    world.rule(
        name="pesquisa",
        event="ticket_updated",
        conditions={"all": [{"field": "ticket.status", "op": "eq", "value": "closed"}]},
        actions=[{"type": "notify_email", "value": {"to": ["cs@solis.test"]}}],
    )
    ticket = world.ticket(contact_id=world.contact().id)
    world.update(ticket, status="resolved")
    assert sweep_time_based(world.db, now=sp(2026, 3, 5, 9, 59)) == 0
    assert sweep_time_based(world.db, now=sp(2026, 3, 5, 10, 0)) == 1
    assert ticket.status == "closed"
    assert [e.after["rule"] for e in world.events(ticket, "rule")] == ["encerrar", "pesquisa"]
    assert len(world.jobs("notify.email")) == 1
