"""Fill a migrated Atende database with many realistic tickets, fast.

    ATENDE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench .venv/bin/atende migrate
    ATENDE_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench \\
        .venv/bin/python bench/seed_tickets.py --count 1000000

Writes straight to the tables in batches (COPY on PostgreSQL through psycopg, executemany on
SQLite), not through the API: the point is a large table to measure lists against, made in
minutes. The rows are those the app writes itself: every NOT NULL column set, ids explicit and
the id sequence moved past them, and each ticket with the timeline a ticket created over the API
has (a ``created`` event at position 1 and the requester's opening message at position 2, so
``timeline_count`` = 2).

Spread: 12 months of ``created_at`` (ids grow with time, as they do for real), statuses by age
(old tickets mostly closed, recent ones open or pending), 8 queues, priorities and channels with
realistic weights, organizations with a skewed (Zipf-like) share of tickets, 3 contacts per
organization plus contacts without one, ~25% of tickets assigned to agents, ~30% tagged.
Reference rows are named ``Bench ...`` and reused by later runs, so a second run appends.
Bounded in time by ``--max-seconds`` (stops between batches and says how far it got).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import Connection, Engine, func, insert, select, text

from atende.agents.models import User
from atende.customers.models import Contact, Organization, Plan
from atende.db.engine import make_engine
from atende.queues.models import Queue, QueueMember
from atende.tickets.models import Ticket

console = Console(stderr=True)

QUEUES = (
    ("Bench Suporte N1", 40),
    ("Bench Suporte N2", 18),
    ("Bench Prime - Especialistas", 10),
    ("Bench Financeiro", 12),
    ("Bench Clientes", 8),
    ("Bench Field Desk", 5),
    ("Bench Special Service", 4),
    ("Bench Implantação", 3),
)
PLANS = ("Bench Prime", "Bench Plus", "Bench Premium", "Bench Light", "Bench Básico")
PRIORITIES = (("low", 20), ("normal", 55), ("high", 18), ("urgent", 7))
CHANNELS = (
    ("chat", 30),
    ("email", 22),
    ("phone", 12),
    ("whatsapp", 25),
    ("telegram", 2),
    ("teams", 2),
    ("portal", 5),
    ("api", 2),
)
# (status, weight) for tickets younger than 3 days, younger than 30 days, older.
STATUS_BY_AGE = (
    (
        3,
        (
            ("new", 18),
            ("open", 35),
            ("pending_customer", 15),
            ("pending_internal", 10),
            ("resolved", 14),
            ("closed", 8),
        ),
    ),
    (
        30,
        (
            ("new", 2),
            ("open", 10),
            ("pending_customer", 8),
            ("pending_internal", 5),
            ("resolved", 15),
            ("closed", 60),
        ),
    ),
    (
        10_000,
        (
            ("new", 0.2),
            ("open", 1.5),
            ("pending_customer", 1),
            ("pending_internal", 0.8),
            ("resolved", 2.5),
            ("closed", 94),
        ),
    ),
)
TAGS = (
    ("nfe", 20),
    ("pdv", 16),
    ("boleto", 12),
    ("integracao", 10),
    ("certificado", 8),
    ("estoque", 8),
    ("tef", 6),
    ("backup", 5),
    ("sped", 5),
    ("treinamento", 4),
    ("vip", 3),
    ("bug", 2),
    ("lgpd", 1),
)
SUBJECTS = (
    "Erro ao emitir NF-e",
    "PDV travando na finalização da venda",
    "Boleto não registrado",
    "Dúvida sobre o plano",
    "Certificado digital vencido",
    "Integração com o e-commerce parou",
    "Estoque divergente após inventário",
    "Não consigo acessar o sistema",
    "Solicitação de cancelamento",
    "TEF não conecta",
    "Relatório de vendas em branco",
    "Impressora fiscal não imprime",
    "Backup não concluído",
    "Pedido de treinamento para nova loja",
    "Cobrança em duplicidade",
    "Atualização da versão",
    "SPED Fiscal com erro de validação",
    "Cadastro de produtos lento",
)
TYPES = (("question", 40), ("incident", 35), ("request", 20), ("cancellation", 5))


def _weighted(pairs: Sequence[tuple[Any, float]]) -> tuple[list[Any], list[float]]:
    values = [p[0] for p in pairs]
    total = 0.0
    cumulative = []
    for _, weight in pairs:
        total += weight
        cumulative.append(total)
    return values, cumulative


@dataclass
class Reference:
    queue_ids: list[int]
    queue_weights: list[float]
    organization_ids: list[int]
    organization_cum: list[float]
    contacts_by_org: dict[int, list[int]]
    loose_contact_ids: list[int]
    agent_ids: list[int]


def _ensure_reference(conn: Connection, *, organizations: int, agents: int) -> Reference:
    """Plans, queues, agents, organizations and contacts named ``Bench ...`` (created once)."""
    now = datetime.now(UTC).replace(microsecond=0)
    have = {r.name: r.id for r in conn.execute(select(Plan.name, Plan.id))}
    missing = [
        {"name": n, "rank": i, "created_at": now} for i, n in enumerate(PLANS) if n not in have
    ]
    if missing:
        conn.execute(insert(Plan), missing)
    plan_ids = [
        r.id for r in conn.execute(select(Plan.id).where(Plan.name.in_(PLANS)).order_by(Plan.id))
    ]

    have = {r.name: r.id for r in conn.execute(select(Queue.name, Queue.id))}
    missing = [{"name": n, "created_at": now} for n, _ in QUEUES if n not in have]
    if missing:
        conn.execute(insert(Queue), missing)
    queue_by_name = {r.name: r.id for r in conn.execute(select(Queue.name, Queue.id))}
    queue_ids = [queue_by_name[n] for n, _ in QUEUES]

    existing_agents = conn.execute(
        select(User.id).where(User.email.like("agent%@bench.example")).order_by(User.id)
    ).scalars()
    agent_ids = list(existing_agents)
    if len(agent_ids) < agents:
        conn.execute(
            insert(User),
            [
                {
                    "name": f"Bench Agent {i:03d}",
                    "email": f"agent{i:03d}@bench.example",
                    "password_hash": None,
                    "role": "agent",
                    "active": True,
                    "created_at": now,
                }
                for i in range(len(agent_ids), agents)
            ],
        )
        agent_ids = list(
            conn.execute(
                select(User.id).where(User.email.like("agent%@bench.example")).order_by(User.id)
            ).scalars()
        )
        already = set(conn.execute(select(QueueMember.user_id)).scalars())
        memberships = [
            {"queue_id": queue_ids[i % len(queue_ids)], "user_id": a}
            for i, a in enumerate(agent_ids)
            if a not in already
        ]
        if memberships:
            conn.execute(insert(QueueMember), memberships)

    org_ids = list(
        conn.execute(
            select(Organization.id)
            .where(Organization.name.like("Bench Org %"))
            .order_by(Organization.id)
        ).scalars()
    )
    if len(org_ids) < organizations:
        start = len(org_ids)
        rng = random.Random(7)
        conn.execute(
            insert(Organization),
            [
                {
                    "name": f"Bench Org {i:05d}",
                    "plan_id": plan_ids[i % len(plan_ids)],
                    "key_account": i % 50 == 0,
                    "stores": rng.randint(1, 40),
                    "billing_due_day": rng.choice((5, 10, 15, 20, 25)),
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(start, organizations)
            ],
        )
        org_ids = list(
            conn.execute(
                select(Organization.id)
                .where(Organization.name.like("Bench Org %"))
                .order_by(Organization.id)
            ).scalars()
        )
        new_orgs = org_ids[start:]
        conn.execute(
            insert(Contact),
            [
                {
                    "name": f"Contato {k} da Org {org_id}",
                    "email": f"c{k}.o{org_id}@bench.example",
                    "phone": f"+5511{9 * 10**7 + org_id * 3 + k:09d}",
                    "role": ("owner", "focal_point", "user")[k],
                    "organization_id": org_id,
                    "created_at": now,
                }
                for org_id in new_orgs
                for k in range(3)
            ],
        )
        conn.execute(
            insert(Contact),
            [
                {
                    "name": f"Avulso {start + j}",
                    "email": f"avulso{start + j}@bench.example",
                    "role": "user",
                    "organization_id": None,
                    "created_at": now,
                }
                for j in range(max(1, (organizations - start) // 4))
            ],
        )
    contacts_by_org: dict[int, list[int]] = {}
    loose: list[int] = []
    rows = conn.execute(
        select(Contact.id, Contact.organization_id).where(Contact.email.like("%@bench.example"))
    )
    for contact_id, org_id in rows:
        if org_id is None:
            loose.append(contact_id)
        else:
            contacts_by_org.setdefault(org_id, []).append(contact_id)
    # Zipf-like: organization k gets weight 1 / (k + 10): a few big customers, a long tail.
    cum: list[float] = []
    total = 0.0
    for k in range(len(org_ids)):
        total += 1.0 / (k + 10)
        cum.append(total)
    return Reference(
        queue_ids=queue_ids,
        queue_weights=_weighted([(q, w) for q, (_, w) in zip(queue_ids, QUEUES, strict=True)])[1],
        organization_ids=org_ids,
        organization_cum=cum,
        contacts_by_org=contacts_by_org,
        loose_contact_ids=loose,
        agent_ids=agent_ids,
    )


def _ticket_rows(
    rng: random.Random,
    ref: Reference,
    *,
    first_id: int,
    count: int,
    start: datetime,
    span: timedelta,
    now: datetime,
    offset: int,
    total: int,
) -> Iterator[tuple[tuple[Any, ...], list[str]]]:
    """``count`` tickets whose created_at runs evenly (with jitter) from ``start`` over ``span``;
    ticket k of ``total`` sits at ``start + span * k / total``: ids grow with time."""
    prio_v, prio_c = _weighted(PRIORITIES)
    chan_v, chan_c = _weighted(CHANNELS)
    type_v, type_c = _weighted(TYPES)
    tag_v, tag_c = _weighted(TAGS)
    status_tables = [(days, *_weighted(table)) for days, table in STATUS_BY_AGE]
    span_s = span.total_seconds()
    step = span_s / total
    loose = ref.loose_contact_ids
    for k in range(count):
        i = offset + k
        seconds = i * step + rng.random() * step
        created = start + timedelta(seconds=int(seconds))
        age_days = (now - created).total_seconds() / 86400
        for days, sv, sc in status_tables:
            if age_days < days:
                status = rng.choices(sv, cum_weights=sc)[0]
                break
        priority = rng.choices(prio_v, cum_weights=prio_c)[0]
        channel = rng.choices(chan_v, cum_weights=chan_c)[0]
        ttype = rng.choices(type_v, cum_weights=type_c)[0]
        queue_id = rng.choices(ref.queue_ids, cum_weights=ref.queue_weights)[0]
        if rng.random() < 0.93:
            org_id = rng.choices(ref.organization_ids, cum_weights=ref.organization_cum)[0]
            requester_id = rng.choice(ref.contacts_by_org[org_id])
        else:
            org_id = None
            requester_id = rng.choice(loose)
        assignee_id = None
        if status != "new" and rng.random() < 0.25 and ref.agent_ids:
            assignee_id = rng.choice(ref.agent_ids)
        first_response = resolved = closed = None
        if status != "new":
            first_response = min(created + timedelta(minutes=rng.randint(1, 240)), now)
        if status in ("resolved", "closed"):
            resolved = min(first_response + timedelta(hours=rng.randint(1, 72)), now)  # type: ignore[operator]
        if status == "closed":
            closed = min(resolved + timedelta(days=rng.randint(0, 4)), now)  # type: ignore[operator]
        updated = max(x for x in (created, first_response, resolved, closed) if x is not None)
        subject = f"{rng.choice(SUBJECTS)} - loja {rng.randint(1, 40)}"
        tags: list[str] = []
        if rng.random() < 0.3:
            tags.append(rng.choices(tag_v, cum_weights=tag_c)[0])
            if rng.random() < 0.15:
                tags.append(rng.choices(tag_v, cum_weights=tag_c)[0])
        row = (
            first_id + k,
            subject,
            status,
            priority,
            ttype,
            channel,
            requester_id,
            org_id,
            queue_id,
            assignee_id,
            "{}",
            created,
            updated,
            first_response,
            resolved,
            closed,
            created if status != "new" or channel != "chat" else None,
            2,
            updated,  # status_changed_at: the last change of the history above
            0,  # priority_class
            created,  # queue_entered_at
            False,  # queue_front
            False,  # on_call
        )
        yield row, sorted(set(tags))


TICKET_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "type",
    "channel",
    "requester_id",
    "organization_id",
    "queue_id",
    "assignee_id",
    "custom_fields",
    "created_at",
    "updated_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "last_contact_message_at",
    "timeline_count",
    "status_changed_at",
    "priority_class",
    "queue_entered_at",
    "queue_front",
    "on_call",
)


def _timeline_sql(dialect: str) -> tuple[str, str]:
    """INSERT ... SELECT statements writing each ticket's created event and opening message."""
    if dialect == "postgresql":
        after = (
            "json_build_object('status', 'new', 'priority', t.priority, 'type', t.type, "
            "'channel', t.channel, 'queue_id', t.queue_id, 'assignee_id', NULL, "
            "'tags', json_build_array())"
        )
        true = "true"
    else:
        after = (
            "json_object('status', 'new', 'priority', t.priority, 'type', t.type, "
            "'channel', t.channel, 'queue_id', t.queue_id, 'assignee_id', NULL, "
            "'tags', json_array())"
        )
        true = "1"
    events = (
        "INSERT INTO ticket_events (ticket_id, position, kind, actor_user_id, actor_label, "
        "before, after, detail, public, created_at) "
        f"SELECT t.id, 1, 'created', NULL, 'bench seed', NULL, {after}, '', {true}, t.created_at "
        "FROM tickets t WHERE t.id BETWEEN :lo AND :hi ORDER BY t.id"
    )
    messages = (
        "INSERT INTO messages (ticket_id, position, author_kind, author_user_id, "
        "author_contact_id, public, body_html, body_text, channel, created_at) "
        "SELECT t.id, 2, 'contact', NULL, t.requester_id, "
        f"{true}, '<p>Olá, ' || t.subject || '. Podem verificar, por favor?</p>', "
        "'Olá, ' || t.subject || '. Podem verificar, por favor?', t.channel, t.created_at "
        "FROM tickets t WHERE t.id BETWEEN :lo AND :hi ORDER BY t.id"
    )
    return events, messages


