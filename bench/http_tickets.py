"""Ticket throughput over HTTP against a running Atende server (loopback only).

    .venv/bin/python bench/http_tickets.py --url http://127.0.0.1:8765 --token "$TOKEN" \\
        [--agent-token "$AGENT_TOKEN"] [--duration 10] [--concurrency 32] [--repeats 200] \\
        [--label pg-1M] [--json /tmp/pg-1M.json]
    .venv/bin/python bench/http_tickets.py --compare /tmp/pg-10k.json /tmp/pg-1M.json

Measures, in this order:

1. lists: the first page (``limit=50``) of several filtered ticket lists, each requested
   ``--repeats`` times one after another (latency, not throughput), p50/p95/max in ms; plus
   page 20 of the unfiltered list reached by following ``next_cursor`` (keyset pages cost the
   same at any depth). Each list stops early after ``--list-seconds``.
2. creation: ``POST /api/v1/tickets`` from ``--concurrency`` concurrent clients for
   ``--duration`` seconds (bounded in-flight requests, keep-alive), once with an existing
   ``contact_id`` and once with a new ``requester`` per ticket; requests/s of 201 answers,
   p50/p95 latency, errors by status.

Run it against the same data at two table sizes (e.g. 10k and 1M tickets, made with
``bench/seed_tickets.py``) and ``--compare`` the two JSON files: a list page must cost the same.
Every loop is bounded in count and time and the script stops by itself. The client runs on the
same machine as the server and takes CPU from it: the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
from rich.console import Console
from rich.table import Table

console = Console(width=160)
err = Console(stderr=True)

PAGE = 50


def _loopback_only(url: str) -> None:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    sys.exit(f"refusing {url!r}: this benchmark only targets loopback addresses (127.0.0.0/8, ::1)")


def _pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


@dataclass
class ListResult:
    name: str
    params: list[tuple[str, str]]
    token: str
    runs: int = 0
    items: int = 0
    errors: int = 0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    server_cpu_ms: float = float("nan")


@dataclass
class CreateResult:
    name: str
    concurrency: int
    seconds: float = 0.0
    ok: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    per_second: float = 0.0
    p50_ms: float = float("nan")
    p95_ms: float = float("nan")
    max_ms: float = float("nan")
    server_cpu_ms_per_request: float = float("nan")
    client_cpu_ms_per_request: float = float("nan")


@dataclass
class Context:
    queue_id: int
    organization_id: int
    contact_ids: list[int]
    tags: list[str]
    word: str


async def _discover(client: httpx.AsyncClient, tags: list[str], word: str) -> Context:
    """A big queue, a middle-sized organization, some contacts; the tags and word are given."""
    queues = (await client.get("/api/v1/queues")).raise_for_status().json()
    if not queues:
        sys.exit("no queue on the server: seed it first (bench/seed_tickets.py)")
    by_name = {q["name"]: q["id"] for q in queues}
    queue_id = by_name.get("Bench Suporte N1", queues[0]["id"])
    orgs = (
        (await client.get("/api/v1/organizations", params={"q": "Bench Org 00050", "limit": 1}))
        .raise_for_status()
        .json()["items"]
    )
    if not orgs:
        orgs = (
            (await client.get("/api/v1/organizations", params={"limit": 1}))
            .raise_for_status()
            .json()["items"]
        )
    if not orgs:
        sys.exit("no organization on the server: seed it first (bench/seed_tickets.py)")
    org_id = orgs[0]["id"]
    contacts = (
        (await client.get("/api/v1/contacts", params={"limit": 200})).raise_for_status().json()
    )
    contact_ids = [c["id"] for c in contacts["items"]]
    return Context(
        queue_id=queue_id, organization_id=org_id, contact_ids=contact_ids, tags=tags, word=word
    )


def _lists(ctx: Context, *, agent: bool) -> list[tuple[str, list[tuple[str, str]], str]]:
    q, org = str(ctx.queue_id), str(ctx.organization_id)
    out: list[tuple[str, list[tuple[str, str]], str]] = [
        ("all, newest first", [], "admin"),
        ("status=open", [("status", "open")], "admin"),
        ("queue_id", [("queue_id", q)], "admin"),
        ("status=open & queue_id", [("status", "open"), ("queue_id", q)], "admin"),
        ("status=new,open (IN)", [("status", "new"), ("status", "open")], "admin"),
        ("organization_id", [("organization_id", org)], "admin"),
        ("priority=urgent & status=open", [("priority", "urgent"), ("status", "open")], "admin"),
    ]
    for tag in ctx.tags:
        out.append((f"tag={tag}", [("tag", tag)], "admin"))
    out.append(("sort=-updated_at", [("sort", "-updated_at")], "admin"))
    if agent:
        out.append(("agent: all (own queues + assigned)", [], "agent"))
        out.append(("agent: status=open", [("status", "open")], "agent"))
    out.append((f"q={ctx.word} (text search)", [("q", ctx.word)], "admin"))
    return out


async def _measure_list(
    clients: dict[str, httpx.AsyncClient],
    name: str,
    params: list[tuple[str, str]],
    token: str,
    *,
    repeats: int,
    budget: float,
    server_pid: int | None,
    path: str = "/api/v1/tickets",
) -> ListResult:
    client = clients[token]
    result = ListResult(name=name, params=params, token=token)
    timings: list[float] = []
    query: list[tuple[str, str | int | float | bool | None]] = list(params)
    if path == "/api/v1/tickets":
        query.append(("limit", PAGE))
    await client.get(path, params=query)  # warm-up: plans, caches
    deadline = time.monotonic() + budget
    cpu = _cpu_seconds(server_pid)
    for _ in range(repeats):
        if time.monotonic() > deadline:
            break
        t0 = time.perf_counter()
        response = await client.get(path, params=query)
        elapsed = (time.perf_counter() - t0) * 1000
        result.runs += 1
        if response.status_code != 200:
            result.errors += 1
            continue
        timings.append(elapsed)
        body = response.json()
        result.items = len(body["items"] if isinstance(body, dict) else body)
    if server_pid is not None and result.runs:
        result.server_cpu_ms = (_cpu_seconds(server_pid) - cpu) * 1000 / result.runs
    result.p50_ms = _pct(timings, 0.5)
    result.p95_ms = _pct(timings, 0.95)
    result.max_ms = max(timings) if timings else float("nan")
    return result


async def _measure_deep_page(
    client: httpx.AsyncClient, *, depth: int, repeats: int, budget: float, server_pid: int | None
) -> ListResult:
    """Page ``depth`` of the unfiltered list, its cursor found by walking there once."""
    cursor = None
    for _ in range(depth - 1):
        params: dict[str, Any] = {"limit": PAGE}
        if cursor:
            params["cursor"] = cursor
        cursor = (await client.get("/api/v1/tickets", params=params)).json()["next_cursor"]
        if cursor is None:
            break
    name = f"all, page {depth} (cursor)"
    if cursor is None:
        return ListResult(name=name + ": fewer pages", params=[], token="admin")
    return await _measure_list(
        {"admin": client},
        name,
        [("cursor", cursor)],
        "admin",
        repeats=repeats,
        budget=budget,
        server_pid=server_pid,
    )


async def _create_load(
    client: httpx.AsyncClient,
    ctx: Context,
    *,
    name: str,
    new_requester: bool,
    concurrency: int,
    duration: float,
    max_requests: int,
    server_pid: int | None,
) -> CreateResult:
    result = CreateResult(name=name, concurrency=concurrency)
    latencies: list[float] = []
    run_id = uuid.uuid4().hex[:8]
    counter = 0
    stop_at = 0.0

    def payload(i: int) -> dict[str, Any]:
        body: dict[str, Any] = {
            "subject": f"Erro ao emitir NF-e na loja {i % 40 + 1}",
            "body": "<p>Bom dia, a nota <b>1234</b> foi rejeitada pela SEFAZ. Podem ver?</p>",
            "channel": ("email", "chat", "whatsapp", "phone")[i % 4],
            "priority": ("normal", "high", "low", "urgent")[i % 4],
            "queue_id": ctx.queue_id,
        }
        if new_requester:
            body["requester"] = {
                "name": f"Cliente {run_id} {i}",
                "email": f"c{i}.{run_id}@bench-load.example",
            }
        elif ctx.contact_ids:
            body["contact_id"] = ctx.contact_ids[i % len(ctx.contact_ids)]
        return body

    async def worker() -> None:
        nonlocal counter
        while time.monotonic() < stop_at and counter < max_requests:
            counter += 1
            data = payload(counter)
            t0 = time.perf_counter()
            try:
                response = await client.post("/api/v1/tickets", json=data)
                status = str(response.status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            latency = (time.perf_counter() - t0) * 1000
            if status == "201":
                result.ok += 1
                latencies.append(latency)
            else:
                result.errors[status] = result.errors.get(status, 0) + 1

    # warm-up outside the measured window
    for i in range(min(20, concurrency)):
        await client.post("/api/v1/tickets", json=payload(10_000_000 + i))
    server_cpu, client_cpu = _cpu_seconds(server_pid), time.process_time()
    began = time.monotonic()
    stop_at = began + duration
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.monotonic() - began
    done = result.ok + sum(result.errors.values())
    if done:
        result.client_cpu_ms_per_request = (time.process_time() - client_cpu) * 1000 / done
        if server_pid is not None:
            result.server_cpu_ms_per_request = (_cpu_seconds(server_pid) - server_cpu) * 1000 / done
    result.per_second = result.ok / result.seconds if result.seconds else 0.0
    result.p50_ms = _pct(latencies, 0.5)
    result.p95_ms = _pct(latencies, 0.95)
    result.max_ms = max(latencies) if latencies else float("nan")
    return result


def _cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) of ``pid`` and its children (the server's workers), from /proc."""
    if pid is None:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    pids = [pid]
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as fh:
            pids += [int(x) for x in fh.read().split()]
    except OSError:
        pass
    for p in pids:
        try:
            with open(f"/proc/{p}/stat", encoding="ascii") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _client(url: str, token: str, concurrency: int) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=httpx.Timeout(30.0),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
    )


