"""sla.clocks.reevaluate and sla.views.sla_view: the policy that applies, the persisted clocks, the
ticket's next deadline and the timeline events, from the ticket's stored history."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.sla import clocks as sla_clocks
from atende.sla import views as sla_views
from tests.sla.helpers import TicketBuilder, events, make_calendar, make_org, make_policy, utc

SP = ZoneInfo("America/Sao_Paulo")
PRIME = {"all": [{"field": "organization.plan", "op": "in", "value": ["Prime"]}]}


def sp(*args: int) -> datetime:
    return datetime(*args, tzinfo=SP)  # type: ignore[misc]


def setup_policies(admin: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    cal = make_calendar(admin)
    prime = make_policy(
        admin,
        "Prime",
        cal,
        conditions=PRIME,
        first_response_minutes=60,
        next_response_minutes=60,
        resolution_minutes=480,
    )
    default = make_policy(admin, "Standard", cal, first_response_minutes=240)
    return prime, default


def test_first_matching_policy_applies_and_the_timeline_says_why(admin: Any, db: Session) -> None:
    prime, _ = setup_policies(admin)
    org = make_org(db, "Loja Prime", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    assert events(db, t.ticket) == [
        ("sla_policy", "SLA policy Prime applied: organization.plan in [Prime]")
    ]
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["policy_id"] == prime["id"]
    assert view["policy_name"] == "Prime"
    assert set(view["targets"]) == {"first_response", "resolution"}  # no next response yet
    fr = view["targets"]["first_response"]
    assert fr == {
        "state": "running",
        "due_at": utc(sp(2026, 3, 3, 10, 0)),
        "warning_at": utc(sp(2026, 3, 3, 9, 48)),
        "met_at": None,
        "breached_at": None,
        "business_seconds_used": 0,
    }
    assert utc(t.ticket.next_sla_deadline) == utc(sp(2026, 3, 3, 9, 48))


def test_the_fallback_policy_and_no_policy(admin: Any, db: Session) -> None:
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    assert events(db, t.ticket) == [("sla_policy", "no SLA policy matches")]
    assert sla_views.sla_view(db, t.ticket) is None
    assert t.ticket.next_sla_deadline is None
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 5))
    assert len(events(db, t.ticket)) == 1  # said once

    setup_policies(admin)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 10))
    assert events(db, t.ticket)[-1] == ("sla_policy", "SLA policy Standard applied: always")
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["policy_name"] == "Standard"
    assert view["targets"]["first_response"]["due_at"] == utc(sp(2026, 3, 3, 14, 30))


def test_reply_meets_the_first_response_and_says_by_how_much(admin: Any, db: Session) -> None:
    setup_policies(admin)
    org = make_org(db, "Loja Prime", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    t.agent_reply(sp(2026, 3, 3, 9, 40, 30), public=False)  # an internal note is no response
    t.agent_reply(sp(2026, 3, 3, 9, 48))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 48))
    assert events(db, t.ticket)[-1] == ("sla_met", "first response met 12 min before due")
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    fr = view["targets"]["first_response"]
    assert fr["state"] == "met"
    assert fr["met_at"] == utc(sp(2026, 3, 3, 9, 48))
    assert fr["business_seconds_used"] == 48 * 60
    # the resolution clock is what is left: warning at 80 % of 480 min
    assert utc(t.ticket.next_sla_deadline) == utc(sp(2026, 3, 3, 16, 54))

    # A second evaluation with nothing new writes nothing.
    before = events(db, t.ticket)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 50))
    assert events(db, t.ticket) == before


def test_warning_then_breach_found_by_the_sweeper(admin: Any, db: Session) -> None:
    from atende.sla import repository as sla_repository

    setup_policies(admin)
    org = make_org(db, "Loja Prime", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    assert sla_repository.due_ticket_ids(db, now=utc(sp(2026, 3, 3, 9, 47))) == []  # type: ignore[arg-type]
    assert t.ticket.id in sla_repository.due_ticket_ids(db, now=utc(sp(2026, 3, 3, 9, 48)))  # type: ignore[arg-type]
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 48))
    assert events(db, t.ticket)[-1][0] == "sla_warning"
    assert events(db, t.ticket)[-1][1].startswith("first response nearing its target")
    assert utc(t.ticket.next_sla_deadline) == utc(sp(2026, 3, 3, 10, 0))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 10, 0))
    kind, detail = events(db, t.ticket)[-1]
    assert kind == "sla_breached"
    assert detail == "first response breached at 2026-03-03 10:00:00-03:00"
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["state"] == "breached"
    assert view["targets"]["first_response"]["breached_at"] == utc(sp(2026, 3, 3, 10, 0))
    # The late reply is recorded but the target stays breached.
    t.agent_reply(sp(2026, 3, 3, 10, 5))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 10, 5))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["state"] == "breached"
    assert view["targets"]["first_response"]["met_at"] == utc(sp(2026, 3, 3, 10, 5))
    assert [k for k, _ in events(db, t.ticket)].count("sla_breached") == 1


def test_pause_and_resume_shift_the_due_instants(admin: Any, db: Session) -> None:
    setup_policies(admin)
    org = make_org(db, "Loja Prime", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    t.agent_reply(sp(2026, 3, 3, 9, 10)).status(sp(2026, 3, 3, 9, 10), "open")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 10))
    t.status(sp(2026, 3, 3, 10, 0), "pending_customer")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 10, 0))
    assert events(db, t.ticket)[-1] == (
        "sla_paused",
        "SLA clocks paused while the ticket is pending_customer",
    )
    assert t.ticket.next_sla_deadline is None  # nothing runs while paused
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["targets"]["resolution"]["state"] == "paused"

    t.contact_message(sp(2026, 3, 3, 15, 0)).status(sp(2026, 3, 3, 15, 0), "open")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 15, 0))
    kinds = [k for k, _ in events(db, t.ticket)]
    assert kinds[-1] == "sla_resumed"
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    res = view["targets"]["resolution"]
    assert res["state"] == "running"
    assert res["business_seconds_used"] == 60 * 60  # 09:00-10:00, then paused
    # 420 minutes left from 15:00: 15:00-18:00 (180), then 08:30-12:00 (210), 13:30-14:00 (30)
    assert res["due_at"] == utc(sp(2026, 3, 4, 14, 0))
    nr = view["targets"]["next_response"]
    assert nr["state"] == "running"
    assert nr["due_at"] == utc(sp(2026, 3, 3, 16, 0))


def test_policy_change_keeps_ended_targets(admin: Any, db: Session) -> None:
    setup_policies(admin)
    org = make_org(db, "Loja", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    t.agent_reply(sp(2026, 3, 3, 9, 30))
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 30))
    # The organization moves to another plan: the Standard policy applies from now on.
    from atende.customers.models import Plan

    light = Plan(name="Light")
    db.add(light)
    db.flush()
    org.plan_id = light.id
    db.flush()
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 11, 0))
    assert events(db, t.ticket)[-1] == (
        "sla_policy",
        "SLA policy changed from Prime to Standard: always",
    )
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["policy_name"] == "Standard"
    assert view["targets"]["first_response"]["state"] == "met"
    assert set(view["targets"]) == {"first_response"}  # Standard has no resolution target


def test_imported_history_gets_the_state_it_implies(admin: Any, db: Session) -> None:
    setup_policies(admin)
    org = make_org(db, "Loja", plan="Prime")
    t = TicketBuilder(db, sp(2026, 2, 2, 9, 0), organization=org)
    t.agent_reply(sp(2026, 2, 2, 9, 20))  # first response met (40 min early)
    t.contact_message(sp(2026, 2, 2, 10, 0))  # next response #1 ...
    t.agent_reply(sp(2026, 2, 2, 11, 30))  # ... breached at 11:00
    t.contact_message(sp(2026, 2, 2, 11, 40))  # next response #2 ...
    t.agent_reply(sp(2026, 2, 2, 11, 50))  # ... met
    t.status(sp(2026, 2, 2, 16, 0), "resolved")  # resolution met
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 12, 0))
    assert events(db, t.ticket) == [
        ("sla_policy", "SLA policy Prime applied: organization.plan in [Prime]"),
        ("sla_met", "first response met 40 min before due"),
        ("sla_breached", "next response breached at 2026-02-02 11:00:00-03:00; done 30 min late"),
        ("sla_met", "next response #2 met 2 h 20 min before due"),
        ("sla_met", "resolution met 17 h before due"),
    ]
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert {k: v["state"] for k, v in view["targets"].items()} == {
        "first_response": "met",
        "next_response": "met",
        "resolution": "met",
    }
    assert t.ticket.next_sla_deadline is None


def test_reopen_continues_the_resolution_clock(admin: Any, db: Session) -> None:
    setup_policies(admin)
    org = make_org(db, "Loja", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    t.agent_reply(sp(2026, 3, 3, 9, 5)).status(sp(2026, 3, 3, 10, 0), "resolved")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 10, 0))
    assert events(db, t.ticket)[-1] == ("sla_met", "resolution met 23 h before due")
    t.status(sp(2026, 3, 4, 9, 0), "open")
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 4, 9, 0))
    assert events(db, t.ticket)[-1] == (
        "sla_reopened",
        "resolution clock running again (reopened); due 2026-03-04 17:30:00-03:00",
    )
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    res = view["targets"]["resolution"]
    assert res["state"] == "running"
    assert res["business_seconds_used"] == 3600
    # 420 minutes left from Wed 09:00: 09:00-12:00 (180), 13:30-17:30 (240)
    assert res["due_at"] == utc(sp(2026, 3, 4, 17, 30))


def test_agent_opening_message_is_not_a_response(admin: Any, db: Session) -> None:
    from atende.tickets.models import Message

    setup_policies(admin)
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0))
    # Rewrite the opening message as the creating agent's (an outbound ticket).
    opening = db.query(Message).filter_by(ticket_id=t.ticket.id).one()
    opening.author_kind = "agent"
    db.flush()
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 30))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None
    assert view["targets"]["first_response"]["state"] == "running"


def test_deleted_policy_leaves_the_ticket_until_reevaluated(admin: Any, db: Session) -> None:
    prime, _ = setup_policies(admin)
    org = make_org(db, "Loja", plan="Prime")
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), organization=org)
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    assert admin.delete(f"/api/v1/sla-policies/{prime['id']}").status_code == 204
    db.expire_all()
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["policy_id"] is None and view["policy_name"] == "Prime"
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 10))
    view = sla_views.sla_view(db, t.ticket)
    assert view is not None and view["policy_name"] == "Standard"


def test_custom_fields_priority_and_tags_decide(admin: Any, db: Session) -> None:
    cal = make_calendar(admin)
    make_policy(
        admin,
        "Urgent ERP",
        cal,
        conditions={
            "all": [
                {"field": "ticket.priority", "op": "eq", "value": "urgent"},
                {"field": "custom_fields.erp", "op": "eq", "value": "SetaERP"},
            ]
        },
        first_response_minutes=15,
    )
    t = TicketBuilder(db, sp(2026, 3, 3, 9, 0), priority="urgent")
    t.ticket.custom_fields = {"erp": "setaerp"}
    db.flush()
    sla_clocks.reevaluate(db, ticket=t.ticket, now=sp(2026, 3, 3, 9, 0))
    assert events(db, t.ticket) == [
        (
            "sla_policy",
            "SLA policy Urgent ERP applied: "
            "ticket.priority = urgent and custom_fields.erp = SetaERP",
        )
    ]
    assert sla_views.sla_view(db, t.ticket)["targets"]["first_response"]["due_at"] == utc(  # type: ignore[index]
        sp(2026, 3, 3, 9, 15)
    )
