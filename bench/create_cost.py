"""CPU cost of one ticket creation without HTTP: what ``POST /api/v1/tickets`` runs between
parsing the body and sending the answer (authentication, the create use case with its SLA
evaluation, rules and routing, the answer's JSON, the commit), in a loop, on a scratch
database.

    .venv/bin/python bench/create_cost.py [--url sqlite:////tmp/cost.db] [--count 2000] \
        [--policy] [--rule]

``--policy`` adds an SLA policy (a business calendar with a lunch break, first response and
resolution targets) that every ticket gets, so the clocks are computed and stored.
``--rule`` adds a ``ticket_created`` rule that tests ``ticket.in_business_hours``, as the seeds'
playbook does (the product as shipped; ``../shared/bench/vs-django-helpdesk/compare`` loads the
same rule).

Without ``--url`` it makes a scratch SQLite file in a temporary folder. A PostgreSQL ``--url``
must name an empty database that the script may migrate. Prints CPU ms per creation (process
time, so neighbours on the machine matter less than for wall time) and statements per creation.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from atende.agents import service as agents_service
from atende.api.tickets import settled_out
from atende.auth import service as auth_service
from atende.auth.actor import SYSTEM
from atende.calendars import service as calendar_service
from atende.customers import service as customers_service
from atende.db.base import utcnow
from atende.db.engine import make_engine, make_sessionmaker, transaction
from atende.db.migrate import upgrade
from atende.queues import service as queues_service
from atende.rules import service as rules_service
from atende.sla import policies as sla_policies
from atende.tickets.schemas import TicketIn
from atende.workflows import tickets as ticket_workflows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a scratch SQLite file)")
    parser.add_argument("--count", type=int, default=2000, help="creations to time")
    parser.add_argument("--rule", action="store_true", help="a business-hours creation rule")
    parser.add_argument("--policy", action="store_true", help="every ticket gets an SLA policy")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'cost.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_sessionmaker(engine)
    with transaction(factory) as s:
        now = utcnow()
        admin = agents_service.create_user(
            s, actor=SYSTEM, data={"email": "bench@cost.example", "name": "B", "role": "admin"}
        )
        s.flush()
        _, secret = auth_service.create_token(s, user=admin, name="bench", now=now)
        contact = customers_service.create_contact(
            s, actor=SYSTEM, data={"name": "Maria", "email": "maria@cost.example"}
        )
        queue = queues_service.create_queue(s, actor=SYSTEM, data={"name": "Suporte N1"})
        s.flush()
        if args.policy:
            hours = [["08:30", "12:00"], ["13:30", "18:00"]]
            days = ("monday", "tuesday", "wednesday", "thursday", "friday")
            cal = calendar_service.create_calendar(
                s,
                actor=SYSTEM,
                data={"name": "Comercial", "timezone": "America/Sao_Paulo",
                      "weekly_hours": {d: hours for d in days}},
                now=now,
            )  # fmt: skip
            s.flush()
            sla_policies.create_policy(
                s,
                actor=SYSTEM,
                data={"name": "Padrão", "calendar_id": cal.id, "first_response_minutes": 60,
                      "resolution_minutes": 960},
                now=now,
            )  # fmt: skip
        if args.rule:
            off_hours = {"field": "ticket.in_business_hours", "op": "eq", "value": False}
            rules_service.create_rule(
                s,
                actor=SYSTEM,
                data={"name": "Fora do horário", "event": "ticket_created",
                      "conditions": {"all": [off_hours]},
                      "actions": [{"type": "add_tags", "value": ["fora-do-horario"]}]},
                now=now,
            )  # fmt: skip
        body = TicketIn.model_validate(
            {"subject": "Erro ao emitir NF-e", "body": "Não consigo emitir a nota.",
             "channel": "chat", "contact_id": contact.id, "queue_id": queue.id}
        )  # fmt: skip
    statements = [0]

    @event.listens_for(engine, "before_cursor_execute")
    def _count(*_args: object) -> None:
        statements[0] += 1

    def create_full() -> None:
        with transaction(factory) as s:
            now = utcnow()
            actor = auth_service.actor_from_authorization(s, f"Bearer {secret}", now)
            settled = ticket_workflows.create_ticket(s, actor=actor, data=body, now=now)
            settled_out(s, settled, actor).model_dump(mode="json")

    create = create_full

    for _ in range(min(200, args.count)):  # warm up: imports, caches, the statement cache
        create()
    statements[0] = 0
    started = time.process_time()
    for _ in range(args.count):
        create()
    spent = time.process_time() - started
    per = statements[0] / args.count
    print(
        f"{url.split('://')[0]}{' with a policy' if args.policy else ''}"
        f"{' with the rule' if args.rule else ''}: "
        f"{spent * 1000 / args.count:.2f} ms CPU per creation, "
        f"{per:.1f} statements per creation ({args.count} creations)"
    )


if __name__ == "__main__":
    main()