CREATED = TICKET_COLUMNS.index("created_at")  # ticket_tags keeps a copy of it


def _write_batch_postgres(
    conn: Connection, rows: list[tuple[Any, ...]], tags: list[tuple[int, str, Any]]
) -> None:
    raw = conn.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cur:
        # The rows are consistent by construction: skip the per-row foreign-key triggers, which
        # cost more than the insert itself (this transaction only; superuser needed).
        cur.execute("SET LOCAL session_replication_role = replica")
        with cur.copy(f"COPY tickets ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        if tags:
            with cur.copy("COPY ticket_tags (ticket_id, tag, created_at) FROM STDIN") as copy:
                for tag_row in tags:
                    copy.write_row(tag_row)


def _sqlite_processors(engine: Engine) -> list[Any]:
    """The app's own bind processors per column, so values are stored exactly as it stores them."""
    table = Ticket.__table__
    return [
        None  # custom_fields is already JSON text
        if name == "custom_fields"
        else table.c[name].type.dialect_impl(engine.dialect).bind_processor(engine.dialect)
        for name in TICKET_COLUMNS
    ]


def _write_batch_sqlite(
    conn: Connection, rows: list[tuple[Any, ...]], tags: list[tuple[int, str, Any]]
) -> None:
    processors = conn.info["processors"]
    prepared = [
        tuple(v if p is None or v is None else p(v) for p, v in zip(processors, row, strict=True))
        for row in rows
    ]
    raw = conn.connection.driver_connection
    assert raw is not None
    marks = ", ".join("?" for _ in TICKET_COLUMNS)
    raw.executemany(f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) VALUES ({marks})", prepared)
    if tags:
        at = processors[CREATED]
        raw.executemany(
            "INSERT INTO ticket_tags (ticket_id, tag, created_at) VALUES (?, ?, ?)",
            [(i, t, c if at is None or c is None else at(c)) for i, t, c in tags],
        )


def _check_schema(engine: Engine) -> None:
    with engine.connect() as conn:
        try:
            conn.execute(select(func.count()).select_from(Ticket).where(Ticket.id < 0))
        except Exception as exc:
            reason = str(exc).splitlines()[0]
            console.print(f"[red]the database is not migrated (`atende migrate`): {reason}[/red]")
            sys.exit(2)


def seed(
    engine: Engine,
    *,
    count: int,
    batch: int,
    organizations: int,
    agents: int,
    months: int,
    seed_value: int,
    max_seconds: float,
    analyze: bool,
) -> int:
    dialect = engine.dialect.name
    _check_schema(engine)
    with engine.begin() as conn:
        ref = _ensure_reference(conn, organizations=organizations, agents=agents)
        max_id = conn.execute(select(func.coalesce(func.max(Ticket.id), 0))).scalar_one()
    now = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=30 * months + months // 2)
    start = now - span
    rng = random.Random(seed_value + max_id)
    events_sql, messages_sql = _timeline_sql(dialect)
    writer = _write_batch_postgres if dialect == "postgresql" else _write_batch_sqlite
    processors = _sqlite_processors(engine) if dialect == "sqlite" else []
    began = time.monotonic()
    done = 0
    first_id = max_id + 1
    rows_iter = _ticket_rows(
        rng,
        ref,
        first_id=first_id,
        count=count,
        start=start,
        span=span,
        now=now,
        offset=0,
        total=count,
    )
    progress = Progress(
        TextColumn("[bold]tickets"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8} rows/s"),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("seed", total=count, rate="-")
        while done < count:
            if time.monotonic() - began > max_seconds:
                console.print(f"[yellow]time bound of {max_seconds:.0f} s reached[/yellow]")
                break
            n = min(batch, count - done)
            rows: list[tuple[Any, ...]] = []
            tag_rows: list[tuple[int, str, Any]] = []
            for _ in range(n):
                row, tags = next(rows_iter)
                rows.append(row)
                tag_rows.extend((row[0], t, row[CREATED]) for t in tags)
            lo, hi = rows[0][0], rows[-1][0]
            with engine.begin() as conn:
                conn.info["processors"] = processors
                writer(conn, rows, tag_rows)
                conn.execute(text(events_sql), {"lo": lo, "hi": hi})
                conn.execute(text(messages_sql), {"lo": lo, "hi": hi})
            done += n
            rate = done / max(time.monotonic() - began, 1e-9)
            progress.update(task, advance=n, rate=f"{rate:,.0f}")
    with engine.begin() as conn:
        if dialect == "postgresql":
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('tickets', 'id'), "
                    "(SELECT max(id) FROM tickets))"
                )
            )
    if analyze:
        console.print("analyzing ...")
        if dialect == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE tickets"))
                conn.execute(text("VACUUM ANALYZE ticket_tags"))
                conn.execute(text("ANALYZE ticket_events"))
                conn.execute(text("ANALYZE messages"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    elapsed = time.monotonic() - began
    console.print(
        f"inserted {done:,} tickets (ids {first_id:,}..{first_id + done - 1:,}) "
        f"in {elapsed:.1f} s ({done / max(elapsed, 1e-9):,.0f} tickets/s) on {dialect}"
    )
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("ATENDE_DATABASE_URL"))
    parser.add_argument("--count", type=int, default=1_000_000, help="tickets to add")
    parser.add_argument("--batch", type=int, default=10_000, help="tickets per transaction")
    parser.add_argument("--organizations", type=int, default=2_000)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--months", type=int, default=12, help="created_at spread")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="time bound")
    parser.add_argument(
        "--analyze",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="refresh planner statistics at the end (default: on PostgreSQL only)",
    )
    args = parser.parse_args(argv)
    if not args.url:
        parser.error("give --url or set ATENDE_DATABASE_URL")
    engine = make_engine(args.url)
    analyze = args.analyze if args.analyze is not None else engine.dialect.name == "postgresql"
    seed(
        engine,
        count=args.count,
        batch=args.batch,
        organizations=args.organizations,
        agents=args.agents,
        months=args.months,
        seed_value=args.seed,
        max_seconds=args.max_seconds,
        analyze=analyze,
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
