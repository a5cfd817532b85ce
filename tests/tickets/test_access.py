"""Who may see and touch which ticket. A denied id answers 404 exactly like a missing one."""

from __future__ import annotations

from typing import Any

import pytest

from tests.tickets.conftest import create, timeline

T = "/api/v1/tickets"
MISSING = 10**15


def _same_404(user: Any, ticket_id: int) -> None:
    """Every route answers a denied id exactly as it answers a missing id."""
    calls = [
        ("GET", "{}", None),
        ("GET", "{}/timeline", None),
        ("PATCH", "{}", {"priority": "high"}),
        ("POST", "{}/messages", {"body": "oi"}),
        ("POST", "{}/follow-up", {"body": "oi"}),
    ]
    for method, template, body in calls:
        denied = user.request(method, f"{T}/" + template.format(ticket_id), json=body)
        missing = user.request(method, f"{T}/" + template.format(MISSING), json=body)
        assert denied.status_code == 404, (method, template, denied.text)
        assert missing.status_code == 404
        assert denied.json()["detail"].replace(str(ticket_id), "N") == missing.json()[
            "detail"
        ].replace(str(MISSING), "N")


def test_agent_sees_their_queues_and_assigned_tickets(
    admin: Any, make_user: Any, make_queue: Any
) -> None:
    mine, other = make_queue(), make_queue()
    agent = make_user("agent", queue_ids=[mine.id])
    in_queue = create(admin, queue_id=mine.id)
    elsewhere = create(admin, queue_id=other.id)
    assigned = create(admin, queue_id=other.id)
    admin.patch(f"{T}/{assigned['id']}", json={"assignee_id": agent.id})

    assert agent.get(f"{T}/{in_queue['id']}").status_code == 200
    assert agent.get(f"{T}/{assigned['id']}").status_code == 200
    _same_404(agent, elsewhere["id"])
    listed = {t["id"] for t in agent.get(T).json()["items"]}
    assert listed == {in_queue["id"], assigned["id"]}
    # merging into a ticket the agent cannot see is refused like a missing one
    merge = agent.post(f"{T}/{in_queue['id']}/merge", json={"into_ticket_id": elsewhere["id"]})
    assert merge.status_code == 404


@pytest.mark.parametrize("role", ["admin", "supervisor"])
def test_admins_and_supervisors_see_everything(
    role: str, admin: Any, make_user: Any, make_queue: Any
) -> None:
    user = admin if role == "admin" else make_user("supervisor")
    ticket = create(admin, queue_id=make_queue().id)
    assert user.get(f"{T}/{ticket['id']}").status_code == 200


def test_contact_sees_only_their_organization(
    admin: Any, portal_user: Any, make_org: Any, make_contact: Any
) -> None:
    org, other = make_org(), make_org()
    user, contact = portal_user(org)
    colleague = make_contact(org)
    own = create(admin, contact_id=contact.id)
    colleagues = create(admin, contact_id=colleague.id)
    foreign = create(admin, contact_id=make_contact(other).id)
    assert user.get(f"{T}/{own['id']}").status_code == 200
    assert user.get(f"{T}/{colleagues['id']}").status_code == 200
    _same_404(user, foreign["id"])
    listed = {t["id"] for t in user.get(T).json()["items"]}
    assert listed == {own["id"], colleagues["id"]}
    assert user.get(f"{T}?organization_id={other.id}").json()["items"] == []


def test_contact_without_organization_sees_only_their_own(
    admin: Any, portal_user: Any, make_contact: Any
) -> None:
    user, contact = portal_user(None)
    own = create(admin, contact_id=contact.id)
    stranger = create(admin, contact_id=make_contact(None).id)
    assert user.get(f"{T}/{own['id']}").status_code == 200
    _same_404(user, stranger["id"])


