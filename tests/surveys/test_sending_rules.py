"""Who gets a survey and when: never staff, internal domains, merged or spam tickets, nor a
contact inside the cooldown (each skip said on the timeline); on resolution after a delay that a
reopen cancels; the settings are an admin's, validated and audited; a customer sees only their
own surveys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from sqlalchemy.orm import Session

from atende.jobs import outbox
from atende.tickets.models import Ticket
from atende.worker import Worker
from tests.jobs.conftest import Clock
from tests.notify.support import SmtpCollector
from tests.surveys.conftest import (
    V1,
    World,
    made,
    mails,
    new_ticket,
    run_jobs,
    set_status,
    timeline,
)


def skipped(admin: Any, ticket: int) -> list[str]:
    return [e["after"]["why"] for e in timeline(admin, ticket) if e["kind"] == "survey_skipped"]


def contact(admin: Any, email: str, org: int | None = None) -> int:
    return int(made(admin.post(f"{V1}/contacts", json={
        "name": "Fulano", "email": email, "organization_id": org}))["id"])  # fmt: skip


def settings(admin: Any, status: int = 200, **changes: Any) -> Any:
    response = admin.patch(f"{V1}/surveys/settings", json=changes)
    assert response.status_code == status, response.text
    return response.json()


def test_no_survey_for_staff_internal_domains_merged_or_spam_tickets_or_within_the_cooldown(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, make_user: Any
) -> None:
    settings(admin, internal_domains=["@Solis.example", "solis.example"])
    staff = contact(admin, "paulo@solis.example")  # an internal domain
    make_user("agent", email="vera@freela.example")
    agent_as_contact = contact(admin, "Vera@freela.example")  # a staff user's e-mail
    internal_sub = contact(admin, "ti@filial.solis.example")
    cases = {
        "internal_domain": new_ticket(admin, staff, world.queue),
        "staff": new_ticket(admin, agent_as_contact, world.queue),
        "internal_domain ": new_ticket(admin, internal_sub, world.queue),
    }
    spam = new_ticket(admin, world.contact, world.queue)
    made(admin.patch(f"{V1}/tickets/{spam}", json={"tags": ["spam"]}), 200)
    duplicate = new_ticket(admin, world.contact, world.queue)
    made(admin.post(f"{V1}/tickets/{duplicate}/merge", json={"into_ticket_id": world.ticket}), 200)
    for ticket in [*cases.values(), spam]:
        set_status(admin, ticket, "closed")
    run_jobs(worker)
    assert mails(smtp) == []
    for why, ticket in cases.items():
        assert skipped(admin, ticket) == [why.strip()]
    assert skipped(admin, spam) == ["spam"]
    assert skipped(admin, duplicate) == []  # a merged ticket owes nothing: no job at all
    console = [e for e in timeline(admin, spam) if e["kind"] == "survey_skipped"]
    assert console[0]["detail"] == "csat survey not sent: spam"

    # the cooldown: one CSAT per contact in 7 days (default), then again
    set_status(admin, world.ticket, "closed")
    run_jobs(worker)
    assert len(mails(smtp)) == 1
    second = new_ticket(admin, world.contact, world.queue)
    set_status(admin, second, "closed")
    run_jobs(worker)
    assert len(mails(smtp)) == 1 and skipped(admin, second) == ["cooldown"]
    settings(admin, csat_cooldown_days=0)
    third = new_ticket(admin, world.contact, world.queue)
    set_status(admin, third, "closed")
    run_jobs(worker)
    assert len(mails(smtp)) == 2


def test_on_resolution_after_a_delay_a_reopen_cancels_the_survey(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, clock: Clock
) -> None:
    settings(admin, csat_trigger="resolved", delay_minutes=60)
    set_status(admin, world.ticket, "resolved")
    run_jobs(worker)
    assert mails(smtp) == []  # not yet: the delay
    set_status(admin, world.ticket, "open")  # the customer wrote back
    clock.now += timedelta(minutes=61)
    run_jobs(worker)
    assert mails(smtp) == []
    cancelled = [e for e in timeline(admin, world.ticket) if e["kind"] == "survey_cancelled"]
    assert len(cancelled) == 1

    with time_machine.travel(clock.now + timedelta(minutes=5)):
        set_status(admin, world.ticket, "resolved")  # resolved again, later: a new delay
    clock.now += timedelta(minutes=30)
    run_jobs(worker)
    assert mails(smtp) == []
    clock.now += timedelta(minutes=40)
    run_jobs(worker)
    assert len(mails(smtp)) == 1
    set_status(admin, world.ticket, "closed")  # the close after it sends nothing more
    clock.now += timedelta(minutes=61)
    run_jobs(worker)
    assert len(mails(smtp)) == 1


def test_disabled_csat_sends_nothing(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector
) -> None:
    settings(admin, csat_enabled=False)
    set_status(admin, world.ticket, "closed")
    run_jobs(worker)
    assert mails(smtp) == []


def test_the_settings_are_an_admins_validated_and_audited(
    admin: Any, world: World, make_user: Any
) -> None:
    shown = made(admin.get(f"{V1}/surveys/settings"), 200)
    assert (shown["csat_trigger"], shown["delay_minutes"], shown["csat_cooldown_days"]) == (
        "closed", 0, 7,
    )  # fmt: skip
    supervisor = make_user("supervisor")
    assert supervisor.get(f"{V1}/surveys/settings").status_code == 403
    assert supervisor.patch(f"{V1}/surveys/settings", json={"delay_minutes": 5}).status_code == 403

    def refused(body: dict[str, Any], field: str, words: str) -> None:
        problem = settings(admin, 422, **body)
        assert problem["type"] and problem["status"] == 422
        assert [e["field"] for e in problem["errors"]] == [field], problem
        assert words in str(problem), problem

    refused({"internal_domains": ["não é domínio"]}, "internal_domains", "is not a domain name")
    refused({"nps_organization_ids": [world.org, 999999]}, "nps_organization_ids", "999999")
    refused({"nps_plan_ids": [424242]}, "nps_plan_ids", "no plan with id 424242")
    refused({"csat_trigger": "reopened"}, "csat_trigger", "closed")
    refused({"delay_minutes": 20000}, "delay_minutes", "10080")
    refused({"expiry_days": 0}, "expiry_days", "1")
    refused({"csat_enabled": None}, "csat_enabled", "may not be null")
    refused({"surprise": 1}, "surprise", "xtra")

    changed = settings(admin, delay_minutes=90, internal_domains=["Solis.example"])
    assert changed["internal_domains"] == ["solis.example"] and changed["delay_minutes"] == 90
    audit = made(admin.get(f"{V1}/audit", params={"entity_type": "survey_settings"}), 200)
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert entries[0]["action"] == "updated"
    assert entries[0]["changes"]["delay_minutes"] == {"before": 0, "after": 90}
    assert entries[0]["changes"]["internal_domains"] == {"before": [], "after": ["solis.example"]}


def test_a_customer_sees_only_their_own_surveys_and_never_the_summary(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, make_user: Any
) -> None:
    set_status(admin, world.ticket, "closed")
    run_jobs(worker)
    joana = make_user("contact", contact_id=world.contact)
    colleague_id = contact(admin, "lia@padaria.example", world.org)
    colleague = make_user("contact", contact_id=colleague_id)
    stranger = make_user("contact", contact_id=contact(admin, "x@outra.example"))
    [own] = made(joana.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)
    assert own["contact_id"] == world.contact and "token" not in own
    # the colleague reads the organization's ticket, not Joana's survey
    assert made(colleague.get(f"{V1}/tickets/{world.ticket}/surveys"), 200) == []
    assert stranger.get(f"{V1}/tickets/{world.ticket}/surveys").status_code == 404
    assert admin.get(f"{V1}/tickets/999999/surveys").status_code == 404
    params = {"from": "2020-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}
    assert joana.get(f"{V1}/surveys/summary", params=params).status_code == 403


def test_the_summary_refuses_what_it_cannot_read(admin: Any) -> None:
    ok = {"from": "2026-01-01T00:00:00Z", "to": "2026-02-01T00:00:00Z"}
    for params, field in (
        ({"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({**ok, "group_by": "colour"}, "group_by"),
        ({"from": "2026-01-01T00:00:00", "to": ok["to"]}, "from"),
        ({"to": ok["to"]}, "from"),
    ):
        res = admin.get(f"{V1}/surveys/summary", params=params)
        assert res.status_code == 422, res.text
        assert field in str(res.json()["errors"]), res.json()


def test_a_survey_request_queued_before_the_upgrade_still_sends_the_survey(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, db: Session
) -> None:
    ticket = db.get(Ticket, world.ticket)
    assert ticket is not None
    outbox.enqueue(db, "survey.request", idempotency_key=f"survey:{ticket.id}",
                   ticket_id=ticket.id, closed_at=datetime.now(UTC).isoformat())  # fmt: skip
    db.commit()
    run_jobs(worker)
    [mail] = mails(smtp)
    assert mail.to == ["joana@padaria.example"]
