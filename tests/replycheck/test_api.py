"""The reply check over HTTP: POST /reply-check for staff, the admin-editable lists with their
record of changes, and the findings kept with a public reply an agent sends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from atende.domain.replycheck import DEFAULT_LISTS, DEPARTMENT_SUGGESTION, LIST_NAMES
from tests.support.queries import count_queries

V1 = "/api/v1"
CHECK = f"{V1}/reply-check"
LISTS = f"{V1}/reply-check/lists"
GERUND_HINT = "Vou verificar"


@pytest.fixture
def desk(admin: Any, make_user: Any) -> dict[str, Any]:
    """A queue with an agent, a supervisor, a customer with a portal login, and a ticket."""
    queue = admin.post(f"{V1}/queues", json={"name": "Suporte N1"}).json()["id"]
    org = admin.post(f"{V1}/organizations", json={"name": "Padaria Pão Quente"}).json()["id"]
    contact = admin.post(
        f"{V1}/contacts",
        json={"name": "Lia", "email": "lia@paoquente.com.br", "organization_id": org},
    ).json()["id"]
    ticket = admin.post(
        f"{V1}/tickets",
        json={"subject": "Cupom fiscal não sai", "body": "Desde ontem.", "queue_id": queue,
              "contact_id": contact},
    ).json()["id"]  # fmt: skip
    return {
        "admin": admin,
        "agent": make_user("agent", queue_ids=[queue]),
        "supervisor": make_user("supervisor"),
        "contact": make_user("contact", contact_id=contact),
        "ticket": ticket,
    }


def findings(user: Any, body: str) -> list[dict[str, Any]]:
    res = user.post(CHECK, json={"body": body})
    assert res.status_code == 200, res.text
    return res.json()["findings"]  # type: ignore[no-any-return]


# --- POST /reply-check --------------------------------------------------------------------------


def test_staff_get_each_finding_with_its_offsets_and_suggestion(desk: dict[str, Any]) -> None:
    body = "  Olá! Vou estar verificando e o financeiro vai liberar até amanhã.\n\nAbs,\nAna"
    for role in ("agent", "supervisor", "admin"):
        assert findings(desk[role], body) == [
            {"kind": "gerund", "phrase": "Vou estar verificando", "start": 7, "end": 28,
             "suggestion": GERUND_HINT},
            {"kind": "promise", "phrase": "o financeiro vai liberar até amanhã", "start": 31,
             "end": 66, "suggestion": DEPARTMENT_SUGGESTION},
            {"kind": "closing_question", "phrase": "", "start": len(body), "end": len(body),
             "suggestion": "Termine a resposta perguntando se ficou alguma dúvida: "
                           "“Ficou alguma dúvida?”"},
        ]  # fmt: skip
        assert body[7:28] == "Vou estar verificando"
    assert findings(desk["agent"], "Estou verificando agora. Ficou alguma dúvida?") == []


def test_a_contact_may_not_check_and_an_anonymous_caller_is_refused(
    desk: dict[str, Any], client: Any
) -> None:
    res = desk["contact"].post(CHECK, json={"body": "Vou estar verificando"})
    assert res.status_code == 403
    assert res.json()["code"] == "forbidden"
    assert client.post(CHECK, json={"body": "oi"}).status_code == 401


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "body"),
        ({"body": ""}, "body"),
        ({"body": 12}, "body"),
        ({"body": None}, "body"),
        ({"body": "a" * 200_001}, "body"),
        ({"body": "oi\x00"}, "body"),
        ({"body": "oi", "public": True}, "public"),
    ],
)
def test_bad_input_answers_422_naming_the_field(
    desk: dict[str, Any], payload: dict[str, Any], field: str
) -> None:
    res = desk["agent"].post(CHECK, json=payload)
    assert res.status_code == 422, res.text
    assert res.headers["content-type"].startswith("application/problem+json")
    assert res.json()["errors"][0]["field"] == field


def test_the_largest_body_is_checked(desk: dict[str, Any]) -> None:
    body = ("Vou estar verificando. " * 9000)[:199_990] + " Dúvidas?"
    found = findings(desk["agent"], body)
    assert len([f for f in found if f["kind"] == "gerund"]) == body.count("Vou estar verificando")
    assert found[-1]["kind"] == "closing_question"


def test_checking_a_draft_costs_the_caller_check_alone(desk: dict[str, Any], db: Session) -> None:
    """The lists come from the per-process copy: after the first check, a check reads only
    what authenticates the caller (the copies' version among it)."""
    findings(desk["agent"], "Vou estar verificando.")
    with count_queries(db) as counted:
        findings(desk["agent"], "Vou estar verificando.")
    assert counted.count == 2, counted.listing()


# --- the lists ---------------------------------------------------------------------------------


def test_staff_read_the_lists_seeded_with_the_portuguese_defaults(desk: dict[str, Any]) -> None:
    res = desk["agent"].get(LISTS)
    assert res.status_code == 200
    lists = res.json()
    assert [entry["name"] for entry in lists] == list(LIST_NAMES)
    for entry in lists:
        defaults = DEFAULT_LISTS.get(entry["name"])
        assert entry["items"] == [{"phrase": p.phrase, "suggestion": p.suggestion}
                                  for p in defaults]  # fmt: skip
        assert entry["description"]
        assert entry["updated_at"] is None and entry["updated_by_user_id"] is None
    one = desk["supervisor"].get(f"{LISTS}/closing_questions")
    assert one.status_code == 200
    assert one.json()["items"][0] == {"phrase": "ficou alguma dúvida", "suggestion": ""}
    assert desk["agent"].get(f"{LISTS}/colors").json()["code"] == "not_found"
    for url in (LISTS, f"{LISTS}/promises", f"{LISTS}/colors"):
        assert desk["contact"].get(url).status_code == 403


def test_an_admin_replaces_a_list_and_the_next_check_uses_it(desk: dict[str, Any]) -> None:
    admin, agent = desk["admin"], desk["agent"]
    assert findings(agent, "A contabilidade envia logo. Alguma dúvida?") == []
    res = admin.put(
        f"{LISTS}/departments", json={"items": [{"phrase": "contabilidade"}, {"phrase": "RH"}]}
    )
    assert res.status_code == 200, res.text
    answer = res.json()
    assert answer["items"] == [
        {"phrase": "contabilidade", "suggestion": ""},
        {"phrase": "RH", "suggestion": ""},
    ]
    assert answer["updated_by_user_id"] == admin.id and answer["updated_at"]
    assert (
        admin.put(
            f"{LISTS}/deadlines", json={"items": [{"phrase": "logo"}, {"phrase": "em {n} dias"}]}
        ).status_code
        == 200
    )
    found = findings(agent, "A contabilidade envia logo. Alguma dúvida?")
    assert [(f["kind"], f["phrase"]) for f in found] == [("promise", "A contabilidade envia logo")]
    assert findings(agent, "O financeiro libera hoje. Alguma dúvida?") == []
    assert agent.get(f"{LISTS}/departments").json()["items"] == answer["items"]


def test_every_change_is_recorded_with_who_when_before_and_after(desk: dict[str, Any]) -> None:
    admin = desk["admin"]
    url = f"{LISTS}/closing_questions"
    first = [{"phrase": "Deu certo?", "suggestion": ""}]
    second = [{"phrase": "Deu certo?", "suggestion": ""}, {"phrase": "Resolveu", "suggestion": ""}]
    assert admin.put(url, json={"items": first}).status_code == 200
    assert admin.put(url, json={"items": first}).status_code == 200  # the same: no change
    assert admin.put(url, json={"items": second}).status_code == 200
    page = admin.get(f"{url}/changes").json()
    assert page["next_cursor"] is None
    newest, oldest = page["items"]
    assert newest["before"] == first and newest["after"] == second
    assert oldest["after"] == first
    assert oldest["before"][0] == {"phrase": "ficou alguma dúvida", "suggestion": ""}
    for change in (newest, oldest):
        assert change["list_name"] == "closing_questions"
        assert change["actor_user_id"] == admin.id and change["actor_label"] == "Ana Admin"
        assert change["created_at"].endswith(("Z", "+00:00"))
    one = admin.get(f"{url}/changes", params={"limit": 1}).json()
    assert [c["id"] for c in one["items"]] == [newest["id"]]
    rest = admin.get(f"{url}/changes", params={"limit": 1, "cursor": one["next_cursor"]}).json()
    assert [c["id"] for c in rest["items"]] == [oldest["id"]] and rest["next_cursor"] is None
    assert admin.get(f"{LISTS}/promises/changes").json() == {"items": [], "next_cursor": None}
    assert findings(desk["agent"], "Pronto. Resolveu?") == []
    assert admin.get(f"{url}/changes", params={"cursor": "!!"}).status_code == 422


def test_only_admins_replace_lists_or_read_their_changes(desk: dict[str, Any]) -> None:
    items = {"items": [{"phrase": "hoje"}]}
    for role in ("agent", "supervisor", "contact"):
        user = desk[role]
        for url in (f"{LISTS}/deadlines", f"{LISTS}/nothing"):
            res = user.put(url, json=items)
            assert res.status_code == 403, (role, url)
            assert user.get(f"{url}/changes").status_code == 403
    assert desk["admin"].put(f"{LISTS}/nothing", json=items).status_code == 404
    assert desk["admin"].get(f"{LISTS}/deadlines").json()["updated_at"] is None


@pytest.mark.parametrize(
    ("name", "items", "field"),
    [
        ("promises", [{"phrase": "até amanhã", "suggestion": "Evite."}, {"phrase": "prometo"}],
         "items[1].suggestion"),
        ("deadlines", [{"phrase": "hoje"}, {"phrase": "Hoje"}], "items[1].phrase"),
        ("departments", [{"phrase": "em {n} dias"}], "items[0].phrase"),
        ("departments", [{"phrase": ""}], "items[0].phrase"),
        ("departments", [{"phrase": "x" * 121}], "items[0].phrase"),
        ("auxiliaries", [{"phrase": "vou já"}], "items[0].phrase"),
        ("closing_questions", [{"phrase": "Ficou claro?", "suggestion": "x"}],
         "items[0].suggestion"),
        ("closing_questions", [{"phrase": "Ficou claro?", "color": "x"}], "items[0].color"),
        ("deadlines", [{"phrase": "hoje"}] * 301, "items"),
    ],
)  # fmt: skip
def test_a_bad_list_answers_422_naming_the_item_and_changes_nothing(
    desk: dict[str, Any], name: str, items: list[dict[str, Any]], field: str
) -> None:
    admin = desk["admin"]
    before = admin.get(f"{LISTS}/{name}").json()
    res = admin.put(f"{LISTS}/{name}", json={"items": items})
    assert res.status_code == 422, res.text
    assert res.json()["errors"][0]["field"] == field
    assert admin.get(f"{LISTS}/{name}").json() == before
    assert admin.get(f"{LISTS}/{name}/changes").json()["items"] == []


# --- a public reply keeps its findings -----------------------------------------------------------


def test_a_reply_sent_with_warnings_is_sent_and_keeps_them(desk: dict[str, Any]) -> None:
    agent, contact, ticket = desk["agent"], desk["contact"], desk["ticket"]
    body = "Olá, Lia! Vou estar verificando o cupom e garanto que amanhã está resolvido."
    res = agent.post(f"{V1}/tickets/{ticket}/messages", json={"body": body})
    assert res.status_code == 201, res.text
    message = res.json()
    assert message["body_text"] == body
    assert message["reply_check"] == {"findings": findings(agent, body)}
    kinds = [(f["kind"], f["phrase"]) for f in message["reply_check"]["findings"]]
    assert kinds == [("gerund", "Vou estar verificando"), ("promise", "garanto que"),
                     ("closing_question", "")]  # fmt: skip
    staff_view = [
        e for e in timeline(agent, ticket) if e["entry"] == "message" and e["id"] == message["id"]
    ]
    assert staff_view[0]["reply_check"] == message["reply_check"]
    # the customer sees the reply, not the warnings
    mine = [e for e in timeline(contact, ticket) if e["entry"] == "message"]
    assert [m["body_text"] for m in mine][-1] == body
    assert all(m["reply_check"] is None for m in mine)


def test_a_clean_reply_records_no_findings_and_notes_or_customer_messages_none(
    desk: dict[str, Any],
) -> None:
    agent, contact, ticket = desk["agent"], desk["contact"], desk["ticket"]
    url = f"{V1}/tickets/{ticket}/messages"
    clean = agent.post(url, json={"body": "<p>Liberado.</p><p>Ficou alguma dúvida?</p>"}).json()
    assert clean["reply_check"] == {"findings": []}
    note = agent.post(url, json={"body": "Vou estar verificando", "public": False}).json()
    assert note["reply_check"] is None
    by_phone = agent.post(url, json={"body": "Vou estar aguardando", "author": "contact"}).json()
    assert by_phone["reply_check"] is None
    from_customer = contact.post(url, json={"body": "Vou estar aguardando"})
    assert from_customer.status_code == 201 and from_customer.json()["reply_check"] is None


def test_an_html_reply_is_checked_on_its_text(desk: dict[str, Any]) -> None:
    agent, ticket = desk["agent"], desk["ticket"]
    body = "<p>Olá!</p><p><b>Estarei passando</b> o caso ao N2.</p><p>Alguma dúvida?</p>"
    message = agent.post(f"{V1}/tickets/{ticket}/messages", json={"body": body}).json()
    (finding,) = message["reply_check"]["findings"]
    text = message["body_text"]
    assert text[finding["start"] : finding["end"]] == finding["phrase"] == "Estarei passando"
    assert finding["suggestion"] == "Vou passar"


def test_a_reply_uses_the_lists_as_the_admin_left_them(desk: dict[str, Any]) -> None:
    admin, agent, ticket = desk["admin"], desk["agent"], desk["ticket"]
    assert admin.put(f"{LISTS}/closing_questions", json={"items": []}).status_code == 200
    message = agent.post(f"{V1}/tickets/{ticket}/messages", json={"body": "Liberado."}).json()
    assert message["reply_check"] == {"findings": []}  # no closing phrase: that check is off


def timeline(user: Any, ticket_id: int) -> list[dict[str, Any]]:
    res = user.get(f"{V1}/tickets/{ticket_id}/timeline")
    assert res.status_code == 200, res.text
    return res.json()  # type: ignore[no-any-return]
