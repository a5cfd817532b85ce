"""Ticket creations per second over HTTP against a running Atende server (loopback only).

    .venv/bin/python bench/create_rate.py --url http://127.0.0.1:8000 --token "$TOKEN" \\
        --contact-id 1 --queue-id 1 [--connections 32] [--duration 10] \\
        [--new-requester | --returning-requesters N]

Keeps ``--connections`` keep-alive connections busy with ``POST /api/v1/tickets`` (each waits
for its answer before sending the next) for ``--duration`` seconds, then prints creations per
second (201 answers), latency percentiles and any other status. Every body differs (subject and
opening message carry a sequence number). ``--contact-id`` takes one id or a range
``FIRST-LAST`` to cycle through; ``--new-requester`` sends a new contact's name and e-mail each
time instead; ``--returning-requesters N`` names the requester by e-mail among N customers
(each made by their first ticket, then found).

The load generator must cost the server's machine little: on a 2-core machine a Python HTTP
client (httpx) spends 3-5 ms of CPU per request, as much as the server, and would measure
itself. This one speaks HTTP/1.1 over asyncio streams with a prepared request per body and
reads answers by Content-Length: tens of microseconds a request (the output's
``client_cpu_ms_per_request`` says how many). Bounded: it stops after ``--duration``
seconds whatever the server does.
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import statistics
import sys
import time
from collections import Counter
from urllib.parse import urlsplit


def _id_range(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        low, high = int(first), int(last or first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an id or a range of ids: {text!r}") from None
    if not 1 <= low <= high:
        raise argparse.ArgumentTypeError(f"not an id or a range of ids: {text!r}")
    return low, high


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


GRACE = 35.0  # seconds after --duration for the answers in flight (a server's 30 s lock wait)


class Load:
    def __init__(self, args: argparse.Namespace) -> None:
        parts = urlsplit(args.url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.args = args
        self.seq = 0
        self.latencies: list[float] = []
        self.statuses: Counter[int] = Counter()
        self.errors: Counter[str] = Counter()
        self.head = (
            f"POST /api/v1/tickets HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Authorization: Bearer {args.token}\r\nContent-Type: application/json\r\n"
        ).encode()

    def request(self) -> bytes:
        self.seq += 1
        n = self.seq
        body: dict[str, object] = {
            "subject": f"Erro ao emitir NF-e na loja {n % 40} (#{n})",
            "body": f"Desde hoje cedo a loja {n % 40} não consegue emitir notas. Pedido {n}.",
            "channel": "chat",
            "priority": "normal",
        }
        if self.args.queue_id:
            body["queue_id"] = self.args.queue_id
        if self.args.new_requester:
            body["requester"] = {"name": f"Cliente {n}", "email": f"cliente{n}@bench.example"}
        elif self.args.returning_requesters:
            k = n % self.args.returning_requesters
            body["requester"] = {"name": f"Cliente {k}", "email": f"volta{k}@bench.example"}
        elif self.args.contact_id:
            first, last = self.args.contact_id
            body["contact_id"] = first + n % (last - first + 1)
        data = json.dumps(body).encode()
        return self.head + f"Content-Length: {len(data)}\r\n\r\n".encode() + data

    async def connection(self, until: float) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            self.errors[type(exc).__name__] += 1
            return
        try:
            while time.monotonic() < until:
                started = time.perf_counter()
                writer.write(self.request())
                status_line = await reader.readline()
                length = 0
                close = False
                while True:
                    line = await reader.readline()
                    if line in (b"\r\n", b""):
                        break
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"connection" and value.strip().lower() == b"close":
                        close = True
                await reader.readexactly(length)
                self.latencies.append(time.perf_counter() - started)
                self.statuses[int(status_line.split()[1])] += 1
                if close:
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.host, self.port)
        except (OSError, asyncio.IncompleteReadError, IndexError, ValueError) as exc:
            self.errors[type(exc).__name__] += 1
        finally:
            writer.close()

    async def run(self) -> float:
        started = time.monotonic()
        until = started + self.args.duration
        tasks = [
            asyncio.ensure_future(self.connection(until)) for _ in range(self.args.connections)
        ]
        # answers still awaited this long after the end count as timeouts (the run stays bounded)
        _, late = await asyncio.wait(tasks, timeout=self.args.duration + GRACE)
        for task in late:
            task.cancel()
            self.errors["no answer in time"] += 1
        return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--token", required=True)
    parser.add_argument(
        "--contact-id",
        type=_id_range,
        metavar="ID or FIRST-LAST",
        help="the requester's contact id, or a range of ids to cycle through",
    )
    parser.add_argument("--queue-id", type=int)
    parser.add_argument("--new-requester", action="store_true")
    parser.add_argument(
        "--returning-requesters",
        type=int,
        default=0,
        metavar="N",
        help="name the requester by e-mail, cycling through N customers (made by their first)",
    )
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    host = urlsplit(args.url).hostname or ""
    if not _loopback(host):
        sys.exit(f"refusing {args.url!r}: this benchmark only targets loopback addresses")
    if not 1 <= args.connections <= 1024 or not 0 < args.duration <= 600:
        sys.exit("--connections must be 1-1024 and --duration 0-600 seconds")
    load = Load(args)
    cpu = time.process_time()
    try:
        import uvloop

        elapsed = uvloop.run(load.run())
    except ImportError:
        elapsed = asyncio.run(load.run())
    cpu = time.process_time() - cpu
    done = load.statuses[201]
    lat = sorted(load.latencies) or [0.0]

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000

    result = {
        "label": args.label,
        "connections": args.connections,
        "seconds": round(elapsed, 2),
        "created_per_s": round(done / elapsed, 1),
        "p50_ms": round(statistics.median(lat) * 1000, 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
        "max_ms": round(lat[-1] * 1000, 1),
        "statuses": dict(load.statuses),
        "errors": dict(load.errors),
        "client_cpu_ms_per_request": round(cpu * 1000 / max(1, sum(load.statuses.values())), 3),
    }
    print(json.dumps(result))
    if not load.statuses:
        sys.exit(f"no answer from {args.url}: {dict(load.errors)}")


if __name__ == "__main__":
    main()