async def run(args: argparse.Namespace) -> dict[str, Any]:
    began = time.monotonic()
    clients = {"admin": _client(args.url, args.token, args.concurrency)}
    if args.agent_token:
        clients["agent"] = _client(args.url, args.agent_token, 4)
    try:
        ctx = await _discover(clients["admin"], [t for t in args.tags.split(",") if t], args.word)
        err.print(
            f"queue {ctx.queue_id}, organization {ctx.organization_id}, tags {ctx.tags}, "
            f"{len(ctx.contact_ids)} contacts"
        )
        lists: list[ListResult] = []
        if not args.skip_lists:
            for name, params, token in _lists(ctx, agent="agent" in clients):
                if name.startswith("q=") and args.skip_search:
                    continue
                if args.only and not any(o in name for o in args.only):
                    continue
                lists.append(
                    await _measure_list(
                        clients,
                        name,
                        params,
                        token,
                        repeats=args.repeats,
                        budget=args.list_seconds,
                        server_pid=args.server_pid,
                    )
                )
                err.print(f"  list {name}: p50 {lists[-1].p50_ms:.1f} ms")
            extra = [] if args.only else ["deep", "baseline"]
            if "deep" in extra:
                lists.append(
                    await _measure_deep_page(
                        clients["admin"],
                        depth=20,
                        repeats=args.repeats,
                        budget=args.list_seconds,
                        server_pid=args.server_pid,
                    )
                )
            if "baseline" in extra:
                lists.append(
                    await _measure_list(
                        clients,
                        "baseline: GET /queues (not a ticket list)",
                        [],
                        "admin",
                        repeats=args.repeats,
                        budget=args.list_seconds,
                        server_pid=args.server_pid,
                        path="/api/v1/queues",
                    )
                )
        creates: list[CreateResult] = []
        if not args.skip_create:
            for name, new_requester in (("contact_id", False), ("new requester", True)):
                creates.append(
                    await _create_load(
                        clients["admin"],
                        ctx,
                        name=name,
                        new_requester=new_requester,
                        concurrency=args.concurrency,
                        duration=args.duration,
                        max_requests=args.max_requests,
                        server_pid=args.server_pid,
                    )
                )
                err.print(f"  create ({name}): {creates[-1].per_second:.0f}/s")
    finally:
        for client in clients.values():
            await client.aclose()
    return {
        "label": args.label,
        "url": args.url,
        "wall_seconds": round(time.monotonic() - began, 1),
        "lists": [asdict(r) for r in lists],
        "creates": [asdict(r) for r in creates],
    }


