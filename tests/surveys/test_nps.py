"""NPS (seed 001): transactional after a close for the organizations or plans an admin chose;
corporate (relationship) campaigns an admin schedules for key accounts, run by the worker on a
deterministic sample with a cooldown and one reminder; reported apart from CSAT, per
organization and over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine
from fastapi.testclient import TestClient

from atende.domain import surveys as rules
from atende.worker import Worker
from tests.jobs.conftest import Clock
from tests.notify.support import SmtpCollector
from tests.surveys.conftest import (
    V1,
    World,
    checked_score,
    form_token,
    made,
    mails,
    run_jobs,
    set_status,
)

PT = {"Accept-Language": "pt-BR"}


def summary(user: Any, **params: Any) -> Any:
    query = {"from": "2000-01-01T00:00:00Z", "to": "2100-01-01T00:00:00Z", **params}
    return made(user.get(f"{V1}/surveys/summary", params=query), 200)


def confirm(client: TestClient, link: str, score: int) -> None:
    page = client.get(link, headers=PT)
    assert page.status_code == 200, page.text
    done = client.post(
        link.split("?")[0], data={"nota": str(score), "csrf_token": form_token(page.text)},
        headers=PT,
    )  # fmt: skip
    assert done.status_code == 200, done.text


def test_transactional_nps_follows_a_close_for_the_chosen_plans_only(
    admin: Any, world: World, worker: Worker, smtp: SmtpCollector, client: TestClient
) -> None:
    prime = made(admin.post(f"{V1}/plans", json={"name": "Prime"}))["id"]
    made(admin.patch(f"{V1}/organizations/{world.org}", json={"plan_id": prime}), 200)
    made(admin.patch(f"{V1}/surveys/settings", json={"nps_enabled": True,
                                                      "nps_plan_ids": [prime]}), 200)  # fmt: skip
    set_status(admin, world.ticket, "closed")
    run_jobs(worker)
    csat, nps = sorted(mails(smtp), key=lambda m: "recomendaria" in m.subject)
    assert nps.subject == "Você nos recomendaria? Sua opinião em um clique"
    assert sorted(nps.links()) == list(range(11))
    page = client.get(nps.links()[3], headers=PT)
    assert "Você nos recomendaria?" in page.text and checked_score(page.text) == 3
    assert "O que deu errado?" in page.text  # a detractor is asked why too
    confirm(client, nps.links()[9], 9)
    confirm(client, csat.links()[5], 5)
    body = summary(admin)
    assert body["nps_transactional"] == [
        {"group": {}, "count": 1, "promoters": 1, "passives": 0, "detractors": 0, "nps": 100.0}
    ]
    assert body["nps_corporate"][0]["count"] == 0
    assert body["csat"][0]["count"] == 1
    kinds = [s["kind"] for s in made(admin.get(f"{V1}/tickets/{world.ticket}/surveys"), 200)]
    assert sorted(kinds) == ["csat", "nps"]


def _contacts(admin: Any, org: int, n: int, prefix: str) -> list[int]:
    return [
        made(
            admin.post(
                f"{V1}/contacts",
                json={
                    "name": f"{prefix} {i}",
                    "email": f"{prefix}{i}@{prefix}.example",
                    "organization_id": org,
                },
            )
        )["id"]
        for i in range(n)
    ]


def test_a_corporate_campaign_asks_a_seeded_sample_reminds_once_and_comes_back_quarterly(
    admin: Any,
    worker: Worker,
    smtp: SmtpCollector,
    client: TestClient,
    clock: Clock,
    make_user: Any,
) -> None:
    rede = made(admin.post(f"{V1}/organizations", json={"name": "Rede Sabor", "key_account": True}))
    lojas = made(admin.post(f"{V1}/organizations", json={"name": "Lojas Sol", "key_account": True}))
    other = made(admin.post(f"{V1}/organizations", json={"name": "Avulsa"}))
    a_ids = _contacts(admin, rede["id"], 6, "sabor")
    b_ids = _contacts(admin, lojas["id"], 4, "sol")
    _contacts(admin, other["id"], 3, "avulsa")
    make_user("agent", email="sabor0@sabor.example")  # a staff member is never asked
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    body = {"name": "NPS trimestral", "organization_ids": [rede["id"], lojas["id"]],
            "sample_percent": 50, "sample_max": 4, "seed": "seed-1", "next_run_at":
            start.isoformat(), "reminder_days": 7, "expiry_days": 28}  # fmt: skip
    agent = make_user("agent")
    assert agent.post(f"{V1}/surveys/campaigns", json=body).status_code == 403
    bad = admin.post(f"{V1}/surveys/campaigns", json={**body, "organization_ids": [999999]})
    assert bad.status_code == 422 and "999999" in bad.text
    bad = admin.post(f"{V1}/surveys/campaigns", json={**body, "reminder_days": 30})
    assert bad.status_code == 422 and "reminder_days" in bad.text
    campaign = made(admin.post(f"{V1}/surveys/campaigns", json=body))
    assert campaign["rounds"] == 0
    audit = made(admin.get(f"{V1}/audit", params={"entity_type": "survey_campaign"}), 200)
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert entries[0]["action"] == "created" and entries[0]["entity_label"] == "NPS trimestral"

    eligible = sorted(set(a_ids[1:] + b_ids))  # sabor0 is staff
    expected = rules.sample(eligible, percent=50, maximum=4, seed="seed-1:1")
    assert len(expected) == 4
    clock.now = start - timedelta(seconds=1)
    worker.run_sweeps(0, force=True)
    run_jobs(worker)
    assert mails(smtp) == []  # not yet
    clock.now = start
    with time_machine.travel(start):
        worker.run_sweeps(0, force=True)
        run_jobs(worker)
    first = mails(smtp)
    emails = sorted(m.to[0] for m in first)
    by_id = {cid: f"sabor{i}@sabor.example" for i, cid in enumerate(a_ids)} | {
        cid: f"sol{i}@sol.example" for i, cid in enumerate(b_ids)
    }
    assert emails == sorted(by_id[c] for c in expected)
    assert all(m.subject == "Você nos recomendaria? Sua opinião em um clique" for m in first)
    shown = made(admin.get(f"{V1}/surveys/campaigns/{campaign['id']}"), 200)
    assert shown["rounds"] == 1
    # two answer (a promoter and a detractor) on the first day; the others get one reminder
    with time_machine.travel(start + timedelta(hours=1)):
        confirm(client, first[0].links()[10], 10)
        confirm(client, first[1].links()[2], 2)
    clock.now = start + timedelta(days=7, minutes=1)
    with time_machine.travel(clock.now):
        worker.run_sweeps(0, force=True)
        run_jobs(worker)
        worker.run_sweeps(0, force=True)  # once only
        run_jobs(worker)
    reminders = mails(smtp)[len(first) :]
    assert sorted(m.to[0] for m in reminders) == sorted(m.to[0] for m in first[2:])
    assert all(m.subject.startswith("Lembrete: ") for m in reminders)
    assert [m.token for m in reminders] == [m.token for m in first[2:]]  # the same link

    # per organization and per month, apart from the transactional NPS
    by_org = summary(admin, group_by="organization")["nps_corporate"]
    figures = {r["group"]["name"]: (r["count"], r["nps"]) for r in by_org}
    asked_orgs = {("Rede Sabor" if "sabor" in m.to[0] else "Lojas Sol") for m in first[:2]}
    assert sum(c for c, _ in figures.values()) == 2 and set(figures) == asked_orgs
    month = summary(admin, group_by="month")["nps_corporate"]
    assert [(r["count"], r["promoters"], r["detractors"], r["nps"]) for r in month] == [
        (2, 1, 1, 0.0)
    ]
    assert summary(admin)["nps_transactional"][0]["count"] == 0

    # the next quarter: those asked within the 90-day cooldown... are not any more
    shown = made(admin.get(f"{V1}/surveys/campaigns/{campaign['id']}"), 200)
    nxt = datetime.fromisoformat(shown["next_run_at"])
    assert timedelta(days=88) <= nxt - start <= timedelta(days=93)
    before = len(mails(smtp))
    clock.now = nxt
    with time_machine.travel(nxt):
        worker.run_sweeps(0, force=True)
        run_jobs(worker)
    second = mails(smtp)[before:]
    assert len(second) == 4
    assert made(admin.get(f"{V1}/surveys/campaigns/{campaign['id']}"), 200)["rounds"] == 2

    # paused: nothing more
    made(admin.patch(f"{V1}/surveys/campaigns/{campaign['id']}", json={"active": False}), 200)
    audit = made(admin.get(f"{V1}/audit", params={"entity_type": "survey_campaign"}), 200)
    entries = audit["items"] if isinstance(audit, dict) else audit
    assert entries[0]["changes"]["active"] == {"before": True, "after": False}


def test_the_campaign_cooldown_skips_contacts_asked_recently(
    admin: Any, worker: Worker, smtp: SmtpCollector, clock: Clock
) -> None:
    org = made(admin.post(f"{V1}/organizations", json={"name": "Rede Sabor"}))["id"]
    ids = _contacts(admin, org, 3, "sabor")
    start = datetime.now(UTC).replace(microsecond=0)
    first = made(admin.post(f"{V1}/surveys/campaigns", json={
        "name": "A", "organization_ids": [org], "sample_max": 1, "seed": "s",
        "next_run_at": start.isoformat()}))  # fmt: skip
    clock.now = datetime.now(UTC) + timedelta(seconds=5)  # the e-mail jobs are due at once
    worker.run_sweeps(0, force=True)
    run_jobs(worker)
    [asked] = mails(smtp)
    made(admin.patch(f"{V1}/surveys/campaigns/{first['id']}", json={"active": False}), 200)
    made(admin.post(f"{V1}/surveys/campaigns", json={
        "name": "B", "organization_ids": [org], "seed": "s", "cooldown_days": 30,
        "next_run_at": start.isoformat()}))  # fmt: skip
    clock.now = datetime.now(UTC) + timedelta(seconds=5)
    worker.run_sweeps(0, force=True)
    run_jobs(worker)
    again = [m.to[0] for m in mails(smtp)[1:]]
    assert len(again) == len(ids) - 1 and asked.to[0] not in again
