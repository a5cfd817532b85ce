"""Authorization as a matrix: every route of the OpenAPI schema x every role.

The world: two customer organizations A and B, a portal user of A, an agent of queue Q1 only, a
supervisor and an admin. A's ticket sits in Q1, B's in Q2; each has a public reply, an internal
note and attachments. Each matrix cell calls one route as one role on *the other side's* data
(B's ticket, B's contact, another user's token, ...), in a savepoint rolled back after the call,
and checks the status.

The rules the services implement, made explicit here:

* anonymous, or an unknown token: 401 on every ``/api/v1`` route;
* a record the actor may not read answers 404, exactly like a missing id (B's ticket, timeline,
  attachments, organization, contact for A's contact; Q2's ticket for the agent of Q1; another
  user's token; a queue for a contact);
* a route a role may never use answers 403 *before* looking the id up, so it leaks nothing:
  staff-only reads and writes (users, plans, queues list, ticket types, calendars, SLA policies,
  contact writes, transfer/assign/split/merge) for a contact; admin-only writes (users, plans,
  ticket types, calendars, SLA policies, bulk import) for agents and supervisors; supervisor
  writes (organizations, queues) for agents (and the same 403 for an id that does not exist);
* one 403 is about the record rather than the role: an agent taking the next ticket of a queue
  they are not a member of (every staff member can read every queue).

``test_every_route_has_a_matrix_entry`` fails when a route is added without its row.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection

from atende.db.base import utcnow
from tests.conftest import bind_app

ROLES = ("anonymous", "bad_token", "contact", "agent", "supervisor", "admin")
STAFF = ("agent", "supervisor", "admin")
V1 = "/api/v1"
MISSING = 10**15
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(256))
WEEK = {d: [["09:00", "18:00"]] for d in ("monday", "tuesday", "wednesday", "thursday", "friday")}


# --------------------------------------------------------------------------------------------
# The world, built through the API with the admin's token
# --------------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict[str, Any]
    plan: int
    org_a: int
    org_b: int
    contact_a: int
    contact_b: int
    q1: int
    q2: int
    spare_user: int
    spare_token: int
    ticket_a: int
    ticket_b: int
    ticket_b2: int
    ticket_b_closed: int
    public_msg_a: int
    note_a: int
    public_msg_b: int
    note_b: int
    att_a_public: int
    att_a_internal: int
    att_a_on_note: int
    att_b: int
    ticket_type: int
    calendar: int
    policy: int
    rule: int
    canned_reply: int
    pause_reason: int
    absence: int
    webhook: int
    visit_b: int
    widget: int = 0
    flow: int = 0
    flow_draft: int = 0
    chat_b: int = 0  # a chat ticket of B's contact in Q2 (docs/chat.md)
    chat_b_msg: int = 0


def _ok(res: Any, status: int = 201) -> Any:
    assert res.status_code == status, res.text
    return res.json()


def upload(user: Any, ticket_id: int, **fields: Any) -> Any:
    data = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in fields.items()}
    return user.post(
        f"{V1}/tickets/{ticket_id}/attachments",
        files={"file": ("tela.png", PNG, "image/png")},
        data=data,
    )


def build_world(admin: Any, make_user: Any) -> World:
    post = admin.post
    plan = _ok(post(f"{V1}/plans", json={"name": "Prime"}))["id"]
    org_a = _ok(post(f"{V1}/organizations", json={"name": "Padaria A", "plan_id": plan}))["id"]
    org_b = _ok(post(f"{V1}/organizations", json={"name": "Mercado B", "plan_id": plan}))["id"]
    contact_a = _ok(
        post(
            f"{V1}/contacts",
            json={"name": "Lia", "email": "lia@padaria-a.com.br", "organization_id": org_a},
        )
    )["id"]
    contact_b = _ok(
        post(
            f"{V1}/contacts",
            json={"name": "Rui", "email": "rui@mercado-b.com.br", "organization_id": org_b},
        )
    )["id"]
    q1 = _ok(post(f"{V1}/queues", json={"name": "Suporte N1"}))["id"]
    q2 = _ok(post(f"{V1}/queues", json={"name": "Financeiro"}))["id"]
    users = {
        "admin": admin,
        "supervisor": make_user("supervisor"),
        "agent": make_user("agent", queue_ids=[q1]),
        "contact": make_user("contact", contact_id=contact_a),
    }
    spare = make_user("agent", queue_ids=[q2])
    spare_token = _ok(spare.post(f"{V1}/tokens", json={"name": "spare"}))["id"]

    def ticket(queue: int, contact: int, subject: str) -> int:
        body = {
            "subject": subject,
            "body": "Não imprime.",
            "queue_id": queue,
            "contact_id": contact,
        }
        return int(_ok(post(f"{V1}/tickets", json=body))["id"])

    ticket_a = ticket(q1, contact_a, "Impressora A")
    ticket_b = ticket(q2, contact_b, "Boleto B")
    ticket_b2 = ticket(q2, contact_b, "Boleto B duplicado")
    ticket_b_closed = ticket(q2, contact_b, "Boleto B antigo")
    _ok(admin.patch(f"{V1}/tickets/{ticket_b_closed}", json={"status": "closed"}), 200)

    def message(ticket_id: int, body: str, public: bool) -> int:
        res = post(f"{V1}/tickets/{ticket_id}/messages", json={"body": body, "public": public})
        return int(_ok(res)["id"])

    public_msg_a = message(ticket_a, "Resposta pública A", True)
    note_a = message(ticket_a, "NOTA INTERNA A", False)
    public_msg_b = message(ticket_b, "Resposta pública B", True)
    note_b = message(ticket_b, "NOTA INTERNA B", False)
    att_a_public = _ok(upload(admin, ticket_a, public=True))["id"]
    att_a_internal = _ok(upload(admin, ticket_a, public=False))["id"]
    att_a_on_note = _ok(upload(admin, ticket_a, message_id=note_a))["id"]
    att_b = _ok(upload(admin, ticket_b, public=True))["id"]
    ticket_type = _ok(post(f"{V1}/ticket-types", json={"name": "duvida", "label": "Dúvida"}))["id"]
    calendar = _ok(
        post(
            f"{V1}/calendars",
            json={"name": "Comercial", "timezone": "America/Sao_Paulo", "weekly_hours": WEEK},
        )
    )["id"]
    policy = _ok(
        post(
            f"{V1}/sla-policies",
            json={"name": "Padrão", "calendar_id": calendar, "first_response_minutes": 60},
        )
    )["id"]
    rule = _ok(
        post(
            f"{V1}/rules",
            json={
                "name": "Prime",
                "event": "ticket_updated",
                "actions": [{"type": "add_tags", "value": ["prime"]}],
            },
        )
    )["id"]
    canned_reply = _ok(
        post(f"{V1}/canned-replies", json={"name": "Saudação", "body": "Olá, {{contact.name}}!"})
    )["id"]
    pause_reason = _ok(post(f"{V1}/pause-reasons", json={"name": "Almoço"}))["id"]
    soon = utcnow() + timedelta(days=10)
    absence = _ok(
        post(
            f"{V1}/absences",
            json={
                "user_id": spare.id,
                "substitute_id": users["supervisor"].id,
                "starts_at": soon.isoformat(),
                "ends_at": (soon + timedelta(days=2)).isoformat(),
            },
        )
    )["id"]
    webhook = _ok(
        post(f"{V1}/webhooks", json={"url": "https://hooks.example.com/a", "event_types": ["*"]})
    )["id"]
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    visit_b = _ok(post(f"{V1}/tickets/{ticket_b}/visits",
                       json={"kind": "appointment", "purpose": "Treinamento", "starts_at": soon,
                             "reminder": "none"}))["id"]  # fmt: skip
    chat = _chat_world(admin, q2)
    return World(
        **chat,
        users=users,
        plan=plan,
        org_a=org_a,
        org_b=org_b,
        contact_a=contact_a,
        contact_b=contact_b,
        q1=q1,
        q2=q2,
        spare_user=spare.id,
        spare_token=spare_token,
        ticket_a=ticket_a,
        ticket_b=ticket_b,
        ticket_b2=ticket_b2,
        ticket_b_closed=ticket_b_closed,
        public_msg_a=public_msg_a,
        note_a=note_a,
        public_msg_b=public_msg_b,
        note_b=note_b,
        att_a_public=att_a_public,
        att_a_internal=att_a_internal,
        att_a_on_note=att_a_on_note,
        att_b=att_b,
        ticket_type=ticket_type,
        calendar=calendar,
        policy=policy,
        rule=rule,
        canned_reply=canned_reply,
        pause_reason=pause_reason,
        absence=absence,
        webhook=webhook,
        visit_b=visit_b,
    )


def _chat_world(admin: Any, q2: int) -> dict[str, int]:
    """A published bot flow, a draft, a widget of Q2 and a visitor's chat as B's contact."""
    definition = {"start": "m", "default_queue": "Financeiro",
                  "nodes": {"m": {"type": "route", "queue": "Financeiro"}}}  # fmt: skip
    flow = _ok(admin.post(f"{V1}/chat/flows", json={"key": "f", "definition": definition}))["id"]
    _ok(admin.post(f"{V1}/chat/flows/{flow}/publish"), 200)
    draft = _ok(admin.post(f"{V1}/chat/flows", json={"key": "f", "definition": definition}))["id"]
    widget = _ok(admin.post(f"{V1}/chat/widgets", json={"name": "Site", "queue_id": q2}))
    client, base = admin._client, f"/chat/w/{widget['key']}"
    session = _ok(client.post(f"{base}/session", json={"token": "t" * 40}), 200)["session"]
    headers = {"X-Chat-Session": session}
    _ok(client.post(f"{base}/chat", headers=headers,
                    json={"name": "Rui", "email": "rui@mercado-b.com.br"}))  # fmt: skip
    said = _ok(client.post(f"{base}/messages", headers=headers,
                           json={"client_id": "authz-001", "body": "Oi"}))  # fmt: skip
    chat_b = _ok(admin.get(f"{V1}/chats"), 200)[0]["ticket_id"]
    return {"widget": widget["id"], "flow": flow, "flow_draft": draft, "chat_b": chat_b,
            "chat_b_msg": said["id"]}  # fmt: skip


@pytest.fixture
def world(admin: Any, make_user: Any) -> World:
    return build_world(admin, make_user)


@pytest.fixture(scope="module")
def shared_app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    """One application for the module (building one costs more than a matrix row)."""
    from atende.app import create_app
    from atende.settings import Settings

    settings = Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("authz") / "data",
        secret_key="test-secret-key-not-for-production",
        run_worker=False,
    )
    return create_app(settings)


@pytest.fixture
def app(shared_app: Any, session_factory: Any) -> Any:
    """Overrides conftest's ``app``: the shared application, bound to this test's transaction."""
    return bind_app(shared_app, session_factory)


def call(client: Any, world: World, role: str, method: str, url: str, **kwargs: Any) -> Any:
    """One request as ``role`` (``anonymous``: no header; ``bad_token``: an unknown token)."""
    if role == "anonymous":
        return client.request(method, url, **kwargs)
    if role == "bad_token":
        headers = {**kwargs.pop("headers", {}), "Authorization": "Bearer atd_not-a-real-token"}
        return client.request(method, url, headers=headers, **kwargs)
    return world.users[role].request(method, url, **kwargs)


# --------------------------------------------------------------------------------------------
# The matrix
# --------------------------------------------------------------------------------------------

Expect = dict[str, int]


def expect(
    *, contact: int, agent: int, supervisor: int | None = None, admin: int | None = None
) -> Expect:
    """Statuses of the authenticated roles (supervisor and admin default to the agent's)."""
    sup = agent if supervisor is None else supervisor
    return {
        "anonymous": 401,
        "bad_token": 401,
        "contact": contact,
        "agent": agent,
        "supervisor": sup,
        "admin": sup if admin is None else admin,
    }


def everyone(status: int) -> Expect:
    return expect(contact=status, agent=status)


def staff_only(status: int) -> Expect:
    return expect(contact=403, agent=status)


def admin_only(status: int) -> Expect:
    return expect(contact=403, agent=403, supervisor=403, admin=status)


def supervisor_up(status: int) -> Expect:
    return expect(contact=403, agent=403, supervisor=status)


def all_tickets(status: int, *, contact: int = 404) -> Expect:
    """On B's ticket (org B, queue Q2): hidden from A's contact and from the agent of Q1."""
    return expect(contact=contact, agent=404, supervisor=status)


Url = Callable[[World], str]
Kwargs = Callable[[World, str], dict[str, Any]]


@dataclass(frozen=True)
class Row:
    url: Url
    expected: Expect
    kwargs: Kwargs = lambda w, role: {}
    why: str = ""
    check: Callable[[Any], bool] = lambda res: True  # on a 2xx answer: did it do the thing?


def body(make: Callable[[World, str], Any]) -> Kwargs:
    return lambda w, role: {"json": make(w, role)}


def _soon(days: int = 2) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _ticket_body(w: World, role: str) -> dict[str, Any]:
    if role == "contact":
        return {"subject": "Do portal", "body": "Ajuda"}
    return {"subject": "Pelo agente", "body": "Ajuda", "queue_id": w.q1, "contact_id": w.contact_a}


def _import_body(w: World, role: str) -> dict[str, Any]:
    line = {"subject": "Importado", "external_id": f"ext-{role}", "status": "closed",
            "created_at": "2024-01-02T12:00:00+00:00", "contact_id": w.contact_a}  # fmt: skip
    return {
        "content": json.dumps(line).encode(),
        "headers": {"content-type": "application/x-ndjson"},
    }


MATRIX: dict[tuple[str, str], Row] = {
    # --- users and tokens -------------------------------------------------------------------
    ("GET", "/api/v1/users"): Row(lambda w: f"{V1}/users", staff_only(200)),
    ("POST", "/api/v1/users"): Row(
        lambda w: f"{V1}/users",
        admin_only(201),
        body(
            lambda w, role: {
                "name": "Novo",
                "email": f"novo-{role}@atende-demo.com.br",
                "role": "agent",
            }
        ),
    ),
    ("GET", "/api/v1/users/me"): Row(lambda w: f"{V1}/users/me", everyone(200)),
    ("PUT", "/api/v1/users/me/password"): Row(
        lambda w: f"{V1}/users/me/password",
        everyone(422),
        body(lambda w, role: {"current_password": "not-it", "new_password": "gato-azul-pula"}),
        why="every user may change their own; the current password given here is wrong",
    ),
    ("GET", "/api/v1/users/{user_id}"): Row(
        lambda w: f"{V1}/users/{w.spare_user}", staff_only(200)
    ),
    ("PATCH", "/api/v1/users/{user_id}"): Row(
        lambda w: f"{V1}/users/{w.spare_user}",
        admin_only(200),
        body(lambda w, role: {"name": "Renomeado"}),
    ),
    ("DELETE", "/api/v1/users/{user_id}"): Row(
        lambda w: f"{V1}/users/{w.spare_user}", admin_only(204)
    ),
    ("POST", "/api/v1/tokens"): Row(
        lambda w: f"{V1}/tokens", everyone(201), body(lambda w, role: {"name": "cli"})
    ),
    ("DELETE", "/api/v1/tokens/{token_id}"): Row(
        lambda w: f"{V1}/tokens/{w.spare_token}",
        expect(contact=404, agent=404, supervisor=404, admin=204),
        why="another user's token is hidden (404); an admin may revoke any token",
    ),
    # --- plans, organizations, contacts -----------------------------------------------------
    ("GET", "/api/v1/plans"): Row(lambda w: f"{V1}/plans", staff_only(200)),
    ("POST", "/api/v1/plans"): Row(
        lambda w: f"{V1}/plans", admin_only(201), body(lambda w, role: {"name": f"Plano {role}"})
    ),
    ("GET", "/api/v1/plans/{plan_id}"): Row(lambda w: f"{V1}/plans/{w.plan}", staff_only(200)),
    ("PATCH", "/api/v1/plans/{plan_id}"): Row(
        lambda w: f"{V1}/plans/{w.plan}", admin_only(200), body(lambda w, role: {"rank": 5})
    ),
    ("GET", "/api/v1/organizations"): Row(lambda w: f"{V1}/organizations", everyone(200)),
    ("POST", "/api/v1/organizations"): Row(
        lambda w: f"{V1}/organizations",
        supervisor_up(201),
        body(lambda w, role: {"name": f"Loja {role}"}),
    ),
    ("GET", "/api/v1/organizations/{org_id}"): Row(
        lambda w: f"{V1}/organizations/{w.org_b}", expect(contact=404, agent=200)
    ),
    ("PATCH", "/api/v1/organizations/{org_id}"): Row(
        lambda w: f"{V1}/organizations/{w.org_b}",
        supervisor_up(200),
        body(lambda w, role: {"stores": 3}),
    ),
    ("GET", "/api/v1/contacts"): Row(lambda w: f"{V1}/contacts", everyone(200)),
    ("POST", "/api/v1/contacts"): Row(
        lambda w: f"{V1}/contacts",
        staff_only(201),
        body(
            lambda w, role: {
                "name": "Zé",
                "email": f"ze-{role}@mercado-b.com.br",
                "organization_id": w.org_b,
            }
        ),
    ),
    ("GET", "/api/v1/contacts/{contact_id}"): Row(
        lambda w: f"{V1}/contacts/{w.contact_b}", expect(contact=404, agent=200)
    ),
    ("PATCH", "/api/v1/contacts/{contact_id}"): Row(
        lambda w: f"{V1}/contacts/{w.contact_b}",
        staff_only(200),
        body(lambda w, role: {"name": "Rui Souza"}),
    ),
    # --- queues -----------------------------------------------------------------------------
    ("GET", "/api/v1/queues"): Row(lambda w: f"{V1}/queues", staff_only(200)),
    ("POST", "/api/v1/queues"): Row(
        lambda w: f"{V1}/queues", supervisor_up(201), body(lambda w, role: {"name": f"Fila {role}"})
    ),
    ("GET", "/api/v1/queues/{queue_id}"): Row(
        lambda w: f"{V1}/queues/{w.q2}",
        expect(contact=404, agent=200),
        why="queues are hidden from contacts (404); any staff member may read one",
    ),
    ("PATCH", "/api/v1/queues/{queue_id}"): Row(
        lambda w: f"{V1}/queues/{w.q2}",
        supervisor_up(200),
        body(lambda w, role: {"description": "Cobrança"}),
    ),
    # --- tickets (on B's ticket: org B, queue Q2) -------------------------------------------
    ("POST", "/api/v1/tickets"): Row(lambda w: f"{V1}/tickets", everyone(201), body(_ticket_body)),
    ("GET", "/api/v1/tickets"): Row(lambda w: f"{V1}/tickets", everyone(200)),
    ("POST", "/api/v1/tickets/non-client"): Row(
        lambda w: f"{V1}/tickets/non-client",
        staff_only(201),
        body(
            lambda w, role: {
                "name": "Joana Prado",
                "phone": "(21) 99876-5432",
                "email": f"joana-{role}@cafe.example",
                "segment": "Cafeteria",
                "request": "Quero conhecer o sistema",
            }
        ),
    ),
    ("GET", "/api/v1/tickets/forwarded"): Row(lambda w: f"{V1}/tickets/forwarded", staff_only(200)),
    ("POST", "/api/v1/tickets/import"): Row(
        lambda w: f"{V1}/tickets/import",
        admin_only(200),
        _import_body,
        check=lambda res: res.json()["created"] == 1,
    ),
    ("GET", "/api/v1/tickets/{ticket_id}"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}", all_tickets(200)
    ),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}",
        all_tickets(200),
        body(lambda w, role: {"priority": "high"}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/messages",
        all_tickets(201),
        body(lambda w, role: {"body": "Olá", "public": True}),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/timeline"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/timeline", all_tickets(200)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/transfer"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/transfer",
        all_tickets(200, contact=403),
        body(lambda w, role: {"queue_id": w.q1, "reason": "É suporte"}),
        why="staff-only action: a contact is refused (403) before the id is looked up",
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/assign"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/assign",
        all_tickets(200, contact=403),
        body(lambda w, role: {"assignee_id": w.spare_user}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/split"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/split",
        all_tickets(201, contact=403),
        body(lambda w, role: {"message_ids": [w.public_msg_b], "subject": "Outro assunto"}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/merge"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b2}/merge",
        all_tickets(200, contact=403),
        body(lambda w, role: {"into_ticket_id": w.ticket_b}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/follow-up"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b_closed}/follow-up",
        all_tickets(201),
        body(lambda w, role: {"body": "Voltou a acontecer"}),
    ),
    ("GET", "/api/v1/ticket-types"): Row(lambda w: f"{V1}/ticket-types", staff_only(200)),
    ("POST", "/api/v1/ticket-types"): Row(
        lambda w: f"{V1}/ticket-types",
        admin_only(201),
        body(lambda w, role: {"name": f"tipo-{role}"}),
    ),
    ("PATCH", "/api/v1/ticket-types/{type_id}"): Row(
        lambda w: f"{V1}/ticket-types/{w.ticket_type}",
        admin_only(200),
        body(lambda w, role: {"label": "Dúvida geral"}),
    ),
    # --- attachments (B's) ------------------------------------------------------------------
    ("POST", "/api/v1/tickets/{ticket_id}/attachments"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/attachments",
        all_tickets(201),
        lambda w, role: {"files": {"file": ("log.txt", b"log", "text/plain")}},
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/attachments"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/attachments", all_tickets(200)
    ),
    # --- chat (docs/chat.md): widgets and flows for admins, B's chat ticket in Q2 ----------
    ("POST", "/api/v1/chat/widgets"): Row(
        lambda w: f"{V1}/chat/widgets", admin_only(201), body(lambda w, role: {"name": role})
    ),
    ("GET", "/api/v1/chat/widgets"): Row(lambda w: f"{V1}/chat/widgets", admin_only(200)),
    ("GET", "/api/v1/chat/widgets/{widget_id}"): Row(
        lambda w: f"{V1}/chat/widgets/{w.widget}", admin_only(200)
    ),
    ("PATCH", "/api/v1/chat/widgets/{widget_id}"): Row(
        lambda w: f"{V1}/chat/widgets/{w.widget}",
        admin_only(200),
        body(lambda w, role: {"greeting": role}),
    ),
    ("POST", "/api/v1/chat/flows"): Row(
        lambda w: f"{V1}/chat/flows",
        admin_only(201),
        body(lambda w, role: {"key": "g", "definition": {}}),
    ),
    ("GET", "/api/v1/chat/flows"): Row(lambda w: f"{V1}/chat/flows", admin_only(200)),
    ("GET", "/api/v1/chat/flows/{flow_id}"): Row(
        lambda w: f"{V1}/chat/flows/{w.flow}", admin_only(200)
    ),
    ("PUT", "/api/v1/chat/flows/{flow_id}"): Row(
        lambda w: f"{V1}/chat/flows/{w.flow_draft}",
        admin_only(200),
        body(lambda w, role: {"definition": {"start": role}}),
    ),
    ("POST", "/api/v1/chat/flows/{flow_id}/publish"): Row(
        lambda w: f"{V1}/chat/flows/{w.flow_draft}/publish", admin_only(200)
    ),
    ("POST", "/api/v1/chat/flows/{flow_id}/simulate"): Row(
        lambda w: f"{V1}/chat/flows/{w.flow}/simulate",
        admin_only(200),
        body(lambda w, role: {"inputs": ["oi"]}),
    ),
    ("GET", "/api/v1/chats"): Row(
        lambda w: f"{V1}/chats",
        staff_only(200),
        check=lambda res: isinstance(res.json(), list),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/chat"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat", all_tickets(200, contact=403)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/chat/take"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat/take", all_tickets(200, contact=403)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/chat/transfer"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat/transfer",
        all_tickets(200, contact=403),
        body(lambda w, role: {"queue_id": w.q1, "reason": f"por {role}"}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/chat/end"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat/end",
        all_tickets(200, contact=403),
        body(lambda w, role: {}),
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/chat/typing"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat/typing", all_tickets(204, contact=403)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/chat/read"): Row(
        lambda w: f"{V1}/tickets/{w.chat_b}/chat/read",
        all_tickets(204, contact=403),
        body(lambda w, role: {"message_id": w.chat_b_msg}),
    ),
    # --- visits (on B's ticket) ------------------------------------------------------------
    ("POST", "/api/v1/tickets/{ticket_id}/visits"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/visits",
        all_tickets(201, contact=403),
        body(
            lambda w, role: {
                "kind": "appointment",
                "purpose": "Certificado",
                "starts_at": _soon(),
                "reminder": "none",
            }
        ),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/visits"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/visits", all_tickets(200)
    ),
    ("GET", "/api/v1/visits"): Row(
        lambda w: f"{V1}/visits",
        staff_only(200),
        lambda w, role: {"params": {"start": _soon(0), "end": _soon(5)}},
    ),
    ("GET", "/api/v1/visits/{visit_id}"): Row(
        lambda w: f"{V1}/visits/{w.visit_b}", all_tickets(200)
    ),
    ("PATCH", "/api/v1/visits/{visit_id}"): Row(
        lambda w: f"{V1}/visits/{w.visit_b}",
        all_tickets(200, contact=403),
        body(lambda w, role: {"notes": f"por {role}"}),
    ),
    ("GET", "/api/v1/attachments/{attachment_id}"): Row(
        lambda w: f"{V1}/attachments/{w.att_b}", all_tickets(200)
    ),
    ("GET", "/api/v1/attachments/{attachment_id}/content"): Row(
        lambda w: f"{V1}/attachments/{w.att_b}/content", all_tickets(200)
    ),
    # --- calendars and SLA policies ---------------------------------------------------------
    ("GET", "/api/v1/calendars"): Row(lambda w: f"{V1}/calendars", staff_only(200)),
    ("POST", "/api/v1/calendars"): Row(
        lambda w: f"{V1}/calendars",
        admin_only(201),
        body(lambda w, role: {"name": f"Cal {role}", "timezone": "UTC", "weekly_hours": WEEK}),
    ),
    ("GET", "/api/v1/calendars/{calendar_id}"): Row(
        lambda w: f"{V1}/calendars/{w.calendar}", staff_only(200)
    ),
    ("PATCH", "/api/v1/calendars/{calendar_id}"): Row(
        lambda w: f"{V1}/calendars/{w.calendar}",
        admin_only(200),
        body(lambda w, role: {"name": "Horário comercial"}),
    ),
    ("GET", "/api/v1/calendars/{calendar_id}/due"): Row(
        lambda w: f"{V1}/calendars/{w.calendar}/due",
        staff_only(200),
        lambda w, role: {"params": {"start": "2025-03-03T12:00:00+00:00", "minutes": 60}},
    ),
    ("GET", "/api/v1/calendars/{calendar_id}/elapsed"): Row(
        lambda w: f"{V1}/calendars/{w.calendar}/elapsed",
        staff_only(200),
        lambda w, role: {
            "params": {"start": "2025-03-03T12:00:00+00:00", "end": "2025-03-04T12:00:00+00:00"}
        },
    ),
    ("GET", "/api/v1/sla-policies"): Row(lambda w: f"{V1}/sla-policies", staff_only(200)),
    ("POST", "/api/v1/sla-policies"): Row(
        lambda w: f"{V1}/sla-policies",
        admin_only(201),
        body(lambda w, role: {"name": f"SLA {role}", "calendar_id": w.calendar}),
    ),
    ("GET", "/api/v1/sla-policies/{policy_id}"): Row(
        lambda w: f"{V1}/sla-policies/{w.policy}", staff_only(200)
    ),
    ("PATCH", "/api/v1/sla-policies/{policy_id}"): Row(
        lambda w: f"{V1}/sla-policies/{w.policy}",
        admin_only(200),
        body(lambda w, role: {"resolution_minutes": 480}),
    ),
    ("DELETE", "/api/v1/sla-policies/{policy_id}"): Row(
        lambda w: f"{V1}/sla-policies/{w.policy}", admin_only(204)
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/sla/breach-reasons"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/sla/breach-reasons",
        all_tickets(200, contact=403),
        why="staff only; B's ticket is hidden from the agent of Q1",
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/sla/breach-reasons"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/sla/breach-reasons",
        expect(contact=403, agent=403, supervisor=409),
        body(lambda w, role: {"kind": "first_response", "category": "many_exchanges"}),
        why="supervisors and admins only; B's ticket has no breached target (409)",
    ),
    # --- channels: the inbound items (admins), a ticket's e-mails and originals (staff) -----
    ("GET", "/api/v1/inbound"): Row(lambda w: f"{V1}/inbound", admin_only(200)),
    ("POST", "/api/v1/inbound/{item_id}/retry"): Row(
        lambda w: f"{V1}/inbound/{MISSING}/retry", admin_only(404), why="403 before the lookup"
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/emails"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/emails", all_tickets(200)
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/messages/{message_id}/original"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/messages/{w.public_msg_b}/original",
        all_tickets(404),
        why="B's reply came from the API, not a channel: no original",
    ),
    ("POST", "/api/v1/mailboxes"): Row(
        lambda w: f"{V1}/mailboxes",
        admin_only(201),
        body(
            lambda w, role: {
                "name": f"Caixa {role}",
                "host": "imap.example",
                "username": "suporte",
                "password": "segredo",
            }
        ),
    ),
    ("GET", "/api/v1/mailboxes"): Row(lambda w: f"{V1}/mailboxes", admin_only(200)),
    ("PATCH", "/api/v1/mailboxes/{mailbox_id}"): Row(
        lambda w: f"{V1}/mailboxes/{MISSING}",
        admin_only(404),
        body(lambda w, role: {"active": False}),
        why="403 before the lookup",
    ),
    ("DELETE", "/api/v1/mailboxes/{mailbox_id}"): Row(
        lambda w: f"{V1}/mailboxes/{MISSING}", admin_only(404), why="403 before the lookup"
    ),
    # --- WhatsApp and Telegram channels (admins), conversations and the phone log (staff) ----
    ("POST", "/api/v1/channels"): Row(
        lambda w: f"{V1}/channels",
        admin_only(201),
        body(
            lambda w, role: {
                "kind": "whatsapp",
                "name": f"WhatsApp {role}",
                "phone_number_id": "1",
                "access_token": "token",
                "app_secret": "12345678",
                "verify_token": "12345678",
            }
        ),
    ),
    ("GET", "/api/v1/channels"): Row(lambda w: f"{V1}/channels", admin_only(200)),
    ("GET", "/api/v1/channels/{channel_id}"): Row(
        lambda w: f"{V1}/channels/{MISSING}", admin_only(404), why="403 before the lookup"
    ),
    ("PATCH", "/api/v1/channels/{channel_id}"): Row(
        lambda w: f"{V1}/channels/{MISSING}",
        admin_only(404),
        body(lambda w, role: {"active": False}),
        why="403 before the lookup",
    ),
    ("DELETE", "/api/v1/channels/{channel_id}"): Row(
        lambda w: f"{V1}/channels/{MISSING}", admin_only(404), why="403 before the lookup"
    ),
    ("POST", "/api/v1/channels/{channel_id}/templates/sync"): Row(
        lambda w: f"{V1}/channels/{MISSING}/templates/sync",
        admin_only(404),
        why="403 before the lookup",
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/messaging"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/messaging", all_tickets(200)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/whatsapp-template"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/whatsapp-template",
        all_tickets(422),
        body(lambda w, role: {"template": "retomar"}),
        why="B's ticket has no WhatsApp conversation",
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/calls"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/calls",
        all_tickets(201),
        body(
            lambda w, role: {
                "direction": "in",
                "number": "11987654321",
                "duration_seconds": 60,
                "summary": f"por {role}",
            }
        ),
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/calls"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/calls", all_tickets(200)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/calls/{call_id}/send-summary"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/calls/{MISSING}/send-summary",
        all_tickets(404),
        body(lambda w, role: {"via": "email"}),
        why="no such call on B's ticket",
    ),
    ("POST", "/api/v1/calls"): Row(
        lambda w: f"{V1}/calls",
        staff_only(201),
        body(
            lambda w, role: {
                "direction": "out",
                "number": "11987654321",
                "duration_seconds": 60,
                "summary": f"por {role}",
            }
        ),
    ),
    ("POST", "/api/v1/mailboxes/{mailbox_id}/test"): Row(
        lambda w: f"{V1}/mailboxes/{MISSING}/test", admin_only(404), why="403 before the lookup"
    ),
    # --- jobs (admins) and notifications (each staff member's own) --------------------------
    ("GET", "/api/v1/jobs"): Row(lambda w: f"{V1}/jobs", admin_only(200)),
    ("GET", "/api/v1/jobs/counts"): Row(lambda w: f"{V1}/jobs/counts", admin_only(200)),
    ("GET", "/api/v1/jobs/{job_id}"): Row(
        lambda w: f"{V1}/jobs/{MISSING}", admin_only(404), why="403 before the lookup"
    ),
    ("POST", "/api/v1/jobs/{job_id}/retry"): Row(
        lambda w: f"{V1}/jobs/{MISSING}/retry", admin_only(404), why="403 before the lookup"
    ),
    ("GET", "/api/v1/notifications"): Row(lambda w: f"{V1}/notifications", staff_only(200)),
    ("POST", "/api/v1/notifications/read"): Row(
        lambda w: f"{V1}/notifications/read", staff_only(200), body(lambda w, role: {})
    ),
    # --- automation rules and canned replies ------------------------------------------------
    ("GET", "/api/v1/rules"): Row(lambda w: f"{V1}/rules", supervisor_up(200)),
    ("POST", "/api/v1/rules"): Row(
        lambda w: f"{V1}/rules",
        admin_only(201),
        body(
            lambda w, role: {
                "name": f"Regra {role}",
                "event": "ticket_created",
                "actions": [{"type": "set_queue", "value": w.q2}],
            }
        ),
    ),
    ("POST", "/api/v1/rules/dry-run"): Row(
        lambda w: f"{V1}/rules/dry-run",
        supervisor_up(200),
        body(lambda w, role: {"ticket_id": w.ticket_b}),
        why="supervisors read rules: a contact or an agent is refused before the ticket is read",
        check=lambda res: res.json()["runs"][0]["steps"][0]["rule_name"] == "Prime",
    ),
    ("GET", "/api/v1/rules/{rule_id}"): Row(lambda w: f"{V1}/rules/{w.rule}", supervisor_up(200)),
    ("PATCH", "/api/v1/rules/{rule_id}"): Row(
        lambda w: f"{V1}/rules/{w.rule}", admin_only(200), body(lambda w, role: {"active": False})
    ),
    ("DELETE", "/api/v1/rules/{rule_id}"): Row(lambda w: f"{V1}/rules/{w.rule}", admin_only(204)),
    ("GET", "/api/v1/canned-replies"): Row(lambda w: f"{V1}/canned-replies", staff_only(200)),
    ("POST", "/api/v1/canned-replies"): Row(
        lambda w: f"{V1}/canned-replies",
        admin_only(201),
        body(lambda w, role: {"name": f"Resposta {role}", "body": "Olá!"}),
    ),
    ("GET", "/api/v1/canned-replies/{reply_id}"): Row(
        lambda w: f"{V1}/canned-replies/{w.canned_reply}", staff_only(200)
    ),
    ("PATCH", "/api/v1/canned-replies/{reply_id}"): Row(
        lambda w: f"{V1}/canned-replies/{w.canned_reply}",
        admin_only(200),
        body(lambda w, role: {"body": "Oi, {{contact.first_name}}!"}),
    ),
    ("DELETE", "/api/v1/canned-replies/{reply_id}"): Row(
        lambda w: f"{V1}/canned-replies/{w.canned_reply}", admin_only(204)
    ),
    ("GET", "/api/v1/canned-replies/{reply_id}/render"): Row(
        lambda w: f"{V1}/canned-replies/{w.canned_reply}/render",
        all_tickets(200, contact=403),
        lambda w, role: {"params": {"ticket_id": w.ticket_b}},
        why="staff only; filled in for a ticket the caller can read (B's is hidden from Q1)",
        check=lambda res: res.json()["body"] == "Olá, Rui!",
    ),
    # --- the reply check ----------------------------------------------------------------------
    ("POST", "/api/v1/reply-check"): Row(
        lambda w: f"{V1}/reply-check",
        staff_only(200),
        body(lambda w, role: {"body": "Vou estar verificando"}),
        why="warnings for a draft reply: staff write replies, contacts do not",
        check=lambda res: res.json()["findings"][0]["kind"] == "gerund",
    ),
    ("GET", "/api/v1/reply-check/lists"): Row(lambda w: f"{V1}/reply-check/lists", staff_only(200)),
    ("GET", "/api/v1/reply-check/lists/{name}"): Row(
        lambda w: f"{V1}/reply-check/lists/promises", staff_only(200)
    ),
    ("PUT", "/api/v1/reply-check/lists/{name}"): Row(
        lambda w: f"{V1}/reply-check/lists/deadlines",
        admin_only(200),
        body(lambda w, role: {"items": [{"phrase": "hoje"}]}),
        check=lambda res: res.json()["items"] == [{"phrase": "hoje", "suggestion": ""}],
    ),
    ("GET", "/api/v1/reply-check/lists/{name}/changes"): Row(
        lambda w: f"{V1}/reply-check/lists/deadlines/changes", admin_only(200)
    ),
    # --- presence, pause reasons, absences ---------------------------------------------------
    ("PUT", "/api/v1/agents/me/presence"): Row(
        lambda w: f"{V1}/agents/me/presence",
        staff_only(200),
        body(lambda w, role: {"status": "online"}),
        check=lambda res: res.json()["status"] == "online",
    ),
    ("GET", "/api/v1/agents/me/presence"): Row(
        lambda w: f"{V1}/agents/me/presence", staff_only(200)
    ),
    ("GET", "/api/v1/agents/presence"): Row(
        lambda w: f"{V1}/agents/presence",
        supervisor_up(200),
        check=lambda res: len(res.json()) >= 4,
    ),
    ("GET", "/api/v1/agents/presence/log"): Row(
        lambda w: f"{V1}/agents/presence/log",
        staff_only(200),
        why="supervisors see everyone's periods, an agent their own",
    ),
    ("GET", "/api/v1/pause-reasons"): Row(lambda w: f"{V1}/pause-reasons", staff_only(200)),
    ("POST", "/api/v1/pause-reasons"): Row(
        lambda w: f"{V1}/pause-reasons",
        admin_only(201),
        body(lambda w, role: {"name": f"Pausa {role}"}),
    ),
    ("PATCH", "/api/v1/pause-reasons/{reason_id}"): Row(
        lambda w: f"{V1}/pause-reasons/{w.pause_reason}",
        admin_only(200),
        body(lambda w, role: {"active": False}),
    ),
    ("GET", "/api/v1/absences"): Row(lambda w: f"{V1}/absences", staff_only(200)),
    ("POST", "/api/v1/absences"): Row(
        lambda w: f"{V1}/absences",
        supervisor_up(201),
        body(
            lambda w, role: {
                "user_id": w.spare_user,
                "substitute_id": w.users["supervisor"].id,
                "starts_at": (utcnow() + timedelta(days=20)).isoformat(),
                "ends_at": (utcnow() + timedelta(days=21)).isoformat(),
            }
        ),
    ),
    ("GET", "/api/v1/absences/{absence_id}"): Row(
        lambda w: f"{V1}/absences/{w.absence}",
        expect(contact=403, agent=404, supervisor=200),
        why="staff only; an agent sees only the absences where they are the agent or substitute",
    ),
    ("POST", "/api/v1/absences/{absence_id}/cancel"): Row(
        lambda w: f"{V1}/absences/{w.absence}/cancel",
        supervisor_up(200),
        check=lambda res: res.json()["state"] == "cancelled",
    ),
    # --- routing: the line, pulls, waits, followers, on-call -------------------------------
    ("POST", "/api/v1/queues/{queue_id}/next"): Row(
        lambda w: f"{V1}/queues/{w.q2}/next",
        expect(contact=403, agent=403, supervisor=409),
        why="the agent of Q1 is not a member of Q2; staff who are offline are told so (409)",
    ),
    ("GET", "/api/v1/queues/{queue_id}/line"): Row(
        lambda w: f"{V1}/queues/{w.q2}/line",
        expect(contact=403, agent=404, supervisor=200),
        why="an agent sees only the lines of their queues",
    ),
    ("GET", "/api/v1/queues/{queue_id}/waits"): Row(
        lambda w: f"{V1}/queues/{w.q2}/waits", supervisor_up(200)
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/followers"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/followers", all_tickets(200, contact=403)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/followers/me"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/followers/me", all_tickets(200, contact=403)
    ),
    ("DELETE", "/api/v1/tickets/{ticket_id}/followers/me"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/followers/me", all_tickets(204, contact=403)
    ),
    ("GET", "/api/v1/on-call"): Row(lambda w: f"{V1}/on-call", supervisor_up(200)),
    ("PUT", "/api/v1/tickets/{ticket_id}/on-call-review"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/on-call-review",
        supervisor_up(409),
        why="supervisors review on-call tickets (403 before the id for others); B's ticket was "
        "not opened on call (tests/routing/test_on_call_review.py marks one that was)",
    ),
    ("DELETE", "/api/v1/tickets/{ticket_id}/on-call-review"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/on-call-review", supervisor_up(409)
    ),
    ("POST", "/api/v1/tickets/{ticket_id}/retention"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/retention",
        all_tickets(200, contact=403),
        body(lambda w, role: {"offer": "Dois meses de desconto", "outcome": "declined"}),
        why="staff record a retention attempt on a ticket they may write (seed 004)",
    ),
    ("GET", "/api/v1/reports/reply-check"): Row(
        lambda w: f"{V1}/reports/reply-check?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
        staff_only(200),
    ),
    ("GET", "/api/v1/reports/digest"): Row(lambda w: f"{V1}/reports/digest", supervisor_up(200)),
    ("PUT", "/api/v1/reports/digest"): Row(
        lambda w: f"{V1}/reports/digest",
        supervisor_up(200),
        body(lambda w, role: {"weekly": False}),
        why="the weekly digest is for supervisors and admins",
    ),
    # --- the configuration audit trail (admins) ---------------------------------------------
    ("GET", "/api/v1/audit"): Row(
        lambda w: f"{V1}/audit?entity_type=queue",
        admin_only(200),
        check=lambda res: len(res.json()["items"]) >= 2,
    ),
    ("GET", "/api/v1/audit/{entity_type}/{entity_id}"): Row(
        lambda w: f"{V1}/audit/queue/{w.q2}",
        admin_only(200),
        check=lambda res: [e["action"] for e in res.json()["items"]] == ["created"],
    ),
    # --- events leave after commit: the live stream, webhook subscriptions -------------------
    ("GET", "/api/v1/stream"): Row(
        lambda w: f"{V1}/stream?follow=false&last_event_id=0",
        everyone(200),
        why="everyone may follow the events of what they may read (tests/stream checks which)",
        check=lambda res: res.headers["content-type"].startswith("text/event-stream"),
    ),
    ("GET", "/api/v1/stream/open"): Row(
        lambda w: f"{V1}/stream/open",
        admin_only(200),
        check=lambda res: res.json()["open"] >= 0,
    ),
    ("GET", "/api/v1/webhooks"): Row(lambda w: f"{V1}/webhooks", admin_only(200)),
    ("POST", "/api/v1/webhooks"): Row(
        lambda w: f"{V1}/webhooks",
        admin_only(201),
        body(lambda w, role: {"url": "https://hooks.example.com/b", "event_types": ["*"]}),
    ),
    ("GET", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda w: f"{V1}/webhooks/{w.webhook}", admin_only(200)
    ),
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda w: f"{V1}/webhooks/{w.webhook}",
        admin_only(200),
        body(lambda w, role: {"active": False}),
    ),
    ("DELETE", "/api/v1/webhooks/{webhook_id}"): Row(
        lambda w: f"{V1}/webhooks/{w.webhook}", admin_only(204)
    ),
    # --- reports (#19): staff only; an agent's and a supervisor's reach is in the rows
    # (tests/reports/test_metrics_api.py checks whose figures each one reads) --------------
    ("GET", "/api/v1/reports/metrics"): Row(
        lambda w: f"{V1}/reports/metrics?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
        staff_only(200),
    ),
    ("GET", "/api/v1/reports/sla-breaches"): Row(
        lambda w: f"{V1}/reports/sla-breaches?from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z",
        staff_only(200),
    ),
    ("GET", "/api/v1/reports/presence"): Row(
        lambda w: f"{V1}/reports/presence?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
        staff_only(200),
    ),
    ("GET", "/api/v1/reports/on-call"): Row(lambda w: f"{V1}/reports/on-call", supervisor_up(200)),
    ("GET", "/api/v1/reports/forwarded"): Row(lambda w: f"{V1}/reports/forwarded", staff_only(200)),
    # --- surveys -----------------------------------------------------------------------------
    ("GET", "/api/v1/surveys/settings"): Row(lambda w: f"{V1}/surveys/settings", admin_only(200)),
    ("PATCH", "/api/v1/surveys/settings"): Row(
        lambda w: f"{V1}/surveys/settings",
        admin_only(200),
        body(lambda w, role: {"delay_minutes": 5}),
    ),
    ("GET", "/api/v1/surveys/summary"): Row(
        lambda w: f"{V1}/surveys/summary",
        staff_only(200),
        lambda w, role: {"params": {"from": _soon(-1), "to": _soon(1)}},
    ),
    ("GET", "/api/v1/tickets/{ticket_id}/surveys"): Row(
        lambda w: f"{V1}/tickets/{w.ticket_b}/surveys", all_tickets(200)
    ),
    ("GET", "/api/v1/surveys/campaigns"): Row(lambda w: f"{V1}/surveys/campaigns", admin_only(200)),
    ("POST", "/api/v1/surveys/campaigns"): Row(
        lambda w: f"{V1}/surveys/campaigns",
        admin_only(201),
        body(lambda w, role: {"name": "NPS trimestral", "organization_ids": [w.org_b]}),
    ),
    ("GET", "/api/v1/surveys/campaigns/{campaign_id}"): Row(
        lambda w: f"{V1}/surveys/campaigns/{MISSING}",
        admin_only(404),
        why="403 before the lookup",
    ),
    ("PATCH", "/api/v1/surveys/campaigns/{campaign_id}"): Row(
        lambda w: f"{V1}/surveys/campaigns/{MISSING}",
        admin_only(404),
        body(lambda w, role: {"active": False}),
        why="403 before the lookup",
    ),
}

# Known bugs, one cell each: (method, path, role) -> reason. Empty when none is known.
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _schema_operations(app: Any) -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, ops in app.openapi()["paths"].items()
        for method in ops
        if method.lower() in {"get", "post", "put", "patch", "delete"}
    }


def test_every_route_has_a_matrix_entry(app: Any) -> None:
    """A new route cannot be forgotten: every operation of the schema has a row, and no row is
    stale."""
    operations = _schema_operations(app)
    missing = sorted(operations - set(MATRIX))
    stale = sorted(set(MATRIX) - operations)
    assert not missing, f"routes without an authorization matrix row: {missing}"
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


def _groups() -> Iterator[Any]:
    """One test per route over every role, except that a cell with a known bug is split off
    into its own strict xfail (so the rest of the route stays checked)."""
    for method, path in sorted(MATRIX):
        buggy = [r for r in ROLES if (method, path, r) in KNOWN_BUGS]
        healthy = tuple(r for r in ROLES if r not in buggy)
        yield pytest.param(method, path, healthy, id=f"{method} {path}")
        for role in buggy:
            reason = f"BUG: {KNOWN_BUGS[(method, path, role)]}"
            mark = pytest.mark.xfail(strict=True, reason=reason)
            yield pytest.param(method, path, (role,), id=f"{method} {path} as {role}", marks=mark)


@pytest.fixture
def savepoint(connection: Connection) -> Callable[[], Any]:
    """A savepoint around one call, rolled back after it: every role meets the same world."""

    def _open() -> Any:
        return connection.begin_nested()

    return _open


@pytest.mark.parametrize(("method", "path", "roles"), list(_groups()))
def test_matrix(
    method: str,
    path: str,
    roles: tuple[str, ...],
    world: World,
    client: Any,
    savepoint: Callable[[], Any],
) -> None:
    row = MATRIX[(method, path)]
    wrong: list[str] = []
    for role in roles:
        nested = savepoint()
        try:
            res = call(client, world, role, method, row.url(world), **row.kwargs(world, role))
        finally:
            nested.rollback()
        want = row.expected[role]
        if res.status_code != want:
            wrong.append(f"{role}: expected {want}, got {res.status_code} {res.text[:300]}")
            continue
        if want < 300 and not row.check(res):
            wrong.append(f"{role}: {want} but the answer is wrong: {res.text[:300]}")
        if want >= 400:
            assert res.headers["content-type"].startswith("application/problem+json"), res.text
            assert res.json()["status"] == want
    assert not wrong, f"{method} {path} ({row.why or 'see the module rules'}):\n" + "\n".join(wrong)


# A 403 about the record, not the role (README, "Access"): the agent of Q1 may pull from their
# own queue, not from Q2, which they can read. Every other 403 of the matrix is the role's.
RECORD_403 = {("POST", "/api/v1/queues/{queue_id}/next", "agent")}


def test_a_role_refused_a_route_gets_the_same_403_for_a_missing_id(
    world: World, client: Any, savepoint: Callable[[], Any]
) -> None:
    """A role that may never use a route is refused before any id is looked up: the same 403
    for an id that exists and one that does not, so the refusal tells nothing about the id."""
    checked, wrong = 0, []
    for (method, path), row in sorted(MATRIX.items()):
        if "{" not in path:
            continue
        for role in ("contact", "agent", "supervisor"):
            if row.expected[role] != 403 or (method, path, role) in RECORD_403:
                continue
            url = re.sub(r"\{[^}]+\}", str(MISSING), path)
            nested = savepoint()
            try:
                res = call(client, world, role, method, url, **row.kwargs(world, role))
            finally:
                nested.rollback()
            checked += 1
            if res.status_code != 403 or res.json()["code"] != "forbidden":
                wrong.append(f"{method} {path} as {role}: {res.status_code} {res.text[:200]}")
    assert checked > 40
    assert not wrong, "\n".join(wrong)


# --------------------------------------------------------------------------------------------
# What the matrix cannot say with a status: what each role sees inside a 200
# --------------------------------------------------------------------------------------------


def _same_as_missing(user: Any, url: str, target: int) -> None:
    """A denied id answers exactly like an id that does not exist (status, code, detail)."""
    denied = user.get(url.format(target))
    missing = user.get(url.format(MISSING))
    assert denied.status_code == missing.status_code == 404, (url, denied.text)
    d, m = denied.json(), missing.json()
    assert d["code"] == m["code"] == "not_found"
    assert d["detail"].replace(str(target), "N") == m["detail"].replace(str(MISSING), "N")


def test_contact_of_a_cannot_tell_bs_records_from_missing_ones(world: World) -> None:
    contact = world.users["contact"]
    for url, target in [
        (V1 + "/tickets/{}", world.ticket_b),
        (V1 + "/tickets/{}/timeline", world.ticket_b),
        (V1 + "/tickets/{}/attachments", world.ticket_b),
        (V1 + "/attachments/{}", world.att_b),
        (V1 + "/attachments/{}/content", world.att_b),
        (V1 + "/organizations/{}", world.org_b),
        (V1 + "/contacts/{}", world.contact_b),
        # A's own internal attachments are hidden like missing ones
        (V1 + "/attachments/{}", world.att_a_internal),
        (V1 + "/attachments/{}/content", world.att_a_internal),
        (V1 + "/attachments/{}", world.att_a_on_note),
        (V1 + "/attachments/{}/content", world.att_a_on_note),
    ]:
        _same_as_missing(contact, url, target)


def test_agent_of_q1_cannot_tell_q2_tickets_from_missing_ones(world: World) -> None:
    agent = world.users["agent"]
    for url, target in [
        (V1 + "/tickets/{}", world.ticket_b),
        (V1 + "/tickets/{}/timeline", world.ticket_b),
        (V1 + "/tickets/{}/attachments", world.ticket_b),
        (V1 + "/attachments/{}", world.att_b),
        (V1 + "/attachments/{}/content", world.att_b),
    ]:
        _same_as_missing(agent, url, target)


def test_contact_sees_their_organization_only(world: World) -> None:
    contact = world.users["contact"]
    tickets = {t["id"] for t in _ok(contact.get(f"{V1}/tickets"), 200)["items"]}
    assert tickets == {world.ticket_a}
    filtered = contact.get(f"{V1}/tickets", params={"organization_id": world.org_b})
    assert _ok(filtered, 200)["items"] == []
    orgs = [o["id"] for o in _ok(contact.get(f"{V1}/organizations"), 200)["items"]]
    assert orgs == [world.org_a]
    contacts = {c["id"] for c in _ok(contact.get(f"{V1}/contacts"), 200)["items"]}
    assert contacts == {world.contact_a}
    by_org = contact.get(f"{V1}/contacts", params={"organization_id": world.org_b})
    assert _ok(by_org, 200)["items"] == []
    assert _ok(contact.get(f"{V1}/organizations/{world.org_a}"), 200)["id"] == world.org_a
    assert _ok(contact.get(f"{V1}/contacts/{world.contact_a}"), 200)["id"] == world.contact_a
    assert _ok(contact.get(f"{V1}/tickets/{world.ticket_a}"), 200)["id"] == world.ticket_a


def test_contact_never_sees_internal_notes_or_internal_attachments(world: World) -> None:
    contact = world.users["contact"]
    timeline = _ok(contact.get(f"{V1}/tickets/{world.ticket_a}/timeline"), 200)
    text = json.dumps(timeline, ensure_ascii=False)
    assert "Resposta pública A" in text
    assert "NOTA INTERNA" not in text
    assert all(e["public"] is not False for e in timeline), timeline
    message_ids = {e["id"] for e in timeline if e["entry"] == "message"}
    assert world.public_msg_a in message_ids and world.note_a not in message_ids
    listed = _ok(contact.get(f"{V1}/tickets/{world.ticket_a}/attachments"), 200)["items"]
    assert [a["id"] for a in listed] == [world.att_a_public]
    assert contact.get(f"{V1}/attachments/{world.att_a_public}/content").content == PNG
    # nor can a contact find a ticket by the words of its internal note
    search = contact.get(f"{V1}/tickets", params={"q": "NOTA INTERNA"})
    assert _ok(search, 200)["items"] == []
    # nor write one, nor add an internal attachment
    note = contact.post(
        f"{V1}/tickets/{world.ticket_a}/messages", json={"body": "x", "public": False}
    )
    assert note.status_code == 403, note.text
    hidden = upload(contact, world.ticket_a, public=False)
    assert hidden.status_code == 422, hidden.text


def test_staff_see_internal_notes(world: World) -> None:
    for role in STAFF:
        timeline = _ok(world.users[role].get(f"{V1}/tickets/{world.ticket_a}/timeline"), 200)
        assert "NOTA INTERNA A" in json.dumps(timeline), role
        listed = _ok(world.users[role].get(f"{V1}/tickets/{world.ticket_a}/attachments"), 200)
        assert {a["id"] for a in listed["items"]} == {
            world.att_a_public,
            world.att_a_internal,
            world.att_a_on_note,
        }


def test_agent_sees_their_queue_and_what_is_assigned_to_them(world: World) -> None:
    agent, admin = world.users["agent"], world.users["admin"]
    listed = {t["id"] for t in _ok(agent.get(f"{V1}/tickets"), 200)["items"]}
    assert listed == {world.ticket_a}
    assert agent.get(f"{V1}/tickets/{world.ticket_b}").status_code == 404
    assign = admin.post(f"{V1}/tickets/{world.ticket_b}/assign", json={"assignee_id": agent.id})
    _ok(assign, 200)
    assert _ok(agent.get(f"{V1}/tickets/{world.ticket_b}"), 200)["assignee_id"] == agent.id
    assert agent.get(f"{V1}/attachments/{world.att_b}").status_code == 200
    listed = {t["id"] for t in _ok(agent.get(f"{V1}/tickets"), 200)["items"]}
    assert listed == {world.ticket_a, world.ticket_b}
    # the other Q2 tickets stay hidden
    assert agent.get(f"{V1}/tickets/{world.ticket_b2}").status_code == 404


def test_supervisor_and_admin_see_every_ticket(world: World) -> None:
    everything = {
        world.ticket_a,
        world.ticket_b,
        world.ticket_b2,
        world.ticket_b_closed,
        world.chat_b,
    }
    for role in ("supervisor", "admin"):
        listed = {t["id"] for t in _ok(world.users[role].get(f"{V1}/tickets"), 200)["items"]}
        assert listed == everything, role


# --------------------------------------------------------------------------------------------
# Routes outside the schema: HTML pages redirect to the login page
# --------------------------------------------------------------------------------------------

PUBLIC_PAGES = {
    "/login",
    "/openapi.json",
    "/api/docs",
    "/docs/oauth2-redirect",
    "/pesquisa/{token}",
}
"""The survey page needs no login: its signed link is the capability (tests/surveys)."""
# the chat visitor's side: public, authorised by the visitor's signed session (tests/chat)
# the providers' webhooks answer by the caller's signature or secret token (tests/messaging)
PUBLIC_PREFIXES = ("/chat/", "/webhooks/")


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str, Any]]:
    from starlette.routing import Mount

    for route in routes:
        original = getattr(route, "original_router", None)
        if original is not None:  # FastAPI's included router
            yield from _walk(original.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount):
            continue  # /static: public files
        else:
            for method in sorted(getattr(route, "methods", None) or ()):
                if method != "HEAD":
                    yield method, prefix + route.path, route


