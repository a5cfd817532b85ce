"""Every console page, per role, on a large database: server time p50/p95/max.

    ATENDE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/atende migrate
    ATENDE_DATABASE_URL=... .venv/bin/python bench/seed_tickets.py --count 1000000
    .venv/bin/python bench/console_pages.py --url postgresql://postgres@127.0.0.1:5432/bench \\
        [--repeats 30] [--only inbox] [--profile "inbox mine"] [--json /tmp/pages.json]

First it adds, once, what a console needs besides the seeded tickets (all named ``Bench
Console ...`` / ``console-*@bench.example``, so a second run reuses them): an agent (a member of
two queues), a supervisor and an admin with passwords; a few hundred open tickets assigned to
the agent and some followed by them in other queues; SLA clocks on the open tickets (running,
warned, breached; ``tickets.sla_due_at`` set as the SLA area sets it); on-call tickets of this
week; and one ticket with a long timeline (replies, notes and changes made through the API).

Then it logs in through the web form (the session cookie, not a token) as each role and asks
for each page ``--repeats`` times one after another. The app runs in this process (the ASGI app
through Starlette's TestClient, the worker off): the time is the server's, from the request to
the last byte of the page, without a network or a second process; the client's own share is a
fraction of a millisecond. Each page also shows the SQL statements it ran. Every loop is bounded
(``--repeats`` and ``--seconds`` per page).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from rich.console import Console
from rich.table import Table
from sqlalchemy import Engine, bindparam, event, func, insert, select, text, update

from atende.agents.models import User
from atende.app import create_app
from atende.auth import service as auth_service
from atende.auth.passwords import hash_password
from atende.db.base import UTCDateTime
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.queues.models import Queue, QueueMember
from atende.settings import Settings
from atende.sla.models import TicketSlaTarget
from atende.tickets.models import Ticket, TicketFollower

console = Console(width=150)
err = Console(stderr=True)

PASSWORD = "bench-console-senha-42"
ROLES = ("agent", "supervisor", "admin")
AGENT_QUEUES = ("Bench Suporte N1", "Bench Financeiro")
UNRESOLVED = ("new", "open", "pending_customer", "pending_internal", "scheduled")
LONG_SUBJECT = "Bench Console timeline longa"
LONG_ENTRIES = 300


def email_of(role: str) -> str:
    return f"console-{role}@bench.example"


# --- the data a console needs besides the seeded tickets ----------------------------------------


@dataclass
class Fixture:
    agent_id: int
    short_ticket: int  # an open ticket of the agent's queues: a short timeline
    long_ticket: int  # the ticket with a long timeline
    organization_search: str


def _users(engine: Engine, now: datetime) -> dict[str, int]:
    sessions = make_sessionmaker(engine)
    with transaction(sessions) as session:
        ids: dict[str, int] = {}
        for role in ROLES:
            user = session.scalar(select(User).where(User.email == email_of(role)))
            if user is None:
                user = User(
                    name=f"Bench Console {role.title()}",
                    email=email_of(role),
                    role=role,
                    password_hash=hash_password(PASSWORD),
                    created_at=now,
                )
                session.add(user)
                session.flush()
            ids[role] = user.id
        queues = session.execute(
            select(Queue.id).where(Queue.name.in_(AGENT_QUEUES)).order_by(Queue.id)
        ).scalars()
        have = set(
            session.scalars(select(QueueMember.queue_id).where(QueueMember.user_id == ids["agent"]))
        )
        for queue_id in queues:
            if queue_id not in have:
                session.add(QueueMember(queue_id=queue_id, user_id=ids["agent"]))
    return ids


def _assign_and_follow(engine: Engine, agent_id: int, now: datetime) -> None:
    with engine.begin() as conn:
        mine = conn.execute(
            select(func.count()).select_from(Ticket).where(Ticket.assignee_id == agent_id)
        ).scalar_one()
        if mine:
            return
        queue_ids = list(
            conn.execute(select(Queue.id).where(Queue.name.in_(AGENT_QUEUES))).scalars()
        )
        open_ids = list(
            conn.execute(
                select(Ticket.id)
                .where(Ticket.queue_id.in_(queue_ids), Ticket.status.in_(UNRESOLVED))
                .order_by(Ticket.id.desc())
                .limit(300)
            ).scalars()
        )
        closed_ids = list(
            conn.execute(
                select(Ticket.id)
                .where(Ticket.queue_id.in_(queue_ids), Ticket.status == "closed")
                .order_by(Ticket.id.desc())
                .limit(200)
            ).scalars()
        )
        conn.execute(
            update(Ticket).where(Ticket.id.in_(open_ids + closed_ids)).values(assignee_id=agent_id)
        )
        elsewhere = list(
            conn.execute(
                select(Ticket.id)
                .where(Ticket.queue_id.not_in(queue_ids), Ticket.status.in_(UNRESOLVED))
                .order_by(Ticket.id.desc())
                .limit(60)
            ).scalars()
        )
        conn.execute(
            insert(TicketFollower),
            [
                {"ticket_id": t, "user_id": agent_id, "reason": "transferred", "created_at": now}
                for t in elsewhere
            ],
        )
        week = list(
            conn.execute(
                select(Ticket.id)
                .where(Ticket.created_at >= now - timedelta(days=6))
                .order_by(Ticket.id.desc())
                .limit(2000)
            ).scalars()
        )[::7]
        conn.execute(update(Ticket).where(Ticket.id.in_(week)).values(on_call=True))


def _sla_clocks(engine: Engine, now: datetime) -> None:
    """A resolution clock on every unresolved ticket of the last 60 days: most running with
    their due instant ahead, some warned (past the warning, not yet due), some breached."""
    with engine.begin() as conn:
        if conn.execute(select(func.count()).select_from(TicketSlaTarget)).scalar_one():
            return
        rows = conn.execute(
            select(Ticket.id, Ticket.created_at).where(
                Ticket.status.in_(UNRESOLVED), Ticket.created_at >= now - timedelta(days=60)
            )
        ).all()
        rng = random.Random(16)
        targets: list[dict[str, Any]] = []
        dues: list[dict[str, Any]] = []
        for ticket_id, created in rows:
            due = now + timedelta(minutes=rng.randint(-3 * 24 * 60, 5 * 24 * 60))
            breached = due <= now  # the sweeper marks a clock breached once due
            targets.append(
                {
                    "ticket_id": ticket_id,
                    "kind": "resolution",
                    "policy_id": None,
                    "policy_name": "Bench Console SLA",
                    "state": "breached" if breached else "running",
                    "cycle": 1,
                    "started_at": created,
                    "due_at": due,
                    "warning_at": due - timedelta(hours=2),
                    "met_at": None,
                    "breached_at": due if breached else None,
                    "warned": due - timedelta(hours=2) <= now,
                    "business_seconds_used": 0,
                    "target_seconds": 8 * 3600,
                }
            )
            if not breached:
                dues.append({"tid": ticket_id, "due": due})
        for i in range(0, len(targets), 5000):
            conn.execute(insert(TicketSlaTarget), targets[i : i + 5000])
        table = Ticket.__table__
        update_due = (
            table.update().where(table.c.id == bindparam("tid")).values(sla_due_at=bindparam("due"))
        )
        for i in range(0, len(dues), 5000):
            conn.execute(update_due, dues[i : i + 5000])
        # the clocks of the tickets resolved in the last 180 days: met, one in ten late
        # (breached, then met), as the SLA area leaves them
        conn.execute(
            text(
                "INSERT INTO ticket_sla_targets (ticket_id, kind, policy_id, policy_name, state, "
                "cycle, started_at, due_at, warning_at, met_at, breached_at, warned, "
                "business_seconds_used, target_seconds) "
                "SELECT id, 'resolution', NULL, 'Bench Console SLA', "
                "CASE WHEN id % 10 = 0 THEN 'breached' ELSE 'met' END, 1, created_at, "
                "created_at, created_at, resolved_at, "
                "CASE WHEN id % 10 = 0 THEN created_at END, false, 0, 28800 "
                "FROM tickets WHERE status IN ('resolved', 'closed') AND created_at >= :since"
            ).bindparams(bindparam("since", type_=UTCDateTime())),
            {"since": now - timedelta(days=180)},
        )
        err.print(f"SLA clocks on {len(targets):,} open tickets ({len(dues):,} running)")


def _long_timeline(client: TestClient, token: str, queue_id: int) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    created = client.post(
        "/api/v1/tickets",
        headers=headers,
        json={
            "subject": LONG_SUBJECT,
            "body": "O PDV da loja 3 trava ao fechar o caixa desde a atualização.",
            "queue_id": queue_id,
            "requester": {
                "name": "Bench Console Cliente",
                "email": "console-cliente@bench.example",
            },
        },
    )
    assert created.status_code == 201, created.text
    ticket_id = int(created.json()["id"])
    priorities = ("normal", "high", "urgent", "low")
    for i in range(LONG_ENTRIES // 3):
        for payload in (
            {"body": f"Resposta {i}: reinicie o PDV e confira a versão. Ficou alguma dúvida?"},
            {"body": f"Nota {i}: cliente com histórico de travamentos.", "public": False},
            {"body": f"Cliente {i}: ainda trava.", "author": "contact"},
        ):
            r = client.post(f"/api/v1/tickets/{ticket_id}/messages", headers=headers, json=payload)
            assert r.status_code == 201, r.text
        if i % 5 == 0:
            r = client.patch(
                f"/api/v1/tickets/{ticket_id}",
                headers=headers,
                json={"priority": priorities[(i // 5) % 4]},
            )
            assert r.status_code == 200, r.text
    return ticket_id


def prepare(engine: Engine, client: TestClient) -> Fixture:
    now = datetime.now(UTC).replace(microsecond=0)
    ids = _users(engine, now)
    _assign_and_follow(engine, ids["agent"], now)
    _sla_clocks(engine, now)
    with engine.connect() as conn:
        queue_id = conn.execute(select(Queue.id).where(Queue.name == AGENT_QUEUES[0])).scalar_one()
        long_id = conn.execute(
            select(Ticket.id).where(Ticket.subject == LONG_SUBJECT).order_by(Ticket.id).limit(1)
        ).scalar_one_or_none()
        short_id = conn.execute(
            select(Ticket.id)
            .where(
                Ticket.queue_id == queue_id,
                Ticket.status == "open",
                Ticket.subject != LONG_SUBJECT,
            )
            .order_by(Ticket.id.desc())
            .limit(1)
        ).scalar_one()
    if long_id is None:
        sessions = make_sessionmaker(engine)
        with transaction(sessions) as session:
            admin = session.get(User, ids["admin"])
            assert admin is not None
            _token, secret = auth_service.create_token(
                session, user=admin, name="bench console", now=now
            )
        started = time.monotonic()
        long_id = _long_timeline(client, secret, queue_id)
        err.print(f"long timeline: ticket {long_id} in {time.monotonic() - started:.0f} s")
    return Fixture(ids["agent"], short_id, long_id, "Org 001")


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    role: str
    page: str
    url: str
    n: int
    p50: float
    p95: float
    max: float
    cpu_p50: float  # this process's CPU per page (server and client threads), ms
    statements: int
    bytes: int


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1


def login(client: TestClient, role: str) -> None:
    client.cookies.clear()
    form = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found, "no CSRF token on the login form"
    r = client.post(
        "/login",
        data={"email": email_of(role), "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, (role, r.status_code, r.text[:300])


def _cursor_page(client: TestClient, start: str, pages: int) -> str:
    """The URL of page ``pages`` of a list, following its "next" links."""
    url = start
    for _ in range(pages - 1):
        body = client.get(url).text
        found = re.search(r'href="(/tickets\?[^"]*after=[^"]+)"', body)
        assert found, f"no next page after {url}"
        url = found.group(1).replace("&amp;", "&")
    return url


def pages_of(role: str, fx: Fixture, client: TestClient) -> list[tuple[str, str]]:
    views = [
        "all",
        "mine",
        "queues",
        "unassigned",
        "breaching",
        "breached",
        "waiting",
        "internal",
        "following",
        "elsewhere",
    ]
    if role != "agent":
        views.append("on_call")
    out = [(f"inbox {v}", f"/tickets?view={v}" if v != "all" else "/tickets") for v in views]
    out += [
        ("inbox filter", "/tickets?view=queues&status=open&priority=high"),
        ("inbox search", "/tickets?q=SPED"),
        ("inbox tag", "/tickets?tag=lgpd"),
        ("inbox page 20", _cursor_page(client, "/tickets?sort=created", 20)),
        ("ticket short", f"/tickets/{fx.short_ticket}"),
        ("ticket long", f"/tickets/{fx.long_ticket}"),
        ("ticket live part", f"/tickets/{fx.short_ticket}/live"),
        ("new ticket", "/tickets/new"),
        ("chats", "/chats"),
        ("reports", "/reports"),
        ("agenda", "/agenda"),
    ]
    if role != "agent":
        out.append(("board", "/board"))
    if role == "admin":
        out += [
            ("admin users", "/admin/users"),
            ("admin users search", "/admin/users?q=agent"),
            ("admin queues", "/admin/queues"),
            ("admin organizations", "/admin/organizations"),
            ("admin organizations search", f"/admin/organizations?q={fx.organization_search}"),
            ("admin organizations page 10", _org_page(client, 10)),
        ]
    return out


def _org_page(client: TestClient, pages: int) -> str:
    url = "/admin/organizations"
    for _ in range(pages - 1):
        body = client.get(url).text
        found = re.search(r'href="(/admin/organizations\?[^"]*after=\d+[^"]*)"', body)
        if not found:
            break
        url = found.group(1).replace("&amp;", "&")
    return url


def measure(
    client: TestClient,
    counter: StatementCounter,
    role: str,
    label: str,
    url: str,
    repeats: int,
    seconds: float,
) -> Result:
    times: list[float] = []
    cpu: list[float] = []
    statements = size = 0
    for _ in range(2):  # warm: caches of the first request of a kind
        r = client.get(url, headers={"Accept": "text/html"})
        assert r.status_code == 200, (role, url, r.status_code, r.text[:300])
    began = time.monotonic()
    for _ in range(repeats):
        before = counter.count
        t0, c0 = time.perf_counter(), time.process_time()
        r = client.get(url, headers={"Accept": "text/html"})
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        statements = counter.count - before
        size = len(r.content)
        assert r.status_code == 200, (role, url, r.status_code)
        if time.monotonic() - began > seconds:
            break
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    return Result(
        role,
        label,
        url,
        len(times),
        statistics.median(times),
        p95,
        times[-1],
        statistics.median(cpu),
        statements,
        size,
    )


@contextmanager
def running(url: str) -> Iterator[tuple[TestClient, Engine]]:
    settings = Settings(database_url=url, run_worker=False)
    app = create_app(settings)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client, app.state.engine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the seeded database")
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=20.0, help="time bound per page")
    parser.add_argument("--roles", default=",".join(ROLES))
    parser.add_argument("--only", default="", help="pages whose label contains this")
    parser.add_argument("--profile", default="", help="cProfile this page label (exact)")
    parser.add_argument("--json", default="")
    parser.add_argument("--label", default="")
    args = parser.parse_args(argv)
    roles = [r for r in args.roles.split(",") if r]
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        parser.error(f"unknown role(s): {', '.join(unknown)}; choose from {', '.join(ROLES)}")
    results: list[Result] = []
    with running(args.url) as (client, engine):
        started = time.monotonic()
        fx = prepare(make_engine(args.url), client)
        err.print(f"prepared in {time.monotonic() - started:.0f} s: {fx}")
        counter = StatementCounter(engine)
        for role in roles:
            login(client, role)
            for label, url in pages_of(role, fx, client):
                if args.only and args.only not in label:
                    continue
                if args.profile:
                    if label == args.profile:
                        _profile(client, engine, url, args.repeats)
                    continue
                result = measure(client, counter, role, label, url, args.repeats, args.seconds)
                results.append(result)
                err.print(
                    f"{role:10} {label:30} p50 {result.p50:7.1f}  p95 {result.p95:7.1f}  "
                    f"max {result.max:7.1f} ms  CPU {result.cpu_p50:6.1f} ms  "
                    f"{result.statements} statements"
                )
    if args.profile:
        return 0
    _report(results, args.label)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump({"label": args.label, "results": [asdict(r) for r in results]}, out, indent=1)
    slow = [r for r in results if r.p95 > 150]
    return 1 if slow else 0


def _profile(client: TestClient, engine: Engine, url: str, repeats: int) -> None:
    """The page's SQL statements by total time, then where the rest of the time goes (the
    app runs in Starlette's threads: cProfile here sees only the waiting client)."""
    spent: dict[str, list[float]] = {}
    started: list[float] = []

    def before(*_args: Any) -> None:
        started.append(time.perf_counter())

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        spent.setdefault(" ".join(statement.split())[:400], []).append(
            (time.perf_counter() - started.pop()) * 1000
        )

    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    total = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        client.get(url)
        total += (time.perf_counter() - t0) * 1000
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    in_sql = sum(sum(v) for v in spent.values())
    console.print(f"{url}: {total / repeats:.1f} ms a page, {in_sql / repeats:.1f} ms of it in SQL")
    for statement, times in sorted(spent.items(), key=lambda kv: -sum(kv[1]))[:12]:
        console.print(f"{sum(times) / repeats:8.1f} ms  x{len(times) // repeats}  {statement}")


def _report(results: list[Result], label: str) -> None:
    table = Table(title=f"console pages, server time in ms {label}".strip())
    for name in ("role", "page", "n", "p50", "p95", "max", "CPU p50", "SQL", "KB"):
        table.add_column(name, justify="left" if name in ("role", "page") else "right")
    fmt: Callable[[float], str] = lambda v: f"{v:.1f}"  # noqa: E731
    for r in results:
        p95 = fmt(r.p95) if r.p95 <= 150 else f"[red]{fmt(r.p95)}[/red]"
        table.add_row(
            r.role,
            r.page,
            str(r.n),
            fmt(r.p50),
            p95,
            fmt(r.max),
            fmt(r.cpu_p50),
            str(r.statements),
            f"{r.bytes / 1024:.0f}",
        )
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
