"""The summary against a plain reference: answered surveys spread over agents, organizations and
São Paulo's days and months (answers near midnight UTC fall on the previous local day), counted
by ``GET /api/v1/surveys/summary`` on the database under test and by hand here."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from atende.customers.models import Contact, Organization
from atende.surveys.models import SurveyInvitation
from tests.surveys.conftest import V1, made

SP = ZoneInfo("America/Sao_Paulo")
START = datetime(2026, 1, 1, tzinfo=UTC)


def _csat(scores: list[int]) -> tuple[int, float | None, float | None]:
    if not scores:
        return 0, None, None
    good = sum(1 for s in scores if s >= 4)
    return len(scores), round(100 * good / len(scores), 1), round(sum(scores) / len(scores), 2)


def _nps(scores: list[int]) -> tuple[int, float | None]:
    if not scores:
        return 0, None
    p = sum(1 for s in scores if s >= 9)
    d = sum(1 for s in scores if s <= 6)
    return len(scores), round(100 * (p - d) / len(scores), 1)


def test_the_summary_matches_a_count_by_hand(admin: Any, make_user: Any, db: Session) -> None:
    rng = random.Random(19)
    agents = [make_user("agent", name=f"Agente {i}") for i in range(3)]
    orgs = [Organization(name=f"Rede {i}") for i in range(2)]
    db.add_all(orgs)
    db.flush()
    contacts = [Contact(name=f"C{i}", email=f"c{i}@x.example", organization_id=orgs[i % 2].id)
                for i in range(4)]  # fmt: skip
    db.add_all(contacts)
    db.flush()
    rows: list[SurveyInvitation] = []
    for n in range(120):
        kind = rng.choice(["csat", "nps"])
        source = "campaign" if kind == "nps" and rng.random() < 0.5 else "ticket"
        answered = START + timedelta(days=rng.randrange(80), hours=rng.choice([1, 2, 12, 23]))
        contact = rng.choice(contacts)
        agent = rng.choice(agents).id if source == "ticket" else None
        score = rng.randint(1, 5) if kind == "csat" else rng.randint(0, 10)
        unanswered = rng.random() < 0.1
        rows.append(SurveyInvitation(
            kind=kind, source=source, contact_id=contact.id,
            organization_id=contact.organization_id, agent_id=agent, channel="email",
            token_sha256=f"{n:064d}", sent_at=answered - timedelta(hours=1),
            expires_at=answered + timedelta(days=14),
            answered_at=None if unanswered else answered, score=None if unanswered else score,
            reason="", comment="",
        ))  # fmt: skip
    db.add_all(rows)
    db.commit()
    start, end = START + timedelta(days=10), START + timedelta(days=70)
    answered = [r for r in rows if r.answered_at is not None and start <= r.answered_at < end]

    def get(group_by: str | None) -> Any:
        params = {"from": start.isoformat(), "to": end.isoformat()}
        if group_by:
            params["group_by"] = group_by
        return made(admin.get(f"{V1}/surveys/summary", params=params), 200)

    whole = get(None)
    csat_scores = [r.score for r in answered if r.kind == "csat" and r.score is not None]
    c = whole["csat"][0]
    assert (c["count"], c["satisfied_percent"], c["average"]) == _csat(csat_scores)
    for source, key in (("ticket", "nps_transactional"), ("campaign", "nps_corporate")):
        scores = [r.score for r in answered if r.kind == "nps" and r.source == source]
        assert (whole[key][0]["count"], whole[key][0]["nps"]) == _nps(scores)  # type: ignore[arg-type]

    by_agent = {r["group"]["agent_id"]: r for r in get("agent")["csat"]}
    expected_agents: dict[int | None, list[int]] = defaultdict(list)
    for r in answered:
        if r.kind == "csat" and r.score is not None:
            expected_agents[r.agent_id].append(r.score)
    assert set(by_agent) == set(expected_agents)
    for agent_id, scores in expected_agents.items():
        row = by_agent[agent_id]
        assert (row["count"], row["satisfied_percent"], row["average"]) == _csat(scores)

    by_org = {r["group"]["organization_id"]: r for r in get("organization")["nps_corporate"]}
    expected_orgs: dict[int | None, list[int]] = defaultdict(list)
    for r in answered:
        if r.kind == "nps" and r.source == "campaign" and r.score is not None:
            expected_orgs[r.organization_id].append(r.score)
    assert {k: (v["count"], v["nps"]) for k, v in by_org.items()} == {
        k: _nps(v) for k, v in expected_orgs.items()
    }
    assert {r["group"]["name"] for r in by_org.values()} <= {"Rede 0", "Rede 1"}

    for period, key in (("day", lambda d: d), ("month", lambda d: d.replace(day=1))):
        shown = {r["group"]["period"]: (r["count"], r["average"]) for r in get(period)["csat"]}
        expected: dict[str, list[int]] = defaultdict(list)
        for r in answered:
            if r.kind == "csat" and r.score is not None and r.answered_at is not None:
                local = key(r.answered_at.astimezone(SP).date())
                expected[local.isoformat()].append(r.score)
        assert shown == {p: (_csat(v)[0], _csat(v)[2]) for p, v in expected.items()}