def _html_routes(app: Any) -> list[tuple[str, str]]:
    schema = _schema_operations(app)
    return sorted(
        (method, path)
        for method, path, _ in _walk(app.routes)
        if (method, path) not in schema
        and path not in PUBLIC_PAGES
        and not path.startswith(PUBLIC_PREFIXES)
    )


def test_html_routes_redirect_a_visitor_to_the_login_page(app: Any, client: Any) -> None:
    routes = _html_routes(app)
    assert ("GET", "/tickets") in routes  # the walk does find the pages
    wrong = []
    for method, path in routes:
        url = path.replace("{ticket_id}", "1")
        data = {"body": "oi"} if method == "POST" else None
        res = client.request(method, url, data=data, follow_redirects=False)
        hops = [f"{res.status_code} {res.headers.get('location')}"]
        # "/" may send the visitor on to a page first; it must end at the login page.
        while res.status_code in (302, 303) and not res.headers["location"].startswith("/login"):
            if len(hops) > 3:
                break
            res = client.get(res.headers["location"], follow_redirects=False)
            hops.append(f"{res.status_code} {res.headers.get('location')}")
        location = res.headers.get("location") or ""
        if res.status_code not in (302, 303) or not location.startswith("/login"):
            wrong.append(f"{method} {path}: {' -> '.join(hops)}")
    assert not wrong, wrong


