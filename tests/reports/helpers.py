"""A small world for the reports' tests, built through the API with time-machine: a calendar
(Mon-Fri 08:00-18:00 in São Paulo), a queue on it, two agents, a requester, and an automatic
greeting (a rule's canned reply: a bot's message, never an agent's answer)."""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from tests.sla.helpers import make_calendar

V1 = "/api/v1"
T = f"{V1}/tickets"
SP = ZoneInfo("America/Sao_Paulo")
WEEKDAYS_8_18 = {
    **{d: [["08:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    "saturday": [],
    "sunday": [],
}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of November 2026 in São Paulo (16 is a Monday; no holiday from 16 to 19)."""
    return datetime(2026, 11, day, hour, minute, tzinfo=SP)


def ok(res: Any, status: int = 200) -> Any:
    assert res.status_code == status, res.text
    return res.json()


@dataclass
class World:
    admin: Any
    a: Any  # agent Alice
    b: Any  # agent Bruno
    queue: int
    other_queue: int
    contact: int
    org: int
    plan: int


def build(admin: Any, make_user: Any, *, greeting: bool = True) -> World:
    cal = make_calendar(admin, "Comercial", weekly_hours=WEEKDAYS_8_18)
    queue = ok(admin.post(f"{V1}/queues", json={"name": "Suporte", "calendar_id": cal}), 201)
    other = ok(admin.post(f"{V1}/queues", json={"name": "Financeiro", "calendar_id": cal}), 201)
    plan = ok(admin.post(f"{V1}/plans", json={"name": "Prime"}), 201)
    org = ok(admin.post(f"{V1}/organizations", json={"name": "Loja", "plan_id": plan["id"]}), 201)
    contact = ok(
        admin.post(
            f"{V1}/contacts",
            json={"name": "Carla", "email": "carla@loja.example", "organization_id": org["id"]},
        ),
        201,
    )
    a = make_user("agent", name="Alice", queue_ids=[queue["id"]])
    b = make_user("agent", name="Bruno", queue_ids=[queue["id"]])
    if greeting:
        reply = ok(
            admin.post(
                f"{V1}/canned-replies",
                json={"name": "Oi", "body": "Olá! Já já um atendente responde."},
            ),
            201,
        )
        ok(
            admin.post(
                f"{V1}/rules",
                json={
                    "name": "Saudação automática",
                    "event": "ticket_created",
                    "actions": [{"type": "send_canned_reply", "value": reply["id"]}],
                },
            ),
            201,
        )
    return World(admin, a, b, queue["id"], other["id"], contact["id"], org["id"], plan["id"])


def open_ticket(
    w: World,
    when: datetime,
    *,
    channel: str = "chat",
    queue: int | None = None,
    subject: str = "PDV parado",
) -> int:
    with time_machine.travel(when, tick=False):
        t = ok(
            w.admin.post(
                T,
                json={
                    "subject": subject,
                    "body": "Meu PDV não liga",
                    "channel": channel,
                    "queue_id": queue or w.queue,
                    "contact_id": w.contact,
                },
            ),
            201,
        )
    return int(t["id"])


def customer_writes(w: World, ticket: int, when: datetime) -> None:
    with time_machine.travel(when, tick=False):
        ok(
            w.admin.post(
                f"{T}/{ticket}/messages", json={"body": "Alguma novidade?", "author": "contact"}
            ),
            201,
        )


def agent_replies(agent: Any, ticket: int, when: datetime, *, public: bool = True) -> None:
    with time_machine.travel(when, tick=False):
        ok(
            agent.post(
                f"{T}/{ticket}/messages", json={"body": "Verifiquei o cadastro.", "public": public}
            ),
            201,
        )


def change(who: Any, ticket: int, when: datetime, **fields: Any) -> None:
    with time_machine.travel(when, tick=False):
        ok(who.patch(f"{T}/{ticket}", json=fields))


def import_ticket(w: World, when: datetime, line: dict[str, Any]) -> int:
    with time_machine.travel(when, tick=False):
        result = ok(w.admin.post(f"{T}/import", content=json.dumps(line)))
    assert result["created"] == 1, result
    return int(result["ticket_ids"][0])


def report(who: Any, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("from", at(16, 0).isoformat())
    params.setdefault("to", at(21, 0).isoformat())
    rows: list[dict[str, Any]] = ok(who.get(f"{V1}/reports/metrics", params=params))["rows"]
    return rows


def expected(calendar: list[int], business: list[int]) -> dict[str, Any]:
    """The statistics of hand-measured values, computed with the standard library."""

    def p90(values: list[int]) -> float:
        if len(values) == 1:
            return float(values[0])
        return statistics.quantiles(values, n=10, method="inclusive")[8]

    return {
        "count": len(calendar),
        "mean_s": round(statistics.mean(calendar), 3),
        "median_s": round(float(statistics.median(calendar)), 3),
        "p90_s": round(p90(calendar), 3),
        "mean_business_s": round(statistics.mean(business), 3),
        "median_business_s": round(float(statistics.median(business)), 3),
        "p90_business_s": round(p90(business), 3),
    }
