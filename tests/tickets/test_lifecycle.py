"""Ticket lifecycle through the API: create, reply, note, status rules, transfer, assign,
split, merge, follow-up, and what each writes on the timeline."""

from __future__ import annotations

from typing import Any

from tests.tickets.conftest import create, timeline

T = "/api/v1/tickets"


def events(entries: list[dict[str, Any]], kind: str | None = None) -> list[dict[str, Any]]:
    return [e for e in entries if e["entry"] == "event" and (kind is None or e["kind"] == kind)]


def messages(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in entries if e["entry"] == "message"]


def test_create_returns_the_contract_fields(admin: Any, make_queue: Any, make_contact: Any) -> None:
    queue = make_queue()
    contact = make_contact()
    ticket = create(
        admin,
        channel="whatsapp",
        priority="high",
        queue_id=queue.id,
        contact_id=contact.id,
        type="incident",
        tags=["PDV", "nfce", "pdv"],
    )
    for field in ("id", "number", "status", "created_at", "first_response_at"):
        assert field in ticket
    assert ticket["number"] == ticket["id"]
    assert ticket["display_number"] == f"#{ticket['number']}"
    assert ticket["status"] == "new"
    assert ticket["first_response_at"] is None
    assert ticket["requester_id"] == contact.id
    assert ticket["tags"] == ["nfce", "pdv"]
    assert (ticket["channel"], ticket["priority"], ticket["type"]) == (
        "whatsapp",
        "high",
        "incident",
    )
    fetched = admin.get(f"{T}/{ticket['id']}").json()
    assert fetched["queue_id"] == queue.id


def test_requester_is_found_or_created(admin: Any) -> None:
    one = create(admin, requester={"name": "Maria", "email": "maria@padariasaojose.com.br"})
    two = create(admin, requester={"name": "Maria S.", "email": "MARIA@padariasaojose.com.br"})
    assert one["requester_id"] is not None
    assert one["requester_id"] == two["requester_id"]


def test_first_public_agent_reply_sets_first_response(admin: Any, make_user: Any) -> None:
    agent = make_user("agent")
    ticket = create(admin, assignee_id=agent.id)
    note = agent.post(f"{T}/{ticket['id']}/messages", json={"body": "ver NF", "public": False})
    assert note.status_code == 201
    after_note = agent.get(f"{T}/{ticket['id']}").json()
    assert after_note["first_response_at"] is None
    assert after_note["status"] == "new"
    reply = agent.post(f"{T}/{ticket['id']}/messages", json={"body": "Olá!", "public": True})
    assert reply.status_code == 201
    after = agent.get(f"{T}/{ticket['id']}").json()
    assert after["first_response_at"] == reply.json()["created_at"]
    assert after["status"] == "open"
    again = agent.post(f"{T}/{ticket['id']}/messages", json={"body": "Mais algo", "public": True})
    assert (
        agent.get(f"{T}/{ticket['id']}").json()["first_response_at"] == after["first_response_at"]
    )
    assert again.status_code == 201


def test_contact_reply_reopens_a_resolved_ticket(
    admin: Any, portal_user: Any, make_org: Any
) -> None:
    org = make_org()
    user, contact = portal_user(org)
    ticket = create(admin, contact_id=contact.id)
    resolved = admin.patch(f"{T}/{ticket['id']}", json={"status": "resolved"}).json()
    assert resolved["status"] == "resolved"
    assert resolved["resolved_at"] is not None
    reply = user.post(f"{T}/{ticket['id']}/messages", json={"body": "Voltou a falhar"})
    assert reply.status_code == 201, reply.text
    assert reply.json()["ticket_id"] == ticket["id"]
    reopened = admin.get(f"{T}/{ticket['id']}").json()
    assert reopened["status"] == "open"
    assert reopened["resolved_at"] is None
    status_events = events(timeline(admin, ticket["id"]), "status")
    assert [(e["before"], e["after"]) for e in status_events] == [
        ("new", "resolved"),
        ("resolved", "open"),
    ]
    assert status_events[-1]["actor_user_id"] == user.id


def test_closed_is_final(admin: Any) -> None:
    ticket = create(admin)
    closed = admin.patch(f"{T}/{ticket['id']}", json={"status": "closed"})
    assert closed.status_code == 200
    body = closed.json()
    assert body["closed_at"] is not None and body["resolved_at"] is not None
    for status in ("open", "resolved", "new"):
        refused = admin.patch(f"{T}/{ticket['id']}", json={"status": status})
        assert refused.status_code == 409
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "closed" in refused.json()["detail"]
    other = admin.patch(f"{T}/{ticket['id']}", json={"priority": "urgent"})
    assert other.status_code == 409
    reply = admin.post(f"{T}/{ticket['id']}/messages", json={"body": "oi"})
    assert reply.status_code == 409
    assert "follow-up" in reply.json()["detail"]


