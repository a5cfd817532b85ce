"""CSAT in the metrics report (reports.service.csat_by_group): the surveys answered in the
period, cut like the report's rows (whole, per agent recorded at sending, per local day), and
null where the surveys cannot be cut the report's way."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from atende.customers.models import Contact
from atende.surveys.models import SurveyInvitation

V1 = "/api/v1"
T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday 12:00 in São Paulo


def test_the_metrics_report_carries_csat_per_group(admin: Any, make_user: Any, db: Session) -> None:
    ana, bia = make_user("agent", name="Ana"), make_user("agent", name="Bia")
    contact = Contact(name="Lia", email="lia@loja.example")
    db.add(contact)
    db.flush()
    answers = [(ana.id, 5, 0), (ana.id, 4, 0), (ana.id, 1, 1), (bia.id, 2, 1)]
    for n, (agent, score, day) in enumerate(answers):
        at = T0 + timedelta(days=day)
        db.add(SurveyInvitation(
            kind="csat", source="ticket", contact_id=contact.id, agent_id=agent,
            channel="email", token_sha256=f"{n:064d}", sent_at=at - timedelta(hours=1),
            expires_at=at + timedelta(days=14), answered_at=at, score=score, reason="",
            comment="",
        ))  # fmt: skip
    db.commit()
    period = {"from": "2026-03-01T00:00:00-03:00", "to": "2026-03-08T00:00:00-03:00"}

    def report(**extra: Any) -> list[dict[str, Any]]:
        r = admin.get(f"{V1}/reports/metrics", params={**period, **extra})
        assert r.status_code == 200, r.text
        return list(r.json()["rows"])

    (whole,) = report()
    assert whole["csat"] == {"count": 4, "satisfied_percent": 50.0, "average": 3.0}
    by_agent = {row["group"]["agent_id"]: row["csat"] for row in report(group_by="agent")}
    # the agents have no measured span in the period: their rows come from the ratings alone
    assert by_agent == {
        ana.id: {"count": 3, "satisfied_percent": 66.7, "average": 3.33},
        bia.id: {"count": 1, "satisfied_percent": 0.0, "average": 2.0},
    }
    by_day = {row["group"]["day"]: row["csat"] for row in report(group_by="day")}
    assert by_day == {
        "2026-03-02": {"count": 2, "satisfied_percent": 100.0, "average": 4.5},
        "2026-03-03": {"count": 2, "satisfied_percent": 0.0, "average": 1.5},
    }
    by_queue_filter = report(queue_id=1)
    assert all(row["csat"] is None for row in by_queue_filter)  # filtered: not cut that way
    assert all(row["csat"] is None for row in report(group_by="channel"))


def test_a_supervisor_reads_only_their_queues_ratings(
    admin: Any, make_user: Any, db: Session
) -> None:
    n1 = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    fin = admin.post(f"{V1}/queues", json={"name": "Financeiro"}).json()["id"]
    contact = Contact(name="Lia", email="lia@loja.example")
    db.add(contact)
    db.flush()
    for n, (queue, score) in enumerate([(n1, 5), (n1, 4), (fin, 1)]):
        db.add(SurveyInvitation(
            kind="csat", source="ticket", contact_id=contact.id, queue_id=queue,
            channel="email", token_sha256=f"{n:064d}", sent_at=T0 - timedelta(hours=1),
            expires_at=T0 + timedelta(days=14), answered_at=T0, score=score, reason="",
            comment="",
        ))  # fmt: skip
    db.commit()
    period = {"from": "2026-03-01T00:00:00-03:00", "to": "2026-03-08T00:00:00-03:00"}
    boss = make_user("supervisor", queue_ids=[n1])

    def rows(who: Any, **extra: Any) -> list[dict[str, Any]]:
        r = who.get(f"{V1}/reports/metrics", params={**period, **extra})
        assert r.status_code == 200, r.text
        return list(r.json()["rows"])

    by_queue = {r["group"]["queue_id"]: r["csat"] for r in rows(boss, group_by="queue")}
    assert by_queue == {n1: {"count": 2, "satisfied_percent": 100.0, "average": 4.5}}
    (whole,) = rows(boss)
    assert whole["csat"] is None  # Financeiro's 1 is not theirs to read, nor to average in
    (everything,) = rows(admin)
    assert everything["csat"]["count"] == 3