def _show(report: dict[str, Any]) -> None:
    table = Table(title=f"ticket lists, first page of {PAGE} ({report['label']})")
    for col in ("list", "runs", "items", "p50 ms", "p95 ms", "max ms", "errors", "server CPU ms"):
        table.add_column(col, justify="left" if col == "list" else "right")
    for r in report["lists"]:
        table.add_row(
            r["name"],
            str(r["runs"]),
            str(r["items"]),
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            f"{r['max_ms']:.1f}",
            str(r["errors"]),
            f"{r['server_cpu_ms']:.1f}",
        )
    console.print(table)
    table = Table(title=f"ticket creation ({report['label']})")
    for col in (
        "requester",
        "clients",
        "seconds",
        "created",
        "per s",
        "p50 ms",
        "p95 ms",
        "errors",
        "server CPU ms",
        "client CPU ms",
    ):
        table.add_column(col, justify="left" if col == "requester" else "right")
    for r in report["creates"]:
        table.add_row(
            r["name"],
            str(r["concurrency"]),
            f"{r['seconds']:.1f}",
            str(r["ok"]),
            f"{r['per_second']:.0f}",
            f"{r['p50_ms']:.1f}",
            f"{r['p95_ms']:.1f}",
            json.dumps(r["errors"]) if r["errors"] else "0",
            f"{r['server_cpu_ms_per_request']:.1f}",
            f"{r['client_cpu_ms_per_request']:.1f}",
        )
    console.print(table)


