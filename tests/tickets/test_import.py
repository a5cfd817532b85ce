"""Import with history: one ticket through POST /tickets, thousands through JSON lines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from atende.auth.actor import Actor
from atende.db.engine import checkpoint
from atende.tickets import service as ticket_service
from atende.tickets.models import Ticket
from atende.workflows import importing
from tests.tickets.conftest import create, timeline

T = "/api/v1/tickets"


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_imported_ticket_lives_its_history(
    admin: Any, make_user: Any, make_contact: Any, make_org: Any
) -> None:
    agent = make_user("agent", name="Bruno")
    contact = make_contact(make_org())
    t0 = datetime(2025, 3, 10, 13, 0, tzinfo=UTC)
    ticket = create(
        admin,
        subject="Nota fiscal rejeitada",
        body="Rejeição 539 na NFC-e",
        channel="email",
        contact_id=contact.id,
        external_id="zendesk-4711",
        created_at="2025-03-10T10:00:00-03:00",
        status="closed",
        resolved_at=iso(t0 + timedelta(hours=5)),
        closed_at=iso(t0 + timedelta(days=2)),
        messages=[
            {"author": "agent", "agent_id": agent.id, "body": "Vou verificar",
             "public": False, "created_at": iso(t0 + timedelta(minutes=10))},
            {"author": "agent", "agent_id": agent.id, "body": "Reenvie a nota",
             "public": True, "created_at": iso(t0 + timedelta(minutes=42))},
            {"author": "contact", "body": "Funcionou, obrigado",
             "created_at": iso(t0 + timedelta(hours=6))},
        ],
    )  # fmt: skip
    assert ticket["created_at"] == "2025-03-10T13:00:00Z"
    assert ticket["first_response_at"] == iso(t0 + timedelta(minutes=42))
    assert ticket["status"] == "closed"
    assert ticket["resolved_at"] == iso(t0 + timedelta(hours=5))
    assert ticket["closed_at"] == iso(t0 + timedelta(days=2))
    assert ticket["updated_at"] == iso(t0 + timedelta(days=2))
    assert ticket["external_id"] == "zendesk-4711"

    entries = timeline(admin, ticket["id"])
    times = [e["created_at"] for e in entries]
    assert times == sorted(times)
    assert all(e["created_at"] < "2025-03-13" for e in entries)
    summary = [
        (e["entry"], e.get("kind") or e.get("author_kind"), e["created_at"])
        for e in entries
        if not (e.get("kind") or "").startswith("sla_")  # SLA entries: tests/sla
    ]
    assert summary == [
        ("event", "created", iso(t0)),
        ("message", "contact", iso(t0)),
        ("message", "agent", iso(t0 + timedelta(minutes=10))),
        ("message", "agent", iso(t0 + timedelta(minutes=42))),
        ("event", "status", iso(t0 + timedelta(minutes=42))),
        ("event", "status", iso(t0 + timedelta(hours=5))),
        ("message", "contact", iso(t0 + timedelta(hours=6))),
        ("event", "status", iso(t0 + timedelta(days=2))),
    ]
    statuses = [(e["before"], e["after"]) for e in entries if e.get("kind") == "status"]
    assert statuses == [("new", "open"), ("open", "resolved"), ("resolved", "closed")]
    agent_messages = [e for e in entries if e.get("author_kind") == "agent"]
    assert {m["author_user_id"] for m in agent_messages} == {agent.id}
    # and it behaves like any closed ticket
    assert admin.patch(f"{T}/{ticket['id']}", json={"status": "open"}).status_code == 409
    again = admin.post(T, json={"subject": "dup", "external_id": "zendesk-4711"})
    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "external_id"


def test_import_defaults_and_open_status(admin: Any) -> None:
    ticket = create(
        admin,
        created_at="2025-06-01T12:00:00Z",
        status="pending_customer",
        messages=[
            {"author": "contact", "body": "oi", "created_at": "2025-06-01T12:05:00Z"},
        ],
    )
    assert ticket["status"] == "pending_customer"
    assert ticket["first_response_at"] is None
    assert ticket["resolved_at"] is None
    resolved = create(admin, created_at="2025-06-01T12:00:00Z", status="resolved")
    assert resolved["resolved_at"] == "2025-06-01T12:00:00Z"


def test_import_refuses_impossible_histories(admin: Any, portal_user: Any) -> None:
    contact_user, _ = portal_user()
    future = iso(datetime.now(UTC) + timedelta(days=2))
    cases = [
        ({"created_at": future}, "created_at"),
        ({"created_at": "1960-01-01T00:00:00Z"}, "created_at"),
        ({"created_at": "0001-01-01T00:00:00+14:00"}, "created_at"),
        ({"created_at": "9999-12-31T23:59:59-14:00"}, "created_at"),
        ({"created_at": "2025-01-01T00:00:00Z", "status": "closed",
          "closed_at": "0001-01-01T00:00:00+14:00"}, "closed_at"),
        (
            {"created_at": "2025-01-02T00:00:00Z",
             "messages": [{"author": "contact", "body": "x",
                           "created_at": "2025-01-01T00:00:00Z"}]},
            "messages[0].created_at",
        ),
        (
            {"created_at": "2025-01-01T00:00:00Z",
             "messages": [
                 {"author": "contact", "body": "x", "created_at": "2025-01-03T00:00:00Z"},
                 {"author": "contact", "body": "y", "created_at": "2025-01-02T00:00:00Z"}]},
            "messages[1].created_at",
        ),
        (
            {"created_at": "2025-01-01T00:00:00Z",
             "messages": [{"author": "agent", "body": "x", "created_at": future}]},
            "messages[0].created_at",
        ),
        ({"created_at": "2025-01-01T00:00:00Z", "status": "open",
          "resolved_at": "2025-01-02T00:00:00Z"}, "resolved_at"),
        ({"created_at": "2025-01-05T00:00:00Z", "status": "resolved",
          "resolved_at": "2025-01-02T00:00:00Z"}, "resolved_at"),
        ({"created_at": "2025-01-01T00:00:00Z", "status": "closed",
          "resolved_at": "2025-01-03T00:00:00Z", "closed_at": "2025-01-02T00:00:00Z"}, "closed_at"),
        (
            {"created_at": "2025-01-01T00:00:00Z",
             "messages": [{"author": "agent", "agent_id": contact_user.id, "body": "x",
                           "created_at": "2025-01-02T00:00:00Z"}]},
            "messages[0].agent_id",
        ),
        (
            {"created_at": "2025-01-01T00:00:00Z",
             "messages": [{"author": "contact", "body": "x",
                           "created_at": "2025-01-02T00:00:00"}]},
            "messages[0].created_at",
        ),
    ]  # fmt: skip
    before = admin.get(T).json()["items"]
    for fields, field in cases:
        response = admin.post(T, json={"subject": "Importado", **fields})
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()
    assert admin.get(T).json()["items"] == before  # nothing half-written


def _line(n: int, **extra: Any) -> str:
    return json.dumps(
        {
            "subject": f"Chamado importado {n}",
            "external_id": f"legacy-{n}",
            "created_at": "2025-02-01T09:00:00Z",
            "status": "resolved",
            "messages": [
                {"author": "contact", "body": f"pedido {n}", "created_at": "2025-02-01T09:00:00Z"},
                {"author": "agent", "body": "feito", "created_at": "2025-02-01T10:00:00Z"},
            ],
            **extra,
        }
    )


def test_bulk_import_reports_bad_lines_and_keeps_the_good(admin: Any) -> None:
    lines = [_line(n) for n in range(1, 301)]
    lines.insert(10, "{not json")
    lines.insert(20, "")
    lines.insert(30, _line(9999, created_at="2999-01-01T00:00:00Z"))
    lines.insert(40, json.dumps({"subject": ""}))
    body = ("\n".join(lines) + "\n").encode()
    response = admin.post(f"{T}/import", content=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 300
    assert result["failed"] == 3
    assert result["skipped"] == 0
    assert len(result["ticket_ids"]) == 300
    errors = {e["line"]: e for e in result["errors"]}
    assert set(errors) == {11, 31, 41}
    assert errors[11]["message"] == "malformed JSON"
    assert errors[31]["field"] == "created_at"
    assert errors[41]["field"] == "subject"
    one = admin.get(f"{T}/{result['ticket_ids'][0]}").json()
    assert one["first_response_at"] == "2025-02-01T10:00:00Z"
    assert one["status"] == "resolved"
    # sending the file again imports nothing twice
    again = admin.post(f"{T}/import", content=body).json()
    assert again["created"] == 0 and again["skipped"] == 300 and again["failed"] == 3


def test_bulk_import_all_or_nothing(admin: Any) -> None:
    body = "\n".join([_line(1), _line(2, status="bogus"), _line(3)]).encode()
    response = admin.post(f"{T}/import?stop_on_error=true", content=body)
    assert response.status_code == 422
    assert "line 2" in response.json()["detail"]
    assert admin.get(f"{T}?q=Chamado importado").json()["items"] == []


def test_import_lines_service_reports_progress(db: Session, admin: Any) -> None:
    actor = Actor(user_id=admin.id, role="admin", name="Ana Admin")
    seen: list[int] = []
    lines = [_line(n).encode() for n in range(5)] + [b"\xff\xfe", b"  "]
    result = importing.import_lines(
        db, actor=actor, lines=lines, now=datetime.now(UTC), on_progress=seen.append
    )
    assert seen == [1, 2, 3, 4, 5, 6, 7]
    assert result.created == 5 and result.failed == 1 and result.lines == 7
    assert result.errors[0].line == 6
    ticket = ticket_service.get_ticket(db, actor=actor, ticket_id=result.ticket_ids[0])
    assert ticket.external_id == "legacy-0"


def test_an_import_cut_short_keeps_its_committed_chunks_and_resumes(
    db: Session, admin: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tickets are committed as the import goes (on SQLite other writers wait while one
    writes): when the import stops half-way (the client gone, the process killed), what was
    committed stays, and sending the file again skips it by ``external_id``."""
    monkeypatch.setattr(importing, "CHUNK_SECONDS", 0.0)  # a commit before every line
    actor = Actor(user_id=admin.id, role="admin", name="Ana Admin")
    lines = [_line(n).encode() for n in range(6)]

    def cut_after_four(given: list[bytes]) -> Any:
        yield from given[:4]
        raise ConnectionResetError("the client went away")

    with pytest.raises(ConnectionResetError):
        importing.import_lines(
            db,
            actor=actor,
            lines=cut_after_four(lines),
            now=datetime.now(UTC),
            checkpoint=lambda: checkpoint(db),
        )
    db.rollback()  # what the request's end does: the chunk in hand is lost
    kept = db.scalars(select(Ticket.external_id).where(Ticket.external_id.is_not(None))).all()
    assert sorted(kept) == ["legacy-0", "legacy-1", "legacy-2"]
    again = importing.import_lines(
        db, actor=actor, lines=lines, now=datetime.now(UTC), checkpoint=lambda: checkpoint(db)
    )
    assert (again.skipped, again.created) == (3, 3)
    db.commit()  # the caller commits the last chunk

    others = [_line(n).encode() for n in range(10, 16)]
    with pytest.raises(ConnectionResetError):  # all or nothing: no commit on the way
        importing.import_lines(
            db,
            actor=actor,
            lines=cut_after_four(others),
            now=datetime.now(UTC),
            stop_on_error=True,
            checkpoint=lambda: checkpoint(db),
        )
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Ticket)) == 6
