"""Bulk import speed over HTTP, and what an import does to the other writers meanwhile.

    .venv/bin/python bench/import_rate.py --url http://127.0.0.1:8000 --token "$TOKEN" \\
        [--lines 2000] [--timeout 300]

Sends one ``POST /api/v1/tickets/import`` of ``--lines`` JSON lines shaped like a migration
from another helpdesk: each ticket has an ``external_id``, a requester by e-mail (a few hundred
customers, so most are found), a creation instant in the past, a status (resolved and closed
ones with their instants) and two or three messages from the contact and an agent. Meanwhile a
probe creates one plain ticket every 100 ms and records how long each took: on SQLite, where
writers take turns, that shows whether the import holds the write slot. Prints lines per second
and the probe's latencies as JSON. Loopback only; bounded by ``--timeout``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

SUBJECTS = [
    "Erro ao emitir NF-e",
    "PDV não abre após atualização",
    "Dúvida sobre o boleto",
    "Integração com o TEF parou",
    "Relatório de vendas em branco",
    "Troca de certificado digital",
]


def lines(count: int, seed: int) -> bytes:
    rnd = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    out = []
    for n in range(count):
        opened = now - timedelta(days=rnd.randint(2, 300), minutes=rnd.randint(0, 1440))
        status = rnd.choice(["closed", "closed", "resolved", "open", "pending_customer"])
        customer = rnd.randrange(300)
        ticket: dict[str, object] = {
            "external_id": f"zd-{seed}-{n}",
            "subject": f"{rnd.choice(SUBJECTS)} (loja {customer % 40})",
            "channel": rnd.choice(["email", "chat", "whatsapp", "phone"]),
            "priority": rnd.choice(["low", "normal", "normal", "high"]),
            "requester": {"name": f"Cliente {customer}", "email": f"c{customer}@lojas.example"},
            "created_at": opened.isoformat(),
            "status": status,
            "messages": [
                {
                    "author": "contact",
                    "body": "Bom dia, o sistema parou de emitir notas desde ontem.",
                    "public": True,
                    "created_at": (opened + timedelta(minutes=1)).isoformat(),
                },
                {
                    "author": "agent",
                    "body": "Olá! Pode reiniciar o serviço de emissão e testar de novo?",
                    "public": True,
                    "created_at": (opened + timedelta(minutes=40)).isoformat(),
                },
            ],
        }
        if status in ("resolved", "closed"):
            ticket["resolved_at"] = (opened + timedelta(hours=3)).isoformat()
        if status == "closed":
            ticket["closed_at"] = (opened + timedelta(days=1)).isoformat()
        out.append(json.dumps(ticket, ensure_ascii=False))
    return ("\n".join(out) + "\n").encode()


def probe(client: httpx.Client, stop: threading.Event, latencies: list[float]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        started = time.perf_counter()
        try:
            r = client.post("/api/v1/tickets", json={"subject": f"Sonda {n}"}, timeout=60)
            if r.status_code == 201:
                latencies.append((time.perf_counter() - started) * 1000)
        except httpx.HTTPError:
            latencies.append(float("inf"))
        stop.wait(0.1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument("--lines", type=int, default=2000)
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--seed", type=int, default=int(time.time()))
    args = parser.parse_args()
    host = urlsplit(args.url).hostname or ""
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("loopback only", file=sys.stderr)
        return 2
    body = lines(args.lines, args.seed)
    headers = {"Authorization": f"Bearer {args.token}"}
    latencies: list[float] = []
    stop = threading.Event()
    with httpx.Client(base_url=args.url, headers=headers) as client:
        watcher = threading.Thread(target=probe, args=(client, stop, latencies))
        watcher.start()
        started = time.perf_counter()
        try:
            r = client.post(
                "/api/v1/tickets/import",
                content=body,
                headers={"Content-Type": "application/x-ndjson"},
                timeout=args.timeout,
            )
        finally:
            elapsed = time.perf_counter() - started
            stop.set()
            watcher.join()
    answer = r.json() if r.headers.get("content-type", "").endswith("json") else {}
    ordered = sorted(latencies)
    print(
        json.dumps(
            {
                "status": r.status_code,
                "lines": args.lines,
                "created": answer.get("created"),
                "failed": answer.get("failed"),
                "seconds": round(elapsed, 2),
                "lines_per_s": round(args.lines / elapsed, 1),
                "probe_creations": len(ordered),
                "probe_p50_ms": round(statistics.median(ordered), 1) if ordered else None,
                "probe_max_ms": round(ordered[-1], 1) if ordered else None,
                "first_errors": answer.get("errors", [])[:3],
            }
        )
    )
    return 0 if r.status_code == 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