def _compare(paths: list[str]) -> None:
    reports = []
    for path in paths:
        with open(path, encoding="utf-8") as fh:
            reports.append(json.load(fh))
    table = Table(title="first page: p50 / p95 ms (server CPU ms per request)")
    table.add_column("list")
    for r in reports:
        table.add_column(r["label"], justify="right")
    names: list[str] = []
    for r in reports:
        names.extend(x["name"] for x in r["lists"] if x["name"] not in names)
    for name in names:
        cells = []
        for r in reports:
            x = next((x for x in r["lists"] if x["name"] == name), None)
            cells.append(
                f"{x['p50_ms']:.1f} / {x['p95_ms']:.1f} ({x['server_cpu_ms']:.1f})" if x else "-"
            )
        table.add_row(name, *cells)
    console.print(table)
    table = Table(title="creation: per s, p50 / p95 ms (server CPU ms per request)")
    table.add_column("requester")
    for r in reports:
        table.add_column(r["label"], justify="right")
    for name in ("contact_id", "new requester"):
        cells = []
        for r in reports:
            x = next((x for x in r["creates"] if x["name"] == name), None)
            cells.append(
                f"{x['per_second']:.0f}/s, {x['p50_ms']:.0f} / {x['p95_ms']:.0f} "
                f"({x['server_cpu_ms_per_request']:.1f})"
                if x
                else "-"
            )
        table.add_row(name, *cells)
    console.print(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8765")
    parser.add_argument("--token", default=os.environ.get("ATENDE_TOKEN"), help="admin token")
    parser.add_argument("--agent-token", default=os.environ.get("ATENDE_AGENT_TOKEN"))
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of creation load")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight")
    parser.add_argument("--max-requests", type=int, default=100_000, help="creation cap")
    parser.add_argument("--repeats", type=int, default=200, help="requests per list")
    parser.add_argument("--list-seconds", type=float, default=20.0, help="time bound per list")
    parser.add_argument(
        "--tags", default="nfe,lgpd", help="tags to list by (seeded: nfe common, lgpd rare)"
    )
    parser.add_argument(
        "--word", default="SPED", help="text searched with q= (absent from created subjects)"
    )
    parser.add_argument(
        "--only", nargs="+", metavar="TEXT", help="measure only the lists whose name has TEXT"
    )
    parser.add_argument("--skip-lists", action="store_true")
    parser.add_argument("--skip-create", action="store_true")
    parser.add_argument("--skip-search", action="store_true", help="leave out the q= list")
    parser.add_argument(
        "--server-pid", type=int, help="the server's pid: report its CPU ms per creation"
    )
    parser.add_argument("--label", default="run")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--compare", nargs="+", metavar="JSON", help="tabulate saved runs")
    args = parser.parse_args(argv)
    if args.compare:
        _compare(args.compare)
        return 0
    if not args.token:
        parser.error("give --token or set ATENDE_TOKEN")
    if not 1 <= args.concurrency <= 256 or args.duration > 120:
        parser.error("keep --concurrency within 1..256 and --duration at most 120 s")
    _loopback_only(args.url)
    report = asyncio.run(run(args))
    _show(report)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump(report, fh, indent=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
