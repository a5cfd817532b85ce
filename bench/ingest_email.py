"""Inbound e-mails ingested per second (parse + contact + thread + write + settle).

    .venv/bin/python bench/ingest_email.py [--count 2000] [--database-url URL] [--workers 1]

Makes a fresh database (a SQLite file in a temporary directory unless ``--database-url`` names
an empty PostgreSQL database), stores ``--count`` generated e-mails as queued inbound items (as
the SMTP receiver does), then times the worker's ingestion until the queue is empty. The corpus
is real-looking pt-BR mail from 300 customers: 60 % open a ticket, 30 % answer one (threaded by
In-Reply-To), 5 % carry a PDF attachment, 5 % are automatic (out-of-office, bounce). With
``--workers N`` (PostgreSQL) N threads ingest at once (``FOR UPDATE SKIP LOCKED``). Prints one
Markdown table row for docs/performance.md: the wall-clock rate, and the rate per second of
this process's CPU (on a shared machine the wall clock also measures the neighbours).
"""

from __future__ import annotations

import argparse
import platform
import random
import tempfile
import threading
import time
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import func, select

from atende.channels import pipeline
from atende.channels.email_parse import provider_id
from atende.channels.models import InboundItem
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.settings import Settings
from atende.tickets.models import Ticket
from atende.workflows import inbound

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
SUBJECTS = [
    "Erro ao emitir NF-e", "Boleto não gerado", "Sistema lento no caixa",
    "Impressora fiscal parou", "Dúvida sobre o plano", "Relatório de vendas vazio",
]  # fmt: skip


def corpus(count: int, seed: int = 7) -> list[bytes]:
    rng = random.Random(seed)
    sent: dict[int, list[str]] = {}
    out: list[bytes] = []
    for n in range(count):
        customer = rng.randrange(300)
        msg = EmailMessage()
        msg["From"] = f"Cliente {customer} <cliente{customer}@loja{customer % 40}.example>"
        msg["To"] = "suporte@suporte.example"
        msg["Date"] = "Mon, 07 Dec 2026 10:00:00 -0300"
        msg["Message-ID"] = f"<bench-{n}-{rng.randrange(10**9)}@loja.example>"
        roll = rng.random()
        body = (f"Bom dia,\n\nA loja {customer % 40} está com problema desde cedo (pedido {n}).\n"
                "Podem verificar?\n\nObrigado,\nCliente\n\n"
                "Em seg., 7 de dez. de 2026 às 09:00, Suporte <suporte@suporte.example> "
                "escreveu:\n> Olá, em que podemos ajudar?\n")  # fmt: skip
        if roll < 0.30 and sent.get(customer):
            previous = sent[customer][-1]
            msg["Subject"] = "RES: " + SUBJECTS[customer % len(SUBJECTS)]
            msg["In-Reply-To"] = previous
            msg["References"] = previous
        elif roll < 0.35:
            msg["Subject"] = "Resposta automática: " + SUBJECTS[customer % len(SUBJECTS)]
            msg["Auto-Submitted"] = "auto-replied"
        else:
            msg["Subject"] = f"{SUBJECTS[n % len(SUBJECTS)]} (loja {customer % 40})"
        msg.set_content(body)
        if 0.35 <= roll < 0.40:
            msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="nota.pdf")
        sent.setdefault(customer, []).append(str(msg["Message-ID"]))
        out.append(msg.as_bytes())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="atende-bench-") as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        settings = Settings(database_url=url, data_dir=Path(tmp) / "data",
                            secret_key="bench-secret", run_worker=False,
                            inbound_sender_limit_per_hour=10**6)  # fmt: skip
        engine = make_engine(url)
        upgrade(engine)
        sessions = make_sessionmaker(engine)
        mails = corpus(args.count)
        with transaction(sessions) as session:
            for raw in mails:
                pipeline.store(session, kind="email", channel="smtp", provider_id=provider_id(raw),
                               raw=raw, now=utcnow())  # fmt: skip

        def work() -> None:
            while inbound.sweep(sessions, utcnow(), settings=settings, limit=200):
                pass

        started, cpu_started = time.perf_counter(), time.process_time()
        if args.workers == 1:
            work()
        else:
            threads = [threading.Thread(target=work) for _ in range(args.workers)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        with transaction(sessions) as session:
            states = dict(
                session.execute(
                    select(InboundItem.state, func.count()).group_by(InboundItem.state)
                ).all()
            )
            tickets = session.scalar(select(func.count()).select_from(Ticket))
        engine.dispose()
    db = "SQLite" if url.startswith("sqlite") else "PostgreSQL"
    # the process's CPU time says what the machine's other load hides (a shared 2-core box)
    print(f"| e-mails ingested | {db}, {args.workers} worker(s) | {args.count} | "
          f"{args.count / elapsed:.0f}/s wall | {args.count / cpu:.0f}/s of this process's CPU | "
          f"{elapsed:.1f} s | states {states}, tickets {tickets} "
          f"| Python {platform.python_version()} |")  # fmt: skip


if __name__ == "__main__":
    main()
