"""The weekly report digest (reports/digest.py), through the API, the worker's sweep and a real
SMTP sink: opt-in by supervisors and admins, sent each Monday from 08:00 in the subscriber's
zone with last week's figures of their queues only, once per week, nothing for weeks past.
(It lives beside the surveys for their SMTP sink and worker.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from atende.worker import Worker
from tests.jobs.conftest import Clock
from tests.notify.support import SmtpCollector
from tests.surveys.conftest import V1, made, mails, new_ticket, run_jobs

WEDNESDAY = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # 12:00 in São Paulo
MONDAY_8AM = datetime(2026, 3, 9, 11, 0, tzinfo=UTC)  # 08:00 in São Paulo


def sweep(worker: Worker, clock: Clock, when: datetime) -> list[Any]:
    """Run the digests' sweep at ``when`` and deliver what it queued; the mails sent."""
    clock.now = when
    with time_machine.travel(when, tick=False):
        worker.run_sweeps(0.0, force=True)
    run_jobs(worker)  # the e-mail jobs are due at once (by the database's clock)
    return [m for m in mails_of(worker) if "Resumo semanal" in m.subject]


def mails_of(worker: Worker) -> list[Any]:
    return mails(worker.settings_smtp)  # type: ignore[attr-defined]


def test_a_supervisor_gets_last_weeks_figures_of_their_queues_each_monday_once(
    admin: Any, make_user: Any, worker: Worker, clock: Clock, smtp: SmtpCollector
) -> None:
    worker.settings_smtp = smtp  # type: ignore[attr-defined]
    n1 = made(admin.post(f"{V1}/queues", json={"name": "Suporte N1"}))["id"]
    fin = made(admin.post(f"{V1}/queues", json={"name": "Financeiro"}))["id"]
    contact = made(admin.post(f"{V1}/contacts", json={"name": "Joana", "email": "j@p.example"}))
    agent = make_user("agent", name="Paulo", queue_ids=[n1])
    sol = make_user("supervisor", name="Sol", email="sol@example.test", queue_ids=[n1])
    with time_machine.travel(WEDNESDAY, tick=False):
        first = new_ticket(admin, contact["id"], n1, agent.id)
        new_ticket(admin, contact["id"], n1)
        new_ticket(admin, contact["id"], fin)
    with time_machine.travel(WEDNESDAY + timedelta(minutes=30), tick=False):
        made(agent.post(f"{V1}/tickets/{first}/messages", json={"body": "Resolvido?"}), 201)
        # turned on mid-week: the next digest is Monday's, nothing for the weeks past
        on = made(sol.put(f"{V1}/reports/digest", json={"weekly": True}), 200)
    assert on["weekly"] is True and on["next_at"] == "2026-03-09T11:00:00Z"
    assert made(sol.get(f"{V1}/reports/digest"), 200) == on

    assert sweep(worker, clock, WEDNESDAY + timedelta(hours=1)) == []
    assert sweep(worker, clock, MONDAY_8AM - timedelta(minutes=1)) == []
    [mail] = sweep(worker, clock, MONDAY_8AM)
    assert mail.to == ["sol@example.test"]
    assert mail.subject == "Resumo semanal do atendimento: 02/03/2026 a 08/03/2026"
    text = mail.text
    assert "Olá, Sol!" in text
    assert "Suporte N1: Criados 2; Resolvidos 0; Em aberto no fim 2" in text
    assert "Primeira resposta (mediana) 30 minutos" in text
    assert "Financeiro" not in text  # not a queue Sol supervises
    assert "Todas as filas: Criados 2;" in text
    assert "https://suporte.example.test/reports?days=7" in text
    # once per week, however often the sweep runs
    assert len(sweep(worker, clock, MONDAY_8AM + timedelta(hours=2))) == 1
    assert made(sol.get(f"{V1}/reports/digest"), 200)["last_week"] == "2026-03-02"
    # the following Monday brings the following week (empty: nothing measured)
    later = sweep(worker, clock, MONDAY_8AM + timedelta(days=7))
    assert [m.subject for m in later][-1].endswith("09/03/2026 a 15/03/2026")
    # turned off: no more
    with time_machine.travel(MONDAY_8AM + timedelta(days=8), tick=False):
        assert made(sol.put(f"{V1}/reports/digest", json={"weekly": False}), 200)["next_at"] is None
    assert len(sweep(worker, clock, MONDAY_8AM + timedelta(days=14))) == 2
    trail = made(admin.get(f"{V1}/audit", params={"entity_type": "user"}), 200)["items"]
    digest_changes = [e["changes"] for e in trail if "weekly_digest" in e["changes"]]
    assert len(digest_changes) == 2


def test_only_supervisors_and_admins_subscribe_and_bad_input_is_named(
    admin: Any, make_user: Any
) -> None:
    agent = make_user("agent")
    refused = agent.put(f"{V1}/reports/digest", json={"weekly": True})
    assert refused.status_code == 403
    assert made(admin.put(f"{V1}/reports/digest", json={"weekly": True}), 200)["weekly"] is True
    bad = admin.put(f"{V1}/reports/digest", json={"weekly": True, "daily": True})
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["daily"]