def test_api_routes_do_not_redirect_but_answer_401(client: Any) -> None:
    """An API client never gets an HTML login page: 401 problem+json, with or without a bogus
    cookie."""
    for cookies in ({}, {"atende_session": "nope"}):
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies.set(name, value)
        res = client.get(f"{V1}/tickets", follow_redirects=False)
        assert res.status_code == 401, res.text
        assert res.headers["content-type"].startswith("application/problem+json")
        assert res.json()["status"] == 401
    client.cookies.clear()


# --------------------------------------------------------------------------------------------
# 401 comes first: an unparsable body must not be judged before the caller is known
# --------------------------------------------------------------------------------------------


def _body_routes() -> Iterator[Any]:
    from atende.app import create_app
    from atende.settings import Settings

    settings = Settings(database_url="sqlite:///:memory:", secret_key="collect", run_worker=False)
    paths = create_app(settings).openapi()["paths"]
    for path, ops in sorted(paths.items()):
        for method, op in sorted(ops.items()):
            content = (op.get("requestBody") or {}).get("content") or {}
            if not content and method != "post":
                continue
            for name, raw in (("bad JSON", b'{"subject": '), ("not UTF-8", b"\xff\xfe{")):
                # the routes whose JSON body FastAPI itself parses show the bug
                yield pytest.param(method.upper(), path, raw, id=f"{method.upper()} {path} {name}")


@pytest.mark.parametrize(("method", "path", "raw"), list(_body_routes()))
def test_anonymous_unparsable_body_answers_401(
    method: str, path: str, raw: bytes, client: Any
) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    for headers in ({}, {"Authorization": "Bearer atd_not-a-real-token"}):
        res = client.request(
            method, url, content=raw, headers={**headers, "content-type": "application/json"}
        )
        assert res.status_code == 401, f"{headers or 'no token'}: {res.status_code} {res.text}"