def test_invalid_transitions_answer_409_with_the_reason(admin: Any) -> None:
    ticket = create(admin)
    admin.patch(f"{T}/{ticket['id']}", json={"status": "resolved"})
    refused = admin.patch(f"{T}/{ticket['id']}", json={"status": "pending_customer"})
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["code"] == "invalid_transition"
    assert "reopen" in problem["detail"]
    assert problem["errors"][0]["field"] == "status"
    back = admin.patch(f"{T}/{ticket['id']}", json={"status": "new"})
    assert back.status_code == 409
    # nothing half-written: a refused PATCH changes no other field either
    mixed = admin.patch(f"{T}/{ticket['id']}", json={"priority": "urgent", "status": "new"})
    assert mixed.status_code == 409
    assert admin.get(f"{T}/{ticket['id']}").json()["priority"] == "normal"


def test_every_change_writes_an_event(admin: Any, make_user: Any, make_queue: Any) -> None:
    agent = make_user("agent")
    q1, q2 = make_queue(), make_queue()
    ticket = create(admin, queue_id=q1.id)
    changed = admin.patch(
        f"{T}/{ticket['id']}",
        json={
            "status": "pending_internal",
            "priority": "urgent",
            "type": "request",
            "queue_id": q2.id,
            "assignee_id": agent.id,
            "tags": ["financeiro"],
        },
    )
    assert changed.status_code == 200, changed.text
    entries = timeline(admin, ticket["id"])
    by_kind = {e["kind"]: e for e in events(entries)}
    assert by_kind["status"]["before"] == "new" and by_kind["status"]["after"] == "pending_internal"
    assert (by_kind["priority"]["before"], by_kind["priority"]["after"]) == ("normal", "urgent")
    assert (by_kind["type"]["before"], by_kind["type"]["after"]) == (None, "request")
    assert (by_kind["queue"]["before"], by_kind["queue"]["after"]) == (q1.id, q2.id)
    assert (by_kind["assignee"]["before"], by_kind["assignee"]["after"]) == (None, agent.id)
    assert (by_kind["tags"]["before"], by_kind["tags"]["after"]) == ([], ["financeiro"])
    for event in events(entries):
        if event["kind"].startswith("sla_"):  # the SLA engine's own entries speak for it
            assert event["actor_user_id"] is None
            continue
        assert event["actor_user_id"] == admin.id
        assert event["created_at"]
    positions = [e["position"] for e in entries]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)


def test_transfer_needs_a_reason_that_becomes_a_note(admin: Any, make_queue: Any) -> None:
    q1, q2 = make_queue(), make_queue()
    ticket = create(admin, queue_id=q1.id)
    missing = admin.post(f"{T}/{ticket['id']}/transfer", json={"queue_id": q2.id})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "reason"
    blank = admin.post(f"{T}/{ticket['id']}/transfer", json={"queue_id": q2.id, "reason": "  "})
    assert blank.status_code == 422
    unknown = admin.post(f"{T}/{ticket['id']}/transfer", json={"queue_id": 999999, "reason": "x"})
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "queue_id"
    moved = admin.post(
        f"{T}/{ticket['id']}/transfer", json={"queue_id": q2.id, "reason": "É cobrança"}
    )
    assert moved.status_code == 200
    assert moved.json()["queue_id"] == q2.id
    entries = timeline(admin, ticket["id"])
    note = messages(entries)[-1]
    assert note["public"] is False and note["body_text"] == "É cobrança"
    queue_event = events(entries, "queue")[0]
    assert (queue_event["before"], queue_event["after"]) == (q1.id, q2.id)


def test_assign_checks_the_assignee(admin: Any, make_user: Any, portal_user: Any) -> None:
    agent = make_user("agent")
    contact_user, _ = portal_user()
    ticket = create(admin)
    ok = admin.post(f"{T}/{ticket['id']}/assign", json={"assignee_id": agent.id})
    assert ok.status_code == 200 and ok.json()["assignee_id"] == agent.id
    bad = admin.post(f"{T}/{ticket['id']}/assign", json={"assignee_id": contact_user.id})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "assignee_id"
    cleared = admin.post(f"{T}/{ticket['id']}/assign", json={"assignee_id": None})
    assert cleared.json()["assignee_id"] is None


def test_bodies_are_sanitised_and_kept_as_text(admin: Any) -> None:
    ticket = create(
        admin,
        body='<p onclick="steal()">Olá <b>time</b><script>alert(1)</script>'
        '<a href="javascript:alert(1)">x</a></p>',
    )
    message = messages(timeline(admin, ticket["id"]))[0]
    assert "script" not in message["body_html"]
    assert "onclick" not in message["body_html"]
    assert "javascript" not in message["body_html"]
    assert "<b>time</b>" in message["body_html"]
    assert message["body_text"] == "Olá timex"
    only_script = admin.post(f"{T}/{ticket['id']}/messages", json={"body": "<script>x</script>"})
    assert only_script.status_code == 422
    plain = admin.post(f"{T}/{ticket['id']}/messages", json={"body": "a < b & c\nok"}).json()
    assert plain["body_text"] == "a < b & c\nok"
    assert plain["body_html"] == "a &lt; b &amp; c<br>ok"


