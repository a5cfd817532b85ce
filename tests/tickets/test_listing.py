"""GET /tickets: filters, sort and keyset pagination."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from tests.support.queries import count_queries
from tests.tickets.conftest import create

T = "/api/v1/tickets"
# statements of one creation (no rule), one reply and one read, auth included; a creation and a
# reply each write their stream event (one INSERT: decision 0013)
# a write first checks its caller before its body is read (api/bodies.py: one version read)
# the reports' facts (#19) add 2 to each write: creating inserts the ticket's measuring state
# and its "created" fact; a reply reads the state and updates it
CREATE_COST, REPLY_COST, READ_COST = 14, 16, 4  # into a queue: it is read (validated, a fact)
CREATE_TO_TRIAGE_COST = 20  # no queue given, no rule routes it: moved to the triage queue
# a creation with a business-hours rule that does not match, and with a rule that matches
CREATE_WITH_RULES_COST = (14, 28)  # the answer reads again what the rule's savepoint wrote


def walk(user: Any, query: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        url = f"{T}?{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        response = user.get(url)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")


@pytest.fixture
def many(admin: Any, make_queue: Any, make_org: Any) -> dict[str, Any]:
    """37 tickets over a few days (several in the same second), spread over filters."""
    q1, q2 = make_queue(), make_queue()
    org = make_org()
    lines = []
    base = datetime(2025, 5, 1, 12, 0, tzinfo=UTC)
    for n in range(37):
        created = base + timedelta(hours=(n // 3) * 7)  # three tickets share each instant
        lines.append(
            json.dumps(
                {
                    "subject": f"Chamado {n} " + ("impressora" if n % 5 == 0 else "sistema"),
                    "body": "Cupom não sai" if n % 4 == 0 else "Travou",
                    "created_at": created.isoformat(),
                    "status": "open" if n % 2 else "new",
                    "priority": ["low", "normal", "high", "urgent"][n % 4],
                    "channel": "whatsapp" if n % 3 == 0 else "email",
                    "queue_id": q1.id if n % 2 else q2.id,
                    "organization_id": org.id if n < 10 else None,
                    "tags": ["pdv"] if n % 6 == 0 else [],
                }
            )
        )
    result = admin.post(f"{T}/import", content="\n".join(lines).encode()).json()
    assert result["created"] == 37, result
    return {"q1": q1, "q2": q2, "org": org, "ids": result["ticket_ids"]}


@pytest.mark.parametrize("sort", ["-created_at", "created_at", "-updated_at", "updated_at"])
@pytest.mark.parametrize("limit", [1, 4, 50])
def test_cursor_walks_every_ticket_once(
    admin: Any, many: dict[str, Any], sort: str, limit: int
) -> None:
    items = walk(admin, f"sort={sort}", limit)
    ids = [t["id"] for t in items]
    assert len(ids) == len(set(ids)) == 37
    field = sort.lstrip("-")
    keys = [(t[field], t["id"]) for t in items]
    assert keys == sorted(keys, reverse=sort.startswith("-"))


def test_filters(admin: Any, many: dict[str, Any]) -> None:
    def ids(query: str) -> set[int]:
        return {t["id"] for t in walk(admin, query, 10)}

    every = walk(admin, "sort=created_at", 50)
    by_id = {t["id"]: t for t in every}

    def expect(pred: Any) -> set[int]:
        return {i for i, t in by_id.items() if pred(t)}

    assert ids("status=open") == expect(lambda t: t["status"] == "open")
    assert ids("status=open&status=new") == set(by_id)
    assert ids(f"queue_id={many['q1'].id}") == expect(lambda t: t["queue_id"] == many["q1"].id)
    assert ids("priority=urgent") == expect(lambda t: t["priority"] == "urgent")
    assert ids("channel=whatsapp") == expect(lambda t: t["channel"] == "whatsapp")
    assert ids(f"organization_id={many['org'].id}") == expect(
        lambda t: t["organization_id"] == many["org"].id
    )
    assert ids("tag=pdv") == expect(lambda t: "pdv" in t["tags"])
    assert ids("q=IMPRESSORA") == expect(lambda t: "impressora" in t["subject"])
    assert len(ids("q=cupom")) == 10  # found in the message bodies
    assert ids("q=100%25") == set()
    start, end = "2025-05-02T00:00:00Z", "2025-05-03T00:00:00Z"
    assert ids(f"created_from={start}&created_to={end}") == expect(
        lambda t: start <= t["created_at"] < end
    )
    combined = ids(f"status=open&queue_id={many['q1'].id}&priority=high")
    assert combined == expect(
        lambda t: (
            t["status"] == "open" and t["queue_id"] == many["q1"].id and t["priority"] == "high"
        )
    )
    assert ids("assignee_id=12345") == set()


def test_bad_list_parameters_answer_422(admin: Any, many: dict[str, Any]) -> None:
    for query in (
        "cursor=garbage!!",
        "cursor=WzEsMiwzXQ",  # [1,2,3]
        "sort=subject",
        "limit=0",
        "limit=100000",
        "status=bogus",
        "created_from=2025-01-01T00:00:00",  # naive
        "created_from=0001-01-01T00:00:00%2B14:00",
        f"queue_id={2**64}",
        "queue_id=-1",
    ):
        response = admin.get(f"{T}?{query}")
        assert response.status_code == 422, (query, response.text)
    first = admin.get(f"{T}?sort=created_at&limit=2").json()
    other_sort = admin.get(f"{T}?sort=-updated_at&cursor={first['next_cursor']}")
    assert other_sort.status_code == 422


def test_a_page_costs_a_fixed_number_of_queries(
    admin: Any, many: dict[str, Any], db: Session
) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    bind = db.get_bind()
    event.listen(bind, "before_cursor_execute", count)
    try:
        admin.get(f"{T}?limit=5")
        small = len(statements)
        statements.clear()
        admin.get(f"{T}?limit=30")
        large = len(statements)
    finally:
        event.remove(bind, "before_cursor_execute", count)
    assert 0 < small == large
    assert not any("count(" in s.lower() for s in statements)


def test_ticket_fields_come_back_in_the_list(admin: Any) -> None:
    made = create(admin, tags=["x"])
    listed = admin.get(T).json()["items"][0]
    assert listed == admin.get(f"{T}/{made['id']}").json()


def test_hot_paths_issue_a_fixed_number_of_statements(
    admin: Any, db: Session, make_queue: Any
) -> None:
    """Creating, replying and reading cost a fixed handful of statements (auth included); a
    ticket nobody routed costs its move to the triage queue as well."""
    queue_id = make_queue().id
    ticket = create(admin, tags=["a", "b"], queue_id=queue_id)
    for _ in range(2):  # the first ticket nobody routes makes the triage queue; then the copies
        create(admin)
    # the reply check's lists are read once into their per-process copy (docs/reply-check.md)
    assert admin.post("/api/v1/reply-check", json={"body": "olá"}).status_code == 200
    costs = {}
    for name, call in (
        ("create", lambda: create(admin, tags=["a", "b", "c"], queue_id=queue_id)),
        ("create_to_triage", lambda: create(admin)),
        ("reply", lambda: admin.post(f"{T}/{ticket['id']}/messages", json={"body": "oi"})),
        ("read", lambda: admin.get(f"{T}/{ticket['id']}")),
    ):
        with count_queries(db) as counted:
            call()
        costs[name] = counted.count
        if os.environ.get("DUMP"):
            print(name, counted.listing(), sep="\n")
    # credentials, policies and rules come from per-process copies (atende/db/cache.py), whose
    # version is read once per transaction; a reply re-evaluates the ticket's clocks (its stored
    # clocks and history) and reads its followers.
    assert costs == {
        "create": CREATE_COST,
        "create_to_triage": CREATE_TO_TRIAGE_COST,
        "reply": REPLY_COST,
        "read": READ_COST,
    }, costs


def test_creation_with_rules_costs_a_fixed_number_of_statements(
    admin: Any, db: Session, make_queue: Any
) -> None:
    """The product as shipped has ``ticket_created`` rules (the seeds' playbook): one that tests
    business hours and does not match, and one that matches and adds a tag."""
    off_hours = {"field": "ticket.in_business_hours", "op": "eq", "value": False}
    rule = {"name": "Fora do horário", "event": "ticket_created",
            "conditions": {"all": [off_hours]},
            "actions": [{"type": "add_tags", "value": ["fora-do-horario"]}]}  # fmt: skip
    assert admin.post("/api/v1/rules", json=rule).status_code == 201
    queue_id = make_queue().id
    create(admin, queue_id=queue_id)  # warm: the per-process copies of rules and calendars
    with count_queries(db) as quiet:
        made = create(admin, queue_id=queue_id)
    assert made["tags"] == []  # no calendar: always open, the rule does not match
    urgent = {"field": "ticket.subject", "op": "contains", "value": "urgente"}
    rule = {"name": "Urgente", "event": "ticket_created", "conditions": {"all": [urgent]},
            "actions": [{"type": "add_tags", "value": ["urgente"]}]}  # fmt: skip
    assert admin.post("/api/v1/rules", json=rule).status_code == 201
    create(admin, subject="Outro chamado urgente", queue_id=queue_id)
    with count_queries(db) as fired:
        made = create(admin, subject="PDV parado, urgente", queue_id=queue_id)
    assert made["tags"] == ["urgente"]
    assert (quiet.count, fired.count) == CREATE_WITH_RULES_COST, (quiet.listing(), fired.listing())


@pytest.mark.parametrize("limit", [1, 2, 5, 50])
def test_an_agent_walks_their_queues_and_assigned_tickets_once_each(
    admin: Any, make_user: Any, make_queue: Any, limit: int
) -> None:
    q1, q2, other = make_queue(), make_queue(), make_queue()
    agent = make_user("agent", queue_ids=[q1.id, q2.id])
    in_q1 = [create(admin, queue_id=q1.id)["id"] for _ in range(3)]
    in_q2 = [create(admin, queue_id=q2.id)["id"] for _ in range(2)]
    hidden = [create(admin, queue_id=other.id)["id"] for _ in range(2)]
    assigned_elsewhere = create(admin, queue_id=other.id, assignee_id=agent.id)["id"]
    assigned_in_q1 = create(admin, queue_id=q1.id, assignee_id=agent.id)["id"]

    for query in ("", "sort=created_at", "status=new"):
        seen = [t["id"] for t in walk(agent, query, limit)]
        assert len(seen) == len(set(seen)), "a ticket in both branches came back twice"
        assert set(seen) == {*in_q1, *in_q2, assigned_elsewhere, assigned_in_q1}
        assert not set(seen) & set(hidden)
    newest_first = [t["id"] for t in walk(agent, "", limit)]
    assert newest_first == sorted(newest_first, reverse=True)


@pytest.mark.parametrize("limit", [1, 3, 50])
def test_a_tag_list_walks_exactly_the_tagged_tickets_in_order(
    admin: Any, make_user: Any, make_queue: Any, limit: int
) -> None:
    q1, other = make_queue(), make_queue()
    agent = make_user("agent", queue_ids=[q1.id])
    tagged = [create(admin, queue_id=q1.id, tags=["nfe"])["id"] for _ in range(4)]
    tagged_elsewhere = create(admin, queue_id=other.id, tags=["nfe", "x"])["id"]
    untagged = create(admin, queue_id=q1.id, tags=["boleto"])["id"]
    retagged = create(admin, queue_id=q1.id, tags=["boleto"])["id"]
    assert admin.patch(f"{T}/{retagged}", json={"tags": ["NFE"]}).status_code == 200

    every = [t["id"] for t in walk(admin, "tag=nfe", limit)]
    assert every == sorted([*tagged, tagged_elsewhere, retagged], reverse=True)
    assert untagged not in every
    oldest_first = [t["id"] for t in walk(admin, "tag=nfe&sort=created_at", limit)]
    assert oldest_first == sorted(every)
    by_update = {t["id"] for t in walk(admin, "tag=nfe&sort=-updated_at", limit)}
    assert by_update == set(every)
    mine = [t["id"] for t in walk(agent, "tag=nfe", limit)]
    assert mine == sorted([*tagged, retagged], reverse=True)


@pytest.mark.parametrize("rare_limit", [0, 3, 5000])
def test_text_search_finds_the_same_tickets_for_rare_and_common_texts(
    admin: Any, many: dict[str, Any], monkeypatch: pytest.MonkeyPatch, rare_limit: int
) -> None:
    """On PostgreSQL a text held by few tickets is read through the trigram indexes, a common
    one by walking the list; both give every match once, in the list's order, page by page."""
    from atende.tickets import repository

    monkeypatch.setattr(repository, "RARE_TEXT_LIMIT", rare_limit)
    everything = walk(admin, "sort=-created_at", 50)
    for query, holds in [
        ("cupom", lambda n: n % 4 == 0),  # in the opening messages only
        ("IMPRESSORA", lambda n: n % 5 == 0),  # in the subjects only
        ("Chamado 1", lambda n: str(n).startswith("1")),
        ("100%", lambda n: False),
    ]:
        expected = [
            t["id"] for t in everything if holds(many["ids"].index(t["id"]))
        ]  # many["ids"][n] is ticket n
        for limit in (2, 50):
            found = [t["id"] for t in walk(admin, f"q={query.replace('%', '%25')}", limit)]
            assert found == expected, (query, limit)


def test_postgres_text_search_uses_the_trigram_indexes(db: Session) -> None:
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("trigram indexes are PostgreSQL's")
    db.execute(text("SET LOCAL enable_seqscan = off"))
    for sql, index in [
        ("SELECT id FROM tickets WHERE subject ILIKE '%sped%'", "ix_tickets_subject_trgm"),
        ("SELECT ticket_id FROM messages WHERE body_text ILIKE '%sped%'", "ix_messages_body_trgm"),
    ]:
        plan = "\n".join(db.execute(text(f"EXPLAIN {sql}")).scalars())
        assert index in plan, plan


def test_sqlite_text_search_reads_the_trigram_index_and_what_is_not_indexed_yet(
    admin: Any, portal_user: Any, make_org: Any, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite (migration 0010): a rare text is found through the full-text indexes, which the
    worker's sweep fills (tickets/text_index.py), and in the rows it has not indexed yet; an
    edited subject is indexed again at once; a contact never finds an internal note."""
    if db.get_bind().dialect.name != "sqlite":
        pytest.skip("SQLite's full-text indexes (PostgreSQL: trigram indexes, 0008)")
    from atende.tickets import repository, text_index

    monkeypatch.setattr(repository, "_common_among_newest", lambda session, match: False)
    org = make_org()
    customer, contact = portal_user(org)
    one = create(admin, subject="Balança Toledo sem peso", contact_id=contact.id)["id"]
    two = create(admin, subject="Leitor de código", body="A balança TOLEDO desligou")["id"]
    note = admin.post(f"{T}/{one}/messages", json={"body": "SPED fiscal", "public": False})
    assert note.status_code == 201, note.text

    def found(user: Any, q: str) -> list[int]:
        return [t["id"] for t in walk(user, f"q={q}", 50)]

    assert found(admin, "toledo") == [two, one]  # not indexed yet: checked one by one
    assert text_index.catch_up(db, batch=1) > 0  # a sweep, one row per table
    assert text_index.catch_up(db) > 0  # and the rest
    assert text_index.catch_up(db) == 0
    indexed = db.execute(
        text("SELECT rowid FROM tickets_text WHERE tickets_text MATCH '\"toledo\"'")
    )
    assert sorted(indexed.scalars()) == [one]
    three = create(admin, subject="Toledo de novo")["id"]  # above the watermark
    assert found(admin, "toledo") == [three, two, one]
    assert found(admin, "sped fisc") == [one]
    assert found(customer, "sped fisc") == []  # an internal note
    assert found(customer, "toledo") == [one]
    assert admin.patch(f"{T}/{one}", json={"subject": "Balança Filizola"}).status_code == 200
    assert found(admin, "filizola") == [one]  # indexed again by the trigger
    assert found(admin, "toledo") == [three, two]
    assert found(admin, "zzqxw") == []


def test_an_unknown_list_filter_is_refused_not_ignored(admin: Any) -> None:
    """``?follower_id=`` was silently ignored: the list looked filtered when it was not."""
    create(admin)
    res = admin.get(T, params={"follower_id": 1})
    assert res.status_code == 422
    assert res.json()["errors"][0]["field"] == "follower_id"
    assert "follower_id" in res.json()["detail"]
    assert admin.get(T, params={"status": "new", "limit": 5}).status_code == 200


def test_a_nul_character_in_any_filter_is_refused_naming_it(admin: Any) -> None:
    """PostgreSQL cannot compare text with NUL: ``GET /jobs?kind=%00`` answered 500 there (found
    by the fuzz test); every API route now refuses it with 422 naming the parameter."""
    for path, params in (("/api/v1/jobs", {"kind": "\x00"}), (T, {"tag": "a\x00b"}),
                         ("/api/v1/jobs", {"state": "done", "kind": "x\x00"})):  # fmt: skip
        res = admin.get(path, params=params)
        assert res.status_code == 422, res.text
        assert res.json()["errors"][0]["field"] == ("tag" if path == T else "kind")