def test_contact_sees_only_public_messages_and_events(
    admin: Any, portal_user: Any, make_org: Any, make_queue: Any
) -> None:
    org = make_org()
    user, contact = portal_user(org)
    ticket = create(admin, contact_id=contact.id, queue_id=make_queue().id)
    admin.post(f"{T}/{ticket['id']}/messages", json={"body": "nota interna", "public": False})
    admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Olá, cliente"})
    admin.post(
        f"{T}/{ticket['id']}/transfer", json={"queue_id": make_queue().id, "reason": "segredo"}
    )
    seen = timeline(user, ticket["id"])
    texts = [e["body_text"] for e in seen if e["entry"] == "message"]
    assert texts == ["Desde ontem.", "Olá, cliente"]
    assert all(e["public"] for e in seen)
    assert "queue" not in {e["kind"] for e in seen if e["entry"] == "event"}
    staff_view = timeline(admin, ticket["id"])
    assert len(staff_view) > len(seen)
    # text search does not reveal internal notes to contacts, whichever way it searches
    from atende.tickets import repository

    for rare_limit in (0, 5000):
        repository.RARE_TEXT_LIMIT = rare_limit
        try:
            assert user.get(f"{T}?q=segredo").json()["items"] == []
            assert user.get(f"{T}?q=interna").json()["items"] == []
            found = admin.get(f"{T}?q=interna").json()["items"]
            assert [t["id"] for t in found] == [ticket["id"]]
            assert [t["id"] for t in user.get(f"{T}?q=cliente").json()["items"]] == [ticket["id"]]
        finally:
            repository.RARE_TEXT_LIMIT = 5000


def test_a_contact_never_sees_nor_probes_the_staffs_tags(
    admin: Any, portal_user: Any, make_org: Any
) -> None:
    user, contact = portal_user(make_org())
    ticket = create(admin, contact_id=contact.id)
    assert admin.patch(f"{T}/{ticket['id']}", json={"tags": ["inadimplente"]}).is_success
    assert admin.get(f"{T}/{ticket['id']}").json()["tags"] == ["inadimplente"]
    assert user.get(f"{T}/{ticket['id']}").json()["tags"] == []
    assert [t["tags"] for t in user.get(T).json()["items"]] == [[]]
    probe = user.get(f"{T}?tag=inadimplente")
    assert probe.status_code == 422
    assert probe.json()["errors"][0]["field"] == "tag"
    answer = user.post(f"{T}/{ticket['id']}/messages", json={"body": "Alguma novidade?"})
    assert answer.is_success
    assert user.get(f"{T}/{ticket['id']}").json()["tags"] == []


def test_what_a_contact_may_do(
    admin: Any, portal_user: Any, make_org: Any, make_queue: Any
) -> None:
    org = make_org()
    user, contact = portal_user(org)
    made = user.post(T, json={"subject": "Sistema travado", "body": "Ajuda", "channel": "portal"})
    assert made.status_code == 201, made.text
    ticket = made.json()
    assert ticket["requester_id"] == contact.id
    assert ticket["organization_id"] == org.id
    assert user.post(T, json={"subject": "x", "queue_id": make_queue().id}).status_code == 403
    assert user.post(T, json={"subject": "x", "status": "closed"}).status_code == 403
    note = user.post(f"{T}/{ticket['id']}/messages", json={"body": "psst", "public": False})
    assert note.status_code == 403
    assert user.patch(f"{T}/{ticket['id']}", json={"priority": "urgent"}).status_code == 403
    assert user.patch(f"{T}/{ticket['id']}", json={"status": "resolved"}).status_code == 403
    admin.patch(f"{T}/{ticket['id']}", json={"status": "resolved"})
    reopen = user.patch(f"{T}/{ticket['id']}", json={"status": "open"})
    assert reopen.status_code == 200 and reopen.json()["status"] == "open"
    assert (
        user.post(
            f"{T}/{ticket['id']}/split", json={"message_ids": [1], "subject": "x"}
        ).status_code
        == 403
    )
    assert user.get("/api/v1/ticket-types").status_code == 403


def test_only_admins_import(make_user: Any) -> None:
    supervisor = make_user("supervisor")
    old = {"subject": "x", "created_at": "2025-01-01T10:00:00Z"}
    response = supervisor.post(T, json=old)
    assert response.status_code == 403
    assert response.json()["errors"][0]["field"] == "created_at"
    bulk = supervisor.post(f"{T}/import", content=b'{"subject": "x"}\n')
    assert bulk.status_code == 403


def test_every_route_needs_a_token(client: Any) -> None:
    assert client.get(T).status_code == 401
    assert client.post(T, json={"subject": "x"}).status_code == 401
    assert client.post(f"{T}/import", content=b"{}").status_code == 401