def test_split_moves_the_selected_messages(admin: Any, make_contact: Any) -> None:
    contact = make_contact()
    ticket = create(admin, contact_id=contact.id, tags=["pdv"])
    first = admin.post(f"{T}/{ticket['id']}/messages", json={"body": "Resposta 1"}).json()
    second = admin.post(
        f"{T}/{ticket['id']}/messages", json={"body": "Outro assunto", "author": "contact"}
    ).json()
    bad = admin.post(f"{T}/{ticket['id']}/split", json={"message_ids": [123456], "subject": "x"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "message_ids"
    split = admin.post(
        f"{T}/{ticket['id']}/split",
        json={"message_ids": [second["id"]], "subject": "Problema no TEF"},
    )
    assert split.status_code == 201, split.text
    new = split.json()
    assert new["split_from_id"] == ticket["id"]
    assert new["subject"] == "Problema no TEF"
    assert new["requester_id"] == contact.id
    assert new["tags"] == ["pdv"]
    new_messages = messages(timeline(admin, new["id"]))
    assert [m["id"] for m in new_messages] == [second["id"]]
    old_entries = timeline(admin, ticket["id"])
    assert second["id"] not in [m["id"] for m in messages(old_entries)]
    assert first["id"] in [m["id"] for m in messages(old_entries)]
    assert events(old_entries, "split")[0]["after"] == new["id"]


def test_merge_closes_the_duplicate_and_moves_its_messages(
    admin: Any, make_org: Any, make_contact: Any
) -> None:
    org, other_org = make_org(), make_org()
    target = create(admin, organization_id=org.id, tags=["a"])
    source = create(admin, organization_id=org.id, body="Mesmo problema", tags=["b"])
    foreign = create(admin, organization_id=other_org.id)
    refused = admin.post(f"{T}/{source['id']}/merge", json={"into_ticket_id": foreign["id"]})
    assert refused.status_code == 409
    itself = admin.post(f"{T}/{source['id']}/merge", json={"into_ticket_id": source["id"]})
    assert itself.status_code == 422
    loner_a, loner_b = (
        create(admin, contact_id=make_contact().id),
        create(admin, contact_id=make_contact().id),
    )
    strangers = admin.post(f"{T}/{loner_a['id']}/merge", json={"into_ticket_id": loner_b["id"]})
    assert strangers.status_code == 409
    missing = admin.post(f"{T}/{source['id']}/merge", json={"into_ticket_id": 10**12})
    assert missing.status_code == 404
    merged = admin.post(f"{T}/{source['id']}/merge", json={"into_ticket_id": target["id"]})
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == target["id"]
    assert merged.json()["tags"] == ["a", "b"]
    closed = admin.get(f"{T}/{source['id']}").json()
    assert closed["status"] == "closed" and closed["merged_into_id"] == target["id"]
    bodies = [m["body_text"] for m in messages(timeline(admin, target["id"]))]
    assert "Mesmo problema" in bodies
    assert events(timeline(admin, source["id"]), "merged_into")[0]["after"] == target["id"]
    assert events(timeline(admin, target["id"]), "merged_from")[0]["after"] == source["id"]


def test_contact_reply_to_merged_ticket_goes_to_the_target(
    admin: Any, portal_user: Any, make_org: Any
) -> None:
    org = make_org()
    user, contact = portal_user(org)
    target = create(admin, contact_id=contact.id)
    source = create(admin, contact_id=contact.id)
    admin.post(f"{T}/{source['id']}/merge", json={"into_ticket_id": target["id"]})
    reply = user.post(f"{T}/{source['id']}/messages", json={"body": "e aí?"})
    assert reply.status_code == 201
    assert reply.json()["ticket_id"] == target["id"]


def test_follow_up_of_a_closed_ticket(admin: Any, portal_user: Any, make_org: Any) -> None:
    org = make_org()
    user, contact = portal_user(org)
    ticket = create(admin, contact_id=contact.id, queue_id=None, priority="high")
    not_closed = admin.post(f"{T}/{ticket['id']}/follow-up", json={"body": "x"})
    assert not_closed.status_code == 409
    admin.patch(f"{T}/{ticket['id']}", json={"status": "closed"})
    made = admin.post(f"{T}/{ticket['id']}/follow-up", json={"body": "Retomando"})
    assert made.status_code == 201
    follow = made.json()
    assert follow["follow_up_of_id"] == ticket["id"]
    assert follow["priority"] == "high" and follow["requester_id"] == contact.id
    assert follow["first_response_at"] is None
    # a contact writing on the closed ticket gets a follow-up ticket automatically
    reply = user.post(f"{T}/{ticket['id']}/messages", json={"body": "De novo o mesmo erro"})
    assert reply.status_code == 201
    landed = reply.json()["ticket_id"]
    assert landed not in (ticket["id"], follow["id"])
    auto = user.get(f"{T}/{landed}").json()
    assert auto["follow_up_of_id"] == ticket["id"]
    assert admin.get(f"{T}/{ticket['id']}").json()["status"] == "closed"


def test_bad_ids_never_reach_the_database(admin: Any) -> None:
    ticket = create(admin)
    for path in (f"{T}/{2**64}", f"{T}/-1", f"{T}/0", f"{T}/abc", f"{T}/{2**63}"):
        response = admin.get(path)
        assert response.status_code in (404, 422), (path, response.status_code)
    assert admin.get(f"{T}/{2**63 - 1}").status_code == 404
    for field in ("queue_id", "assignee_id", "contact_id", "organization_id"):
        response = admin.post(T, json={"subject": "x", field: 2**64})
        assert response.status_code == 422
        response = admin.post(T, json={"subject": "x", field: 987654321})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["errors"][0]["field"] == field
    patch = admin.patch(f"{T}/{ticket['id']}", json={"queue_id": -5})
    assert patch.status_code == 422
    nul = admin.post(T, json={"subject": "a\u0000b"})
    assert nul.status_code == 422
    assert admin.get(f"{T}?q=a%00b").status_code == 422
    assert (
        admin.post(
            T, content=b"{not json", headers={"content-type": "application/json"}
        ).status_code
        == 422
    )
    unknown_type = admin.post(T, json={"subject": "x", "type": "nonsense"})
    assert unknown_type.status_code == 422 and "question" in unknown_type.json()["detail"]


def test_ticket_types_can_be_configured(admin: Any, make_user: Any) -> None:
    agent = make_user("agent")
    made = admin.post("/api/v1/ticket-types", json={"name": "implantacao", "label": "Implantação"})
    assert made.status_code == 201
    assert agent.post("/api/v1/ticket-types", json={"name": "x"}).status_code == 403
    names = [t["name"] for t in agent.get("/api/v1/ticket-types").json()]
    assert "implantacao" in names and "question" in names
    create(admin, type="implantacao")
    admin.patch(f"/api/v1/ticket-types/{made.json()['id']}", json={"active": False})
    assert admin.post(T, json={"subject": "x", "type": "implantacao"}).status_code == 422


BUILTIN_LABELS = {
    "cancellation": "Cancelamento",
    "incident": "Incidente",
    "problem": "Problema",
    "question": "Dúvida",
    "request": "Solicitação",
    "task": "Tarefa",
}


def test_built_in_ticket_types_have_ids_portuguese_labels_and_an_admin_relabels_them(
    admin: Any, make_user: Any
) -> None:
    """#15 item 6: the built-in types were all id 0 with English labels and could not be
    relabelled (PATCH /ticket-types/0 is not an id)."""
    agent = make_user("agent")
    listed = agent.get("/api/v1/ticket-types").json()
    builtin = {t["name"]: t for t in listed if t["builtin"]}
    assert {n: t["label"] for n, t in builtin.items()} == BUILTIN_LABELS
    ids = [t["id"] for t in listed]
    assert all(i > 0 for i in ids) and len(set(ids)) == len(ids)
    question = builtin["question"]

    res = admin.patch(f"/api/v1/ticket-types/{question['id']}", json={"label": "Pergunta"})
    assert res.status_code == 200, res.text
    assert res.json() == {**question, "label": "Pergunta"}
    assert (
        agent.patch(f"/api/v1/ticket-types/{question['id']}", json={"label": "X"}).status_code
        == 403
    )
    relabelled = {t["name"]: t["label"] for t in agent.get("/api/v1/ticket-types").json()}
    assert relabelled["question"] == "Pergunta"
    assert create(admin, type="question")["type"] == "question"  # tickets carry the name
    res = admin.patch(f"/api/v1/ticket-types/{question['id']}", json={"name": "pergunta"})
    assert res.status_code == 422 and res.json()["errors"][0]["field"] == "name"  # fixed

    [entry] = admin.get(f"/api/v1/audit/ticket_type/{question['id']}").json()["items"]
    assert entry["actor_id"] == admin.id and entry["entity_label"] == "question"
    assert entry["changes"] == {"label": {"before": "Dúvida", "after": "Pergunta"}}

    admin.patch(f"/api/v1/ticket-types/{builtin['task']['id']}", json={"active": False})
    refused = admin.post(T, json={"subject": "x", "type": "task"})
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "type"
